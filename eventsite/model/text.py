"""Untrusted rich text (abstracts, bios, descriptions) -> safe HTML.

HTML goes through an allow-list (nh3, the Rust ammonia sanitiser); plain text becomes
paragraphs through Markdown and is then sanitised the same way, so nothing is escaped twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import nh3

if TYPE_CHECKING:
    import markdown

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4",
    "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span",
    "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
# headings in data would break the page outline; they are lowered below the page's own h2
_HEADING = re.compile(r"<(/?)h[12](\s|>)", re.IGNORECASE)
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|hr)\b[^>]*>",
    re.IGNORECASE,
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_EMPTY_P = re.compile(r"<p>(?:\s|&nbsp;|&#160;|<br\s*/?>)*</p>")
# plain text without anything Markdown would interpret: converted without the Markdown library
# (tests check that the result is the same); anything else goes through Markdown
_MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]<>#&!+=|~{}\t\r]|^[ ]*[-\d>]|^ |  $", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n(?:[ ]*\n)+")
# the alternatives of `re.sub(r"<[^>]*>|&nbsp;|&#160;|\s", "", value)`, tried in the same order
# and never given back (possessive), then one character that none of them removes
_INVISIBLE_THEN_TEXT = re.compile(r"(?:<[^>]*>|&nbsp;|&#160;|\s)*+.", re.DOTALL)


def is_html(value: str) -> bool:
    return bool(_TAG.search(value))


def has_visible_text(value: str) -> bool:
    """True when something is left once tags, `&nbsp;`, `&#160;` and whitespace are removed.

    Stops at the first visible character instead of removing all of them from long texts.
    """
    return value != "" and _INVISIBLE_THEN_TEXT.match(value) is not None


# Pages, the search index, the calendars and the schedule exports each read every text once:
# the cache holds all the texts of a large event so that each is sanitised once per build.
@lru_cache(maxsize=65536)
def rich_text(value: str) -> str:
    """Sanitised HTML for an abstract, bio or description ("" when it has no text)."""
    cleaned = sanitised(value)
    return cleaned if plain_text(cleaned) else ""


def sanitised(value: str) -> str:
    """`rich_text` without its cache and without the check that some text is visible, for a
    caller that works out the plain text anyway: that is "" whenever `rich_text` is ""."""
    if not value or not value.strip():
        return ""
    source = value if is_html(value) else _markdown(value)
    source = _HEADING.sub(r"<\1h3\2", source)
    return _EMPTY_P.sub("", _sanitiser()(source)).strip()


SANITISER_OPTIONS: dict[str, Any] = {
    "tags": ALLOWED_TAGS,
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": URL_SCHEMES,
    "link_rel": "noopener noreferrer nofollow",
    "strip_comments": True,
}


@lru_cache(maxsize=1)
def _sanitiser() -> Callable[[str], str]:
    """nh3's sanitiser with our allow-lists; `nh3.Cleaner` (nh3 0.3) converts them once,
    where `nh3.clean` converts them on every call (half the time of a typical abstract)."""
    cleaner = getattr(nh3, "Cleaner", None)
    if cleaner is None:
        return partial(nh3.clean, **SANITISER_OPTIONS)
    return cleaner(**SANITISER_OPTIONS).clean  # type: ignore[no-any-return]


def plain_text(value: str, limit: int | None = None, *, paragraphs: bool = False) -> str:
    """Visible text of HTML (for descriptions, search and meta tags), whitespace folded.

    Block elements end a paragraph; inline ones vanish without adding spaces, so
    `<em>x</em>.` reads `x.`. With `paragraphs`, paragraphs are kept, separated by a blank line.
    """
    text = _visible_text(value, paragraphs)
    if limit is not None and len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        return cut + "…"
    return text


@lru_cache(maxsize=256)  # a page asks for one text several times (check, meta tag, JSON-LD)
def _visible_text(value: str, paragraphs: bool) -> str:
    import html

    if "<" in value or "&" in value:
        value = _BLOCK_TAG.sub("\n\n", _HIDDEN.sub("", value))
        value = html.unescape(_TAG.sub("", value))
    if not paragraphs:  # folded paragraphs joined by a space: every word, one space apart
        return " ".join(value.split())
    chunks = (" ".join(chunk.split()) for chunk in _PARAGRAPH_BREAK.split(value))
    return "\n\n".join(chunk for chunk in chunks if chunk)


def _markdown(value: str) -> str:
    """Plain text from forms -> HTML paragraphs; line breaks are kept."""
    value = value.replace("\r\n", "\n")
    if _MARKDOWN_SYNTAX.search(value):
        return _markdown_converter().reset().convert(value)
    return plain_paragraphs(value)


def plain_paragraphs(value: str) -> str:
    """What Markdown (nl2br) makes of text without Markdown syntax, without running it."""
    if not value.strip():
        return ""
    paragraphs = _BLANK_LINES.split(value.strip("\n"))
    return "\n".join("<p>" + p.replace("\n", "<br />\n") + "</p>" for p in paragraphs)


@lru_cache(maxsize=1)
def _markdown_converter() -> markdown.Markdown:
    import markdown
    from markdown.extensions.nl2br import Nl2BrExtension
    from markdown.extensions.sane_lists import SaneListExtension

    # one converter, reset between texts: building one per text costs more than converting;
    # extension objects, not names: a name makes Markdown scan every installed package's entry
    # points (20 ms)
    return markdown.Markdown(extensions=[Nl2BrExtension(), SaneListExtension()])
