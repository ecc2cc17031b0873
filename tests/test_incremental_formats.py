"""Whole-schedule files made of kept per-session pieces equal the files made from scratch."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE

from eventsite import history, urls
from eventsite.build import load_graph, other_files
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.model.entities import Session, Speaker
from eventsite.render import frab
from eventsite.render.calendar_cache import FormatCache, _replace_each_once
from eventsite.render.pages import plan_pages
from eventsite.render.tracking import EntityFields, _reads_only, own_properties
from eventsite.render.view import SiteView, build_view

Edit = Callable[[dict[str, Any]], None]


def _load(root: Path, base_url: str | None, history_dir: Path | None = None) -> SiteView:
    """The view a build makes; with `history_dir`, compared with the history kept there."""
    issues = IssueLog()
    raw, graph = load_graph(str(root), issues)
    media = MediaResolver(raw.media, issues, resize=False)
    view = build_view(graph, media, urls.BaseUrl.parse(base_url))
    if history_dir is not None:
        update = history.update_history(graph, view.event_key, None, history_dir, issues)
        view.history = update.history
    return view


def _edit(root: Path, name: str, change: Callable[[Any], None]) -> None:
    path = root / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _public(sessions: list[dict[str, Any]], index: int) -> dict[str, Any]:
    public = [s for s in sessions if s["state"] in ("accepted", "confirmed") and s.get("starts-at")]
    return public[index % len(public)]


def _retitle(sessions: list[dict[str, Any]]) -> None:
    _public(sessions, 0)["title"] = "Retitled <b>&</b> “quoted”"


def _new_abstract(sessions: list[dict[str, Any]]) -> None:
    _public(sessions, 1)["long-abstract"] = "<p>New words: zeppelin quokka</p>"


def _move(sessions: list[dict[str, Any]]) -> None:
    session = _public(sessions, 2)
    session["starts-at"] = session["starts-at"].replace("T1", "T0", 1)


def _unpublish(sessions: list[dict[str, Any]]) -> None:
    _public(sessions, 3)["state"] = "draft"


def _speaker_organisation(speakers: list[dict[str, Any]]) -> None:
    speakers[0]["organisation"] = "A brand new organisation"
    speakers[1]["name"] = "Renamed Speaker"


def _rename_track(tracks: list[dict[str, Any]]) -> None:
    tracks[0]["name"] = "Renamed track"


def _rename_room(rooms: list[dict[str, Any]]) -> None:
    rooms[0]["name"] = "Renamed room"


EDITS: list[tuple[str, Callable[[Any], None]]] = [
    ("sessions", _retitle),
    ("sessions", _new_abstract),
    ("speakers", _speaker_organisation),
    ("tracks", _rename_track),
    ("microlocations", _rename_room),
    ("sessions", _move),
    ("sessions", _unpublish),
]


@pytest.mark.parametrize("base_url", [None, "https://conf.example.org/2026/"])
def test_kept_pieces_give_the_files_a_clean_build_makes(tmp_path: Path, base_url: str) -> None:
    root = Path(shutil.copytree(SAMPLE, tmp_path / "export"))
    published = tmp_path / "published"
    published.mkdir()
    cache = FormatCache()
    previous: EntityFields | None = None
    for name, change in [("sessions", lambda data: None), *EDITS]:
        _edit(root, name, change)
        view = _load(root, base_url, published)
        pages = plan_pages(view)
        fields = EntityFields(view)
        if previous is not None:
            fields.changed_since(previous)
        cache.use(fields)
        files = other_files(view, pages, cache)
        assert files == other_files(view, pages), change.__name__
        assert urls.CHANGES_JSON in files
        if previous is None:  # later builds record their changes against this one
            (published / urls.CHANGES_JSON).write_bytes(files[urls.CHANGES_JSON])
        previous = fields
    assert json.loads(files[urls.CHANGES_JSON])["changes"]
    reused = (cache.frab, cache.search, cache.calendars, cache.changes)
    assert all(part.reused > 0 for part in reused)


def test_a_title_edit_changes_one_session_and_its_title_only(tmp_path: Path) -> None:
    root = Path(shutil.copytree(SAMPLE, tmp_path / "export"))
    before = EntityFields(_load(root, None))
    _edit(root, "sessions", _retitle)
    edited = _public(json.loads((root / "sessions").read_text(encoding="utf-8")), 0)["id"]
    after = EntityFields(_load(root, None))
    changed = after.changed_since(before)
    assert {key for key in changed if key[0] == "session"} == {
        ("session", str(edited)),
        ("session", str(edited), "title"),
    }
    unchanged = ("session", str(edited), "subtitle")
    assert after.covers(unchanged) and unchanged not in changed


def test_frab_json_with_the_slot_marker_in_the_data_is_made_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _load(SAMPLE, None)
    title = frab.frab_schedule(view).title
    monkeypatch.setattr(frab, "_JSON_SLOT", title)
    monkeypatch.setattr(frab, "_JSON_SLOT_TEXT", json.dumps(title, ensure_ascii=False))
    cache = frab.FrabCache(lambda session: session.id)
    assert frab.frab_json(view, cache) == frab.frab_json(view)
    assert frab.frab_xml(view, cache) == frab.frab_xml(view)


def _title_upper(self: Any) -> str:
    return str(self.title).upper()


def _track_name(self: Any) -> str:
    return str(self.track.name)


def _handed_on(self: Any) -> str:
    return str(self)


def test_properties_count_as_fields_only_when_they_read_own_plain_fields() -> None:
    assert {"abstract", "duration_minutes", "is_public"} <= own_properties(Session)
    assert own_properties(Speaker) == {"bio"}
    assert _reads_only(_title_upper, {"title"})
    assert not _reads_only(_track_name, {"title"})  # a linked entity: not covered
    assert not _reads_only(_handed_on, {"title", "track"})  # `self` handed to other code


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([(b"bb", b"BBB"), (b"dd", b"D")], b"aa BBB cc D ee"),
        ([(b"dd", b"D"), (b"bb", b"BBB")], b"aa BBB cc D ee"),  # made in one copy, any order
        ([(b"cc", b"v1"), (b"v1", b"v2")], b"aa bb v2 dd ee"),  # changed again
        ([(b"zz", b"y")], None),  # not there
        ([(b"a", b"y")], None),  # twice there
        ([(b"aa bb", b"x"), (b"bb cc", b"y")], None),  # overlapping
        ([(b"bb", b"x"), (b"dd", b"x"), (b"x", b"y")], None),  # which `x`?
    ],
)
def test_whole_schedule_files_are_changed_in_one_copy(
    changes: list[tuple[bytes, bytes]], expected: bytes | None
) -> None:
    assert _replace_each_once(b"aa bb cc dd ee", changes) == expected
