"""Calendar (.ics), frab schedule.xml / c3voc schedule.json and sitemap.xml files.

Views are built in-process from the sample and from real exports; expectations (counts, start
instants, private values) are read from the raw JSON where that is simple enough.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import jsonschema
import pytest
from conftest import REAL_EXPORTS, SAMPLE, SCHEMAS, require_shared
from lxml import etree

from eventsite import urls
from eventsite.build import load_graph
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.model.entities import Session
from eventsite.render import frab, ical, sitemap
from eventsite.render.view import SiteView, build_view

BASE = "https://example.org/ev/"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
WITH_SESSIONS = ("FOSSASIASummit2016", "NextcloudConference2018")
WITHOUT_SESSIONS = ("GoogleIO_17__450e923", "EhealthAfrica")  # all drafts / no sessions at all
PUBLIC_STATES = ("accepted", "confirmed")


def _source(name: str) -> Path:
    if name == SAMPLE.name:
        return SAMPLE
    require_shared()
    return REAL_EXPORTS / name


def _view(name: str, base_url: str | None = BASE) -> SiteView:
    """A fresh view of an export: nothing is shared between two calls."""
    issues = IssueLog()
    raw, graph = load_graph(str(_source(name)), issues)
    return build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl.parse(base_url))


def _raw(name: str, document: str) -> Any:
    path = _source(name) / document
    return json.loads(path.read_text(encoding="utf-8"), strict=False) if path.is_file() else []


def _raw_start(record: dict[str, Any]) -> str | None:
    for key in ("starts-at", "start-time", "start_time", "starts_at"):
        if record.get(key):
            return str(record[key])
    return None


def _raw_scheduled_ids(name: str) -> set[str]:
    """Ids of public, titled sessions with a start time, straight from the export."""
    return {
        str(s["id"])
        for s in _raw(name, "sessions")
        if s.get("state") in PUBLIC_STATES and (s.get("title") or "").strip() and _raw_start(s)
    }


def _private_values(name: str) -> set[str]:
    values = set()
    for speaker in _raw(name, "speakers"):
        for key in ("email", "mobile", "phone"):
            value = speaker.get(key)
            if isinstance(value, str) and len(value.strip()) > 5:
                values.add(value.strip())
    return values


def _scheduled(view: SiteView) -> list[Session]:
    return [session for day in view.days for session in day.sessions]


def _expected_vevent(view: SiteView, session: Session) -> dict[str, object]:
    """Plain values only: a failing assert must not repr the cyclic entity graph."""
    assert session.start is not None
    expected: dict[str, object] = {
        "DTSTART": session.start,
        "SUMMARY": session.title,
        "URL": BASE + urls.session_path(session),
    }
    if session.end and session.end > session.start:
        expected["DTEND"] = session.end
    return expected


def _expected_frab_times(session: Session) -> tuple[object, ...]:
    """(instant, local UTC offset, local HH:MM, minutes) as frab must write them."""
    assert session.start is not None
    start = session.start
    return (start, start.utcoffset(), start.strftime("%H:%M"), session.duration_minutes)


def _actual_vevent(event: icalendar.Event, keys: Iterable[str]) -> dict[str, object]:
    return {
        key: event.decoded(key) if key.startswith("DT") else str(event[key])
        for key in keys
        if key in event
    }


@pytest.fixture(scope="module")
def xml_schema() -> etree.XMLSchema:
    require_shared()
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator() -> jsonschema.protocols.Validator:
    require_shared()
    schema = json.loads((SCHEMAS / "schedule.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    return validator(schema, format_checker=jsonschema.FormatChecker())


# --- iCalendar ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [SAMPLE.name, *WITH_SESSIONS, *WITHOUT_SESSIONS])
def test_calendar_has_one_event_per_scheduled_public_session(name: str) -> None:
    view = _view(name)
    calendar = icalendar.Calendar.from_ical(ical.calendar_files(view)[urls.ICAL])
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    expected = _raw_scheduled_ids(name)
    assert len(uids) == len(expected)
    assert {uid.split("-")[0] for uid in uids} == expected
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("name", [SAMPLE.name, *WITH_SESSIONS])
def test_calendar_events_start_and_end_at_the_session_instants(name: str) -> None:
    view = _view(name)
    expected = {ical.session_uid(view, s): _expected_vevent(view, s) for s in _scheduled(view)}
    calendar = icalendar.Calendar.from_ical(ical.calendar_files(view)[urls.ICAL])
    events = calendar.walk("VEVENT")
    assert len(events) == len(expected)
    for event in events:
        wanted = expected[str(event["UID"])]
        offset = event.decoded("DTSTART").utcoffset()
        assert offset is not None and offset.total_seconds() == 0  # a UTC instant, not floating
        assert _actual_vevent(event, [*wanted, "DTEND"]) == wanted


def test_calendar_start_matches_raw_export_time() -> None:
    """Independent of eventsite's parsing: the raw start with its offset is the same instant."""
    name = "FOSSASIASummit2016"
    raw = {str(s["id"]): _raw_start(s) for s in _raw(name, "sessions")}
    calendar = icalendar.Calendar.from_ical(ical.calendar_files(_view(name))[urls.ICAL])
    for event in calendar.walk("VEVENT"):
        raw_start = datetime.fromisoformat(raw[str(event["UID"]).split("-")[0]])
        assert raw_start.tzinfo is not None
        assert event.decoded("DTSTART") == raw_start


