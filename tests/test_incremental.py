"""Incremental rebuilds write exactly the site a clean build writes, doing only the work needed."""

from __future__ import annotations

import json
import random
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PUBLISHED_FIELDS, REAL_EXPORTS, SAMPLE, require_shared
from sitecheck import site_files

from eventsite import urls
from eventsite.build import BuildOptions, build, load_graph
from eventsite.errors import SourceError, ThemeError
from eventsite.incremental import Rebuilder
from eventsite.issues import IssueLog
from eventsite.media import MemoryDerivedStore
from eventsite.model.schedule import conference_date


class Export:
    """A writable copy of an export folder whose JSON files a test edits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self, name: str) -> Any:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def save(self, name: str, data: Any) -> Path:
        path = self.root / name
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        return path

    def edit(self, name: str, change: Callable[[Any], None]) -> Path:
        data = self.load(name)
        change(data)
        return self.save(name, data)

    def public_session(self, index: int = 0) -> dict[str, Any]:
        public = [s for s in self.load("sessions") if s["state"] in ("accepted", "confirmed")]
        return public[index % len(public)]


@pytest.fixture
def export(tmp_path: Path) -> Export:
    shutil.copytree(SAMPLE, tmp_path / "export")
    return Export(tmp_path / "export")


def clean_build(
    source: Path, tmp_path: Path, theme: Path | None = None, publish: frozenset[str] = frozenset()
) -> dict[str, bytes]:
    out = tmp_path / "clean"
    shutil.rmtree(out, ignore_errors=True)  # clean: no history of an earlier build either
    theme_name = str(theme) if theme else None
    build(BuildOptions(source=str(source), output=out, theme=theme_name, publish_fields=publish))
    return site_files(out)


def assert_same_as_clean(rebuilder: Rebuilder, tmp_path: Path, theme: Path | None = None) -> None:
    publish = rebuilder.options.publish_fields
    expected = clean_build(Path(rebuilder.options.source), tmp_path, theme, publish)
    on_disk = site_files(rebuilder.output)
    assert sorted(on_disk) == sorted(expected)
    differing = [path for path in expected if on_disk[path] != expected[path]]
    assert differing == []
    in_memory = dict(rebuilder.files)
    in_memory[".eventsite-site"] = on_disk[".eventsite-site"]
    assert in_memory == expected


def pages_showing_session(source: Path, session_id: str) -> set[str]:
    """Every page that names a session: its own, its speakers', day, track, room, schedule."""
    _, graph = load_graph(str(source), IssueLog())
    session = next(s for s in graph.sessions if s.id == session_id)
    assert session.start and session.track and session.room
    return {
        urls.session_path(session),
        *(urls.speaker_path(speaker) for speaker in session.speakers),
        urls.day_path(conference_date(session.start)),
        urls.track_path(session.track),
        urls.room_path(session.room),
        urls.SCHEDULE,
    }


def test_unchanged_input_renders_and_writes_nothing(export: Export, tmp_path: Path) -> None:
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    first = rebuilder.build_all()
    assert len(first.rendered) == first.pages > 50
    again = rebuilder.rebuild([export.root / "sessions"])
    assert again.rendered == [] and again.written == [] and again.removed == []
    assert_same_as_clean(rebuilder, tmp_path)


def test_title_edit_renders_exactly_the_pages_that_show_the_session(
    export: Export, tmp_path: Path
) -> None:
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    target = export.public_session(3)
    before = {path: (rebuilder.output / path).stat().st_mtime_ns for path in rebuilder.files}

    def retitle(sessions: list[dict[str, Any]]) -> None:
        next(s for s in sessions if s["id"] == target["id"])["title"] = "Retitled in a test"

    stats = rebuilder.rebuild([export.edit("sessions", retitle)])

    assert set(stats.rendered) == pages_showing_session(export.root, str(target["id"]))
    scheduled = [p for p in rebuilder.files if p.startswith("sessions/") and p.endswith(".ics")]
    assert stats.events_reused == len(scheduled) - 1  # only the edited session's VEVENT is new
    assert stats.reloaded_data and not stats.reloaded_theme
    untouched = [p for p in rebuilder.files if p not in stats.written]
    assert all((rebuilder.output / p).stat().st_mtime_ns == before[p] for p in untouched)
    assert "Retitled in a test" in (rebuilder.output / stats.rendered[0]).read_text()
    assert_same_as_clean(rebuilder, tmp_path)


