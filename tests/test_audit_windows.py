"""The audit looks for number runs in windows of the text found through a byte map, each window
worked out once, and indexes only private fields up front; it must find what the plain regex
finds over the whole text, in the same order, whatever the windows already learned."""

from __future__ import annotations

import json
import re
from unittest import mock

from conftest import REAL_EXPORTS, require_shared
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite import audit, urls
from eventsite.build import load_graph, render_site
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.model.contacts import MIN_PHONE_DIGITS, NUMBER_RUN, is_phone
from eventsite.model.contacts import digits as only_digits
from eventsite.render.pages import plan_pages
from eventsite.render.theme import Theme
from eventsite.render.view import build_view

DOCUMENTS = {
    "sessions": [{"id": 1, "title": "Call 11112222 or 90123456", "notes": "x"}],
    "speakers": [
        {"id": 1, "mobile": "11112222", "phone": "33334444"},
        {"id": 2, "mobile": "+49 30 1234567", "email": "a@example.org"},
        {"id": 3, "phone": 90123456, "comments": ["call 0049 170 7654321 after six"]},
    ],
}
# runs, their prefixes and neighbours; digits and letters of 2, 3 and 4 bytes in UTF-8 (the
# patterns' \d and \w are Unicode), and the line breaks and tags that end a run
_PIECES = [
    *"ab.Z_-+:%@ 0123456789()/<>\n\t",
    "٣",  # ARABIC-INDIC DIGIT THREE, 2 bytes
    "३",  # DEVANAGARI DIGIT THREE, 3 bytes
    "１",  # FULLWIDTH DIGIT ONE, 3 bytes
    "𝟘",  # MATHEMATICAL DOUBLE-STRUCK DIGIT ZERO, 4 bytes
    "é",
    "中",
    "𐐀",  # DESERET CAPITAL LETTER LONG I, 4 bytes, \w
    "–",
    "tel:",
    "+49 ",
    "(030) ",
    "30 1234567",
    "1111222233334444",
    "90123456",
    "0049 170 7654321",
    "415-555-0100",
    "2030-05-06",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


def _reference_hits(text: str, index: audit._InputIndex) -> list[tuple[str, bool, tuple[str, ...]]]:
    """`_run_hits` written plainly: NUMBER_RUN over the whole text, private numbers by digits."""
    hits = []
    for match in NUMBER_RUN.finditer(text):
        digits = only_digits(match.group())
        if len(digits) < MIN_PHONE_DIGITS:
            continue
        private = tuple(n for n in index.private_phones if n in digits)
        phone_here = is_phone(text, match)
        if phone_here or private:
            hits.append((digits, phone_here, private))
    return hits


def _hits(text: str, runs: audit._NumberRuns) -> list[tuple[str, bool, tuple[str, ...]]]:
    return [(run.digits or "", here, run.private) for run, here in audit._run_hits(text, runs)]


def _site_runs(index: audit._InputIndex) -> audit._NumberRuns:
    """The runs as `SiteAudit` makes them: private numbers in the order private fields know."""
    return audit._NumberRuns(index.private_numbers, lambda: index.private_phones)


@settings(max_examples=500, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=4))
def test_run_hits_are_those_of_the_plain_regex_over_the_whole_text(texts: list[str]) -> None:
    index = audit.index_input(DOCUMENTS)
    runs = _site_runs(index)
    for text in texts + texts:  # the second time from the windows learned
        assert _hits(text, runs) == _reference_hits(text, index)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT, _TEXT)
def test_a_window_is_the_same_wherever_it_stands(before: str, text: str, after: str) -> None:
    """Windows learned from one text serve another only where they mean the same."""
    index = audit.index_input(DOCUMENTS)
    runs = _site_runs(index)
    _hits(before + text, runs)
    _hits(text + after, runs)
    for whole in (before + text + after, text, after + "\n" + before):
        assert _hits(whole, runs) == _reference_hits(whole, index)


def test_windows_at_the_edges_of_the_text_and_of_characters() -> None:
    index = audit.index_input(DOCUMENTS)
    for text in [
        "11112222",
        "tel:+(11112222",
        "x+11112222",
        "中+49 30 1234567中",
        "𐐀𐐀𐐀+49 30 1234567",
        "𐐀tel:+49 30 1234567",
        "1111222233334444",
        "12 tel:11112222-",
        "9912345678 (415) 555-0100 ٣٣٣٣٣٣٣٣",
        "１１１１２２２２ and 𝟘𝟘𝟘𝟘𝟘𝟘𝟘𝟘",
        "a" * 100 + "é+49 30 1234567",
        "x tel:+(11112222 and a+(11112222 and a(+11112222",
        "中tel:+(030) 1234567 ?+49 30 1234567 a?1234567 http://x/?q=11112222",
    ]:
        assert _hits(text, _site_runs(index)) == _reference_hits(text, index), text


def test_private_index_is_the_full_index_of_private_fields() -> None:
    index = audit.index_input(DOCUMENTS)
    full = audit._index_strings(audit._strings(DOCUMENTS))
    assert index.private_texts == full.private_texts
    assert sorted(index.private_numbers) == sorted(full.private_phones)
    assert list(index.private_phones) == list(full.private_phones)  # the input's order
    assert index.emails == full.emails and index.phones == full.phones


