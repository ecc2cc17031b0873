"""The privacy audit's fast matchers and its one-file-at-a-time form find what the plain ones do."""

from __future__ import annotations

import html
import random
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite import audit
from eventsite.model.contacts import EMAIL, MIN_PHONE_DIGITS, NUMBER_RUN, is_phone
from eventsite.model.contacts import digits as only_digits

# characters that make e-mail addresses and phone numbers, their neighbours, and a few
# non-ASCII letters and digits (the patterns' \w and \d are Unicode)
_PIECES = [
    *"ab.Z_-+%@ 0123456789()/:<>&;#é٣",
    "tel:",
    "+49 ",
    "(030) ",
    ".org",
    "&#64;",
    "30 1234567",
    "90123456",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


def _spans(matches: object) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in matches]  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_email_matches_are_those_of_the_plain_regex(text: str) -> None:
    assert _spans(audit._email_matches(text)) == _spans(EMAIL.finditer(text))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_number_runs_are_those_of_the_plain_regex(text: str) -> None:
    assert _spans(audit._number_runs(text)) == _spans(NUMBER_RUN.finditer(text))


DOCUMENTS = {
    "event": {"name": "E", "email": "org@example.org"},
    "sessions": [
        {"id": 1, "title": "Call +49 30 1234567", "comments": "Do not publish: " + "quiet " * 9},
        {"id": 2, "title": "T", "notes": "the speaker is moving house next month, keep it quiet"},
    ],
    "speakers": [
        {"id": 1, "email": "ana.kovac@example.org", "mobile": "+386 41 555 1234"},
        {"id": 2, "email": "bo@example.net", "mobile": "0049 170 7654321"},
    ],
}
LEAKS = [
    "ana.kovac@example.org",
    "ana.kovac&#64;example.org",
    "bo%40example.net",
    "+386 41 555 1234",
    "tel:38641555 1234",
    "call 00491707654321 now",
    "+49 30 1234567",
    "the speaker is moving house next month, keep it quiet",
    "Do not publish: " + "quiet " * 9,
    "org@example.org",
]


def _site(seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    files = {}
    for number in range(30):
        suffix = rng.choice([".html", ".ics", ".json", ".png"])
        leaks = " ".join(rng.sample(LEAKS, rng.randrange(3)))
        files[f"p{number}/page{suffix}"] = f"<p>x {leaks} y</p>".encode()
    files["sessions.json"] = b"[]"
    return files


def test_split_over_processes_the_audit_finds_the_same_in_the_same_order() -> None:
    for seed in range(20):
        files = _site(seed)
        expected = audit.audit(files, DOCUMENTS, frozenset({"title"}))
        parent = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
        worker = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
        worker.detach()
        for path, data in reversed(list(files.items())):  # any order, any process
            (parent if hash(path) % 2 else worker).scan(path, data)
        parent.merge(worker.handover())
        assert parent.findings() == expected
        assert expected  # the leaks are found


def test_private_texts_are_found_also_among_many() -> None:
    # more private texts than are looked for one by one, each with its own longest word
    notes = [f"private note on itinerary{n:03d} of the speaker and their plans" for n in range(40)]
    documents = {"sessions": [{"id": n, "comments": note} for n, note in enumerate(notes)]}
    files = {
        "a.html": f"<p>{notes[7].upper()}</p><b>{notes[33]}</b>".encode(),
        "b.html": f"<p>Ünïcode: {notes[7]}</p>".encode(),
        "c.html": b"<p>private note on the speaker and their plans</p>",
    }
    found = audit.audit(files, documents, frozenset())
    shown = [(f.path, f.kind, f.shown, str(f.sources[0])) for f in found]
    assert shown == [("a.html", "private text", "(10 words)", "sessions.comments")] * 2


_ESCAPED = st.lists(
    st.sampled_from(
        ["&amp;", "&#64;", "&#x40", "&#0;", "&amplifier", "&", "#", ";", "%40", "a", "@"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_ESCAPED)
def test_unescaping_is_that_of_the_standard_library(text: str) -> None:
    expected = html.unescape(text)
    assert audit._unescape(text) == (unquote(expected) if "%" in expected else expected)


def _reference_phones(text: str, index: audit._InputIndex) -> list[str]:
    """The audit's phone search written plainly: every run, every private number."""
    seen: list[str] = []
    for match in NUMBER_RUN.finditer(text):
        digits = only_digits(match.group())
        if len(digits) < MIN_PHONE_DIGITS:
            continue
        if digits not in seen and is_phone(text, match):
            seen.append(digits)
        seen += [n for n in index.private_phones if n in digits and n not in seen]
    return seen


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_phone_numbers_are_those_of_the_plain_search(text: str) -> None:
    index = audit.index_input({"speakers": [{"mobile": "+49 30 1234567"}, {"phone": "90123456"}]})
    runs = audit._NumberRuns(index.private_phones)
    found = [f.shown for f in audit._phones("a.html", text, index, runs)]
    assert found == [audit._maskdigits(d) for d in _reference_phones(text, index)]
