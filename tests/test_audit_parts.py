"""The audit scans a big file a part at a time, cut after line breaks; its findings must be
exactly what a scan of the whole text finds (`_reference_scan`: `SiteAudit.scan` as it was)."""

from __future__ import annotations

import json
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from test_audit_calendars import DOCUMENTS, _reference_scan

from eventsite import audit

# what lines of HTML, XML and JSON hold, and the escapes that hide addresses and numbers
_PIECES = [
    *'ab.Z_-+%@ 0123456789()/:;,é٣\\\t<>"{}[]',
    "\n",
    "\r\n",
    "\n\n",
    "&#64;",
    "&amp;",
    "&amp",
    "&#10;",
    "%40",
    "%C3",
    "%A9",
    "%0A",
    "tel:",
    "+49 ",
    "30 1234567",
    "+386 41 555 1234",
    "0049 170 7654321",
    "ana.kovac@example.org",
    "bo@example.net",
    "logo@2x.png",
    "the speaker is moving house next month, keep it quiet please",
    "the speaker is moving house\n next month, keep it quiet please",
    "<b>the speaker</b> is moving house next month, keep it quiet please",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
_PATHS = st.sampled_from(["schedule.json", "schedule.xml", "index.html", "search.json"])


def _both(path: str, data: bytes, part_bytes: int) -> tuple[audit.SiteAudit, audit.SiteAudit]:
    fast = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    whole = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    with mock.patch.object(audit, "_PART_BYTES", part_bytes):
        fast.scan(path, data)
    _reference_scan(whole, path, data)
    return fast, whole


@settings(max_examples=400, deadline=None)
@given(_TEXT, _PATHS, st.integers(min_value=1, max_value=40), st.booleans())
def test_findings_in_parts_are_those_of_the_whole_text(
    text: str, path: str, part_bytes: int, broken: bool
) -> None:
    data = text.encode("utf-8", "surrogatepass")
    if broken:  # a UTF-8 sequence cut short before a line break
        data = data.replace(b"\n", b"\xc3\n", 1)
    fast, whole = _both(path, data, part_bytes)
    assert fast.findings() == whole.findings()
    assert fast.state.private_texts == whole.state.private_texts


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["", "\n", "\n" * 30, " \t\n" * 20]), st.integers(1, 40))
def test_a_copy_of_an_input_document_is_found_in_parts(blank: str, part_bytes: int) -> None:
    for name, document in DOCUMENTS.items():
        data = (blank + json.dumps(document, indent=2)).encode()
        fast, whole = _both("data/copy.json", data, part_bytes)
        assert fast.findings() == whole.findings()
        assert any(f.kind == "copy of the input" and repr(name) == f.shown for f in fast.findings())


def test_only_big_files_are_scanned_in_parts() -> None:
    site_audit = audit.SiteAudit(DOCUMENTS, frozenset())
    with mock.patch.object(audit, "_text_parts", side_effect=AssertionError):
        site_audit.scan("a.html", b"<p>bo@example.net</p>\n" * 10)
    line = b"<p>call +386 41 555 1234</p>\n"
    big = line * (audit._PART_BYTES // len(line) + 2)
    with mock.patch.object(audit, "_scannable", side_effect=AssertionError):
        site_audit.scan("big.html", big)  # never decoded whole: no private text's word in it
    assert [f.path for f in site_audit.findings()] == ["a.html", "big.html"]
