"""Schedule changes across builds: changes.json, the Atom feed and the changelog page agree."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import feedparser
import pytest
from conftest import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree, html
from sitecheck import site_files

from eventsite.build import BuildOptions, build
from eventsite.cli import main
from eventsite.model.changes import Ref, SessionState, Snapshot, diff, diff_again
from eventsite.render import changes

ATOM = "{http://www.w3.org/2005/Atom}"
BASE_URL = "https://example.org/devconf/"


def public_sessions(export: Path) -> list[dict[str, Any]]:
    sessions = json.loads((export / "sessions").read_text(encoding="utf-8"))
    return [s for s in sessions if s["state"] in ("accepted", "confirmed") and s.get("starts-at")]


def edit_sessions(export: Path, edit: Any) -> None:
    path = export / "sessions"
    sessions = json.loads(path.read_text(encoding="utf-8"))
    edit(sessions)
    path.write_text(json.dumps(sessions, ensure_ascii=False), encoding="utf-8")


def by_id(sessions: list[dict[str, Any]], session_id: str) -> dict[str, Any]:
    return next(s for s in sessions if str(s["id"]) == session_id)


@dataclass
class Edits:
    moved: str
    cancelled: str
    retitled: str
    added: str
    new_title: str

    def expected(self) -> set[tuple[str, str]]:
        return {
            ("moved", self.moved),
            ("cancelled", self.cancelled),
            ("retitled", self.retitled),
            ("added", self.added),
        }


def make_four_edits(export: Path) -> Edits:
    """Move one session by a day, cancel one, retitle one and add one (a copy of another)."""
    first, second, third, fourth = (str(s["id"]) for s in public_sessions(export)[:4])
    all_ids = [int(s["id"]) for s in json.loads((export / "sessions").read_text())]
    edits = Edits(first, second, third, str(max(all_ids) + 1), "Retitled in the second export")

    def edit(sessions: list[dict[str, Any]]) -> None:
        moved = by_id(sessions, edits.moved)
        moved["starts-at"] = moved["starts-at"].replace("2026-06-11", "2026-06-12")
        moved["ends-at"] = moved["ends-at"].replace("2026-06-11", "2026-06-12")
        by_id(sessions, edits.cancelled)["state"] = "canceled"
        by_id(sessions, edits.retitled)["title"] = edits.new_title
        added = dict(by_id(sessions, fourth), id=int(edits.added), title="A late addition")
        sessions.append(added)

    edit_sessions(export, edit)
    return edits


@dataclass
class ThreeBuilds:
    site: Path
    edits: Edits
    second: dict[str, bytes]
    third: dict[str, bytes]


@pytest.fixture(scope="module")
def three_builds(tmp_path_factory: pytest.TempPathFactory) -> ThreeBuilds:
    root = tmp_path_factory.mktemp("changes")
    export, site = root / "export", root / "site"
    shutil.copytree(SAMPLE, export)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1780000000")
        build(BuildOptions(source=str(export), output=site, base_url=BASE_URL))
        first_moved = (site / "sessions").exists()
        assert first_moved
        edits = make_four_edits(export)
        build(BuildOptions(source=str(export), output=site, base_url=BASE_URL))
        second = site_files(site)
        patch.setenv("SOURCE_DATE_EPOCH", "1790000000")
        build(BuildOptions(source=str(export), output=site, base_url=BASE_URL))
        third = site_files(site)
    return ThreeBuilds(site, edits, second, third)


def test_changes_json_lists_exactly_the_four_edits(three_builds: ThreeBuilds) -> None:
    data = json.loads(three_builds.second["changes.json"])
    found = {(c["kind"], c["session"]) for c in data["changes"]}
    assert found == three_builds.edits.expected()
    assert len(data["changes"]) == 4
    assert data["revision"] == 1
    assert {c["time"] for c in data["changes"]} == {"2026-05-28T20:26:40+00:00"}
    urls = {c["kind"]: c["url"] for c in data["changes"]}
    assert urls["cancelled"] is None
    assert urls["moved"] == f"{BASE_URL}sessions/{three_builds.edits.moved}.html"
    retitled = next(c for c in data["changes"] if c["kind"] == "retitled")
    assert retitled["after"] == {"title": three_builds.edits.new_title}


def test_atom_feed_parses_and_lists_the_four_edits(three_builds: ThreeBuilds) -> None:
    body = three_builds.second["changes.xml"]
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    found = {(e.tags[0].term, e.link.rsplit("/", 1)[-1]) for e in feed.entries}
    edits = three_builds.edits
    assert found == {
        ("moved", f"{edits.moved}.html"),
        ("cancelled", "changes.html#r1"),
        ("retitled", f"{edits.retitled}.html"),
        ("added", f"{edits.added}.html"),
    }
    root = etree.fromstring(body)
    for required in ("id", "title", "updated", "author"):
        assert root.find(ATOM + required) is not None, required
    entries = root.findall(ATOM + "entry")
    for entry in entries:
        for required in ("id", "title", "updated", "link", "summary"):
            assert entry.find(ATOM + required) is not None, required
    ids = [e.findtext(ATOM + "id") for e in entries]
    assert len(set(ids)) == 4 and all(i.startswith("urn:uuid:") for i in ids)
    self_link = root.find(ATOM + "link[@rel='self']")
    assert self_link is not None and self_link.get("href") == BASE_URL + "changes.xml"


def test_changelog_page_lists_the_four_edits_with_links(three_builds: ThreeBuilds) -> None:
    page = html.fromstring(three_builds.second["changes.html"])
    items = page.xpath("//li[contains(@class, 'change ')]")
    found = {(li.get("data-change-kind"), li.get("data-change-session")) for li in items}
    assert found == three_builds.edits.expected()
    for li in items:
        links = [a.get("href") for a in li.xpath(".//a")]
        if li.get("data-change-kind") == "cancelled":
            assert links == []
        else:
            assert links == [f"sessions/{li.get('data-change-session')}.html"]
            assert (three_builds.site / links[0]).is_file()
    nav = [a.text for a in page.xpath("//nav[@class='site-nav']//a")]
    assert "Changes" in nav


def test_third_build_without_changes_adds_nothing(three_builds: ThreeBuilds) -> None:
    assert three_builds.third == three_builds.second


def test_later_change_keeps_entry_ids_and_puts_newest_first(tmp_path: Path) -> None:
    export, site = tmp_path / "export", tmp_path / "site"
    shutil.copytree(SAMPLE, export)
    build(BuildOptions(source=str(export), output=site))
    edits = make_four_edits(export)
    build(BuildOptions(source=str(export), output=site))
    before = feedparser.parse((site / "changes.xml").read_bytes())

    def retitle_again(sessions: list[dict[str, Any]]) -> None:
        by_id(sessions, edits.moved)["title"] = "Moved and now retitled"

    edit_sessions(export, retitle_again)
    build(BuildOptions(source=str(export), output=site))
    after = feedparser.parse((site / "changes.xml").read_bytes())
    assert [e.id for e in after.entries[1:]] == [e.id for e in before.entries]
    assert after.entries[0].title == "Retitled: Moved and now retitled"
    data = json.loads((site / "changes.json").read_text(encoding="utf-8"))
    assert [c["revision"] for c in data["changes"]] == [2, 1, 1, 1, 1]


def test_speaker_and_room_changes_are_reported(tmp_path: Path) -> None:
    export, site = tmp_path / "export", tmp_path / "site"
    shutil.copytree(SAMPLE, export)
    build(BuildOptions(source=str(export), output=site))
    sessions = public_sessions(export)
    with_speakers = next(s for s in sessions if len(s["speakers"]) >= 2)
    other_room = next(s for s in sessions if s["microlocation"] != sessions[0]["microlocation"])

    def edit(records: list[dict[str, Any]]) -> None:
        by_id(records, str(with_speakers["id"]))["speakers"] = with_speakers["speakers"][:1]
        by_id(records, str(sessions[0]["id"]))["microlocation"] = other_room["microlocation"]

    edit_sessions(export, edit)
    dropped_id = with_speakers["speakers"][1]["id"]
    speakers = json.loads((export / "speakers").read_text(encoding="utf-8"))
    for speaker in speakers:  # both sides of the link must drop the speaker
        if speaker["id"] == dropped_id:
            speaker["sessions"] = [s for s in speaker["sessions"] if s["id"] != with_speakers["id"]]
    (export / "speakers").write_text(json.dumps(speakers), encoding="utf-8")
    build(BuildOptions(source=str(export), output=site))
    changes = json.loads((site / "changes.json").read_text(encoding="utf-8"))["changes"]
    found = {(c["kind"], c["session"]) for c in changes}
    assert found == {("speakers", str(with_speakers["id"])), ("moved", str(sessions[0]["id"]))}
    speakers = next(c for c in changes if c["kind"] == "speakers")
    dropped = with_speakers["speakers"][1]["name"]
    assert dropped in speakers["summary"]
    moved = next(c for c in changes if c["kind"] == "moved")
    assert moved["after"]["room"] == other_room["microlocation"]["name"]


def test_corrupt_history_fails_with_a_clear_message(tmp_path: Path, capsys) -> None:
    site = tmp_path / "site"
    assert main(["build", str(SAMPLE), "-o", str(site), "-q"]) == 0
    (site / "changes.json").write_text('{"format": "eventsite-changes", "version": 1}')
    assert main(["build", str(SAMPLE), "-o", str(site), "-q"]) == 1
    err = capsys.readouterr().err
    assert "changes.json" in err and "schedule must be an object" in err
    assert "Traceback" not in err


def test_history_of_another_event_starts_afresh_with_a_warning(tmp_path: Path, capsys) -> None:
    site = tmp_path / "site"
    assert main(["build", str(SAMPLE), "-o", str(site), "-q"]) == 0
    data = json.loads((site / "changes.json").read_text(encoding="utf-8"))
    data["event"] = "another-event"
    data["schedule"] = {}
    (site / "changes.json").write_text(json.dumps(data))
    assert main(["build", str(SAMPLE), "-o", str(site)]) == 0
    assert "previous change history is for another event" in capsys.readouterr().err
    fresh = json.loads((site / "changes.json").read_text(encoding="utf-8"))
    assert fresh["changes"] == [] and fresh["schedule"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.integers(min_value=1, max_value=8))
def test_changes_json_text_is_json_dumps(data: Any, at_once: int) -> None:
    """`changes.json` is encoded a few chunks at a time; the bytes are `json.dumps`'s."""
    with mock.patch.object(changes, "_CHUNKS_AT_ONCE", at_once):
        made = changes._indented_json(data)
    assert made == json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


