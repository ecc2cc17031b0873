"""The change history as files: `changes.json`, an Atom feed, and the data the "changed" flag uses
(`changes-flag.js`, one file every page loads: a page's own bytes never depend on the history's
changes, so a new revision rewrites the history files and the changes page, not every page).

Entry ids come from the history (event, revision, kind, session), so they never change once
published; nothing here reads the clock, so a build without new changes is byte-identical.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from eventsite import __version__, urls
from eventsite.model.changes import (
    KIND_LABELS,
    ChangeHistory,
    SessionState,
    Snapshot,
    history_to_data,
    state_data,
)
from eventsite.render.view import SiteView

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 100
# <updated> of a feed with no change yet and no event start date
FALLBACK_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


FLAG_GLOBAL = "eventsiteChanges"  # what `changes-flag.js` assigns, for `changes.js`


def change_files(view: SiteView, cache: SnapshotCache | None = None) -> dict[str, bytes]:
    """`changes.json`, `changes.xml` and `changes-flag.js`; nothing when the build does not
    track changes."""
    if view.history is None:
        return {}
    page_of = session_page_of(view)
    return {
        urls.CHANGES_JSON: changes_json(view, page_of, cache),
        urls.CHANGES_FEED: atom_feed(view, page_of),
        urls.CHANGES_FLAG: flag_script(view),
    }


PageOf = Callable[[str], str | None]  # session id -> its page's output path (None: not public)


def session_page_of(view: SiteView) -> PageOf:
    """The output path of a session's page, by id; None for a session not published."""
    published = frozenset(s.id for s in view.graph.sessions)
    return lambda session_id: (
        urls.session_path_of_id(session_id) if session_id in published else None
    )


def page_context(view: SiteView) -> dict[str, Any]:
    """What `changes.html` shows: revisions, newest first, each change with its session."""
    sessions = {s.id: s for s in view.graph.sessions}
    history = _history(view)
    revisions = [
        (revision, [(change, sessions.get(change.session_id)) for change in revision.changes])
        for revision in history.revisions
    ]
    return {"revisions": revisions, "labels": {str(k): v for k, v in KIND_LABELS.items()}}


def changes_json(view: SiteView, page_of: PageOf, cache: SnapshotCache | None = None) -> bytes:
    """The history as data; with a `cache`, its schedule snapshot is made of kept pieces."""
    history = _history(view)
    if cache is None:
        return _json_text(view, history_to_data(history), page_of)
    data = history_to_data(dataclasses.replace(history, snapshot=Snapshot()))
    data["schedule"] = _SNAPSHOT_SLOT
    parts = _json_text(view, data, page_of).split(_SNAPSHOT_SLOT_TEXT.encode("utf-8"))
    if len(parts) != 2:  # some text of the data is the slot marker itself
        return _json_text(view, history_to_data(history), page_of)
    return parts[0] + cache.snapshot_text(history.snapshot) + parts[1]


def _json_text(view: SiteView, data: dict[str, Any], page_of: PageOf) -> bytes:
    for change in data["changes"]:
        path = page_of(change["session"])
        change["url"] = _public_url(view, path) if path else None
    return _indented_json(data) + b"\n"


_ENCODER = json.JSONEncoder(ensure_ascii=False, indent=1)  # as json.dumps(..., indent=1)
_CHUNKS_AT_ONCE = 4096


def _indented_json(data: object) -> bytes:
    """`json.dumps(data, ensure_ascii=False, indent=1)` as UTF-8, encoded a few thousand of the
    encoder's chunks at a time: `dumps` keeps every chunk until it joins them (10,000 sessions:
    hundreds of thousands of small strings, about 20 MB, for a 3 MB file)."""
    text = io.BytesIO()
    chunks = _ENCODER.iterencode(data)
    while batch := list(itertools.islice(chunks, _CHUNKS_AT_ONCE)):
        text.write("".join(batch).encode("utf-8"))
    return text.getvalue()


# where the snapshot goes in `changes.json`: a string the data would have to hold exactly
_SNAPSHOT_SLOT = "\x00eventsite-snapshot\x00"
_SNAPSHOT_SLOT_TEXT = json.dumps(_SNAPSHOT_SLOT)
_SNAPSHOT_INDENT = " "  # `changes.json` is indented by one space; the snapshot is at depth 1