def _move_to_other_day(sessions: list[dict[str, Any]]) -> None:
    session = next(s for s in sessions if s["state"] == "accepted" and "06-11" in s["starts-at"])
    session["starts-at"] = session["starts-at"].replace("06-11", "06-12")
    session["ends-at"] = session["ends-at"].replace("06-11", "06-12")


def _unpublish_first(sessions: list[dict[str, Any]]) -> None:
    next(s for s in sessions if s["state"] == "accepted")["state"] = "draft"


def _publish_a_draft(sessions: list[dict[str, Any]]) -> None:
    next(s for s in sessions if s["state"] == "draft")["state"] = "confirmed"


def _add_session(sessions: list[dict[str, Any]]) -> None:
    new = dict(sessions[0], id=9001, title="A session added later", state="accepted")
    new["speakers"] = [{"id": 9002, "name": "Newly Invited Speaker"}]
    sessions.append(new)


def _drop_speaker_links(sessions: list[dict[str, Any]]) -> None:
    next(s for s in sessions if s["state"] == "accepted" and s["speakers"])["speakers"] = []


def _recolour_track(tracks: list[dict[str, Any]]) -> None:
    tracks[0]["color"] = "#FFEE00"


def _rename_room(rooms: list[dict[str, Any]]) -> None:
    rooms[-1]["name"] = "Renamed Room"


def _rename_speaker(speakers: list[dict[str, Any]]) -> None:
    speakers[1]["name"] = "Renamed Speaker"


def _break_photo(speakers: list[dict[str, Any]]) -> None:
    speakers[0]["photo-url"] = "/images/speakers/not-there.png"


def _rename_event(event: dict[str, Any]) -> None:
    event["name"] = "DevConf Renamed"


def _drop_code_of_conduct(event: dict[str, Any]) -> None:
    event["code-of-conduct"] = ""


EDITS: list[tuple[str, Callable[[Any], None]]] = [
    ("sessions", _move_to_other_day),
    ("sessions", _unpublish_first),
    ("sessions", _publish_a_draft),
    ("sessions", _add_session),
    ("sessions", _drop_speaker_links),
    ("tracks", _recolour_track),
    ("microlocations", _rename_room),
    ("speakers", _rename_speaker),
    ("speakers", _break_photo),
    ("event", _drop_code_of_conduct),
    ("event", _rename_event),
]


def test_series_of_data_edits_matches_clean_builds(export: Export, tmp_path: Path) -> None:
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    total = rebuilder.build_all().pages
    rendered: dict[str, tuple[int, int]] = {}
    for name, change in EDITS:
        stats = rebuilder.rebuild([export.edit(name, change)])
        rendered[change.__name__] = (len(stats.rendered), stats.pages)
        assert_same_as_clean(rebuilder, tmp_path)
    assert rendered["_recolour_track"][0] < total / 2
    assert rendered["_rename_event"][0] == rendered["_rename_event"][1]  # all show the name
    assert "code-of-conduct.html" not in rebuilder.files