def test_calendars_are_byte_identical_and_uids_stable_across_builds() -> None:
    first, second = _view("NextcloudConference2018"), _view("NextcloudConference2018")
    files = ical.calendar_files(first)
    assert files == ical.calendar_files(second)
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(files[urls.ICAL]).walk("VEVENT")]
    assert uids
    suffix = f"-{first.event_key}@eventsite"
    assert [uid for uid in uids if not uid.endswith(suffix)] == []


def test_calendar_files_cover_sessions_tracks_and_rooms() -> None:
    view = _view(SAMPLE.name)
    files = ical.calendar_files(view)
    for session in _scheduled(view):
        uid = ical.session_uid(view, session)
        calendar = icalendar.Calendar.from_ical(files[urls.session_ical_path(session)])
        assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [uid]
    for track in view.graph.tracks:
        name, timed = track.name, len([s for s in track.sessions if s.start])
        events = icalendar.Calendar.from_ical(files[urls.track_ical_path(track)]).walk("VEVENT")
        assert [str(e["CATEGORIES"].cats[0]) for e in events] == [name] * timed
    for room in view.graph.rooms:
        name, timed = room.name, len([s for s in room.sessions if s.start])
        events = icalendar.Calendar.from_ical(files[urls.room_ical_path(room)]).walk("VEVENT")
        assert [str(e["LOCATION"]) for e in events] == [name] * timed
    unscheduled = [urls.session_ical_path(s) for s in view.graph.sessions if s.start is None]
    assert len(unscheduled) == 1  # the sample has one: it must get no calendar
    assert set(unscheduled) & set(files) == set()


@pytest.mark.parametrize("name", [SAMPLE.name, *WITH_SESSIONS])
def test_calendar_lines_are_crlf_folded_at_75_octets_on_character_boundaries(name: str) -> None:
    for data in ical.calendar_files(_view(name)).values():
        assert data.endswith(b"\r\n")
        lines = data.split(b"\r\n")[:-1]
        assert all(b"\n" not in line and b"\r" not in line for line in lines)
        for line in lines:
            assert len(line) <= 75, line
            line.decode("utf-8")  # a fold never splits a multi-byte character
        assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"
        for prop in (b"VERSION:2.0", b"CALSCALE:GREGORIAN", b"METHOD:PUBLISH"):
            assert prop in lines
        assert any(line.startswith(b"PRODID:") for line in lines)
        assert any(line.startswith(b"X-WR-CALNAME:") for line in lines)