class SnapshotCache:
    """Each session's part of the `changes.json` snapshot, kept while its state is the same."""

    def __init__(self) -> None:
        self.reused = 0
        self._texts: dict[str, tuple[tuple[object, ...], str]] = {}

    def replace_session(self, snapshot: Snapshot, session_id: str) -> tuple[bytes, bytes] | None:
        """(kept text, text now) of one session's part of `snapshot_text(snapshot)`, for a
        snapshot that differs from the last one in this session's state only."""
        kept, state = self._texts.get(session_id), snapshot.sessions.get(session_id)
        if kept is None or state is None:
            return None
        made = self._session_text(session_id, state)
        self._texts[session_id] = made
        return kept[1].encode(), made[1].encode()

    def _session_text(self, session_id: str, state: SessionState) -> tuple[tuple[object, ...], str]:
        previous = self._texts.get(session_id)
        if previous is not None and previous[0][0] is state:  # unchanged since an in-place edit
            self.reused += 1
            return previous
        # equal datetimes in other zones print differently: their text is part of the key
        key = (state, _iso_or_none(state.start), _iso_or_none(state.end))
        if previous is not None and previous[0] == key:
            self.reused += 1
            return previous
        inner = _SNAPSHOT_INDENT * 2
        value = json.dumps(state_data(state), ensure_ascii=False, indent=1)
        text = f"{inner}{json.dumps(session_id, ensure_ascii=False)}: " + value.replace(
            "\n", "\n" + inner
        )
        return key, text

    def snapshot_text(self, snapshot: Snapshot) -> bytes:
        """`json.dumps(snapshot schedule, indent=1)` as it appears at depth 1 of the file."""
        if not snapshot.sessions:
            return b"{}"
        self.reused = 0
        made = {sid: self._session_text(sid, state) for sid, state in snapshot.sessions.items()}
        self._texts = made
        body = ",\n".join(text for _, text in made.values())
        return f"{{\n{body}\n{_SNAPSHOT_INDENT}}}".encode()


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def flag_data(view: SiteView) -> dict[str, Any]:
    """For the "changed" flag script: the site's revision and each session's latest change."""
    history = _history(view)
    latest = history.last_change_of()
    return {
        "revision": history.revision,
        "sessions": {
            sid: [number, change.summary] for sid, (number, change) in sorted(latest.items())
        },
    }


def flag_script(view: SiteView) -> bytes:
    """`changes-flag.js`: `flag_data` assigned to `window.eventsiteChanges`."""
    data = json.dumps(flag_data(view), ensure_ascii=False, separators=(",", ":"))
    return f"window.{FLAG_GLOBAL}={data};\n".encode()


def atom_feed(view: SiteView, page_of: PageOf) -> bytes:
    history = _history(view)
    ElementTree.register_namespace("", ATOM_NS)
    feed = ElementTree.Element(_q("feed"))
    _text(feed, "id", _feed_id(history))
    _text(feed, "title", f"{view.event.name}: schedule changes")
    _text(feed, "updated", _stamp(history.updated or view.event.start or FALLBACK_UPDATED))
    if view.base_url:
        _link(feed, "self", view.base_url.absolute(urls.CHANGES_FEED), "application/atom+xml")
    _link(feed, "alternate", _public_url(view, urls.CHANGES), "text/html")
    author = ElementTree.SubElement(feed, _q("author"))
    _text(author, "name", view.event.organizer_name or view.event.name)
    generator = _text(feed, "generator", "eventsite")
    generator.set("version", __version__)
    for entry in itertools.islice(_entries(view, history, page_of), FEED_ENTRIES):
        feed.append(entry)
    ElementTree.indent(feed)
    body = ElementTree.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _entries(
    view: SiteView, history: ChangeHistory, page_of: PageOf
) -> Iterator[ElementTree.Element]:
    for revision in history.revisions:
        for change in revision.changes:
            entry = ElementTree.Element(_q("entry"))
            _text(entry, "id", revision.entry_id(history.event_key, change))
            _text(entry, "title", f"{KIND_LABELS[change.kind]}: {change.title}")
            _text(entry, "updated", _stamp(revision.time))
            path = page_of(change.session_id)
            anchor = f"{urls.CHANGES}#r{revision.number}"
            _link(entry, "alternate", _public_url(view, path or anchor), "text/html")
            ElementTree.SubElement(entry, _q("category"), term=str(change.kind))
            _text(entry, "summary", change.summary)
            yield entry


def _history(view: SiteView) -> ChangeHistory:
    if view.history is None:
        raise ValueError("this build does not track schedule changes")
    return view.history


def _public_url(view: SiteView, path: str) -> str:
    """Absolute with a base URL; else relative to the site root (where the feed lives)."""
    return view.base_url.absolute(path) if view.base_url else path


def _feed_id(history: ChangeHistory) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'eventsite-changes:' + history.event_key)}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _q(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _text(parent: ElementTree.Element, tag: str, value: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, _q(tag))
    element.text = value
    return element


def _link(parent: ElementTree.Element, rel: str, href: str, media_type: str) -> None:
    ElementTree.SubElement(parent, _q("link"), rel=rel, href=href, type=media_type)
