"""Schedule logic on broken and awkward times: each case's page, day grid and calendar entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import lxml.html
import pytest
from hostile_corpus import export_files, session, write_folder

from eventsite.build import BuildOptions, build

HALL = {"id": 1, "name": "Hall"}
CASES = [
    session(1, "2026-03-28T12:00:00+01:00", "2026-03-28T11:00:00+01:00", title="End before start"),
    session(2, "2026-03-28T13:00:00+01:00", "2026-03-28T13:00:00+01:00", title="Zero length"),
    session(3, "2026-03-28T14:00:00+01:00", "2026-03-30T12:00:00+02:00", title="Multi day"),
    session(4, "2027-01-01T10:00:00+01:00", "2027-01-01T11:00:00+01:00", title="Next year"),
    session(5, "2026-03-28T10:00:00+01:00", "2026-03-28T11:00:00+01:00", title="Overlap A", microlocation=HALL),
    session(6, "2026-03-28T10:30:00+01:00", "2026-03-28T11:30:00+01:00", title="Overlap B", microlocation=HALL),
    session(7, "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", title="Across spring forward"),
    session(8, "2026-10-25T02:30:00+02:00", "2026-10-25T02:15:00+01:00", title="Across fall back"),
    session(9, "2026-03-29T10:00:00", "2026-03-29T11:00:00", title="Naive after the switch"),
]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("schedule")
    source = write_folder(root / "export", export_files(sessions=CASES))
    report = build(BuildOptions(source=str(source), output=root / "site"))
    return root / "site", [str(issue) for issue in report.issues]


def _when(site: Path, sid: int) -> str:
    tree = lxml.html.fromstring((site / "sessions" / f"{sid}.html").read_bytes())
    return " ".join(tree.xpath("string(//dl[@class='facts']/dd[1])").split())


def _calendar_event(site: Path, sid: int) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical((site / "sessions" / f"{sid}.ics").read_bytes())
    (event,) = calendar.walk("VEVENT")
    return event


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_end_before_start_is_reported_and_shown_without_an_end(
    site: tuple[Path, list[str]],
) -> None:
    pages, issues = site
    assert (
        "session 1: ends (2026-03-28T11:00:00+01:00) before it starts "
        "(2026-03-28T12:00:00+01:00); shown without an end time [bad-time]"
    ) in issues
    assert _when(pages, 1) == "Saturday, 28 March 2026, 12:00"
    event = _calendar_event(pages, 1)
    assert event.decoded("DTSTART") == _utc("2026-03-28T12:00:00+01:00")
    assert "DTEND" not in event


def test_zero_length_session_shows_its_start_only(site: tuple[Path, list[str]]) -> None:
    pages, issues = site
    assert not [i for i in issues if i.startswith("session 2:")]
    assert _when(pages, 2) == "Saturday, 28 March 2026, 13:00"
    assert "DTEND" not in _calendar_event(pages, 2)


def test_multi_day_session_sits_on_its_first_day_within_the_grid(
    site: tuple[Path, list[str]],
) -> None:
    pages, _ = site
    assert _when(pages, 3) == "Saturday, 28 March 2026, 14:00–12:00 (45 h)"
    event = _calendar_event(pages, 3)
    assert event.decoded("DTEND") == _utc("2026-03-30T12:00:00+02:00")
    day = lxml.html.fromstring((pages / "schedule" / "2026-03-28.html").read_bytes())
    rows = int(re.search(r"--rows:(\d+)", day.xpath("string(//div[@class='grid']/@style)"))[1])
    (item,) = day.xpath("//*[@class='grid-session'][@data-session='3']")
    row, span = map(int, re.search(r"grid-row:(\d+) / span (\d+)", item.get("style")).groups())
    assert row + span <= rows + 2  # capped at the end of the conference day, not 46 h of rows
    later = [p.name for p in (pages / "schedule").glob("2026-03-3*.html")]
    assert later == []  # no day page for the days it merely runs into


def test_session_outside_the_event_dates_gets_its_own_day(site: tuple[Path, list[str]]) -> None:
    pages, _ = site
    assert _when(pages, 4) == "Friday, 1 January 2027, 10:00–11:00 (1 h)"
    day = (pages / "schedule" / "2027-01-01.html").read_text(encoding="utf-8")
    assert 'data-session="4"' in day
    schedule = (pages / "schedule" / "index.html").read_text(encoding="utf-8")
    assert "2027-01-01.html" in schedule


def test_overlapping_sessions_in_one_room_get_side_by_side_lanes(
    site: tuple[Path, list[str]],
) -> None:
    pages, _ = site
    day = lxml.html.fromstring((pages / "schedule" / "2026-03-28.html").read_bytes())
    (hall,) = [h for h in day.xpath("//div[@class='grid-room']") if h.text_content() == "Hall"]
    assert "/ span 2;" in hall.get("style")
    columns = {
        sid: int(re.search(r"grid-column:(\d+)", day.xpath(f"//*[@class='grid-session'][@data-session='{sid}']")[0].get("style"))[1])
        for sid in ("5", "6")
    }  # fmt: skip
    assert abs(columns["5"] - columns["6"]) == 1


def test_durations_across_dst_switches_are_elapsed_time(site: tuple[Path, list[str]]) -> None:
    pages, issues = site
    # 01:30 CET to 03:30 CEST is one hour of real time
    assert _when(pages, 7) == "Sunday, 29 March 2026, 01:30–03:30 (1 h)"
    spring = _calendar_event(pages, 7)
    assert spring.decoded("DTSTART") == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert spring.decoded("DTEND") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 CEST to 02:15 CET (the hour repeats) is 45 minutes, not an end before the start
    assert not [i for i in issues if i.startswith("session 8:")]
    assert _when(pages, 8) == "Sunday, 25 October 2026, 02:30–02:15 (45 min)"
    autumn = _calendar_event(pages, 8)
    assert autumn.decoded("DTEND") - autumn.decoded("DTSTART") == _utc(
        "2026-10-25T02:15:00+01:00"
    ) - _utc("2026-10-25T02:30:00+02:00")


def test_naive_times_on_the_switch_day_use_the_new_offset(site: tuple[Path, list[str]]) -> None:
    pages, _ = site
    assert _when(pages, 9) == "Sunday, 29 March 2026, 10:00–11:00 (1 h)"
    assert _calendar_event(pages, 9).decoded("DTSTART") == datetime(2026, 3, 29, 8, tzinfo=UTC)


def test_two_hundred_rooms_build_one_grid(tmp_path: Path) -> None:
    rooms = [{"id": n, "name": f"Room {n:03d}", "position": n} for n in range(1, 201)]
    sessions = [
        session(n, "2026-03-28T10:00:00+01:00", "2026-03-28T11:00:00+01:00",
                microlocation={"id": n, "name": f"Room {n:03d}"})
        for n in range(1, 201)
    ]  # fmt: skip
    source = write_folder(
        tmp_path / "export", export_files(sessions=sessions, microlocations=rooms)
    )
    report = build(BuildOptions(source=str(source), output=tmp_path / "site"))
    assert report.sessions == 200
    assert len(list((tmp_path / "site" / "rooms").glob("*.html"))) == 201  # 200 + index
    day = lxml.html.fromstring((tmp_path / "site" / "schedule" / "2026-03-28.html").read_bytes())
    assert "--cols:200;" in day.xpath("string(//div[@class='grid']/@style)")
    headers = [h.text_content() for h in day.xpath("//div[@class='grid-room']")]
    assert headers == [f"Room {n:03d}" for n in range(1, 201)]
