"""Jinja filters and globals: times, rich text, colours and relative links."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

from eventsite.media import Asset
from eventsite.model.entities import Track
from eventsite.model.text import plain_text, rich_text
from eventsite.render.view import link_target

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
DEFAULT_TRACK_BG = "#e8eaf0"


def hm(moment: datetime | None) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}" if moment else ""


def long_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    return f"{WEEKDAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    return f"{WEEKDAYS[day.weekday()][:3]} {day.day} {MONTHS[day.month - 1][:3]}"


def iso(moment: datetime | date | None) -> str:
    if not moment:
        return ""
    # by identity: hashing an aware datetime asks its zone for the offset, as isoformat does;
    # the entry holds the object, so its id cannot be reused while the entry exists
    found = _ISO_BY_ID.get(id(moment))
    if found is not None and found[0] is moment:
        return found[1]
    text = moment.isoformat()
    if len(_ISO_BY_ID) >= _ISO_CACHE_SIZE:
        _ISO_BY_ID.clear()
    _ISO_BY_ID[id(moment)] = (moment, text)
    return text


_ISO_CACHE_SIZE = 65536
_ISO_BY_ID: dict[int, tuple[datetime | date, str]] = {}


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    letters = (parts[0][0] + parts[-1][0]) if len(parts) > 1 else name[:2]
    return letters.upper()


def rich(value: str) -> Markup:
    return Markup(rich_text(value))  # rich_text is the sanitiser


def plain(value: str, limit: int | None = None, *, paragraphs: bool = False) -> str:
    return plain_text(rich_text(value), limit, paragraphs=paragraphs)


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_color(background: str, wanted: str | None = None) -> str:
    """The data's text colour if it is readable on `background` (WCAG AA), else black or white."""
    if wanted and contrast(background, wanted) >= 4.5:
        return wanted
    return (
        "#000000"
        if contrast(background, "#000000") >= contrast(background, "#ffffff")
        else "#ffffff"
    )


def track_style(track: Track | None) -> str:
    """CSS custom properties for a track's colours; values are validated hex colours only."""
    if track is None:
        return ""
    return _track_colours(track.color or DEFAULT_TRACK_BG, track.font_color)


@lru_cache(maxsize=4096)
def _track_colours(background: str, font_color: str | None) -> str:
    return f"--track-bg:{background};--track-fg:{text_color(background, font_color)}"


@jinja2.pass_context
def url(context: jinja2.runtime.Context, target: Any) -> str:
    """Relative link from the page being rendered to an entity, day, asset or site path."""
    path = link_target(target)
    if path.startswith(("http://", "https://", "#")):
        return path
    return context["root"] + path


@jinja2.pass_context
def srcset(context: jinja2.runtime.Context, asset: Asset | None) -> Markup:
    """` srcset="…"` for an image with variants for denser screens, else nothing."""
    if asset is None or not asset.srcset:
        return Markup("")
    root = context["root"]
    candidates = ", ".join(f"{root}{path} {density:g}x" for path, density in asset.srcset)
    return Markup(' srcset="{}"').format(candidates)


def install(env: jinja2.Environment) -> None:
    env.filters.update(
        hm=hm,
        long_date=long_date,
        short_date=short_date,
        iso=iso,
        duration=duration,
        rich=rich,
        initials=initials,
        plain=plain,
        track_style=track_style,
        # also filters: `x|url` is called directly, where a call `url(x)` goes through Jinja's
        # Context.call (and, in a loop, a derived context per call)
        url=url,
        srcset=srcset,
    )
    env.globals["url"] = url
    env.globals["srcset"] = srcset
