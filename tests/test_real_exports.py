"""Every real export under ../shared/real_exports builds, and its site has real properties.

Expectations are computed here from the raw JSON, independently of eventsite's own reading.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    SCHEMAS,
    real_export_dirs,
    real_export_zips,
    require_shared,
)
from markupsafe import escape
from sitecheck import broken_links, site_files, text_files

from eventsite.build import BuildOptions, build

pytestmark = pytest.mark.slow
ZONE_NAMES = {"US / Pacific": "America/Los_Angeles", "US / Eastern": "America/New_York",
              "Hawaii-Aleutian": "Pacific/Honolulu", "US/Pacific": "America/Los_Angeles"}  # fmt: skip
EXPORTS = real_export_dirs()


def _options(export: Path, output: Path, base_url: str | None = None) -> BuildOptions:
    # default options: contact details pasted into bios or descriptions are redacted, not fatal
    return BuildOptions(source=str(export), output=output, base_url=base_url)


def _raw(export: Path, name: str) -> object:
    path = export / name
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"), strict=False)
    except ValueError:
        return []


def _get(record: dict, *keys: str) -> object:
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def _public_sessions(export: Path) -> list[dict]:
    sessions = _raw(export, "sessions")
    seen: set[str] = set()
    public = []
    for s in sessions:
        sid = str(s.get("id"))
        if sid in seen:
            continue
        seen.add(sid)
        if s.get("state") in ("accepted", "confirmed") and (s.get("title") or "").strip():
            public.append(s)
    return public


def _event_zone(export: Path) -> ZoneInfo | timezone:
    name = _raw(export, "event").get("timezone") or "UTC"
    name = ZONE_NAMES.get(name, name)
    return UTC if name == "UTC" else ZoneInfo(name)


def _local_start(session: dict, zone: ZoneInfo | timezone) -> datetime | None:
    raw = _get(session, "starts-at", "start_time", "starts_at")
    if not raw:
        return None
    moment = datetime.fromisoformat(raw)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _private_values(export: Path) -> set[str]:
    values: set[str] = set()
    for record in _raw(export, "speakers"):
        for key in ("email", "mobile", "phone"):
            value = record.get(key)
            if isinstance(value, str) and len(value.strip()) > 5:
                values.add(value.strip())
    event = _raw(export, "event")
    if isinstance(event.get("email"), str) and "@" in event["email"]:
        values.add(event["email"])
    return values


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_shared()
    sites = {}
    for export in EXPORTS:
        out = tmp_path_factory.mktemp(export.name) / "site"
        build(_options(export, out, "https://example.org/ev/"))
        sites[export.name] = out
    return sites


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_real_export_every_public_session_has_page_with_title_and_local_time(
    export: Path, built: dict[str, Path]
) -> None:
    site = built[export.name]
    zone = _event_zone(export)
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (site / "sessions").glob("*.html")}
    for session in _public_sessions(export):
        page = pages.get(str(session["id"]))
        assert page is not None, f"no page for session {session['id']}"
        assert str(escape(" ".join(session["title"].split()))) in " ".join(page.split())
        start = _local_start(session, zone)
        if start is not None:
            assert f">{start:%H:%M}</time>" in page, f"session {session['id']} local start"


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_real_export_publishes_nothing_private_or_non_public(
    export: Path, built: dict[str, Path]
) -> None:
    site = built[export.name]
    public_ids = {str(s["id"]) for s in _public_sessions(export)}
    assert {p.stem for p in (site / "sessions").glob("*.html")} == public_ids
    texts = text_files(site)
    for value in _private_values(export):
        leaks = [rel for rel, text in texts.items() if value in text]
        assert not leaks, f"private value leaked into {leaks[:3]}"
    raw_names = {"event", "sessions", "speakers", "tracks", "microlocations", "sponsors"}
    assert not raw_names & set(site_files(site))


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_real_export_links_and_assets_resolve(export: Path, built: dict[str, Path]) -> None:
    assert broken_links(built[export.name]) == []


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_real_export_calendar_and_schedules_validate(export: Path, built: dict[str, Path]) -> None:
    import icalendar
    import jsonschema
    from lxml import etree

    site = built[export.name]
    calendar = icalendar.Calendar.from_ical((site / "schedule.ics").read_bytes())
    events = calendar.walk("VEVENT")
    timed = [s for s in _public_sessions(export) if _local_start(s, UTC)]
    assert len(events) == len(timed)
    assert len({str(e["UID"]) for e in events}) == len(events)
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))
    document = etree.parse(str(site / "schedule.xml"))
    assert schema.validate(document), schema.error_log.last_error
    frab = json.loads((site / "schedule.json").read_text(encoding="utf-8"))
    json_schema = json.loads((SCHEMAS / "schedule.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(json_schema)
    validator(json_schema, format_checker=jsonschema.FormatChecker()).validate(frab)


@pytest.mark.parametrize("export", EXPORTS[:: max(1, len(EXPORTS) // 6)], ids=lambda p: p.name)
def test_real_export_second_build_is_byte_identical(
    export: Path, built: dict[str, Path], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    build(_options(export, again, "https://example.org/ev/"))
    assert site_files(again) == site_files(built[export.name])


@pytest.mark.parametrize("archive", real_export_zips(), ids=lambda p: p.name)
def test_real_export_zip_builds_like_its_folder(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(_options(archive, out))
    folder = archive.with_suffix("")
    expected = {str(s["id"]) for s in _public_sessions(folder)}
    built_ids = {p.stem for p in (out / "sessions").glob("*.html")}
    # two zips differ from their folders in the manifest; the session set must still match
    if folder.name not in ("MozillaAllHands16",):
        assert built_ids == expected


def test_day_grouping_uses_day_start_hour(built: dict[str, Path]) -> None:
    """A session starting after midnight but before 04:00 belongs to the previous day."""
    for export in EXPORTS:
        zone = _event_zone(export)
        for session in _public_sessions(export):
            start = _local_start(session, zone)
            if start is None:
                continue
            day = (start - timedelta(hours=4)).date()
            page = built[export.name] / "sessions" / f"{session['id']}.html"
            assert f"schedule/{day.isoformat()}.html" in page.read_text(encoding="utf-8")
