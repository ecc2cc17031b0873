"""Whole-schedule files made of per-session pieces kept between builds, for incremental rebuilds.

A session's VEVENT, frab event and search words are functions of the session with its track,
room, type and speakers (plus, for VEVENTs and frab events, build-wide values that are part of
their keys). `FormatCache` keys each piece by the `encode_fields` of exactly those entities, which
`EntityFields` has already made for the build, and hands back the piece it made last time when the
key is unchanged; so after a title edit one piece of each kind is made again and the files are only
put together anew.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from eventsite import urls
from eventsite.model.entities import Session
from eventsite.render import changes, frab, ical, search
from eventsite.render.tracking import EntityFields, encode, encode_fields, entity_key
from eventsite.render.view import SiteView


class FormatCache:
    """The calendars, frab files and search index of `build.other_files`, made of kept pieces."""

    def __init__(self) -> None:
        self._fields: dict[object, tuple[object, ...]] = {}
        # this build's session keys by session id: the calendars, frab files and search index
        # each ask for every session's (the sessions of one build have distinct ids)
        self._keys: dict[str, tuple[Session, object]] = {}
        self.calendars = CalendarCache()
        self.frab = frab.FrabCache(self.session_key)
        self.search = search.SearchCache(self.session_key)
        self.changes = changes.SnapshotCache()

    def use(self, fields: EntityFields) -> None:
        """Describe sessions by this build's entity fields from now on."""
        self._fields = fields.fields  # type: ignore[assignment]
        self._keys = {}

    def session_key(self, session: Session) -> object:
        """A session with everything it links to: what any of its pieces may show."""
        found = self._keys.get(session.id)
        if found is not None and found[0] is session:
            return found[1]
        linked = (session, session.track, session.room, session.session_type, *session.speakers)
        key = tuple(None if e is None else self._entity_fields(e) for e in linked)
        self._keys[session.id] = (session, key)
        return key

    def _entity_fields(self, entity: object) -> object:
        found = self._fields.get(entity_key(entity))
        return encode_fields(entity) if found is None else found

    def calendar_files(self, view: SiteView) -> dict[str, bytes]:
        return self.calendars.calendar_files(view, self.session_key)

    def patched_files(
        self,
        view: SiteView,
        sessions: list[Session],
        files: Mapping[str, bytes],
        revised: bool = False,
    ) -> dict[str, bytes] | None:
        """The whole-schedule files of `files` (the last build's) that change when `sessions`
        changed in place, only in their own fields (no link, time or order changed), made by
        replacing each session's kept pieces; None when a piece cannot be found exactly once.
        With `revised` (the history's revisions changed too), the history files are made again.

        The pieces kept for these sessions are replaced by the new ones, with keys that match
        no session: a later whole build makes them again."""
        splices: list[frab.Splice] = []
        made: dict[str, bytes] = changes.change_files(view, self.changes) if revised else {}
        for session in sessions:
            found = self._session_splices(view, session, made, splice_history=not revised)
            if found is None:
                return None
            splices += found
        by_path: dict[str, list[tuple[bytes, bytes]]] = {}
        for path, old, new in splices:
            if old != new:
                by_path.setdefault(path, []).append((old, new))
        for path, replacements in by_path.items():
            text = made.get(path, files.get(path))
            spliced = None if text is None else _replace_each_once(text, replacements)
            if spliced is None:
                return None
            made[path] = spliced
        return made

    def _session_splices(
        self, view: SiteView, session: Session, made: dict[str, bytes], splice_history: bool
    ) -> list[frab.Splice] | None:
        splices: list[frab.Splice] = []
        if session.start is not None:
            kept = self.calendars.replace_event(view, session)
            if kept is None:
                return None
            old, new = kept
            owners = (
                (session.track, urls.track_ical_path),
                (session.room, urls.room_ical_path),
            )
            splices.append((urls.ICAL, old, new))
            splices += [(path_of(owner), old, new) for owner, path_of in owners if owner]  # type: ignore[operator]
            title = f"{session.title} · {view.event.name}"
            made[urls.session_ical_path(session)] = ical.calendar(view, title, [kept[1]])
            found = self.frab.patch_event(view, session)
            if found is None:
                return None
            splices += found
        words = self.search.replace_words(session)
        if words is None:
            return None
        splices.append((urls.SEARCH_INDEX, *words))
        if view.history is not None and splice_history:
            state = self.changes.replace_session(view.history.snapshot, session.id)
            if state is None:
                return None
            splices.append((urls.CHANGES_JSON, *state))
        return splices


def _replace_each_once(text: bytes, changes: list[tuple[bytes, bytes]]) -> bytes | None:
    """`text` with the changes (old, new) made in turn, in one copy: each `old` must occur
    exactly once, in `text` or as the `new` of an earlier change (which it then changes
    again: two edits each give the schedule a new version); None otherwise."""
    places: dict[int, tuple[int, bytes]] = {}  # start -> (length of the old text, new text)
    made_at: dict[bytes, int] = {}  # the new text of a change -> its start
    for old, new in changes:
        at = text.find(old)
        if old in made_at and at < 0:
            at = made_at.pop(old)
            places[at] = places[at][0], new
        elif at < 0 or text.rfind(old) != at or at in places:  # the scans meet: one read
            return None
        else:
            places[at] = len(old), new
        if new in made_at:  # which of the two a later change changes again is unclear
            return None
        made_at[new] = at
    pieces: list[bytes | memoryview] = []
    view, copied = memoryview(text), 0
    for at in sorted(places):
        length, new = places[at]
        if at < copied:  # overlapping changes
            return None
        pieces += (view[copied:at], new)
        copied = at + length
    pieces.append(view[copied:])
    return b"".join(pieces)


class CalendarCache:
    def __init__(self) -> None:
        self._events: dict[str, tuple[object, bytes]] = {}  # VEVENTs as UTF-8
        self._calendars: ical.CalendarMemo = {}
        self.reused = 0  # VEVENTs reused by the last call

    def calendar_files(
        self, view: SiteView, session_key: Callable[[Session], object]
    ) -> dict[str, bytes]:
        """The same files as `ical.calendar_files(view)`, reusing unchanged VEVENTs."""
        common = (encode_fields(view.event), encode(view.base_url), view.event_key)
        made: dict[str, tuple[object, bytes]] = {}
        self.reused = 0

        def render_event(view: SiteView, session: Session, stamp: datetime) -> bytes:
            key = (common, encode(stamp), session_key(session))
            previous = self._events.get(session.id)
            if previous is not None and previous[0] == key:
                self.reused += 1
                block = previous[1]
            else:
                block = ical.vevent(view, session, stamp).encode("utf-8")
            made[session.id] = (key, block)
            return block

        files = ical.calendar_files(view, render_event, self._calendars)
        self._events = made
        return files

    def replace_event(self, view: SiteView, session: Session) -> tuple[bytes, bytes] | None:
        """(kept VEVENT, VEVENT now) of a session changed in place, keeping the new one."""
        kept = self._events.get(session.id)
        if kept is None:
            return None
        block = ical.vevent(view, session, ical.calendar_stamp(view)).encode("utf-8")
        self._events[session.id] = (_MATCHES_NOTHING, block)
        return kept[1], block


_MATCHES_NOTHING = object()  # a key no session's key equals