def test_calendar_text_round_trips_special_and_multibyte_characters() -> None:
    view = _view(SAMPLE.name)
    session = _scheduled(view)[0]
    title = session.title = "Čaj, kava; in \\ drugo\nnova vrstica " + "žš€😀" * 30
    assert session.room is not None
    room = session.room.name = "Dvorana; A, B"
    event_block = ical.vevent(view, session, ical.calendar_stamp(view))
    data = ical.calendar(view, "Koledar, 2026", [event_block])
    calendar = icalendar.Calendar.from_ical(data)
    assert b"\r\nX-WR-CALNAME:Koledar\\, 2026\r\n" in data  # non-standard props are TEXT
    event = calendar.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == room


def test_calendar_has_absolute_urls_only_with_a_base_url() -> None:
    files = ical.calendar_files(_view(SAMPLE.name, base_url=None))
    assert all(b"\r\nURL:" not in data for data in files.values())
    assert b"URL:" in ical.calendar_files(_view(SAMPLE.name))[urls.ICAL]


def test_escape_and_fold_units() -> None:
    assert ical.escape_text("a,b;c\\d\r\ne\x07") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "€" * 60
    folded = ical.fold(line)
    chunks = folded.split("\r\n")
    assert all(len(chunk.encode("utf-8")) <= 75 for chunk in chunks)
    assert all(chunk.startswith(" ") for chunk in chunks[1:])
    assert "".join(chunk.removeprefix(" ") for chunk in chunks[1:]) == line[len(chunks[0]) :]
    assert ical.fold("SUMMARY:short") == "SUMMARY:short"
    ascii_line = "DESCRIPTION:" + "x" * 200
    ascii_chunks = ical.fold(ascii_line).split("\r\n")
    assert [len(c) for c in ascii_chunks] == [75, 75, 64]
    assert ascii_chunks[0] + "".join(c[1:] for c in ascii_chunks[1:]) == ascii_line


# --- frab schedule.xml and c3voc schedule.json ----------------------------------------------------

FRAB_EXPORTS = [SAMPLE.name, *WITH_SESSIONS, *WITHOUT_SESSIONS]


@pytest.mark.parametrize("base_url", [BASE, None], ids=["base-url", "no-base-url"])
@pytest.mark.parametrize("name", FRAB_EXPORTS)
def test_frab_xml_validates_against_the_xsd(
    name: str, base_url: str | None, xml_schema: etree.XMLSchema
) -> None:
    view = _view(name, base_url)
    document = etree.fromstring(frab.frab_xml(view))
    assert xml_schema.validate(document), xml_schema.error_log.last_error
    events = document.findall("day/room/event")
    assert {e.get("id") for e in events} == _raw_scheduled_ids(name)
    assert len(document.findall("day")) >= 1
    for event in events:
        assert (event.find("url") is not None) == bool(base_url)


