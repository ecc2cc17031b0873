"""The audit scans each VEVENT of a calendar once however many calendars hold it; a calendar's
findings must be exactly what a scan of its whole unfolded, unescaped text finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite import audit

DOCUMENTS = {
    "event": {"name": "E", "email": "org@example.org"},
    "sessions": [
        {"id": 1, "title": "Call +49 30 1234567", "comments": "Do not publish: " + "quiet " * 9},
        {"id": 2, "notes": "the speaker is moving house next month, keep it quiet please"},
    ],
    "speakers": [
        {"id": 1, "email": "ana.kovac@example.org", "mobile": "+386 41 555 1234"},
        {"id": 2, "email": "bo@example.net", "mobile": "0049 170 7654321"},
    ],
}
# what calendar lines hold, and what folding, TEXT escapes, entities and URL escapes make of it
_PIECES = [
    *"ab.Z_-+%@ 0123456789()/:;,é٣\\\t",
    "\r\n ",
    "\r\n\t",
    "\n ",
    "\r\n",
    "\n",
    "\\n",
    "\\,",
    "\\\\",
    "&#64;",
    "&amp",
    "%40",
    "%C3",
    "%A9",
    "tel:",
    "+49 ",
    "30 1234567",
    "+386 41 555 1234",
    "ana.kovac@example.org",
    "bo@exa\r\n mple.net",
    "the speaker is moving house next month, keep it quiet please",
    "the speaker is moving house\r\n  next month\\, keep it quiet please",
    "BEGIN:VEVENT",
    "END:VEVENT\r\n",
]
_LINES = st.lists(st.sampled_from(_PIECES), max_size=25).map("".join)
_EVENTS = st.lists(_LINES.map(lambda body: f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n"), max_size=4)


def _reference_scan(site_audit: audit.SiteAudit, path: str, data: bytes) -> None:
    """`SiteAudit.scan` as it was: the whole file's text, whatever the file."""
    text = audit._scannable(path, data)
    found = list(audit._raw_copies(path, text, site_audit.documents))
    if text is not None:
        found.extend(audit._emails(path, text, site_audit.index))
        found.extend(audit._phones(path, text, site_audit.index, site_audit.runs))
        site_audit._private_texts(path, text)
    site_audit._keep(path, found)


def calendar_files(calendars: list[list[str]], header: str, end: str) -> list[tuple[str, bytes]]:
    """Calendars of these VEVENTs, then the schedule's calendar holding them all."""
    shared = [event for events in calendars for event in events]
    files = []
    for number, events in enumerate([*calendars, shared]):
        text = f"BEGIN:VCALENDAR\r\n{header}\r\n" + "".join(events) + "END:VCALENDAR" + end
        files.append((f"c/{number}.ics", text.encode("utf-8", "surrogatepass")))
    return files


@settings(max_examples=300, deadline=None)
@given(st.lists(_EVENTS, min_size=1, max_size=4), _LINES, st.sampled_from(["", "\r\n"]))
def test_calendar_findings_are_those_of_the_whole_text(
    calendars: list[list[str]], header: str, end: str
) -> None:
    fast = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    plain = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    for path, data in calendar_files(calendars, header, end):
        fast.scan(path, data)
        _reference_scan(plain, path, data)
    assert fast.findings() == plain.findings()
    assert fast.state.private_texts == plain.state.private_texts


def test_a_vevent_is_scanned_once() -> None:
    site_audit = audit.SiteAudit(DOCUMENTS, frozenset())
    event = "BEGIN:VEVENT\r\nDESCRIPTION:call +386 41 555 1234\r\nEND:VEVENT\r\n"
    for name in ("a", "b"):
        site_audit.scan(f"{name}.ics", f"BEGIN:VCALENDAR\r\n{event}END:VCALENDAR\r\n".encode())
    assert len(site_audit.calendar_pieces) == 3  # the header, the VEVENT once, the end
    assert [f.path for f in site_audit.findings()] == ["a.ics", "b.ics"]
