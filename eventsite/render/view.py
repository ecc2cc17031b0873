"""What templates see: the graph plus resolved media, days and link helpers, built once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from eventsite import urls
from eventsite.media import Asset, MediaResolver
from eventsite.model.changes import ChangeHistory
from eventsite.model.entities import Event, Room, Session, SessionType, Speaker, Sponsor, Track
from eventsite.model.graph import EventGraph
from eventsite.model.schedule import Day, group_days, unscheduled


@dataclass(slots=True)
class SponsorGroup:
    label: str
    level: int
    sponsors: list[Sponsor]


@dataclass(slots=True)
class SiteView:
    graph: EventGraph
    base_url: urls.BaseUrl
    days: list[Day]
    unscheduled: list[Session]
    sponsor_groups: list[SponsorGroup]
    photos: dict[str, Asset | None] = field(default_factory=dict)  # speaker id
    logos: dict[str, Asset | None] = field(default_factory=dict)  # sponsor id
    audio: dict[str, Asset | None] = field(default_factory=dict)  # session id
    event_logo: Asset | None = None
    banner: Asset | None = None
    copyright_logo: Asset | None = None
    history: ChangeHistory | None = None  # schedule changes, when the build tracks them
    _day_index: dict[str, Day] = field(default_factory=dict)

    @property
    def event(self) -> Event:
        return self.graph.event

    @property
    def event_key(self) -> str:
        """A short key that stays the same for one event across builds (storage keys, UIDs)."""
        return event_key(self.graph.event)

    def day_of(self, session: Session) -> Day | None:
        if not self._day_index:
            self._day_index.update({s.id: d for d in self.days for s in d.sessions})
        return self._day_index.get(session.id)


def build_view(graph: EventGraph, media: MediaResolver, base_url: urls.BaseUrl) -> SiteView:
    """Resolve every image the site shows and group the schedule into days."""
    event = graph.event
    view = SiteView(
        graph=graph,
        base_url=base_url,
        days=group_days(graph.sessions, graph.rooms),
        unscheduled=unscheduled(graph.sessions),
        sponsor_groups=_sponsor_groups(graph.sponsors),
        event_logo=media.image(event.logo, "event", event.id),
        banner=media.image(event.banner, "event", event.id),
        copyright_logo=media.image(
            event.copyright.logo if event.copyright else None, "event", event.id
        ),
    )
    for speaker in graph.speakers:
        view.photos[speaker.id] = media.image(speaker.photo, "speaker", speaker.id)
    for sponsor in graph.sponsors:
        view.logos[sponsor.id] = media.image(sponsor.logo, "sponsor", sponsor.id)
    for session in graph.sessions:
        view.audio[session.id] = media.audio(session.audio_url, "session", session.id)
    return view


def event_key(event: Event) -> str:
    """Stable across builds; ids alone are not unique across real exports, so mix the name in."""
    return _event_key(f"{event.name}|{event.identifier}|{event.id}")


@lru_cache(maxsize=64)  # every page shows it
def _event_key(seed: str) -> str:
    import hashlib

    return hashlib.sha1(seed.encode()).hexdigest()[:10]


def _sponsor_groups(sponsors: list[Sponsor]) -> list[SponsorGroup]:
    groups: dict[tuple[int, str], list[Sponsor]] = {}
    for sponsor in sponsors:
        groups.setdefault((sponsor.level or 99, sponsor.tier), []).append(sponsor)
    merged: dict[int, SponsorGroup] = {}
    for (level, tier), members in sorted(groups.items()):
        group = merged.setdefault(level, SponsorGroup(tier or "Sponsors", level, []))
        group.sponsors.extend(members)
    return list(merged.values())


def link_target(target: object) -> str:
    """Output path of an entity, a day or a path string."""
    linker = _LINKERS.get(type(target))
    if linker is not None:
        return linker(target)
    return _link_target_slow(target)


def _link_target_slow(target: object) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, Session):
        return urls.session_path(target)
    if isinstance(target, Speaker):
        return urls.speaker_path(target)
    if isinstance(target, Track):
        return urls.track_path(target)
    if isinstance(target, Room):
        return urls.room_path(target)
    if isinstance(target, Day):
        return urls.day_path(target.date)
    if isinstance(target, datetime):
        return urls.day_path(target.date())
    if isinstance(target, date):
        return urls.day_path(target)
    if isinstance(target, Asset):
        return target.path
    if isinstance(target, SessionType):
        return urls.schedule_filter(type=urls.type_key(target))
    raise TypeError(f"cannot link to {type(target).__name__}")


_LINKERS: dict[type, Callable[[Any], str]] = {
    str: str,
    Session: urls.session_path,
    Speaker: urls.speaker_path,
    Track: urls.track_path,
    Room: urls.room_path,
    Day: lambda day: urls.day_path(day.date),
    Asset: lambda asset: asset.path,
    SessionType: lambda session_type: urls.schedule_filter(type=urls.type_key(session_type)),
}
