"""The schedule attendees use, driven in headless Chromium from file:// on the built sample site:
filters and deep links, search, stars across pages, the starred view and its share link, the
starred .ics, the time-zone switch, now/next, dark mode, print and the site without JavaScript.

Expected results come from the sample export through eventsite's own model (not from the pages
under test), so a page that shows the wrong sessions fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from conftest import SAMPLE

from eventsite.build import load_graph
from eventsite.issues import IssueLog
from eventsite.model.entities import Session
from eventsite.model.graph import EventGraph
from eventsite.render.search import normalise, session_words
from eventsite.urls import room_key, track_key, type_key

pytestmark = pytest.mark.browser

VISIBLE_ITEMS = ".session-item[data-session]:visible"
VISITOR_ZONE = "America/New_York"


@pytest.fixture(scope="module")
def graph() -> EventGraph:
    return load_graph(str(SAMPLE), IssueLog())[1]


@pytest.fixture
def context(browser) -> Iterator:
    """A fresh browser profile (empty localStorage) in a time zone unlike the event's."""
    ctx = browser.new_context(timezone_id=VISITOR_ZONE, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> Iterator:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    assert errors == []


def open_page(page, site: Path, rel: str, fragment: str = "") -> None:
    page.goto((site / rel).as_uri() + fragment)
    page.wait_for_load_state("load")


def visible_ids(page) -> list[str]:
    return page.locator(VISIBLE_ITEMS).evaluate_all("els => els.map(e => e.dataset.session)")


def scheduled(graph: EventGraph) -> list[Session]:
    return [s for s in graph.sessions if s.start is not None]


def stars_in_storage(page) -> list[str]:
    raw = page.evaluate(
        "localStorage.getItem('eventsite-stars:' + document.documentElement.dataset.event)"
    )
    return json.loads(raw) if raw else []


def star_button(page, session_id: str, scope: str = ".session-item"):
    return page.locator(f'{scope}[data-session="{session_id}"] button.star')


# ------------------------------------------------------------------ find


def test_filters_narrow_the_schedule_and_the_fragment_deep_links(
    page, sample_site: Path, graph: EventGraph
) -> None:
    open_page(page, sample_site, "schedule/index.html")
    assert sorted(visible_ids(page)) == sorted(s.id for s in graph.sessions)
    track = max(graph.tracks, key=lambda t: len(t.sessions))
    page.select_option("select[name=track]", track_key(track))
    assert sorted(visible_ids(page)) == sorted(s.id for s in track.sessions)
    assert urlsplit(page.url).fragment == f"track={track_key(track)}"
    status = page.locator("[data-status]").inner_text()
    assert f"{len(track.sessions)} of {len(graph.sessions)}" in status

    session = track.sessions[0]
    assert session.room and session.session_type and session.start
    page.select_option("select[name=room]", room_key(session.room))
    page.select_option("select[name=type]", type_key(session.session_type))
    page.select_option("select[name=day]", session.start.date().isoformat())
    expected = [
        s.id
        for s in track.sessions
        if s.room is session.room
        and s.session_type is session.session_type
        and s.start
        and s.start.date() == session.start.date()
    ]
    assert sorted(visible_ids(page)) == sorted(expected)
    shown_days = page.locator("section.day-block:not([hidden])")
    assert shown_days.evaluate_all("els => els.map(e => e.dataset.day)") == [
        session.start.date().isoformat()
    ]

    deep_link = page.url  # reopening the link restores the same view
    other = page.context.new_page()
    other.goto(deep_link)
    assert other.locator("select[name=room]").input_value() == room_key(session.room)
    assert sorted(visible_ids(other)) == sorted(expected)
    other.close()

    page.click("[data-reset]")
    page.wait_for_function("!location.hash")
    assert len(visible_ids(page)) == len(graph.sessions)


def test_type_links_from_session_pages_open_the_filtered_schedule(
    page, sample_site: Path, graph: EventGraph
) -> None:
    session = next(s for s in scheduled(graph) if s.session_type)
    open_page(page, sample_site, f"sessions/{session.id}.html")
    page.click(f"dd a:text-is('{session.session_type.name}')")
    page.wait_for_load_state("load")
    assert page.locator("select[name=type]").input_value() == type_key(session.session_type)
    assert sorted(visible_ids(page)) == sorted(s.id for s in session.session_type.sessions)


def _shown(session: Session) -> str:
    """What a session's list item shows: title, speakers, room and track."""
    parts = [session.title, *(speaker.name for speaker in session.speakers)]
    parts += [
        session.room.name if session.room else "",
        session.track.name if session.track else "",
    ]
    return normalise(" ".join(parts))


def wait_for_visible_count(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.session-item[data-session]:not([hidden])').length === n",
        arg=count,
    )


def test_search_matches_titles_speakers_and_abstract_words(
    page, sample_site: Path, graph: EventGraph
) -> None:
    open_page(page, sample_site, "schedule/index.html")
    speaker = max(graph.speakers, key=lambda sp: len(sp.sessions))
    expected = sorted(s.id for s in graph.sessions if normalise(speaker.name) in _shown(s))
    page.fill("input[name=q]", speaker.name)
    wait_for_visible_count(page, len(expected))
    assert sorted(visible_ids(page)) == expected
    assert {s.id for s in speaker.sessions} <= set(expected)

    # a word that only abstracts hold is found through the lazily loaded index
    shown_everywhere = " ".join(_shown(s) for s in graph.sessions)
    word = next(
        w
        for s in graph.sessions
        for w in session_words(s).split()
        if len(w) >= 7 and w not in shown_everywhere
    )
    expected = sorted(s.id for s in graph.sessions if word in _shown(s) + " " + session_words(s))
    page.fill("input[name=q]", word.upper())  # case does not matter
    page.wait_for_function("!!window.eventsiteSearch")
    wait_for_visible_count(page, len(expected))
    assert sorted(visible_ids(page)) == expected
    assert urlsplit(page.url).fragment == f"q={word.upper()}"


def test_schedule_page_stays_light_without_abstracts(sample_site: Path, graph: EventGraph) -> None:
    from eventsite.render.filters import plain

    schedule = (sample_site / "schedule" / "index.html").read_text(encoding="utf-8")
    index = (sample_site / "search-index.js").read_text(encoding="utf-8")
    abstracts = [plain(s.abstract) for s in graph.sessions if plain(s.abstract)]
    assert len(abstracts) > 10
    assert not [a for a in abstracts if a[:40] in schedule]
    assert "search-index.js" in schedule and "<script src=" + '"../search-index.js"' not in schedule
    for session in graph.sessions:
        assert json.dumps(session.id) in index  # every session is searchable


# ----------------------------------------------------------------- stars


def test_star_and_unstar_across_the_schedule_and_a_session_page(
    page, sample_site: Path, graph: EventGraph
) -> None:
    first, second = scheduled(graph)[:2]
    open_page(page, sample_site, "schedule/index.html")
    star_button(page, first.id).click()
    star_button(page, second.id).press("Space")  # keyboard works too
    assert stars_in_storage(page) == [first.id, second.id]
    assert page.locator("[data-star-count]").inner_text() == "2"

    open_page(page, sample_site, f"sessions/{first.id}.html")
    big = page.locator("article.session button.star")
    assert big.get_attribute("aria-pressed") == "true"
    big.click()
    assert big.get_attribute("aria-pressed") == "false"
    assert stars_in_storage(page) == [second.id]

    open_page(page, sample_site, f"schedule/{first.start.date().isoformat()}.html")
    assert star_button(page, first.id, ".grid-session").get_attribute("aria-pressed") == "false"
    assert star_button(page, second.id, ".grid-session").get_attribute("aria-pressed") == "true"
    open_page(page, sample_site, "schedule/index.html")
    assert star_button(page, first.id).get_attribute("aria-pressed") == "false"
    assert page.locator(".session-item.is-starred").evaluate_all(
        "els => els.map(e => e.dataset.session)"
    ) == [second.id]


def test_starred_view_and_share_link_round_trip(
    browser, page, sample_site: Path, graph: EventGraph
) -> None:
    chosen = [scheduled(graph)[3], scheduled(graph)[-1]]
    open_page(page, sample_site, "schedule/index.html")
    for session in chosen:
        star_button(page, session.id).click()
    page.click("a.my-schedule")  # "My schedule" in the header opens the starred view
    page.wait_for_function("document.querySelector('input[name=starred]').checked")
    assert sorted(visible_ids(page)) == sorted(s.id for s in chosen)
    link = page.locator("[data-share-link]").input_value()
    assert "#stars=" in link

    friend = browser.new_context()  # another device: nothing starred yet
    other = friend.new_page()
    other.goto(link)
    assert other.locator("[data-shared]").is_visible()
    assert sorted(visible_ids(other)) == sorted(s.id for s in chosen)
    assert stars_in_storage(other) == []
    other.click("[data-shared-import]")
    assert sorted(stars_in_storage(other)) == sorted(s.id for s in chosen)
    assert other.locator("input[name=starred]").is_checked()
    assert sorted(visible_ids(other)) == sorted(s.id for s in chosen)
    assert other.locator("[data-shared]").is_hidden()
    friend.close()


def test_starred_sessions_download_as_ics_with_the_site_calendar_uids(
    page, sample_site: Path, graph: EventGraph
) -> None:
    chosen = scheduled(graph)[5:8]
    open_page(page, sample_site, "schedule/index.html")
    for session in chosen:
        star_button(page, session.id).click()
    page.click(".star-tools summary")
    with page.expect_download() as info:
        page.click("[data-download-ics]")
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    mine = icalendar.Calendar.from_ical(Path(download.path()).read_bytes())
    site = icalendar.Calendar.from_ical((sample_site / "schedule.ics").read_bytes())
    site_events = {str(e["UID"]): e for e in site.walk("VEVENT")}
    events = mine.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [s.title for s in chosen]
    for event, session in zip(events, chosen, strict=True):
        same = site_events[str(event["UID"])]  # re-importing updates, never duplicates
        assert event.decoded("DTSTART") == same.decoded("DTSTART") == session.start
        assert event.decoded("DTEND") == session.end
        assert str(event["LOCATION"]) == session.room.name


# ------------------------------------------------------------------ time


def _local_text(moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(VISITOR_ZONE))
    text = local.strftime("%H:%M")
    return text if local.date() == moment.date() else f"{text} {local.strftime('%a')}"


def test_time_zone_switch_shows_visitor_times_and_is_remembered(
    page, sample_site: Path, graph: EventGraph
) -> None:
    session = scheduled(graph)[0]
    open_page(page, sample_site, "schedule/index.html")
    first_time = page.locator(f'.session-item[data-session="{session.id}"] time').first
    assert first_time.inner_text() == session.start.strftime("%H:%M")
    page.select_option("[data-time-mode]", "local")
    assert first_time.inner_text() == _local_text(session.start)
    assert first_time.inner_text() != session.start.strftime("%H:%M")
    assert VISITOR_ZONE in page.locator(".tz-note").inner_text()

    open_page(page, sample_site, f"sessions/{session.id}.html")  # remembered on other pages
    assert page.locator("[data-time-mode]").input_value() == "local"
    assert page.locator(".facts time").first.inner_text() == _local_text(session.start)
    page.select_option("[data-time-mode]", "event")
    assert page.locator(".facts time").first.inner_text() == session.start.strftime("%H:%M")


def test_now_and_next_highlight_and_jump_during_the_event(
    page, sample_site: Path, graph: EventGraph
) -> None:
    sessions = scheduled(graph)
    moment = sessions[len(sessions) // 2].start + timedelta(minutes=5)
    running = sorted(s.id for s in sessions if s.start <= moment < (s.end or s.start))
    upcoming = min(s.start for s in sessions if s.start > moment)
    following = sorted(s.id for s in sessions if s.start == upcoming)
    assert running
    page.clock.set_fixed_time(moment)
    open_page(page, sample_site, f"schedule/{moment.date().isoformat()}.html")
    in_view = (
        "e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }"
    )
    assert page.locator(".grid-session.is-now, .grid-session.is-next").first.evaluate(in_view)
    now_ids = page.locator(".session-item.is-now").evaluate_all(
        "els => els.map(e => e.dataset.session)"
    )
    assert sorted(now_ids) == running
    next_ids = page.locator(".session-item.is-next").evaluate_all(
        "els => els.map(e => e.dataset.session)"
    )
    assert sorted(next_ids) == following
    assert page.locator(".grid-session.is-now .badge").first.text_content() == "Now"
    page.evaluate("window.scrollTo(0, 0)")
    page.click("[data-jump-now]")
    focused = page.evaluate("document.activeElement.closest('[data-session]').dataset.session")
    assert focused in running
    assert page.evaluate("document.activeElement.getBoundingClientRect().top > 0")


def test_now_view_stays_out_of_the_way_after_the_event(page, sample_site: Path) -> None:
    page.clock.set_fixed_time(datetime(2031, 1, 1, tzinfo=ZoneInfo("UTC")))
    open_page(page, sample_site, "schedule/index.html")
    assert page.locator(".is-now, .is-next").count() == 0
    assert page.locator("[data-jump-now]").is_hidden()


# ------------------------------------------------------------------ look


def _background(page) -> tuple[int, ...]:
    value = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    return tuple(int(v) for v in value[value.index("(") + 1 : -1].split(",")[:3])


def test_dark_scheme_follows_the_system_and_the_toggle_is_remembered(
    browser, sample_site: Path
) -> None:
    ctx = browser.new_context(color_scheme="dark")
    page = ctx.new_page()
    open_page(page, sample_site, "index.html")
    assert sum(_background(page)) < 150
    toggle = page.locator("[data-scheme-toggle]")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert sum(_background(page)) > 600
    assert toggle.get_attribute("aria-pressed") == "false"
    open_page(page, sample_site, "speakers/index.html")  # remembered, no dark flash
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert sum(_background(page)) > 600
    ctx.close()

    light = browser.new_context(color_scheme="light")
    page = light.new_page()
    open_page(page, sample_site, "index.html")
    assert sum(_background(page)) > 600
    page.click("[data-scheme-toggle]")
    assert sum(_background(page)) < 150
    light.close()


def test_print_shows_a_days_list_in_black_on_white(
    browser, sample_site: Path, graph: EventGraph
) -> None:
    ctx = browser.new_context(color_scheme="dark")
    page = ctx.new_page()
    day = scheduled(graph)[0].start.date().isoformat()
    open_page(page, sample_site, f"schedule/{day}.html")
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".grid-wrap", ".finder", "button.star"):
        assert page.locator(hidden).first.is_hidden(), hidden
    items = page.locator(VISIBLE_ITEMS)
    assert items.count() == sum(1 for s in scheduled(graph) if s.start.date().isoformat() == day)
    assert _background(page) == (255, 255, 255)
    color = page.locator(".session-item .title").first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(0, 0, 0)"
    assert page.pdf()[:4] == b"%PDF"
    ctx.close()


def test_without_javascript_the_whole_schedule_reads_and_no_dead_controls_show(
    browser, sample_site: Path, graph: EventGraph
) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    open_page(page, sample_site, "schedule/index.html")
    assert len(visible_ids(page)) == len(graph.sessions)
    assert page.locator("[data-finder]").is_hidden()
    assert page.locator("[data-prefs]").is_hidden()
    assert page.locator("button:visible, select:visible, input:visible").count() == 0
    ctx.close()
