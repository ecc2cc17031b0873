"""Edits `eventsite serve` makes in place: a few sessions whose own fields changed.

When a save changes only some session records of the `sessions` file, and only in fields that
nothing resolves, groups, plans or links by (title, abstracts, links...), the new site is the
last one with those sessions' fields changed: the graph, the view and the page list keep their
shape. `session_edits` proves that from the records (normalised and redacted as a whole load
would, with the same issues, the same structural fields and the same place in the schedule);
`apply_edit` then changes the graph's session in place. Anything else gives None, and the
caller loads the export as a whole.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eventsite.issues import IssueLog
from eventsite.model.contacts import SESSION_FIELDS, ContactRedactor
from eventsite.model.entities import Session
from eventsite.model.graph import EventGraph, session_order
from eventsite.model.normalise import normalise_session
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
_MAX_EDITS = 16  # more changed records than this: a whole load is as quick
# digests an in-place session edit cannot change: media lookups, templates, the globals
UNTOUCHED_KINDS = frozenset({"photo", "logo", "audio", "template", "globals"})


@dataclass(slots=True)
class SessionEdit:
    old_record: object
    made: Any  # the `reload` record of the new one
    entity: Session  # what a whole load makes of the new record (before `resolve`)
    session: Session  # the graph's session, changed in place by `apply_edit`


@dataclass(slots=True)
class Patched:
    changed: set[DepKey]  # inputs whose value changed
    retitled: set[str]  # pages whose title changed
    feeds: dict[str, bytes]  # whole-schedule files made again


def session_edits(
    graph: EventGraph,
    fields: EntityFields,
    issues: IssueLog,
    old_items: Any,
    new_items: Any,
    records: RecordMemo,
    publish: frozenset[str],
) -> list[SessionEdit] | None:
    """The in-place edits that turn the last load into the load of `new_items`, or None."""
    if not isinstance(old_items, list) or not isinstance(new_items, list):
        return None
    if len(old_items) != len(new_items) or not graph.event.tz_name:
        return None  # without a known zone, the event's zone is guessed from the sessions
    changed = [i for i, (a, b) in enumerate(zip(old_items, new_items, strict=True)) if a is not b]
    if not changed or len(changed) > _MAX_EDITS:
        return None
    duplicated = {i.id for i in issues.issues if i.kind == "duplicate-id" and i.entity == "session"}
    edits = []
    for index in changed:
        edit = _session_edit(old_items[index], new_items[index], fields, records, publish)
        if edit is None or edit.session.id in duplicated:
            return None
        edits.append(edit)
    if not _order_kept(graph.sessions, edits):
        return None
    return edits


def _session_edit(
    old: object,
    new: object,
    fields: EntityFields,
    records: RecordMemo,
    publish: frozenset[str],
) -> SessionEdit | None:
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return None
    found = records.made_of("sessions", old)
    if found is None:
        return None
    made, copy = found
    if fields.entities.get(("session", copy.id)) is not copy or made.redacted is None:
        return None  # hidden, or not the session the graph shows
    zone, file = made.context
    redaction = (ContactRedactor(IssueLog(), publish), SESSION_FIELDS, "sessions", "session")
    remade, entity = records.remake(
        "sessions", new, made.context, functools.partial(normalise_session, new, zone, file=file),
        redaction,
    )  # fmt: skip
    if remade.issues != made.issues or remade.redacted[2] != made.redacted[2]:
        return None  # the issue log would change
    if not entity.title or not _same_structure(made.entity, remade.entity):
        return None
    return SessionEdit(old, remade, entity, copy)


def _same_structure(old: Session, new: Session) -> bool:
    for name in _structural_fields():
        if encode(getattr(old, name)) != encode(getattr(new, name)):
            return False
    return True


@functools.cache
def _structural_fields() -> tuple[str, ...]:
    skipped = {*PATCHABLE_FIELDS, *_LINKS}
    return tuple(f.name for f in dataclasses.fields(Session) if f.name not in skipped)


def _order_kept(sessions: list[Session], edits: list[SessionEdit]) -> bool:
    """Whether the schedule order (which reads titles) stays the same with the new titles."""
    titles = {edit.session.id: edit.entity.title for edit in edits}
    if all(titles[e.session.id].casefold() == e.session.title.casefold() for e in edits):
        return True

    def order(session: Session) -> tuple[object, ...]:
        key = session_order(session)
        title = titles.get(session.id)
        return key if title is None else (*key[:2], title.casefold(), *key[3:])

    for edit in edits:
        at = sessions.index(edit.session)
        mine = order(edit.session)
        if at > 0 and not order(sessions[at - 1]) < mine:
            return False
        if at + 1 < len(sessions) and not mine < order(sessions[at + 1]):
            return False
    return True


def apply_edit(
    edit: SessionEdit, fields: EntityFields, undo: list[Callable[[], None]]
) -> set[DepKey]:
    """Change the graph's session in place; returns the inputs whose value changed."""
    session = edit.session
    before = copy_entity(session)
    for name in PATCHABLE_FIELDS:
        setattr(session, name, getattr(edit.entity, name))
    undo.append(functools.partial(_restore, session, before))
    key: DepKey = ("session", session.id)
    old_fields = fields.fields[key]
    undo.append(functools.partial(fields.fields.__setitem__, key, old_fields))
    return fields.refresh(key, before)


def _restore(session: Session, before: Session) -> None:
    for name in PATCHABLE_FIELDS:
        setattr(session, name, getattr(before, name))
