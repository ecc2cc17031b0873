"""`build URL` and `fetch` against a real local HTTP server serving real exports as JSON:API."""

from __future__ import annotations

import math
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from api_server import _running_server, local_server, serve_export  # noqa: F401
from conftest import PUBLISHED_FIELDS, REAL_EXPORTS, require_shared
from pytest_httpserver import HTTPServer
from sitecheck import site_files

from eventsite.build import load_graph
from eventsite.cli import main
from eventsite.issues import IssueLog
from eventsite.model.graph import EventGraph
from eventsite.model.schedule import group_days
from eventsite.sources.api import ApiOptions

GRAPH_EXPORTS = [
    "OTS16",  # snake_case, rooms renamed between files
    "MozillaAllHands16",  # naive timestamps, non-IANA zone, multi-day sessions
    "NextcloudConference2017",  # UTC, 'confirmed', sessions without room
    "NextcloudConference2018",  # snake_case, rejected sessions
    "FOSSASIASummit2017",  # 214 sessions, Asia/Singapore: UTC dates differ from local dates
    "FBF817",  # 'US / Pacific', a track id used under two names
    "PyCon17",  # string vs int room ids, duplicate ids
    "OpenTechSummit2017",  # pending/rejected sessions
    "EhealthAfrica",  # an empty event
]
SITE_EXPORTS = ["OTS16", "MozillaAllHands16", "FOSSASIASummit2017"]


def publish(export: str) -> list[str]:
    """The privacy audit's opt-out for the fields this organiser publishes on purpose."""
    return [
        arg
        for field in sorted(PUBLISHED_FIELDS.get(export, ()))
        for arg in ("--publish-field", field)
    ]


@pytest.fixture(autouse=True)
def _shared() -> None:
    require_shared()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def graph_signature(graph: EventGraph) -> dict[str, Any]:
    """What the site shows, independent of where the data came from (media aside)."""
    event = graph.event
    return {
        "event": (
            event.name,
            event.tz_name,
            event.start,
            event.end,
            event.description,
            event.location_name,
            [(link.name, link.url) for link in event.social_links],
            event.copyright and (event.copyright.holder, event.copyright.licence),
        ),
        "sessions": [
            (
                s.id,
                s.title,
                s.start and s.start.isoformat(),
                s.end and s.end.isoformat(),
                s.room and s.room.name,
                s.track and (s.track.name, s.track.color),
                s.session_type and s.session_type.name,
                [p.id for p in s.speakers],
                s.abstract,
            )
            for s in graph.sessions
        ],
        "speakers": [
            (p.id, p.name, p.organisation, p.bio, [s.id for s in p.sessions])
            for p in graph.speakers
        ],
        "rooms": [(r.id, r.name) for r in graph.rooms],
        "tracks": [(t.id, t.name) for t in graph.tracks],
        "sponsors": [(s.id, s.name, s.level, s.tier, s.url) for s in graph.sponsors],
    }


@pytest.mark.parametrize("export", GRAPH_EXPORTS)
def test_api_graph_equals_the_legacy_export_graph(
    local_server: HTTPServer,  # noqa: F811
    export: str,
) -> None:
    url, _ = serve_export(local_server, export, page_size=7)
    _, from_api = load_graph(url, IssueLog(), api=ApiOptions(environ={}))
    _, from_export = load_graph(str(REAL_EXPORTS / export), IssueLog())
    assert graph_signature(from_api) == graph_signature(from_export)


def test_paging_follows_links_next_whatever_page_size_was_asked(
    local_server: HTTPServer,  # noqa: F811
) -> None:
    url, api = serve_export(local_server, "FOSSASIASummit2017", page_size=7, absolute_next=True)
    load_graph(url, IssueLog(), api=ApiOptions(environ={}))
    session_pages = [
        r for r, _ in local_server.log if r.path.endswith("/sessions") and r.method == "GET"
    ]
    sessions = len(api.event.collections["sessions"])
    assert len(session_pages) == math.ceil(sessions / 7)
    assert session_pages[0].args["page[size]"] == "0"
    assert session_pages[0].args["include"] == "track,microlocation,session-type,speakers"
    assert [r.args.get("page[number]") for r in session_pages[1:3]] == ["2", "3"]


def test_requests_carry_user_agent_and_jsonapi_accept(local_server: HTTPServer) -> None:  # noqa: F811
    url, _ = serve_export(local_server, "OSCAL2017")
    load_graph(url, IssueLog(), api=ApiOptions(environ={}))
    request = local_server.log[0][0]
    assert request.headers["Accept"] == "application/vnd.api+json"
    assert re.fullmatch(r"eventsite/\d+\.\d+\.\d+ \(.+\)", request.headers["User-Agent"])
    assert "Authorization" not in request.headers