def test_numbers_in_one_run_are_reported_in_the_inputs_order() -> None:
    """A public field names 11112222 first; private fields alone know 33334444 first."""
    index = audit.index_input(DOCUMENTS)
    assert index.private_numbers.index("33334444") < index.private_numbers.index("11112222")
    found = list(audit._phones("a.html", "<p>1111222233334444</p>", index, _site_runs(index)))
    assert [f.shown for f in found] == ["…22", "…44"]
    assert [n for n in index.private_phones if n in "1111222233334444"] == ["11112222", "33334444"]


def test_real_export_pages_give_the_plain_regexs_runs() -> None:
    require_shared()
    issues = IssueLog()
    raw, graph = load_graph(str(REAL_EXPORTS / "FOSSASIASummit2016"), issues)
    view = build_view(graph, MediaResolver(raw.media, issues, resize=False), urls.BaseUrl())
    files = render_site(view, plan_pages(view), Theme.load(None))
    documents = {**raw.documents, "extra": {"mobile": "2018", "phone": "+49 30 1234567"}}
    index = audit.index_input(documents)
    runs = _site_runs(index)
    scanned = 0
    for path, data in sorted(files.items()):
        text = audit._scannable(path, data)
        if text is not None:
            assert _hits(text, runs) == _reference_hits(text, index), path
            scanned += 1
    assert scanned > 700 and runs.windows  # pages were scanned, windows kept


_KEYS = st.sampled_from(["id", "name", "email", "é", "a\\u0062", "x"])
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "x", "é"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "name", "email", "é", "ab"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _json_texts(draw: st.DrawFn) -> str:
    """JSON as anyone might write it: spaces, escaped and repeated keys, or not JSON at all."""
    space = st.sampled_from(["", " ", "\n", "\t\r\n "])
    pairs = draw(st.lists(st.tuples(_KEYS, _JSON_VALUES), max_size=4))
    if draw(st.booleans()):
        body = ",".join(f'{draw(space)}"{k}"{draw(space)}:{json.dumps(v)}' for k, v in pairs)
        text = "{" + body + draw(space) + "}"
    else:
        text = json.dumps([v for _, v in pairs])
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return draw(space) + text + draw(space)


@settings(max_examples=500, deadline=None)
@given(_json_texts(), _JSON_VALUES)
def test_a_copy_of_the_input_is_always_parsed(text: str, content: object) -> None:
    try:
        value = json.loads(text)
    except ValueError:
        return
    for candidate in (content, value, {**value, "id": 1} if isinstance(value, dict) else [value]):
        if value == candidate:
            assert audit._could_be_copy(text, candidate), (text, candidate)
            # the outline a build keeps of each input document decides the same way
            (outline,) = audit.StoredDocuments({"d": candidate}).outlines()
            assert audit._could_be_copy(text, outline), (text, candidate)


def test_copies_with_escaped_and_repeated_keys_are_found() -> None:
    event = {"name": "E", "email": "org@example.org"}
    documents = {"event": event, "sessions": [{"id": 1}]}
    stored = audit.StoredDocuments(documents)
    for text in [
        '{"n\\u0061me": "E", "email": "org@example.org"}',
        ' {"email": 1, "name": "E", "email": "org@example.org"}',
        '\n[{"id": 1}]',
    ]:
        for kept in (documents, stored):
            assert [f.kind for f in audit._raw_copies("x.json", text, kept)] == [
                "copy of the input"
            ], text
    for kept in (documents, stored):
        assert not list(audit._raw_copies("x.json", '{"schedule": {"name": "E"}}', kept))


_CALENDAR_TEXT = st.lists(
    st.sampled_from(["\r", "\n", "\r\n", " ", "\t", "a", "\\n", "\\,", "\\\\", "\r\n ", "\n\t"]),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_CALENDAR_TEXT)
def test_unfolding_is_that_of_the_plain_pattern(text: str) -> None:
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    if "\\" in unfolded:
        unfolded = audit._ICS_ESCAPE.sub(audit._ics_unescaped, unfolded)
    assert audit._unfolded(text) == unfolded
    crlf = text.replace("\r", "").replace("\n", "\r\n")  # RFC 5545's line breaks
    assert audit._unfolded(crlf) == audit._ICS_ESCAPE.sub(
        audit._ics_unescaped, re.sub(r"\r?\n[ \t]", "", crlf)
    )


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(1, 40))
def test_a_long_text_is_mapped_in_parts_cut_where_no_run_is(text: str, part: int) -> None:
    index = audit.index_input(DOCUMENTS)
    with mock.patch.object(audit, "_MAPPED_PART", part):
        assert _hits(text, _site_runs(index)) == _reference_hits(text, index)
        for whole in ("1111 2222 3333 (4444) 中中 5555", "x" + "9" * 30 + "x"):  # no "x" to cut at
            assert _hits(whole, _site_runs(index)) == _reference_hits(whole, index)
