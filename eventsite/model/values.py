"""Lenient readers for single JSON values in any of the export's key styles."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_SCHEMES = ("http://", "https://")
_BARE_DOMAIN = re.compile(r"(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#]\S*)?", re.IGNORECASE)


def get(record: Mapping[str, Any], *names: str) -> Any:
    """First present, non-empty value under any of `names`, each tried kebab and snake case."""
    for name in names:
        for key in _KEY_STYLES.get(name) or _key_styles(name):
            value = record.get(key)
            if value is not None and value != "":
                return value
    return None


_KEY_STYLES: dict[str, tuple[str, ...]] = {}


def _key_styles(name: str) -> tuple[str, ...]:
    snake = name.replace("-", "_")
    styles = _KEY_STYLES[name] = (name,) if snake == name else (name, snake)
    return styles


def text(value: Any) -> str:
    """A display string: strings stripped, numbers written out, anything else empty."""
    if isinstance(value, str):
        # ASCII text cannot hold mojibake (`isascii` is far quicker than the pattern's search)
        if value.isascii() or not _MOJIBAKE.search(value):
            return own(value.strip())
        return _repair(value.strip())
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return _number(value)
    return ""


def own(value: str) -> str:
    """A new string equal to `value`, not the parsed document's own object: a model that kept
    the parser's strings would keep the memory pages of the whole parsed JSON alive (and
    forked render workers would copy those pages as they read the strings)."""
    return "".join((value, ""))


def ident(value: Any) -> str | None:
    """Normalise an id that may be an int in one file and a string in another."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        value = value.strip()
        if re.fullmatch(r"[+-]?\d+", value):
            return str(int(value))
        return own(value) or None
    return None


def integer(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e15:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,15}\s*", value):
        return int(value)
    return default


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            return None
    else:
        return None
    return result if result == result and abs(result) != float("inf") else None


def color(value: Any) -> str | None:
    """A CSS hex colour, normalised to lower-case #rrggbb; anything else is None."""
    if not isinstance(value, str) or not _HEX_COLOR.fullmatch(value.strip()):
        return None
    hex_digits = value.strip()[1:].lower()
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    return "#" + hex_digits


def safe_url(value: Any) -> str:
    """An http(s) URL safe to put in an href, or "" (no javascript:, data:, mailto:...)."""
    url = text(value)
    if not url or any(c in url for c in "\"'<> \t\r\n\\`"):
        return ""
    lowered = url.lower()
    if lowered.startswith(_SCHEMES):
        return url if len(url) > len("https://") + 2 else ""
    if lowered.startswith("//"):
        return "https:" + url
    if _BARE_DOMAIN.fullmatch(url):
        return "https://" + url
    return ""


def profile_url(kind: str, value: Any) -> str:
    """Links from speaker profiles: full URLs, bare domains, or handles like `@name`."""
    raw = text(value)
    if not raw:  # most speakers leave most profiles empty
        return ""
    url = safe_url(raw)
    if url:
        return url
    handle = raw.lstrip("@/")
    hosts = {"twitter": "twitter.com", "github": "github.com"}
    if kind in hosts and re.fullmatch(r"[A-Za-z0-9_.-]{2,39}", handle):
        return f"https://{hosts[kind]}/{handle}"
    return ""


def records(value: Any) -> list[Mapping[str, Any]]:
    """The dict items of a list; anything else yields nothing."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


_MOJIBAKE = re.compile("[\u00c2-\u00c5][\u0080-\u00bf\u2018-\u203a\u0152-\u0178]")


def _repair(value: str) -> str:
    """Undo UTF-8 decoded as Windows-1252 ("FranÃ§ois" -> "François") when that is clean."""
    try:
        return value.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
