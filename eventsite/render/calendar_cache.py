"""Calendar events made again only when their inputs changed, for incremental rebuilds.

A session's VEVENT is a function of the session (with its track, room, type and speakers), the
event, the base URL and the build's DTSTAMP. `CalendarCache` keys every VEVENT by exactly those
and hands `ical.calendar_files` the block it made last time when the key is unchanged, so after a
title edit one VEVENT is rendered again and the calendars are only put together anew.
"""

from __future__ import annotations

from datetime import datetime

from eventsite.model.entities import Session
from eventsite.render import ical
from eventsite.render.tracking import DepKey, Digest, encode, encode_fields, entity_key
from eventsite.render.view import SiteView


class CalendarCache:
    def __init__(self) -> None:
        self._events: dict[str, tuple[object, str]] = {}
        self.reused = 0  # VEVENTs reused by the last call

    def calendar_files(self, view: SiteView) -> dict[str, bytes]:
        """The same files as `ical.calendar_files(view)`, reusing unchanged VEVENTs."""
        common = (encode_fields(view.event), encode(view.base_url), view.event_key)
        memo: dict[DepKey, Digest] = {}
        made: dict[str, tuple[object, str]] = {}
        self.reused = 0

        def render_event(view: SiteView, session: Session, stamp: datetime) -> str:
            key = (common, encode(stamp), _session_digest(session, memo))
            previous = self._events.get(session.id)
            if previous is not None and previous[0] == key:
                self.reused += 1
                block = previous[1]
            else:
                block = ical.vevent(view, session, stamp)
            made[session.id] = (key, block)
            return block

        files = ical.calendar_files(view, render_event)
        self._events = made
        return files


def _session_digest(session: Session, memo: dict[DepKey, Digest]) -> Digest:
    """A session with everything it links to: what its VEVENT may show."""
    linked = (session.track, session.room, session.session_type, *session.speakers)
    return (encode_fields(session), *(_entity_digest(e, memo) for e in linked if e is not None))


def _entity_digest(entity: object, memo: dict[DepKey, Digest]) -> Digest:
    key = entity_key(entity) or ("object", str(id(entity)))
    found = memo.get(key)
    if found is None:
        found = memo[key] = encode_fields(entity)
    return found
