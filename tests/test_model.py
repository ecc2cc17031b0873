"""Normalising and resolving: key styles, ids, time zones, links, days, rich text."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from eventsite.issues import IssueLog
from eventsite.model.graph import resolve
from eventsite.model.normalise import normalise
from eventsite.model.schedule import conference_date, group_days
from eventsite.model.text import rich_text
from eventsite.model.timezones import resolve_zone
from eventsite.model.values import color, ident, profile_url, safe_url


def build_graph(event: dict, sessions: list, **files: list) -> tuple:
    issues = IssueLog()
    data = normalise({"event": event, "sessions": sessions, **files}, issues)
    return resolve(data, issues), issues


EVENT = {"id": 1, "name": "Test Conf", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(
    ("name", "expected", "mapped"),
    [
        ("US / Pacific", "America/Los_Angeles", True),
        ("US / Eastern", "America/New_York", True),
        ("Hawaii-Aleutian", "Pacific/Honolulu", True),
        ("US/Pacific", "America/Los_Angeles", True),
        ("Europe/Berlin", "Europe/Berlin", False),
        ("europe/berlin", "Europe/Berlin", True),
        ("UTC", "UTC", False),
        ("Mars/Base", None, False),
    ],
)
def test_zone_names_are_mapped_to_iana(name: str, expected: str | None, mapped: bool) -> None:
    assert resolve_zone(name) == (expected, mapped)


def test_ids_are_normalised_across_types() -> None:
    assert ident(15) == ident("15") == ident(" 15 ") == ident(15.0) == "15"
    assert ident(None) is None and ident(True) is None and ident([1]) is None


def test_colours_are_validated() -> None:
    assert color("#3DC8C3") == "#3dc8c3"
    assert color("#abc") == "#aabbcc"
    assert color("#OOOOOO") is None
    assert color("red;background:url(x)") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("javascript:alert(1)", ""),
        ("data:text/html,hi", ""),
        ("github.com/someone", "https://github.com/someone"),
        ('https://x.org/"onmouseover=alert(1)', ""),
        ("s", ""),
    ],
)
def test_urls_are_made_safe(value: str, expected: str) -> None:
    assert safe_url(value) == expected


def test_profile_handles_become_links() -> None:
    assert profile_url("twitter", "@someone") == "https://twitter.com/someone"
    assert profile_url("github", "/heartsofcode") == "https://github.com/heartsofcode"
    assert profile_url("website", "s") == ""


def test_both_key_styles_in_one_file_read_the_same() -> None:
    sessions = [
        {"id": 1, "title": "Kebab", "state": "accepted", "starts-at": "2026-06-11T09:00:00+02:00",
         "ends-at": "2026-06-11T10:00:00+02:00"},
        {"id": "2", "title": "Snake", "state": "confirmed", "start_time": "2026-06-11T11:00:00+02:00",
         "end_time": "2026-06-11T12:00:00+02:00"},
    ]  # fmt: skip
    graph, _ = build_graph(EVENT, sessions)
    assert [(s.id, s.start.hour, s.end.hour) for s in graph.sessions] == [
        ("1", 9, 10),
        ("2", 11, 12),
    ]


def test_only_accepted_and_confirmed_sessions_are_public() -> None:
    sessions = [
        {"id": i, "title": f"S{i}", "state": state, "starts-at": "2026-06-11T09:00:00+02:00",
         "speakers": [{"id": i}]}
        for i, state in enumerate(["accepted", "confirmed", "pending", "rejected", "draft", None])
    ]  # fmt: skip
    speakers = [{"id": i, "name": f"P{i}", "email": f"p{i}@example.org"} for i in range(6)]
    graph, _ = build_graph(EVENT, sessions, speakers=speakers)
    assert [s.id for s in graph.sessions] == ["0", "1"]
    assert [s.id for s in graph.speakers] == ["0", "1"]
    assert graph.hidden_sessions == 4


def test_naive_times_are_read_in_the_event_zone_and_utc_is_converted() -> None:
    sessions = [
        {"id": 1, "title": "Naive", "state": "accepted", "starts-at": "2026-06-11T09:00:00"},
        {"id": 2, "title": "UTC", "state": "accepted", "starts-at": "2026-06-11T22:30:00+00:00"},
    ]
    graph, _ = build_graph(EVENT, sessions)
    naive, utc = graph.sessions
    assert naive.start == datetime(2026, 6, 11, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    # 22:30 UTC is 00:30 on the 12th in Berlin, and still conference day 11 (day starts at 04:00)
    assert (utc.start.day, utc.start.hour, utc.start.minute) == (12, 0, 30)
    assert conference_date(utc.start) == date(2026, 6, 11)


def test_duplicate_ids_keep_the_first_and_are_reported() -> None:
    sessions = [
        {"id": 7, "title": "First", "state": "accepted"},
        {"id": "7", "title": "Second", "state": "accepted"},
    ]
    graph, issues = build_graph(EVENT, sessions)
    assert [s.title for s in graph.sessions] == ["First"]
    duplicate = [i for i in issues if i.kind == "duplicate-id"]
    assert duplicate and duplicate[0].entity == "session" and duplicate[0].id == "7"


def test_embedded_relations_match_by_id_then_name_and_dangling_ones_are_reported() -> None:
    tracks = [{"id": 1, "name": "Web", "color": "#112233"}, {"id": 2, "name": "Data"}]
    rooms = [{"id": 10, "name": "Saal "}]
    sessions = [
        {"id": 1, "title": "A", "state": "accepted", "track": {"id": 1, "name": "Web"},
         "microlocation": {"id": "10", "name": "Erdgeschoss, Saal"}},
        {"id": 2, "title": "B", "state": "accepted", "track": {"id": 1, "name": "Data"}},
        {"id": 3, "title": "C", "state": "accepted", "track": {"id": 99, "name": "Ghost"},
         "speakers": [{"id": 5, "name": "Nobody"}]},
    ]  # fmt: skip
    graph, issues = build_graph(EVENT, sessions, tracks=tracks, microlocations=rooms)
    a, b, c = sorted(graph.sessions, key=lambda s: s.id)
    assert a.track.name == "Web" and a.track.color == "#112233"
    assert a.room.name == "Saal"
    assert b.track.name == "Data"  # id 1 names another track; the name wins
    assert c.track.name == "Ghost"
    kinds = {(i.kind, i.entity, i.id) for i in issues}
    assert ("dangling-ref", "session", "3") in kinds
    assert [s.name for s in c.speakers] == ["Nobody"]


def test_links_are_resolved_both_ways() -> None:
    sessions = [{"id": 1, "title": "Talk", "state": "accepted", "speakers": [{"id": 3}]}]
    speakers = [
        {"id": 3, "name": "Ada", "sessions": [{"id": 1}, {"id": 2}]},
        {"id": 4, "name": "Bo", "sessions": [{"id": 1}]},
    ]
    graph, issues = build_graph(EVENT, sessions, speakers=speakers)
    (talk,) = graph.sessions
    assert [s.name for s in talk.speakers] == ["Ada", "Bo"]
    assert all(sp.sessions == [talk] for sp in graph.speakers)
    assert any(i.kind == "dangling-ref" and i.entity == "speaker" for i in issues)


def test_days_group_by_local_date_and_overlaps_get_lanes() -> None:
    sessions = [
        {"id": 1, "title": "A", "state": "accepted", "starts-at": "2026-06-11T09:00:00+02:00",
         "ends-at": "2026-06-11T10:00:00+02:00", "microlocation": {"id": 1, "name": "R"}},
        {"id": 2, "title": "B", "state": "accepted", "starts-at": "2026-06-11T09:30:00+02:00",
         "ends-at": "2026-06-11T10:30:00+02:00", "microlocation": {"id": 1, "name": "R"}},
        {"id": 3, "title": "Late", "state": "accepted", "starts-at": "2026-06-12T01:00:00+02:00",
         "ends-at": "2026-06-12T02:00:00+02:00"},
        {"id": 4, "title": "Next", "state": "accepted", "starts-at": "2026-06-12T09:00:00+02:00"},
    ]  # fmt: skip
    graph, _ = build_graph(EVENT, sessions)
    days = group_days(graph.sessions, graph.rooms)
    assert [(d.date.day, [s.id for s in d.sessions]) for d in days] == [
        (11, ["1", "2", "3"]),
        (12, ["4"]),
    ]
    first = days[0]
    assert [(c.room.name if c.room else None, c.lanes) for c in first.columns] == [
        ("R", 2),
        (None, 1),
    ]


def test_end_before_start_is_reported_and_clamped() -> None:
    sessions = [
        {"id": 1, "title": "Backwards", "state": "accepted",
         "starts-at": "2026-06-11T10:00:00+02:00", "ends-at": "2026-06-11T09:00:00+02:00"}
    ]  # fmt: skip
    graph, issues = build_graph(EVENT, sessions)
    assert graph.sessions[0].end == graph.sessions[0].start
    assert any(i.kind == "bad-time" and i.id == "1" for i in issues)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>"),
        ("<p onclick='x()'>Hi</p><script>alert(1)</script>", "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ("Line one\n\nLine two", "<p>Line one</p>\n<p>Line two</p>"),
        ("Fish &amp; chips", "<p>Fish &amp; chips</p>"),
        ("<p>&nbsp;</p>", ""),
        ("<h1>Big</h1>", "<h3>Big</h3>"),
        ("5 < 6 and AT&T", "<p>5 &lt; 6 and AT&amp;T</p>"),
    ],
)
def test_rich_text_is_sanitised_without_double_escaping(source: str, expected: str) -> None:
    assert rich_text(source) == expected


def test_plain_text_keeps_paragraphs_and_drops_hidden_content() -> None:
    from eventsite.model.text import plain_text

    html = "<p>A <em>x</em>.</p><ul><li>one</li><li>two</li></ul><script>alert(1)</script>"
    assert plain_text(html) == "A x. one two"
    assert plain_text(html, paragraphs=True) == "A x.\n\none\n\ntwo"
    assert plain_text("Tom &amp; Jerry &lt;3") == "Tom & Jerry <3"
    assert plain_text("word " * 50, limit=20) == "word word word word…"


def test_contact_details_are_redacted_from_free_text() -> None:
    from eventsite.model.contacts import EMAIL_NOTE, PHONE_NOTE, redact

    html = (
        '<p>Mail <a href="mailto:ana@example.org">Ana</a>, ana&#64;example.org, +386 1 234 5678</p>'
    )
    result = redact(html)
    assert (result.emails, result.phones) == (1, 1)
    assert result.text == f"<p>Mail Ana, {EMAIL_NOTE}, {PHONE_NOTE}</p>"
    untouched = '<img src="logo@2x.png"> room 101, 2026-06-11, ISBN 978'
    assert redact(untouched).text is untouched
