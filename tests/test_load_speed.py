"""The load stage's shortcuts never change what it finds: the long-string scan never misses a
string past the limit, and the digit count never skips text holding a phone number."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.model import contacts
from eventsite.sources.base import MAX_STRING_CHARS, _may_hold_long_string

# characters that stress JSON escaping: quotes, backslashes, controls, non-ASCII, surrogates
TRICKY = st.sampled_from(['"', "\\", "\n", "x", "é", "\u2028", "\ud800", "\U0001f600", "/"])


@settings(max_examples=40, deadline=None)
@given(
    fill=TRICKY,
    extra=st.integers(min_value=-3, max_value=3),
    neighbours=st.lists(st.text(max_size=30), max_size=4),
)
def test_long_string_scan_never_misses_a_long_string(
    fill: str, extra: int, neighbours: list[str]
) -> None:
    long = fill * (MAX_STRING_CHARS + extra)
    for ensure_ascii in (True, False):
        text = json.dumps({"a": neighbours, "b": [long, *neighbours]}, ensure_ascii=ensure_ascii)
        if len(long) > MAX_STRING_CHARS:
            assert _may_hold_long_string(text)


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.integers(min_value=0, max_value=3 * MAX_STRING_CHARS),
    quotes=st.lists(st.integers(min_value=0, max_value=MAX_STRING_CHARS), max_size=6),
    extra=st.integers(min_value=1, max_value=3),
)
def test_long_string_scan_finds_a_long_string_whatever_its_escaped_quotes_and_place(
    prefix: int, quotes: list[int], extra: int
) -> None:
    """The per-stretch quote count must not take an escaped quote (even one cut in two by a
    stretch's start) for the end of a string, wherever the string starts."""
    stretch = MAX_STRING_CHARS // 2
    text_start = prefix + len('["", "')
    # quotes also just at the stretches' starts, where `\` and `"` fall in two stretches
    at_starts = [k * stretch - text_start for k in range(1, 8)]
    chars = ["x"] * (MAX_STRING_CHARS + extra)
    for position in [*quotes, *at_starts]:
        if 0 <= position < len(chars):
            chars[position] = '"'
    long = "".join(chars)
    text = json.dumps(["y" * prefix, long])
    assert _may_hold_long_string(text)


def test_long_string_scan_lets_ordinary_documents_pass() -> None:
    text = json.dumps([{"title": "A talk", "abstract": 'He said "hi" \\ ok ' * 50}] * 400)
    assert len(text) > MAX_STRING_CHARS
    assert not _may_hold_long_string(text)


def _phone_spans_without_shortcut(text: str) -> list[tuple[int, int]]:
    return [
        match.span()
        for match in contacts.NUMBER_RUN.finditer(text)
        if len(contacts.digits(match.group())) >= contacts.MIN_PHONE_DIGITS
        and contacts.is_phone(text, match)
    ]


PHONEISH = st.text(
    alphabet="0123456789 +-().:/tel@abc\n\u0660\u0663\u0669\u096a\uff11", max_size=60
)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(PHONEISH, st.text(max_size=60)))
def test_digit_count_shortcut_finds_the_same_phone_numbers(text: str) -> None:
    assert list(contacts.phone_spans(text)) == _phone_spans_without_shortcut(text)


CONTACT_PIECES = [
    *"0123456789 +-().:/tel@abc%4&#;\n\u0663\uff11",
    *("mailto:", "tel:", "<a href='", "'>", "</a>", "&#64;", "%40", "&commat;", ".org"),
]
CONTACTISH = st.lists(st.sampled_from(CONTACT_PIECES), max_size=30).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(CONTACTISH, st.text(max_size=60)))
def test_redaction_first_check_changes_nothing(text: str) -> None:
    """A field without "@", "&", "%" or enough digits is returned as it is, unsearched."""
    assert contacts.redact(text) == contacts.redact_all(text)


def test_phone_numbers_in_other_scripts_digits_are_still_found() -> None:
    arabic_indic = "Call +\u0664\u0669 \u0663\u0660 \u0661\u0662\u0663\u0664\u0665\u0666\u0667 now"
    assert list(contacts.phone_spans(arabic_indic)) == _phone_spans_without_shortcut(arabic_indic)
    assert contacts.redact(arabic_indic).phones == 1


def test_xml_character_filter_is_the_complement_of_xml_chars() -> None:
    from eventsite.render.frab import _NOT_XML

    def is_xml_char(code: int) -> bool:  # XML 1.0, production [2] Char
        return (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    wrong = [c for c in range(0x110000) if bool(_NOT_XML.match(chr(c))) == is_xml_char(c)]
    assert wrong == []


def _fold_by_characters(line: str) -> str:
    """The reference: greedy packing character by character (the former implementation)."""
    if len(line.encode("utf-8")) <= 75:
        return line
    chunks: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append("".join(current))
            current, size, limit = [], 0, 74
        current.append(char)
        size += width
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


@settings(max_examples=400, deadline=None)
@given(line=st.text(alphabet=st.sampled_from("aZ9 ;,\\é€😀ß\u0301"), max_size=400))
def test_calendar_folding_by_bytes_equals_folding_by_characters(line: str) -> None:
    from eventsite.render.ical import fold

    assert fold(line) == _fold_by_characters(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in fold(line).split("\r\n"))


def _stretches_hold_quotes_by_counting(text: str, size: int) -> bool:
    """The check as two counts per stretch: more quotes than quotes after a backslash."""
    return all(
        text.count('"', start, start + size) > text.count('\\"', max(0, start - 1), start + size)
        for start in range(0, len(text) - size + 1, size)
    )


@settings(max_examples=500, deadline=None)
@given(
    text=st.lists(st.sampled_from(['"', '\\"', "\\", "a", '\\\\"', '""']), max_size=200).map(
        "".join
    ),
    size=st.integers(min_value=1, max_value=40),
)
def test_quote_search_judges_stretches_as_counting_does(text: str, size: int) -> None:
    from eventsite.sources.base import _every_stretch_holds_a_quote

    assert _every_stretch_holds_a_quote(text, size) == _stretches_hold_quotes_by_counting(
        text, size
    )
