"""Typed entities of an event, linked both ways once `graph.resolve` has run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache

PUBLIC_STATES = frozenset({"accepted", "confirmed"})


@dataclass(slots=True)
class MediaRef:
    """A media reference from the data: a path inside the export or a remote URL."""

    value: str
    role: str  # speaker, sponsor, logo, banner, copyright

    @property
    def is_remote(self) -> bool:
        return self.value.lower().startswith(("http://", "https://", "//"))


@dataclass(slots=True)
class SocialLink:
    name: str
    url: str


@dataclass(slots=True)
class Copyright:
    holder: str = ""
    holder_url: str = ""
    licence: str = ""
    licence_url: str = ""
    year: str = ""
    logo: MediaRef | None = None


@dataclass(slots=True, eq=False)
class Track:
    id: str
    name: str
    color: str | None = None
    font_color: str | None = None
    description: str = ""
    position: int = 0
    sessions: list[Session] = field(default_factory=list, repr=False)  # graph link


@dataclass(slots=True, eq=False)
class Room:
    id: str
    name: str
    floor: str = ""
    position: int = 0
    sessions: list[Session] = field(default_factory=list, repr=False)  # graph link


@dataclass(slots=True, eq=False)
class SessionType:
    id: str
    name: str
    sessions: list[Session] = field(default_factory=list, repr=False)  # graph link


@dataclass(slots=True, eq=False)
class Speaker:
    id: str
    name: str
    photo: MediaRef | None = None
    short_bio: str = ""  # untrusted HTML or plain text
    long_bio: str = ""
    organisation: str = ""
    position: str = ""
    country: str = ""
    city: str = ""
    links: list[SocialLink] = field(default_factory=list)
    featured: bool = False
    session_ids: list[str] = field(default_factory=list)  # as the speakers file lists them
    sessions: list[Session] = field(default_factory=list, repr=False)  # graph link

    @property
    def bio(self) -> str:
        return self.long_bio if _has_text(self.long_bio) else self.short_bio


@dataclass(slots=True, eq=False)
class Session:
    id: str
    title: str
    state: str
    start: datetime | None = None  # aware, in the event's zone
    end: datetime | None = None
    subtitle: str = ""
    short_abstract: str = ""  # untrusted HTML or plain text
    long_abstract: str = ""
    language: str = ""
    level: str = ""
    slides_url: str = ""
    video_url: str = ""
    audio_url: str = ""
    signup_url: str = ""
    track_ref: tuple[str, str] | None = None  # (id, embedded name) as the session names it
    room_ref: tuple[str, str] | None = None
    type_ref: tuple[str, str] | None = None
    speaker_refs: list[tuple[str, str]] = field(default_factory=list)
    # graph links, left out of repr: printing a linked graph recursively is exponential
    track: Track | None = field(default=None, repr=False)
    room: Room | None = field(default=None, repr=False)
    session_type: SessionType | None = field(default=None, repr=False)
    speakers: list[Speaker] = field(default_factory=list, repr=False)

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def abstract(self) -> str:
        return self.long_abstract if _has_text(self.long_abstract) else self.short_abstract

    @property
    def duration_minutes(self) -> int:
        """Elapsed minutes; timestamps, not wall clocks, so a DST switch day counts right
        (aware datetimes sharing one tzinfo subtract and compare by wall-clock time)."""
        if self.start is None or self.end is None:
            return 0
        return max(0, int((self.end.timestamp() - self.start.timestamp()) // 60))


@dataclass(slots=True, eq=False)
class Sponsor:
    id: str
    name: str
    url: str = ""
    description: str = ""
    tier: str = ""
    level: int = 0
    logo: MediaRef | None = None


@dataclass(slots=True)
class Event:
    id: str
    name: str
    tz: tzinfo
    tz_name: str
    start: datetime | None = None
    end: datetime | None = None
    identifier: str = ""
    description: str = ""
    code_of_conduct: str = ""
    organizer_name: str = ""
    organizer_description: str = ""
    location_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    event_url: str = ""
    ticket_url: str = ""
    logo: MediaRef | None = None
    banner: MediaRef | None = None
    social_links: list[SocialLink] = field(default_factory=list)
    copyright: Copyright | None = None


@dataclass(slots=True)
class EventData:
    """Everything normalised from one export, before links are resolved."""

    event: Event
    sessions: list[Session]
    speakers: list[Speaker]
    tracks: list[Track]
    rooms: list[Room]
    session_types: list[SessionType]
    sponsors: list[Sponsor]


@lru_cache(maxsize=16384)
def _has_text(html: str) -> bool:
    """True when the value has visible text once tags and entities like &nbsp; are gone."""
    if not html:
        return False
    if "<" not in html and "&" not in html:
        return bool(html.strip())
    from eventsite.model.text import has_visible_text

    return has_visible_text(html)
