"""Time zones and timestamps: non-IANA names mapped, naive times put in the event's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# names seen in real exports (and their obvious siblings) that are not IANA zone names
ALIASES = {
    "us/pacific": "America/Los_Angeles",
    "us/pacific-new": "America/Los_Angeles",
    "us/eastern": "America/New_York",
    "us/central": "America/Chicago",
    "us/mountain": "America/Denver",
    "us/arizona": "America/Phoenix",
    "us/alaska": "America/Anchorage",
    "us/hawaii": "Pacific/Honolulu",
    "hawaii-aleutian": "Pacific/Honolulu",
    "hawaii": "Pacific/Honolulu",
    "pacific": "America/Los_Angeles",
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "gmt": "UTC",
    "utc": "UTC",
    "z": "UTC",
}


@lru_cache(maxsize=1)
def _iana_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def resolve_zone(name: str) -> tuple[str | None, bool]:
    """Return (IANA name, was_mapped) for a zone name from the data, or (None, False)."""
    cleaned = re.sub(r"\s*/\s*", "/", name.strip())
    if not cleaned:
        return None, False
    folded = cleaned.casefold()
    if folded in ALIASES:
        return ALIASES[folded], cleaned != ALIASES[folded]
    if "/" in cleaned or cleaned.isalpha():
        try:
            ZoneInfo(cleaned)
            return cleaned, cleaned != name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    iana = _iana_names().get(folded) or _iana_names().get(folded.replace(" ", "_"))
    if iana is None:
        return None, False
    # legacy links such as US/Pacific are valid tzdata, but shown as their canonical zone
    return iana, iana != name


def zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_timestamp(value: Any, tz: tzinfo) -> datetime | None:
    """An aware datetime in `tz`; naive timestamps are read as wall-clock time in `tz`."""
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def offset_zone(value: Any) -> tzinfo | None:
    """The fixed offset a timestamp carries, for events whose zone name is unknown."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    offset = parsed.utcoffset()
    if offset is None:
        return None
    return timezone(offset) if offset != timedelta(0) else UTC


def zone_label(tz: tzinfo, name: str) -> str:
    return name if name else str(tz)
