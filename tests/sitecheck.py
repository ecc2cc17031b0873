"""Checks on a built site shared by tests: links, assets, private data."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("href", "src"):
                self.links.append(value)
            if value and name == "srcset":
                self.links.extend(part.split()[0] for part in value.split(",") if part.strip())


def internal_links(html: str) -> list[str]:
    collector = _LinkCollector()
    collector.feed(html)
    return [
        link for link in collector.links if not urlsplit(link).scheme and not link.startswith("//")
    ]


def broken_links(site: Path) -> list[tuple[str, str]]:
    """(page, link) for every relative link or asset that does not resolve to a written file."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        rel_page = page.relative_to(site).as_posix()
        if rel_page == "404.html":
            continue
        for link in internal_links(page.read_text(encoding="utf-8")):
            path = unquote(urlsplit(link).path)
            if not path:
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel_page), path))
            if target.startswith("..") or not (site / target).is_file():
                broken.append((rel_page, link))
    return broken


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def text_files(site: Path) -> dict[str, str]:
    suffixes = {".html", ".ics", ".xml", ".json", ".js", ".css", ".txt"}
    return {
        rel: data.decode("utf-8")
        for rel, data in site_files(site).items()
        if Path(rel).suffix in suffixes
    }
