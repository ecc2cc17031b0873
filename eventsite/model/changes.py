"""Schedule changes between two builds: snapshots of the public schedule and their difference.

A snapshot keeps, for each public session, only what attendees plan around: title, start, end,
room and speakers. Two snapshots give a list of changes (added, cancelled, removed, moved,
retitled, speakers changed); a `ChangeHistory` accumulates them as numbered revisions, newest
first, and round-trips through JSON so that the history can live in the published site.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from eventsite.model.entities import Session
from eventsite.model.graph import EventGraph

HISTORY_FORMAT = "eventsite-changes"
HISTORY_VERSION = 1
CANCELLED_STATES = frozenset({"canceled", "cancelled", "withdrawn"})
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ID_NAMESPACE = uuid.UUID("6f1d3a52-7b0e-4f43-9a55-0c5b7e2d9a10")


class ChangeKind(StrEnum):
    ADDED = "added"
    CANCELLED = "cancelled"
    REMOVED = "removed"
    MOVED = "moved"
    RETITLED = "retitled"
    SPEAKERS = "speakers"


KIND_LABELS = {
    ChangeKind.ADDED: "Added",
    ChangeKind.CANCELLED: "Cancelled",
    ChangeKind.REMOVED: "Removed",
    ChangeKind.MOVED: "Moved",
    ChangeKind.RETITLED: "Retitled",
    ChangeKind.SPEAKERS: "Speakers changed",
}


@dataclass(frozen=True, slots=True)
class Ref:
    """A room or speaker as a snapshot remembers it: id (may be empty) and public name."""

    id: str
    name: str

    def same_as(self, other: Ref) -> bool:
        if self.id and other.id:
            return self.id == other.id
        return self.name == other.name


@dataclass(frozen=True, slots=True)
class SessionState:
    """What attendees plan around for one public session."""

    id: str
    title: str
    start: datetime | None = None
    end: datetime | None = None
    room: Ref | None = None
    speakers: tuple[Ref, ...] = ()


@dataclass(slots=True)
class Snapshot:
    """The public schedule of one build, by session id."""

    sessions: dict[str, SessionState] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    session_id: str
    title: str  # the current title, or the last one known for a cancelled or removed session
    detail: str  # what changed, e.g. "Thu 11 Jun 10:40, Room A → Fri 12 Jun 09:00, Room B"
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def summary(self) -> str:
        return f"{self.label}: {self.detail}"


@dataclass(slots=True)
class Revision:
    """One build that changed the schedule."""

    number: int
    time: datetime  # aware, UTC
    changes: list[Change]

    def entry_id(self, event_key: str, change: Change) -> str:
        """A stable Atom/JSON id: the same change keeps it in every later build."""
        name = f"{event_key}/{self.number}/{change.kind}/{change.session_id}"
        return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, name)}"


@dataclass(slots=True)
class ChangeHistory:
    """Every revision since the site was first built with change tracking, newest first."""

    event_key: str
    snapshot: Snapshot
    revisions: list[Revision] = field(default_factory=list)

    @property
    def revision(self) -> int:
        return self.revisions[0].number if self.revisions else 0

    @property
    def updated(self) -> datetime | None:
        return self.revisions[0].time if self.revisions else None

    def record(self, snapshot: Snapshot, changes: list[Change], when: datetime) -> ChangeHistory:
        """The history after a build: a new revision only when something changed."""
        revisions = list(self.revisions)
        if changes:
            revisions.insert(0, Revision(self.revision + 1, when.astimezone(UTC), changes))
        return ChangeHistory(self.event_key, snapshot, revisions)

    def last_change_of(self) -> dict[str, tuple[int, Change]]:
        """The newest change of each session: session id -> (revision, change)."""
        latest: dict[str, tuple[int, Change]] = {}
        for revision in self.revisions:
            for change in revision.changes:
                latest.setdefault(change.session_id, (revision.number, change))
        return latest


def snapshot_of(graph: EventGraph) -> Snapshot:
    return Snapshot({s.id: session_state(s) for s in graph.sessions})


def session_state(session: Session) -> SessionState:
    room = Ref(session.room.id, session.room.name) if session.room else None
    speakers = tuple(Ref(sp.id, sp.name) for sp in session.speakers)
    return SessionState(session.id, session.title, session.start, session.end, room, speakers)


def diff(before: Snapshot, after: Snapshot, hidden_states: Mapping[str, str]) -> list[Change]:
    """Changes from `before` to `after`, in a stable order (by session, then kind)."""
    changes: list[Change] = []
    for session_id in sorted(before.sessions.keys() | after.sessions.keys(), key=_id_order):
        old, new = before.sessions.get(session_id), after.sessions.get(session_id)
        if old is None and new is not None:
            changes.append(_added(new))
        elif new is None and old is not None:
            changes.append(_gone(old, hidden_states.get(session_id, "")))
        elif old is not None and new is not None:
            changes.extend(_edits(old, new))
    return changes


def diff_again(
    before: Snapshot, pending: list[Change], after: Snapshot, session_ids: set[str]
) -> list[Change]:
    """`diff(before, after, ...)`, given `pending`, the diff from `before` to a snapshot that
    differs from `after` only in the states of `session_ids`, all of which `after` holds: only
    these sessions are compared again."""
    kept = [change for change in pending if change.session_id not in session_ids]
    old = {i: state for i in session_ids if (state := before.sessions.get(i)) is not None}
    fresh = diff(Snapshot(old), Snapshot({i: after.sessions[i] for i in session_ids}), {})
    return sorted(kept + fresh, key=lambda change: _id_order(change.session_id))  # stable


def _id_order(session_id: str) -> tuple[int, int, str]:
    return (0, int(session_id), "") if session_id.isdigit() else (1, 0, session_id)


def _added(new: SessionState) -> Change:
    return Change(ChangeKind.ADDED, new.id, new.title, describe_slot(new), {}, _slot(new))


def _gone(old: SessionState, state: str) -> Change:
    kind = ChangeKind.CANCELLED if state in CANCELLED_STATES else ChangeKind.REMOVED
    return Change(kind, old.id, old.title, f"was {describe_slot(old)}", _slot(old), {})


def _edits(old: SessionState, new: SessionState) -> Iterable[Change]:
    if old.title != new.title:
        yield Change(
            ChangeKind.RETITLED,
            new.id,
            new.title,
            f"was “{old.title}”",
            {"title": old.title},
            {"title": new.title},
        )
    if _moved(old, new):
        yield Change(
            ChangeKind.MOVED,
            new.id,
            new.title,
            f"{describe_slot(old)} → {describe_slot(new)}",
            _slot(old),
            _slot(new),
        )
    gained = [s for s in new.speakers if not any(s.same_as(o) for o in old.speakers)]
    lost = [s for s in old.speakers if not any(s.same_as(n) for n in new.speakers)]
    if gained or lost:
        parts = [
            f"with {_names(gained)}" if gained else "",
            f"without {_names(lost)}" if lost else "",
        ]
        yield Change(
            ChangeKind.SPEAKERS,
            new.id,
            new.title,
            "now " + "; ".join(p for p in parts if p),
            {"speakers": [s.name for s in old.speakers]},
            {"speakers": [s.name for s in new.speakers]},
        )


def _moved(old: SessionState, new: SessionState) -> bool:
    if old.start != new.start or old.end != new.end:
        return True
    if old.room is None or new.room is None:
        return (old.room is None) != (new.room is None)
    return not old.room.same_as(new.room)


def _names(refs: list[Ref]) -> str:
    return ", ".join(r.name for r in refs)


def _slot(state: SessionState) -> dict[str, Any]:
    return {
        "start": state.start.isoformat() if state.start else None,
        "end": state.end.isoformat() if state.end else None,
        "room": state.room.name if state.room else None,
    }


def describe_slot(state: SessionState) -> str:
    """E.g. "Thu 11 Jun 10:40–11:10, Room Hrast" in the event's local time."""
    if state.start is None:
        when = "not scheduled"
    else:
        start = state.start
        when = f"{_DAYS[start.weekday()]} {start.day} {_MONTHS[start.month - 1]} {start:%H:%M}"
        if state.end and state.end != state.start:
            when += f"–{state.end:%H:%M}"
    return f"{when}, {state.room.name}" if state.room else when