def test_random_session_edits_match_clean_builds(export: Export, tmp_path: Path) -> None:
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    rng = random.Random(20260611)
    rooms = export.load("microlocations")
    tracks = export.load("tracks")
    for step in range(8):

        def change(sessions: list[dict[str, Any]], step: int = step) -> None:
            session = rng.choice(sessions)
            field = rng.choice(
                ["title", "starts-at", "track", "microlocation", "state", "abstract"]
            )
            if field == "title":
                session["title"] = f"Random title {step}"
            elif field == "starts-at" and session.get("starts-at"):
                session["starts-at"] = session["starts-at"].replace("T1", "T0", 1)
            elif field == "track":
                track = rng.choice(tracks)
                session["track"] = {"id": track["id"], "name": track["name"]}
            elif field == "microlocation":
                room = rng.choice(rooms)
                session["microlocation"] = {"id": room["id"], "name": room["name"]}
            elif field == "state":
                session["state"] = rng.choice(["accepted", "confirmed", "draft", "rejected"])
            else:
                session["long-abstract"] = f"<p>Changed abstract {step}</p>"

        rebuilder.rebuild([export.edit("sessions", change)])
        assert_same_as_clean(rebuilder, tmp_path)


def test_theme_edits_render_only_pages_using_the_template(export: Export, tmp_path: Path) -> None:
    theme = tmp_path / "mytheme"
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "theme.json").write_text('{"extends": "default"}')
    options = BuildOptions(source=str(export.root), output=tmp_path / "site", theme=str(theme))
    rebuilder = Rebuilder(options)
    total = rebuilder.build_all().pages

    override = theme / "templates" / "room.html"
    override.write_text('{% extends "default/room.html" %}{% block body_class %}x{% endblock %}')
    stats = rebuilder.rebuild([override])
    assert not stats.reloaded_data and stats.reloaded_theme
    room_pages = [p for p in rebuilder.files if p.startswith("rooms/") and p.endswith(".html")]
    assert sorted(stats.rendered) == sorted(set(room_pages) - {urls.ROOMS})
    assert_same_as_clean(rebuilder, tmp_path, theme)

    footer = theme / "templates" / "partials" / "footer.html"
    footer.write_text("<footer>Custom footer</footer>\n")
    assert len(rebuilder.rebuild([footer]).rendered) == total
    assert_same_as_clean(rebuilder, tmp_path, theme)

    css = theme / "static" / "style.css"
    css.parent.mkdir()
    css.write_text("body { color: rebeccapurple }\n")
    stats = rebuilder.rebuild([css])
    assert stats.rendered == [] and stats.written == ["assets/style.css"]
    assert_same_as_clean(rebuilder, tmp_path, theme)

    override.unlink()
    footer.unlink()
    rebuilder.rebuild([override, footer])
    assert_same_as_clean(rebuilder, tmp_path, theme)


def test_failed_rebuild_keeps_the_last_good_site(export: Export, tmp_path: Path) -> None:
    theme = tmp_path / "mytheme"
    (theme / "templates").mkdir(parents=True)
    options = BuildOptions(source=str(export.root), output=tmp_path / "site", theme=str(theme))
    rebuilder = Rebuilder(options)
    rebuilder.build_all()
    good = site_files(rebuilder.output)

    sessions = export.root / "sessions"
    text = sessions.read_text(encoding="utf-8")
    sessions.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(SourceError) as failure:
        rebuilder.rebuild([sessions])
    assert str(sessions) in str(failure.value) and "invalid JSON" in str(failure.value)
    assert site_files(rebuilder.output) == good

    sessions.write_text(text.replace("DevOps", "DevSecOps"), encoding="utf-8")
    broken = theme / "templates" / "session.html"
    broken.write_text("{% block content %}{{ session.title }")
    with pytest.raises(ThemeError):
        rebuilder.rebuild([sessions, broken])
    assert site_files(rebuilder.output) == good

    broken.unlink()
    rebuilder.rebuild([broken])
    assert_same_as_clean(rebuilder, tmp_path, theme)


