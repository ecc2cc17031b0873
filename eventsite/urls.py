"""Stage 4, plan: the only place that turns entities into output paths and URLs.

Output paths are POSIX paths relative to the site root. Every link inside the site is made
relative to the page it appears on (`SitePlan.link`), so the site works in a subfolder and
from file://; absolute URLs (sitemap, canonical, calendars) exist only with a base URL.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from eventsite.model.entities import Room, Session, SessionType, Speaker, Track

INDEX = "index.html"
SCHEDULE = "schedule/index.html"
SPEAKERS = "speakers/index.html"
TRACKS = "tracks/index.html"
ROOMS = "rooms/index.html"
CODE_OF_CONDUCT = "code-of-conduct.html"
NOT_FOUND = "404.html"
SITEMAP = "sitemap.xml"
ICAL = "schedule.ics"
FRAB_XML = "schedule.xml"
FRAB_JSON = "schedule.json"
SEARCH_INDEX = "search-index.js"
CHANGES = "changes.html"
CHANGES_JSON = "changes.json"
CHANGES_FEED = "changes.xml"
CHANGES_FLAG = "changes-flag.js"
ASSETS_DIR = "assets"
MEDIA_DIR = "media"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@lru_cache(maxsize=65536)
def slug(value: str) -> str:
    """A file-name-safe form of an id; unsafe or changed ids get a hash so none collide."""
    safe = _UNSAFE.sub("-", value).strip("-")[:60]
    if safe == value and safe:
        return safe
    digest = hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{safe}-{digest}" if safe else digest


def session_path(session: Session) -> str:
    return session_path_of_id(session.id)


def session_path_of_id(session_id: str) -> str:
    return f"sessions/{slug(session_id)}.html"


def session_ical_path(session: Session) -> str:
    return f"sessions/{slug(session.id)}.ics"


def speaker_path(speaker: Speaker) -> str:
    return f"speakers/{slug(speaker.id)}.html"


def track_path(track: Track) -> str:
    return f"tracks/{slug(track.id)}.html"


def track_ical_path(track: Track) -> str:
    return f"tracks/{slug(track.id)}.ics"


def room_path(room: Room) -> str:
    return f"rooms/{slug(room.id)}.html"


def room_ical_path(room: Room) -> str:
    return f"rooms/{slug(room.id)}.ics"


def type_key(session_type: SessionType) -> str:
    return slug(session_type.id)


def track_key(track: Track) -> str:
    """The value naming a track in schedule filter links (`schedule/index.html#track=KEY`)."""
    return slug(track.id)


def room_key(room: Room) -> str:
    return slug(room.id)


def schedule_filter(**keys: str) -> str:
    """Link to the schedule filtered by track, room, type or day: `schedule/index.html#k=v`."""
    return _schedule_filter(tuple(sorted((k, v) for k, v in keys.items() if v)))


@lru_cache(maxsize=4096)  # the same few filters are linked from many pages
def _schedule_filter(pairs: tuple[tuple[str, str], ...]) -> str:
    from urllib.parse import urlencode

    return SCHEDULE + "#" + urlencode(pairs)


def day_path(day: date) -> str:
    return f"schedule/{day.isoformat()}.html"


def asset_path(name: str) -> str:
    return f"{ASSETS_DIR}/{name}"


def media_path(digest: str, extension: str) -> str:
    return f"{MEDIA_DIR}/{digest}{extension}"


def relative(from_page: str, target: str) -> str:
    """Link from one output path to another, e.g. sessions/1.html -> ../speakers/2.html."""
    if target.startswith(("http://", "https://", "mailto:", "#")):
        return target
    target, _, fragment = target.partition("#")
    base = posixpath.dirname(from_page)
    link = posixpath.relpath(target, base or ".") if target else posixpath.basename(from_page)
    return f"{link}#{fragment}" if fragment else link


@dataclass(frozen=True, slots=True)
class BaseUrl:
    """The public URL the site will live at, if known."""

    url: str = ""

    @classmethod
    def parse(cls, value: str | None) -> BaseUrl:
        if not value:
            return cls()
        return cls(value if value.endswith("/") else value + "/")

    def absolute(self, path: str) -> str:
        """Absolute URL of an output path ("" without a base URL); index.html is dropped."""
        if not self.url:
            return ""
        if path == INDEX:
            path = ""
        elif path.endswith("/" + INDEX):
            path = path[: -len(INDEX)]
        return self.url + path

    def __bool__(self) -> bool:
        return bool(self.url)