# --- JSON form ------------------------------------------------------------------------------


class HistoryFormatError(ValueError):
    """A stored change history that cannot be read."""


def history_to_data(history: ChangeHistory) -> dict[str, Any]:
    """The JSON-ready form: a flat change list (newest first) and the schedule snapshot."""
    return {
        "format": HISTORY_FORMAT,
        "version": HISTORY_VERSION,
        "event": history.event_key,
        "revision": history.revision,
        "updated": _iso(history.updated),
        "changes": [
            {
                "id": revision.entry_id(history.event_key, change),
                "revision": revision.number,
                "time": _iso(revision.time),
                "kind": str(change.kind),
                "session": change.session_id,
                "title": change.title,
                "summary": change.summary,
                "detail": change.detail,
                "before": change.before,
                "after": change.after,
            }
            for revision in history.revisions
            for change in revision.changes
        ],
        "schedule": {sid: state_data(state) for sid, state in history.snapshot.sessions.items()},
    }


def history_from_data(data: object) -> ChangeHistory:
    """Read `history_to_data`'s form back; raises HistoryFormatError naming what is wrong."""
    record = _mapping(data, "the file")
    if record.get("format") != HISTORY_FORMAT:
        raise HistoryFormatError(
            f"not an eventsite change history (format {record.get('format')!r})"
        )
    if record.get("version") != HISTORY_VERSION:
        raise HistoryFormatError(f"unsupported change history version {record.get('version')!r}")
    schedule = _mapping(record.get("schedule"), "schedule")
    snapshot = Snapshot({str(k): _state_from(str(k), v) for k, v in schedule.items()})
    revisions: dict[int, Revision] = {}
    for index, item in enumerate(_list(record.get("changes"), "changes")):
        number, when, change = _change_from(item, f"changes[{index}]")
        revisions.setdefault(number, Revision(number, when, [])).changes.append(change)
    ordered = sorted(revisions.values(), key=lambda r: r.number, reverse=True)
    return ChangeHistory(_text(record.get("event"), "event"), snapshot, ordered)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def state_data(state: SessionState) -> dict[str, Any]:
    return {
        "title": state.title,
        "start": _iso(state.start),
        "end": _iso(state.end),
        "room": {"id": state.room.id, "name": state.room.name} if state.room else None,
        "speakers": [{"id": s.id, "name": s.name} for s in state.speakers],
    }