def test_zip_source_rebuilds_after_the_zip_is_replaced(export: Export, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"

    def pack() -> Path:
        with zipfile.ZipFile(archive, "w") as zf:
            for path in sorted(export.root.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(export.root).as_posix())
        return archive

    pack()
    rebuilder = Rebuilder(BuildOptions(source=str(archive), output=tmp_path / "site"))
    rebuilder.build_all()
    target = export.public_session(5)

    def new_subtitle(sessions: list[dict[str, Any]]) -> None:
        next(s for s in sessions if s["id"] == target["id"])["subtitle"] = "New subtitle"

    export.edit("sessions", new_subtitle)
    stats = rebuilder.rebuild([pack()])
    assert stats.rendered == [f"sessions/{target['id']}.html"]  # only that page shows subtitles
    assert_same_as_clean(rebuilder, tmp_path)


def test_output_folder_removed_by_hand_is_written_again(export: Export, tmp_path: Path) -> None:
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    shutil.rmtree(rebuilder.output)
    stats = rebuilder.rebuild([export.edit("tracks", _recolour_track)])
    assert stats.rendered and len(stats.rendered) < stats.pages
    assert_same_as_clean(rebuilder, tmp_path)


@pytest.mark.parametrize("name", ["OSCAL2017", "OpenTechSummit2017"])
def test_real_export_edits_match_clean_builds(name: str, tmp_path: Path) -> None:
    require_shared()
    export = Export(Path(shutil.copytree(REAL_EXPORTS / name, tmp_path / name)))
    published = PUBLISHED_FIELDS.get(name, frozenset())
    options = BuildOptions(
        source=str(export.root), output=tmp_path / "site", publish_fields=published
    )
    rebuilder = Rebuilder(options)
    total = rebuilder.build_all().pages
    target = export.public_session(1)

    def retitle(sessions: list[dict[str, Any]]) -> None:
        next(s for s in sessions if s["id"] == target["id"])["title"] = "Retitled <b>&</b>"

    stats = rebuilder.rebuild([export.edit("sessions", retitle)])
    assert 0 < len(stats.rendered) < total / 2
    assert_same_as_clean(rebuilder, tmp_path)
    stats = rebuilder.rebuild([export.edit("sessions", _unpublish_first)])
    assert_same_as_clean(rebuilder, tmp_path)


def test_preview_compares_with_the_published_history(
    export: Export, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1781100000")
    published = tmp_path / "published"
    build(BuildOptions(source=str(export.root), output=published))
    shutil.copytree(published, tmp_path / "published-copy")
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=published))
    rebuilder.build_all()
    target = export.public_session(2)
    for title in ("First retitle", "Second retitle"):

        def retitle(sessions: list[dict[str, Any]], title: str = title) -> None:
            next(s for s in sessions if s["id"] == target["id"])["title"] = title

        rebuilder.rebuild([export.edit("sessions", retitle)])
    clean = tmp_path / "clean"
    shutil.copytree(tmp_path / "published-copy", clean)
    build(BuildOptions(source=str(export.root), output=clean))
    assert site_files(rebuilder.output) == site_files(clean)
    changes = json.loads(rebuilder.files["changes.json"])
    assert [c["kind"] for c in changes["changes"]] == ["retitled"]  # one, not one per preview


class CountingStore(MemoryDerivedStore):
    """The real in-memory store, counting how many images had to be resized."""

    def __init__(self) -> None:
        super().__init__()
        self.resized = 0

    def put_derived(self, digest: str, role: str, renditions: list[Any]) -> None:
        self.resized += 1
        super().put_derived(digest, role, renditions)


def test_a_data_edit_resizes_no_image_again(export: Export, tmp_path: Path) -> None:
    store = CountingStore()
    options = BuildOptions(source=str(export.root), output=tmp_path / "site", media_cache=store)
    rebuilder = Rebuilder(options)
    rebuilder.build_all()
    first = store.resized
    assert first > 0

    def retitle(sessions: list[dict[str, Any]]) -> None:
        sessions[0]["title"] = "Retitled again"

    rebuilder.rebuild([export.edit("sessions", retitle)])
    assert store.resized == first
    assert_same_as_clean(rebuilder, tmp_path)


def test_serve_without_a_cache_folder_keeps_resized_images_in_memory(tmp_path: Path) -> None:
    rebuilder = Rebuilder(BuildOptions(source=str(SAMPLE), output=tmp_path / "site"))
    assert isinstance(rebuilder._derived, MemoryDerivedStore)