_STATE_IDS = ["1", "2", "10", "a", "b7"]
_ROOMS = st.one_of(st.none(), st.sampled_from([Ref("r1", "Hall"), Ref("", "Annex")]))
_STATES = st.builds(
    lambda title, start, room, speakers: (title, start, room, speakers),
    st.sampled_from(["Talk", "Talk, renamed", "Other"]),
    st.one_of(st.none(), st.sampled_from([datetime(2026, 6, 11, 9, tzinfo=UTC)])),
    _ROOMS,
    st.lists(st.sampled_from([Ref("s1", "Ana"), Ref("s2", "Bo")]), max_size=2, unique=True),
)


def _snapshot(states: dict[str, tuple[Any, ...]]) -> Snapshot:
    made = {}
    for sid, (title, start, room, speakers) in states.items():
        end = start + timedelta(hours=1) if start else None
        made[sid] = SessionState(sid, title, start, end, room, tuple(speakers))
    return Snapshot(made)


@settings(max_examples=200, deadline=None)
@given(
    before=st.dictionaries(st.sampled_from(_STATE_IDS), _STATES),
    middle=st.dictionaries(st.sampled_from(_STATE_IDS), _STATES, min_size=1),
    edited=st.data(),
)
def test_diffing_the_edited_sessions_again_equals_a_whole_diff(
    before: dict[str, Any], middle: dict[str, Any], edited: st.DataObject
) -> None:
    """What `serve` records when a few sessions change in place is what a whole load records."""
    ids = edited.draw(st.sets(st.sampled_from(sorted(middle)), min_size=1))
    after = dict(middle, **{sid: edited.draw(_STATES) for sid in ids})
    old, mid, new = _snapshot(before), _snapshot(middle), _snapshot(after)
    pending = diff(old, mid, {})
    assert diff_again(old, pending, new, ids) == diff(old, new, {})