def _state_from(session_id: str, value: object) -> SessionState:
    where = f"schedule[{session_id!r}]"
    record = _mapping(value, where)
    room = record.get("room")
    return SessionState(
        id=session_id,
        title=_text(record.get("title"), f"{where}.title"),
        start=_time(record.get("start"), f"{where}.start"),
        end=_time(record.get("end"), f"{where}.end"),
        room=None if room is None else _ref(room, f"{where}.room"),
        speakers=tuple(
            _ref(s, f"{where}.speakers") for s in _list(record.get("speakers", []), where)
        ),
    )


def _change_from(value: object, where: str) -> tuple[int, datetime, Change]:
    record = _mapping(value, where)
    number = record.get("revision")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise HistoryFormatError(f"{where}.revision must be a positive whole number")
    when = _time(record.get("time"), f"{where}.time")
    if when is None:
        raise HistoryFormatError(f"{where}.time is missing")
    try:
        kind = ChangeKind(record.get("kind"))
    except ValueError:
        raise HistoryFormatError(f"{where}.kind {record.get('kind')!r} is unknown") from None
    change = Change(
        kind=kind,
        session_id=_text(record.get("session"), f"{where}.session"),
        title=_text(record.get("title"), f"{where}.title"),
        detail=_text(record.get("detail"), f"{where}.detail"),
        before=dict(_mapping(record.get("before", {}), f"{where}.before")),
        after=dict(_mapping(record.get("after", {}), f"{where}.after")),
    )
    return number, when.astimezone(UTC), change


def _ref(value: object, where: str) -> Ref:
    record = _mapping(value, where)
    return Ref(_text(record.get("id", ""), f"{where}.id"), _text(record.get("name"), where))


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise HistoryFormatError(f"{where} must be an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise HistoryFormatError(f"{where} must be a list")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise HistoryFormatError(f"{where} must be a string")
    return value


def _time(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(_text(value, where))
    except ValueError:
        raise HistoryFormatError(f"{where} is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise HistoryFormatError(f"{where} has no UTC offset: {value!r}")
    return moment
