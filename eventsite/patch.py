"""Edits `eventsite serve` makes in place: a few sessions or speakers whose own fields changed.

When a save changes only some session records of the `sessions` file, and only in fields that
nothing resolves, groups, plans or links by (title, abstracts, links...), the new site is the
last one with those sessions' fields changed: the graph, the view and the page list keep their
shape. `record_edits` proves that from the records (normalised and redacted as a whole load
would, with the same issues, the same structural fields and the same place in the schedule);
`apply_edit` then changes the graph's session in place. The same holds for speakers' biographies
in the `speakers` file (kind `SPEAKERS`), which only the speakers' pages and pieces show.
Anything else gives None, and the caller loads the export as a whole.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eventsite.issues import IssueLog
from eventsite.model.contacts import SESSION_FIELDS, SPEAKER_FIELDS, ContactRedactor
from eventsite.model.entities import Session, Speaker
from eventsite.model.graph import EventGraph, session_order
from eventsite.model.normalise import normalise_session, normalise_speaker
from eventsite.reload import RecordMemo, copy_entity
from eventsite.render.tracking import DepKey, EntityFields, encode

# session fields that only the session's own pages and pieces show: the graph links, orders
# and groups sessions by the others (`title` also orders them: checked separately)
PATCHABLE_FIELDS = (
    "title",
    "subtitle",
    "short_abstract",
    "long_abstract",
    "language",
    "level",
    "slides_url",
    "video_url",
    "signup_url",
)
_LINKS = ("track", "room", "session_type", "speakers")  # set by `graph.resolve`
# speaker fields that only the speaker's pages and pieces show (not the calendars, frab files,
# search index or change history, which show names, organisations and positions)
SPEAKER_PATCHABLE_FIELDS = ("short_bio", "long_bio")
_MAX_EDITS = 16  # more changed records than this: a whole load is as quick
# digests an in-place session edit cannot change: media lookups, templates, the globals
UNTOUCHED_KINDS = frozenset({"photo", "logo", "audio", "template", "globals"})


# what `model.normalise` calls for a record, made of the record and the context it was made in
Normaliser = Callable[[Mapping[str, Any], tuple[object, ...]], Callable[[IssueLog], Any]]


@dataclass(frozen=True, slots=True, eq=False)
class RecordKind:
    """A kind of record that can be edited in place."""

    document: str  # the data file
    entity: str  # the kind in a DepKey
    cls: type
    patchable: tuple[str, ...]
    links: tuple[str, ...]  # fields `graph.resolve` sets
    redacted: dict[str, str]  # what contact redaction redacts of it
    normaliser: Normaliser


def _session_normaliser(
    record: Mapping[str, Any], context: tuple[object, ...]
) -> Callable[[IssueLog], Any]:
    zone, file = context
    return functools.partial(normalise_session, record, zone, file=file)


def _speaker_normaliser(
    record: Mapping[str, Any], context: tuple[object, ...]
) -> Callable[[IssueLog], Any]:
    return lambda _issues: normalise_speaker(record)


SESSIONS = RecordKind(
    "sessions",
    "session",
    Session,
    PATCHABLE_FIELDS,
    _LINKS,
    SESSION_FIELDS,
    _session_normaliser,
)
SPEAKERS = RecordKind(
    "speakers",
    "speaker",
    Speaker,
    SPEAKER_PATCHABLE_FIELDS,
    ("sessions",),
    SPEAKER_FIELDS,
    _speaker_normaliser,
)
KINDS = (SESSIONS, SPEAKERS)


@dataclass(slots=True)
class RecordEdit:
    kind: RecordKind
    old_record: object
    made: Any  # the `reload` record of the new one
    entity: Any  # what a whole load makes of the new record (before `resolve`)
    target: Any  # the graph's entity, changed in place by `apply_edit`


@dataclass(slots=True)
class Patched:
    changed: set[DepKey]  # inputs whose value changed
    respecified: set[str]  # pages whose spec changed: a title, the changes page's revisions
    feeds: dict[str, bytes]  # whole-schedule files made again


def record_edits(
    kind: RecordKind,
    graph: EventGraph,
    fields: EntityFields,
    issues: IssueLog,
    old_items: Any,
    new_items: Any,
    records: RecordMemo,
    publish: frozenset[str],
) -> list[RecordEdit] | None:
    """The in-place edits that turn the last load into the load of `new_items` (the new
    version of `kind`'s file), or None."""
    if not isinstance(old_items, list) or not isinstance(new_items, list):
        return None
    if len(old_items) != len(new_items) or not graph.event.tz_name:
        return None  # without a known zone, the event's zone is guessed from the sessions
    changed = [i for i, (a, b) in enumerate(zip(old_items, new_items, strict=True)) if a is not b]
    if not changed or len(changed) > _MAX_EDITS:
        return None
    duplicated = {
        issue.id
        for issue in issues.issues
        if issue.kind == "duplicate-id" and issue.entity == kind.entity
    }
    edits = []
    for index in changed:
        edit = _record_edit(kind, old_items[index], new_items[index], fields, records, publish)
        if edit is None or edit.target.id in duplicated:
            return None
        edits.append(edit)
    if kind is SESSIONS and not _order_kept(graph.sessions, edits):
        return None
    return edits


def _record_edit(
    kind: RecordKind,
    old: object,
    new: object,
    fields: EntityFields,
    records: RecordMemo,
    publish: frozenset[str],
) -> RecordEdit | None:
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return None
    found = records.made_of(kind.document, old)
    if found is None:
        return None
    made, copy = found
    if fields.entities.get((kind.entity, copy.id)) is not copy or made.redacted is None:
        return None  # hidden, or not the entity the graph shows
    redactor = ContactRedactor(IssueLog(), publish)
    redaction = (redactor, kind.redacted, kind.document, kind.entity)
    remade, entity = records.remake(
        kind.document, new, made.context, kind.normaliser(new, made.context), redaction
    )
    if remade.issues != made.issues or remade.redacted[2] != made.redacted[2]:
        return None  # the issue log would change
    if kind is SESSIONS and not entity.title:
        return None
    if not _same_structure(kind, made.entity, remade.entity):
        return None
    return RecordEdit(kind, old, remade, entity, copy)


def _same_structure(kind: RecordKind, old: object, new: object) -> bool:
    for name in _structural_fields(kind):
        if encode(getattr(old, name)) != encode(getattr(new, name)):
            return False
    return True


@functools.cache
def _structural_fields(kind: RecordKind) -> tuple[str, ...]:
    skipped = {*kind.patchable, *kind.links}
    return tuple(f.name for f in dataclasses.fields(kind.cls) if f.name not in skipped)


def _order_kept(sessions: list[Session], edits: list[RecordEdit]) -> bool:
    """Whether the schedule order (which reads titles) stays the same with the new titles."""
    titles = {edit.target.id: edit.entity.title for edit in edits}
    if all(titles[e.target.id].casefold() == e.target.title.casefold() for e in edits):
        return True

    def order(session: Session) -> tuple[object, ...]:
        key = session_order(session)
        title = titles.get(session.id)
        return key if title is None else (*key[:2], title.casefold(), *key[3:])

    for edit in edits:
        at = sessions.index(edit.target)
        mine = order(edit.target)
        if at > 0 and not order(sessions[at - 1]) < mine:
            return False
        if at + 1 < len(sessions) and not mine < order(sessions[at + 1]):
            return False
    return True


def apply_edit(
    edit: RecordEdit, fields: EntityFields, undo: list[Callable[[], None]]
) -> set[DepKey]:
    """Change the graph's entity in place; returns the inputs whose value changed."""
    target, names = edit.target, edit.kind.patchable
    before = copy_entity(target)
    for name in names:
        setattr(target, name, getattr(edit.entity, name))
    undo.append(functools.partial(_restore, target, before, names))
    key: DepKey = (edit.kind.entity, target.id)
    old_fields = fields.fields[key]
    undo.append(functools.partial(fields.fields.__setitem__, key, old_fields))
    return fields.refresh(key, before)


def _restore(target: object, before: object, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(target, name, getattr(before, name))