@pytest.mark.parametrize("name", WITHOUT_SESSIONS)
def test_frab_xml_of_an_event_without_sessions_lists_its_days(
    name: str, xml_schema: etree.XMLSchema
) -> None:
    view = _view(name)
    assert len(_scheduled(view)) == 0
    document = etree.fromstring(frab.frab_xml(view))
    assert xml_schema.validate(document), xml_schema.error_log.last_error
    event = _raw(name, "event")
    first = (_raw_start(event) or "")[:10]
    last = str(event.get("ends-at") or event.get("end_time") or "")[:10]
    dates = [day.get("date") for day in document.findall("day")]
    assert dates and dates[0] == first and dates[-1] == last
    assert len(dates) == (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    assert document.findall("day/room") == []


@pytest.mark.parametrize("base_url", [BASE, None], ids=["base-url", "no-base-url"])
@pytest.mark.parametrize("name", FRAB_EXPORTS)
def test_frab_json_validates_against_the_c3voc_schema(
    name: str, base_url: str | None, json_validator: jsonschema.protocols.Validator
) -> None:
    document = json.loads(frab.frab_json(_view(name, base_url)))
    json_validator.validate(document)
    conference = document["schedule"]["conference"]
    assert conference["days"] and conference["daysCount"] == len(conference["days"])
    events = [e for day in conference["days"] for room in day["rooms"].values() for e in room]
    assert {str(e["id"]) for e in events} == _raw_scheduled_ids(name)
    for event in events:
        assert event["url"].startswith(BASE) == bool(base_url)
        for person in event["persons"]:
            assert set(person) == {"id", "public_name"}


@pytest.mark.parametrize("name", [SAMPLE.name, *WITH_SESSIONS])
def test_frab_times_are_local_with_offset_and_match_the_sessions(name: str) -> None:
    view = _view(name)
    expected = {
        frab.session_guid(view.event_key, s.id): _expected_frab_times(s) for s in _scheduled(view)
    }
    document = json.loads(frab.frab_json(view))
    xml_events = {e.get("guid"): e for e in etree.fromstring(frab.frab_xml(view)).iter("event")}
    for day in document["schedule"]["conference"]["days"]:
        for room, events in day["rooms"].items():
            for event in events:
                moment = datetime.fromisoformat(event["date"])
                hours, minutes = map(int, event["duration"].split(":"))
                actual = (moment, moment.utcoffset(), event["start"], hours * 60 + minutes)
                assert actual == expected[event["guid"]]
                assert event["room"] == room
                xml_event = xml_events[event["guid"]]
                assert xml_event.findtext("date") == event["date"]
                assert xml_event.findtext("slug") == event["slug"]
                assert xml_event.findtext("duration") == event["duration"]


def test_frab_output_is_deterministic_and_guids_stable() -> None:
    first, second = _view("FOSSASIASummit2016"), _view("FOSSASIASummit2016")
    assert frab.frab_xml(first) == frab.frab_xml(second)
    assert frab.frab_json(first) == frab.frab_json(second)
    guids = [e.get("guid") for e in etree.fromstring(frab.frab_xml(first)).iter("event")]
    scheduled = len(_scheduled(first))
    assert len(set(guids)) == len(guids) == scheduled


@pytest.mark.parametrize("name", [SAMPLE.name, "FOSSASIASummit2016"])
def test_frab_files_leak_no_speaker_contact_data(name: str) -> None:
    private = _private_values(name)
    assert private
    view = _view(name)
    for data in (frab.frab_xml(view), frab.frab_json(view)):
        text = data.decode("utf-8")
        assert not [value for value in private if value in text]


def test_frab_numeric_ids_keep_numbers_and_map_other_ids_stably() -> None:
    ids = frab.numeric_ids(["12", "abc", "007", "x y"])
    assert ids["12"] == 12
    assert len(set(ids.values())) == 4 and all(n > 0 for n in ids.values())
    assert frab.numeric_ids(["x y", "abc", "12", "007"]) == ids


# --- sitemap ------------------------------------------------------------------------------------


def test_sitemap_with_base_url_has_absolute_locs() -> None:
    paths = [urls.INDEX, urls.SCHEDULE, "sessions/1.html", "a&b.html", urls.INDEX]
    root = etree.fromstring(sitemap.sitemap(paths, urls.BaseUrl.parse(BASE)))
    assert root.tag == f"{SITEMAP_NS}urlset"
    locs = [loc.text for loc in root.iter(f"{SITEMAP_NS}loc")]
    assert locs == [BASE, BASE + "schedule/", BASE + "sessions/1.html", BASE + "a&b.html"]


def test_sitemap_without_base_url_is_a_valid_empty_urlset() -> None:
    root = etree.fromstring(sitemap.sitemap([urls.INDEX, urls.SCHEDULE], urls.BaseUrl()))
    assert root.tag == f"{SITEMAP_NS}urlset"
    assert not list(root.iter(f"{SITEMAP_NS}url"))
    assert "base URL" in root.xpath("string(comment())")


def test_sitemap_is_deterministic_utf8_xml() -> None:
    paths = ["b.html", "a.html"]
    data = sitemap.sitemap(paths, urls.BaseUrl.parse(BASE))
    assert data == sitemap.sitemap(paths, urls.BaseUrl.parse(BASE))
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_utc_instant_is_the_same_moment() -> None:
    moment = datetime.fromisoformat("2026-06-11T09:00:00+02:00")
    assert ical.utc_instant(moment) == "20260611T070000Z"
    assert datetime.strptime("20260611T070000Z", "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == moment
