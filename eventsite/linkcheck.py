"""`--check-links`: every internal link and asset of the site must resolve before it is written.

Checks the generated files in memory, so a broken site is never swapped in: `href`, `src`,
`srcset` and `poster` in HTML (with `#fragment` ids), and `url(...)` in CSS. External URLs are
not fetched.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from eventsite.errors import IntegrityError

_LINK_ATTRIBUTES = frozenset({"href", "src", "poster"})
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
SHOWN_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class BrokenLink:
    page: str
    link: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.link} ({self.reason})"


@dataclass(slots=True)
class _Page:
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _LINK_ATTRIBUTES and not (tag == "link" and _is_hint(attrs)):
                self.page.links.append(value.strip())
            elif name in ("srcset", "imagesrcset"):
                self.page.links.extend(c.split()[0] for c in value.split(",") if c.strip())
            elif name == "id" or (name == "name" and tag == "a"):
                self.page.ids.add(value)


def _is_hint(attrs: list[tuple[str, str | None]]) -> bool:
    """`<link rel=preconnect|dns-prefetch>` name hosts, not files."""
    rel = dict(attrs).get("rel") or ""
    return bool({"preconnect", "dns-prefetch"} & set(rel.lower().split()))


def fail_on_broken_links(files: dict[str, bytes], copies: dict[str, Path]) -> None:
    broken = broken_links(files, copies)
    if broken:
        shown = "\n  ".join(str(b) for b in broken[:SHOWN_PROBLEMS])
        more = len(broken) - SHOWN_PROBLEMS
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise IntegrityError(
            f"{len(broken)} broken internal link(s) (--check-links):\n  {shown}{tail}"
        )


def broken_links(files: dict[str, bytes], copies: dict[str, Path]) -> list[BrokenLink]:
    """Every internal link of the site that does not lead to a written file (or id)."""
    existing = set(files) | set(copies)
    pages = {path: _parse(data) for path, data in files.items() if path.endswith(".html")}
    problems: list[BrokenLink] = []
    for path in sorted(pages):
        for link in pages[path].links:
            problem = _check(path, link, existing, pages)
            if problem:
                problems.append(BrokenLink(path, link, problem))
    for path, text in sorted(_stylesheets(files, copies)):
        for match in _CSS_URL.finditer(text):
            problem = _check(path, match.group(2).strip(), existing, pages)
            if problem:
                problems.append(BrokenLink(path, match.group(2), problem))
    return problems


def _parse(data: bytes) -> _Page:
    parser = _PageParser()
    parser.feed(data.decode("utf-8", "replace"))
    parser.close()
    return parser.page


def _stylesheets(files: dict[str, bytes], copies: dict[str, Path]) -> Iterator[tuple[str, str]]:
    for path, data in files.items():
        if path.endswith(".css"):
            yield path, data.decode("utf-8", "replace")
    for path, source in copies.items():
        if path.endswith(".css"):
            yield path, source.read_text(encoding="utf-8", errors="replace")


def _names_an_element(fragment: str) -> bool:
    """`#speakers-h` names an element; `#track=3&day=…` is a view state the page's script reads."""
    return bool(fragment) and "=" not in fragment


def _check(page: str, link: str, existing: set[str], pages: dict[str, _Page]) -> str | None:
    """Why `link` on `page` is broken, or None when it resolves (or is external)."""
    parts = urlsplit(link)
    if parts.scheme or link.startswith("//") or not link:
        return None
    path, fragment = unquote(parts.path), unquote(parts.fragment)
    if not path:
        target = page
    elif path.startswith("/"):
        return "root-relative: breaks in a subfolder and from file://"
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if path.endswith("/"):
            target = posixpath.join(target, "index.html")
    if target == ".." or target.startswith("../"):
        return "leaves the site"
    if target not in existing:
        return "no such file"
    if _names_an_element(fragment) and target in pages and fragment not in pages[target].ids:
        return f"no element with id {fragment!r}"
    return None
