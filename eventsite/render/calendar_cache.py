"""Calendars made again only when their inputs changed, for incremental rebuilds.

A calendar file is a function of its name, the event, the build's DTSTAMP and its sessions
(each with its track, room, type and speakers). `CalendarCache` keys every calendar by a digest
of exactly those and reuses the bytes of the last calendar made with the same key, so a title
edit makes `schedule.ics` and the calendars that hold the session again, and no others.
"""

from __future__ import annotations

from eventsite.model.entities import Session
from eventsite.render import ical
from eventsite.render.tracking import (
    DepKey,
    Digest,
    encode,
    encode_fields,
    entity_key,
    fingerprint_of,
)
from eventsite.render.view import SiteView


class CalendarCache:
    def __init__(self) -> None:
        self._made: dict[str, tuple[Digest, bytes]] = {}
        self.reused = 0

    def calendar_files(self, view: SiteView) -> dict[str, bytes]:
        """The same files as `ical.calendar_files(view)`, reusing unchanged calendars."""
        specs = getattr(ical, "calendar_specs", None)
        if specs is None:  # an ical module without the per-calendar plan: make them all
            self.reused = 0
            return ical.calendar_files(view)
        stamp = ical.calendar_stamp(view)
        common = (encode_fields(view.event), encode(view.base_url), view.event_key, encode(stamp))
        session_digests: dict[DepKey, Digest] = {}
        made: dict[str, tuple[Digest, bytes]] = {}
        self.reused = 0
        for path, name, sessions in specs(view):
            parts = [_session_digest(s, session_digests) for s in sessions]
            key = fingerprint_of((common, name, parts))
            previous = self._made.get(path)
            if previous is not None and previous[0] == key:
                made[path] = previous
                self.reused += 1
            else:
                made[path] = (key, ical.calendar(view, name, sessions, stamp))
        self._made = made
        return {path: data for path, (_, data) in made.items()}


def _session_digest(session: Session, memo: dict[DepKey, Digest]) -> Digest:
    """A session with everything it links to: what its VEVENT may show."""
    key = ("session", session.id)
    found = memo.get(key)
    if found is None:
        linked = (session.track, session.room, session.session_type, *session.speakers)
        own = fingerprint_of(encode_fields(session))
        found = memo[key] = fingerprint_of((own, *(_entity_digest(e, memo) for e in linked if e)))
    return found


def _entity_digest(entity: object, memo: dict[DepKey, Digest]) -> Digest:
    key = entity_key(entity) or ("object", str(id(entity)))
    found = memo.get(key)
    if found is None:
        found = memo[key] = fingerprint_of(encode_fields(entity))
    return found
