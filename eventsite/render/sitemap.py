"""`sitemap.xml` in the sitemaps.org protocol.

The protocol only allows absolute `<loc>` URLs, and the site's public address is known only from
`--base-url`. Without one, the sitemap is a valid but empty `<urlset>` with a comment saying
that a base URL is needed: an empty sitemap tells crawlers nothing wrong, while relative or
guessed URLs would be rejected or point at the wrong place.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from eventsite.urls import BaseUrl

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit for one sitemap file
# an XML comment cannot contain "--", so the option is named in words
NO_BASE_URL = " No URLs: the sitemap protocol needs absolute URLs; build with a base URL. "


def sitemap(paths: list[str], base_url: BaseUrl) -> bytes:
    """A `<urlset>` with one absolute `<loc>` per path, in the given order, duplicates dropped."""
    urlset = ET.Element("urlset", {"xmlns": NAMESPACE})
    if base_url:
        for loc in absolute_locs(paths, base_url):
            ET.SubElement(ET.SubElement(urlset, "url"), "loc").text = loc
    else:
        urlset.append(ET.Comment(NO_BASE_URL))
    ET.indent(urlset)
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def absolute_locs(paths: list[str], base_url: BaseUrl) -> list[str]:
    """Absolute URLs of `paths` (index.html dropped), first occurrence kept, at most MAX_URLS."""
    locs = dict.fromkeys(base_url.absolute(path) for path in paths)
    return list(locs)[:MAX_URLS]