def test_utc_timestamps_are_grouped_by_the_local_date(local_server: HTTPServer) -> None:  # noqa: F811
    """Mozilla All Hands 2016 (Honolulu, -10:00): an afternoon session is on the next UTC date."""
    url, api = serve_export(local_server, "MozillaAllHands16")
    _, graph = load_graph(url, IssueLog(), api=ApiOptions(environ={}))
    raw = {s["id"]: s["attributes"]["starts-at"] for s in api.event.collections["sessions"]}
    shifted = [
        s for s in graph.sessions if s.start and raw[s.id][:10] != s.start.date().isoformat()
    ]
    assert shifted, "the export has sessions whose UTC date differs from the local date"
    for session in shifted:
        assert session.start.utcoffset().total_seconds() == -10 * 3600
        assert session.start.isoformat()[:10] < raw[session.id][:10]
    day_of = {
        s.id: day.date for day in group_days(graph.sessions, graph.rooms) for s in day.sessions
    }
    assert all(day_of[s.id] == s.start.date() for s in shifted if s.start.hour >= 4)


def export_without_media(export: str, target: Path) -> Path:
    """The export's data files only: the API's media are remote URLs a test build does not
    download, so the legacy build must not have local copies either."""
    target.mkdir()
    for path in (REAL_EXPORTS / export).iterdir():
        if path.is_file():
            shutil.copyfile(path, target / path.name)
    return target


@pytest.mark.parametrize("export", SITE_EXPORTS)
def test_build_url_gives_the_site_of_the_legacy_export(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    export: str,
) -> None:
    url, _ = serve_export(local_server, export, page_size=7)
    legacy = export_without_media(export, tmp_path / "export")
    extra = ["--offline", *publish(export)]
    code, _, err = run(["build", url, "-o", str(tmp_path / "api"), *extra], capsys)
    assert code == 0, err
    code, _, err = run(["build", str(legacy), "-o", str(tmp_path / "zip"), *extra], capsys)
    assert code == 0, err
    api_site, zip_site = site_files(tmp_path / "api"), site_files(tmp_path / "zip")
    sessions = [p for p in zip_site if p.startswith("sessions/") and p.endswith(".html")]
    assert len(sessions) == len(load_graph(str(legacy), IssueLog())[1].sessions)
    assert sorted(api_site) == sorted(zip_site)
    # every page, calendar and schedule file byte for byte: titles, speakers, local times
    assert [p for p in zip_site if api_site[p] != zip_site[p]] == []


def test_fetch_then_offline_build_is_byte_identical(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OTS16", page_size=7)
    extra = ["--offline", *publish("OTS16")]
    assert run(["build", url, "-o", str(tmp_path / "live"), *extra], capsys)[0] == 0
    code, out, _ = run(["fetch", url, "-o", str(tmp_path / "export.zip")], capsys)
    assert code == 0
    assert "82 sessions" in out
    code, _, _ = run(["fetch", url, "-o", str(tmp_path / "again.zip")], capsys)
    assert (tmp_path / "export.zip").read_bytes() == (tmp_path / "again.zip").read_bytes()
    assert run(["fetch", url, "-o", str(tmp_path / "folder")], capsys)[0] == 0
    local_server.clear()  # offline from here on: any request would now fail

    assert (
        run(
            ["build", str(tmp_path / "export.zip"), "-o", str(tmp_path / "zip"), *extra],
            capsys,
        )[0]
        == 0
    )
    assert (
        run(["build", str(tmp_path / "folder"), "-o", str(tmp_path / "dir"), *extra], capsys)[0]
        == 0
    )
    live = site_files(tmp_path / "live")
    assert len(live) > 100
    assert site_files(tmp_path / "zip") == live
    assert site_files(tmp_path / "dir") == live
    assert not local_server.log


def test_snapshot_is_json_api_at_the_export_root(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "NextcloudConference2017")
    assert run(["fetch", url, "-o", str(tmp_path / "s.zip"), "-q"], capsys)[0] == 0
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        names = archive.namelist()
        import json

        sessions = json.loads(archive.read("sessions"))
        speakers = archive.read("speakers").decode()
    assert names == sorted(names)
    assert {"event", "sessions", "speakers", "tracks", "microlocations", "meta"} <= set(names)
    assert sessions["data"][0]["type"] == "session"
    assert "links" not in sessions  # no paging links: the snapshot is one page
    assert "@" not in speakers  # e-mail addresses are dropped, never stored


def test_fetch_refuses_a_folder_that_is_not_empty(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OTS16")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    code, _, err = run(["fetch", url, "-o", str(tmp_path / "full")], capsys)
    assert code == 1
    assert "not an empty folder" in err
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    assert not local_server.log  # refused before any request


def test_check_accepts_an_event_url(
    local_server: HTTPServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OpenTechSummit2017")
    code, out, _ = run(["check", url], capsys)
    assert code == 0
    assert "37 public sessions (7 not public)" in out


def test_folder_snapshot_copied_elsewhere_still_builds(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OSCAL2017")
    assert run(["fetch", url, "-o", str(tmp_path / "snap")], capsys)[0] == 0
    shutil.copytree(tmp_path / "snap", tmp_path / "copy")
    code, out, _ = run(["check", str(tmp_path / "copy")], capsys)
    assert code == 0
    assert "58 public sessions" in out
