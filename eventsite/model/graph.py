"""Stage 3, resolve: link sessions, speakers, tracks, rooms and types both ways.

Rules, applied the same way everywhere:
- an id is matched after normalising its type (`"15"` and `15` are one id); the first record
  with an id wins, later duplicates are reported and dropped;
- an embedded relation (`session.track = {id, name}`) is matched by id, and by name when the
  id is unknown or the id's entity has a different name that another entity carries; labels
  come from the entity files, embedded names only fill in for entities the files lack;
- only sessions in state accepted or confirmed are public; a speaker is public when at least
  one of their sessions is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

from eventsite.issues import IssueLog
from eventsite.model.entities import (
    Event,
    EventData,
    Room,
    Session,
    SessionType,
    Speaker,
    Sponsor,
    Track,
)


class _Named(Protocol):
    id: str
    name: str


N = TypeVar("N", bound=_Named)


@dataclass(slots=True)
class EventGraph:
    """The resolved, public view of an event: what the site shows."""

    event: Event
    sessions: list[Session]
    speakers: list[Speaker]
    tracks: list[Track]
    rooms: list[Room]
    session_types: list[SessionType]
    sponsors: list[Sponsor]
    hidden_sessions: int = 0
    hidden_states: dict[str, str] = field(default_factory=dict)  # session id -> state, not shown
    issues: IssueLog = field(default_factory=IssueLog)


def resolve(data: EventData, issues: IssueLog) -> EventGraph:
    """Link the entities of `data` and keep only what is public."""
    sessions = _unique(data.sessions, "session", issues, lambda s: s.title)
    speakers = _unique(data.speakers, "speaker", issues, lambda s: s.name)
    tracks = _Index(_unique(data.tracks, "track", issues, lambda t: t.name))
    rooms = _Index(_unique(data.rooms, "room", issues, lambda r: r.name))
    types = _Index(_unique(data.session_types, "session type", issues, lambda t: t.name))
    speaker_index = {s.id: s for s in speakers}

    for session in sessions:
        _check_times(session, issues)
        session.track = tracks.match(session.track_ref, session, "track", issues, _new_track)
        session.room = rooms.match(session.room_ref, session, "room", issues, _new_room)
        session.session_type = types.match(
            session.type_ref, session, "session type", issues, _new_type
        )
        session.speakers = _session_speakers(session, speaker_index, issues)
    _link_speaker_side(sessions, speakers, issues)

    public = sorted((s for s in sessions if _publishable(s, issues)), key=session_order)
    for session in public:
        for owner in (session.track, session.room, session.session_type):
            if owner is not None:
                owner.sessions.append(session)
        for speaker in session.speakers:
            speaker.sessions.append(session)
    public_speakers = sorted(
        (s for s in speaker_index.values() if s.sessions), key=lambda s: (s.name.casefold(), s.id)
    )
    return EventGraph(
        event=data.event,
        sessions=public,
        speakers=public_speakers,
        tracks=sorted((t for t in tracks.all() if t.sessions), key=lambda t: (t.position, t.name)),
        rooms=sorted((r for r in rooms.all() if r.sessions), key=lambda r: (r.position, r.name)),
        session_types=sorted((t for t in types.all() if t.sessions), key=lambda t: t.name),
        sponsors=sorted(
            _unique(data.sponsors, "sponsor", issues, lambda s: s.name),
            key=lambda s: (s.level or 99, s.name.casefold()),
        ),
        hidden_sessions=len(sessions) - len(public),
        hidden_states={s.id: s.state for s in sessions if not s.is_public},
        issues=issues,
    )


def session_order(session: Session) -> tuple[object, ...]:
    start = session.start.timestamp() if session.start else float("inf")
    room = session.room.position if session.room else 1 << 30
    return (start, room, session.title.casefold(), session.id)


def _publishable(session: Session, issues: IssueLog) -> bool:
    if not session.is_public:
        return False
    if not session.title:
        issues.warn("missing-field", "session", session.id, "has no title; skipped")
        return False
    return True


def _unique(
    items: Iterable[N], entity: str, issues: IssueLog, label: Callable[[N], str]
) -> list[N]:
    seen: dict[str, N] = {}
    for item in items:
        if not item.id:
            issues.warn("missing-id", entity, None, f"{label(item)!r} has no id; skipped")
        elif item.id in seen:
            issues.warn(
                "duplicate-id",
                entity,
                item.id,
                f"duplicate id ({label(item)!r}); the first one, {label(seen[item.id])!r}, is kept",
            )
        else:
            seen[item.id] = item
    return list(seen.values())


def _check_times(session: Session, issues: IssueLog) -> None:
    if session.start is None and session.is_public:
        issues.info(
            "unscheduled", "session", session.id, "has no start time; listed as unscheduled"
        )
    if session.start and session.end and session.end.timestamp() < session.start.timestamp():
        issues.warn(
            "bad-time",
            "session",
            session.id,
            f"ends ({session.end.isoformat()}) before it starts ({session.start.isoformat()});"
            " shown without an end time",
        )
        session.end = session.start


@lru_cache(maxsize=4096)  # the few track, room and type names, compared for every session
def _norm(name: str) -> str:
    return _DASHES_AND_SPACES.sub(" ", name).strip().casefold()


_DASHES_AND_SPACES = re.compile(r"[\s\u2010-\u2015-]+")


class _Index(Generic[N]):
    def __init__(self, items: list[N]) -> None:
        self.by_id = {item.id: item for item in items}
        self.has_file = bool(items)  # without the entity file, embedded objects are all we have
        self.by_name: dict[str, N] = {}
        for item in items:
            self.by_name.setdefault(_norm(item.name), item)

    def all(self) -> list[N]:
        return list(self.by_id.values())

    def match(
        self,
        ref: tuple[str, str] | None,
        session: Session,
        entity: str,
        issues: IssueLog,
        create: Callable[[str, str], N],
    ) -> N | None:
        if ref is None:
            return None
        ref_id, ref_name = ref
        found = self.by_id.get(ref_id)
        if found is not None and (not ref_name or _norm(found.name) == _norm(ref_name)):
            return found
        named = self.by_name.get(_norm(ref_name)) if ref_name else None
        if named is not None:
            return named
        if found is not None:
            issues.info(
                "name-mismatch",
                "session",
                session.id,
                f"{entity} {ref_id} is named {ref_name!r} here but {found.name!r} in its file",
            )
            return found
        if self.has_file:
            issues.warn(
                "dangling-ref", "session", session.id, f"{entity} {ref_id or ref_name!r} not found"
            )
        item = create(ref_id or f"name:{_norm(ref_name)}", ref_name or ref_id)
        self.by_id[item.id] = item
        self.by_name.setdefault(_norm(item.name), item)
        return item


def _new_track(ref_id: str, name: str) -> Track:
    return Track(id=ref_id, name=name, position=1 << 20)


def _new_room(ref_id: str, name: str) -> Room:
    return Room(id=ref_id, name=name, position=1 << 20)


def _new_type(ref_id: str, name: str) -> SessionType:
    return SessionType(id=ref_id, name=name)


def _session_speakers(
    session: Session, index: dict[str, Speaker], issues: IssueLog
) -> list[Speaker]:
    result: list[Speaker] = []
    for speaker_id, name in session.speaker_refs:
        speaker = index.get(speaker_id)
        if speaker is None:
            issues.warn("dangling-ref", "session", session.id, f"speaker {speaker_id} not found")
            if not name:
                continue
            speaker = index[speaker_id] = Speaker(id=speaker_id, name=name)
        if speaker not in result:
            result.append(speaker)
    return result


def _link_speaker_side(sessions: list[Session], speakers: list[Speaker], issues: IssueLog) -> None:
    """Speakers list their sessions too; add the links only that side knows of."""
    session_index = {s.id: s for s in sessions}
    for speaker in speakers:
        for session_id in speaker.session_ids:
            session = session_index.get(session_id)
            if session is None:
                issues.info(
                    "dangling-ref", "speaker", speaker.id, f"session {session_id} not found"
                )
            elif speaker not in session.speakers:
                issues.info(
                    "asymmetric-link",
                    "speaker",
                    speaker.id,
                    f"lists session {session_id}, which does not list the speaker; linked",
                )
                session.speakers.append(speaker)
