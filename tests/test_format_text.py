"""Calendars and schedule exports are written as text directly; the text must be exactly what
the generic tools (regular expressions per line, ElementTree, `json.dumps(indent=2)`) make of the
same values: the references below."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest
from conftest import SAMPLE, real_export_dirs
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite import urls
from eventsite.build import load_graph
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.render import frab, ical
from eventsite.render.view import build_view

# text with the characters either format escapes, controls, non-ASCII and lone surrogates
TEXT = st.text(
    alphabet=st.sampled_from(list("aZ09 &<>\"'\\/\r\n\t\x00\x1f\x7f\u2028é€😀\ud800\ufffe-:")),
    max_size=12,
) | st.sampled_from(["", "   ", "]]>", "&amp;", "\x00eventsite-slot\x00"])


@st.composite
def frab_events(draw: st.DrawFn) -> frab.FrabEvent:
    offset = timezone(timedelta(minutes=draw(st.sampled_from([-330, 0, 60, 345]))))
    start = datetime(2026, 6, 11, draw(st.integers(0, 23)), draw(st.integers(0, 59)), tzinfo=UTC)
    start = start.astimezone(offset)
    persons = draw(st.lists(st.builds(frab.FrabPerson, st.integers(1, 10**12), TEXT), max_size=3))
    links = draw(st.lists(st.builds(frab.FrabLink, TEXT, TEXT, TEXT), max_size=3))
    text = {name: draw(TEXT) for name in ("guid", "duration", "room", "slug", "title")}
    more = {name: draw(TEXT) for name in ("subtitle", "track", "type", "language", "abstract")}
    url = draw(TEXT | st.sampled_from(['https://example.org/a&b"<>', "http://x/é"]))
    return frab.FrabEvent(
        id=draw(st.integers(1, 10**12)),
        start=start,
        end=start + timedelta(minutes=draw(st.integers(0, 600))),
        url=url,
        description=draw(TEXT),
        persons=persons,
        links=links,
        **text,
        **more,
    )


def _reference_xml(item: frab.FrabEvent) -> bytes:
    holder = ET.Element("room")
    frab._xml_event(holder, item)
    ET.indent(holder[0], level=3)
    return ET.tostring(holder[0], encoding="unicode").encode("utf-8", "xmlcharrefreplace")


def _reference_json(item: frab.FrabEvent, indentation: str) -> str:
    text = json.dumps(frab._json_event(item), ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + indentation)


@settings(max_examples=300, deadline=None)
@given(frab_events(), st.sampled_from(["", "  ", "            "]))
def test_an_event_is_written_as_elementtree_and_json_dumps_write_it(
    item: frab.FrabEvent, indentation: str
) -> None:
    assert frab._xml_event_text(item) == _reference_xml(item)
    expected = _reference_json(item, indentation)
    try:
        expected_bytes = expected.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: both refuse them
        with pytest.raises(UnicodeEncodeError):
            frab._json_event_text(item, indentation)
        return
    assert frab._json_event_text(item, indentation) == expected_bytes


@pytest.mark.parametrize("base_url", [None, "https://example.org/ev/"])
@pytest.mark.parametrize(
    "source",
    [SAMPLE, *(p for p in real_export_dirs() if p.name in {"FOSSASIASummit2016", "OSCON17"})],
    ids=lambda p: p.name,
)
def test_whole_documents_are_what_elementtree_and_json_dumps_make(source, base_url) -> None:
    issues = IssueLog()
    raw, graph = load_graph(str(source), issues)
    view = build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl.parse(base_url))
    files = frab.frab_files(view)
    schedule = frab.frab_schedule(view)
    assert files[urls.FRAB_XML] == frab._whole_xml(view, schedule)
    assert files[urls.FRAB_JSON] == frab._whole_json(schedule)


_NOT_TEXT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_TEXT_SPECIALS = re.compile(r"([\\;,])")


def _reference_escape(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_NOT_TEXT.sub("", line) for line in value.split("\n")]
    return "\\n".join(_TEXT_SPECIALS.sub(r"\\\1", line) for line in lines)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a\\;,\r\n\t\x00\x0b\x1f\x7f\ud800é :"))) | st.text())
def test_calendar_text_is_escaped_as_line_by_line_regular_expressions_escape_it(value: str) -> None:
    assert ical.escape_text(value) == _reference_escape(value)


def test_calendar_items_are_the_calendar_files() -> None:
    issues = IssueLog()
    raw, graph = load_graph(str(SAMPLE), issues)
    view = build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl())
    items = list(ical.calendar_items(view))
    assert len(items) == len(dict(items))
    assert dict(items) == ical.calendar_files(view)
