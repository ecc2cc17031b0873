"""Privacy audit of a rendered site, run on every build on each file as it is made, before
any file is put in place.

The generated files are scanned for e-mail addresses, phone numbers and the values of private
fields of the input (speaker e-mail and mobile, session comments, ...). Each hit is traced back
to the input fields that hold it; a hit is a build error unless every field it comes from was
published on purpose with `--publish-field NAME` (or `DOC.NAME`, e.g. `event.code-of-conduct`),
and a private field's value is an error even if a published field repeats it. The raw input
documents must not be copied into the site either.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import marshal
import re
import string
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice, repeat
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from eventsite.errors import PrivacyError, UsageError
from eventsite.model.contacts import (
    EMAIL,
    MIN_PHONE_DIGITS,
    NUMBER_RUN,
    is_address,
    is_phone,
)
from eventsite.model.contacts import (
    digits as only_digits,
)
from eventsite.sources.base import DATA_FILES, PRIVATE_FIELDS

TEXT_SUFFIXES = frozenset({".html", ".ics", ".xml", ".json", ".txt", ".css", ".js", ".svg"})
# free text from a private field is looked for when it is long enough not to match by chance
MIN_PRIVATE_TEXT_CHARS = 40
MIN_PRIVATE_TEXT_WORDS = 8
MAX_SHOWN = 10

_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")
# html.unescape's pattern: every character reference, with or without its semicolon
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_FIELD_NAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)?")
_LOCAL_PART = frozenset(string.ascii_letters + string.digits + "._%+-")  # EMAIL's, before "@"
_NUMBER_CORE = re.compile(r"\d[\d ()./-]{5,}\d")  # NUMBER_RUN without its optional prefix
_NUMBER_PREFIX = len("tel:+(")
_FEW_ANCHORS = 32  # up to this many private texts, look for their words by substring search


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """Where a value sits in the input: a document and a key."""

    document: str
    key: str

    def __str__(self) -> str:
        return f"{self.document}.{self.key}"

    @property
    def private(self) -> bool:
        return self.key in PRIVATE_FIELDS


@dataclass(frozen=True, slots=True)
class Finding:
    path: str  # output file
    kind: str  # e-mail address, phone number, private text, raw input
    shown: str  # the value, masked for the terminal
    sources: tuple[Source, ...]

    def __str__(self) -> str:
        origin = ", ".join(map(str, self.sources)) if self.sources else "not from the export"
        return f"{self.path}: {self.kind} {self.shown} ({origin})"


class _InputIndex:
    """The input's e-mail addresses, phone numbers and private texts, by where they sit.

    A scan needs only what private fields hold (their phone numbers and texts), found by a walk
    that skips every other value; where every address and number of the input sits is needed
    only to name a finding's sources, so that full index is made on the first finding.
    """

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self.documents = documents
        private = _index_strings(_strings(documents, only_private=True))
        self.private_texts = private.private_texts
        # their order as far as private values know it; `private_phones` has the input's order
        self.private_numbers: list[str] = list(private.phones)
        self._full: _Index | None = None

    @property
    def full(self) -> _Index:
        if self._full is None:
            self._full = _index_strings(_strings(self.documents))
        return self._full

    @property
    def emails(self) -> dict[str, set[Source]]:
        return self.full.emails

    @property
    def phones(self) -> dict[str, set[Source]]:
        return self.full.phones

    @property
    def private_phones(self) -> dict[str, set[Source]]:
        """The private fields' phone numbers with every field holding them, in the input's order."""
        return self.full.private_phones


@dataclass(slots=True)
class _Index:
    emails: dict[str, set[Source]] = field(default_factory=dict)
    phones: dict[str, set[Source]] = field(default_factory=dict)
    private_phones: dict[str, set[Source]] = field(default_factory=dict)
    private_texts: dict[tuple[str, ...], set[Source]] = field(default_factory=dict)


def parse_publish_fields(values: Iterable[str]) -> frozenset[str]:
    """Normalise `--publish-field` values (snake or kebab case); a malformed one is a usage error."""
    fields = set()
    for value in values:
        name = value.strip().lower().replace("_", "-")
        if not _FIELD_NAME.fullmatch(name):
            raise UsageError(
                f"--publish-field {value!r}: expected a field name like 'long-biography' "
                "or 'event.code-of-conduct'"
            )
        fields.add(name)
    return frozenset(fields)


def enforce(
    files: Mapping[str, bytes], documents: Mapping[str, Any], publish: frozenset[str]
) -> None:
    """Raise PrivacyError naming what would leak when the audit finds anything."""
    SiteAudit.of(files, documents, publish).enforce()


def audit(
    files: Mapping[str, bytes], documents: Mapping[str, Any], publish: frozenset[str]
) -> list[Finding]:
    """Every e-mail address, phone number, private value or raw input found in `files`."""
    return SiteAudit.of(files, documents, publish).findings()


@dataclass(slots=True)
class AuditState:
    """What one process found in the files it scanned; merged in the process finishing the site."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)  # by output file
    # each private text's first occurrence: (output file, word position)
    private_texts: dict[tuple[str, ...], tuple[str, int]] = field(default_factory=dict)


class SiteAudit:
    """The privacy audit, one file at a time as the site is made, so it never holds the site.

    A forked render worker scans what it renders (`detach`, then `handover` its state to the
    parent, which `merge`s it); findings come out in the same order whoever scanned a file.
    """

    def __init__(self, documents: Mapping[str, Any], publish: frozenset[str]) -> None:
        self.publish = publish
        self.documents = StoredDocuments(documents)  # packed on a thread from now on
        self.index = index_input(documents)
        if publish:  # published fields will be found: index them once, before any fork
            self.index.full  # noqa: B018
        self.index.documents = self.documents  # a full index made later decodes them again
        self.runs = _NumberRuns(self.index.private_numbers, lambda: self.index.private_phones)
        self.texts = _PrivateTexts(self.index.private_texts)
        self.state = AuditState()
        # by a hash of the piece's bytes: the VEVENTs' own text would be kept otherwise
        # (10,000 sessions: 17 MB, twice that as text)
        self.calendar_pieces: dict[bytes, _PieceHits] = {}

    @classmethod
    def of(
        cls, files: Mapping[str, bytes], documents: Mapping[str, Any], publish: frozenset[str]
    ) -> SiteAudit:
        site_audit = cls(documents, publish)
        for path, data in files.items():
            site_audit.scan(path, data)
        return site_audit

    def scan(self, path: str, data: bytes) -> None:
        """Look for private data in one output file."""
        if path.endswith(".ics") and reads_contents(path):
            self._scan_calendar(path, data)
            return
        if len(data) > _PART_BYTES and reads_contents(path):
            self._scan_in_parts(path, data)
            return
        text = _scannable(path, data)
        found = list(_raw_copies(path, text, self.documents))
        if text is not None:
            found.extend(_emails(path, text, self.index))
            found.extend(_phones(path, text, self.index, self.runs))
            self._private_texts(path, text)
        self._keep(path, found)

    def _private_texts(self, path: str, text: str) -> None:
        for words, at in self.texts.first_hits(text):
            first = self.state.private_texts.get(words)
            if first is None or (path, at) < first:
                self.state.private_texts[words] = (path, at)

    def _keep(self, path: str, found: list[Finding]) -> None:
        kept = [f for f in found if not _allowed(f, self.publish)]
        if kept:
            self.state.findings[path] = kept

    def _scan_in_parts(self, path: str, data: bytes) -> None:
        """`scan` of a big file a part at a time, never holding its whole text (10,000
        sessions: the schedule exports are 20-25 MB, twice that or more as text).

        Parts are cut after line breaks. Undoing escapes and every check but two stay within a
        line, so the findings are the whole text's, in order (tests compare). The two: a
        private text's word run, looked for in the whole text when a part holds one of their
        distinctive words (as `_scan_calendar` does), and a copy of an input document, looked
        for in the whole text when its start allows one.
        """
        found = list(_raw_copies(path, None, self.documents))  # by its name only
        pieces = []
        part = ""
        for number, part in enumerate(_text_parts(data)):
            if number == 0 and not found and _may_copy_input(path, part, self.documents):
                found = list(_raw_copies(path, _scannable(path, data), self.documents))
            pieces.append(_text_hits(part, self.runs, self.texts))
        found.extend(_piece_emails(path, pieces, self.index))
        found.extend(_piece_phones(path, pieces, self.index))
        if any(piece.anchors for piece in pieces):
            # a file of one line (the search index) is one part: its text is the whole text
            whole = part if len(pieces) == 1 else _scannable(path, data) or ""
            self._private_texts(path, whole)
        self._keep(path, found)

    def stream(self, path: str) -> StreamScan:
        """A scan of a file given a chunk at a time (`StreamScan.feed`), with the findings of
        `scan` of the whole: a big file is scanned in the parts `scan` cuts it into."""
        return StreamScan(self, path)

    def _scan_calendar(self, path: str, data: bytes) -> None:
        """`scan` of a calendar, whose VEVENTs are each scanned once, not once per calendar.

        A session's VEVENT is in four calendars (its own, the schedule's, its track's and its
        room's). The text is cut before each `BEGIN:VEVENT` line; every check but the private
        texts' word runs stays within a line of the unfolded text, a cut is a line break that
        unfolding keeps, and each piece is unfolded and unescaped on its own exactly as within
        the whole text, so the file's findings are its pieces' findings in order (tests compare
        this with `scan` of the whole text). The cuts are before ASCII line breaks, which end
        any broken UTF-8 sequence, so each piece's bytes decode as within the whole.
        """
        pieces = [self._calendar_piece(piece) for piece in _calendar_pieces(data)]
        found = list(_raw_copies(path, None, self.documents))  # by its name only
        found.extend(_piece_emails(path, pieces, self.index))
        found.extend(_piece_phones(path, pieces, self.index))
        if any(piece.anchors for piece in pieces):  # a private text's word: check the whole
            self._private_texts(path, _scannable(path, data) or "")
        self._keep(path, found)

    def _calendar_piece(self, piece: memoryview) -> _PieceHits:
        key = hashlib.blake2b(piece, digest_size=32).digest()
        known = self.calendar_pieces.get(key)
        if known is None:
            if len(self.calendar_pieces) >= _MAX_KEPT_PIECES:
                self.calendar_pieces.clear()
            text = str(piece, "utf-8", "replace")
            known = self.calendar_pieces[key] = _piece_hits(text, self.runs, self.texts)
        return known

    def detach(self) -> None:
        """In a forked worker: keep only what this process scans from now on."""
        self.state = AuditState()

    def ready(self) -> None:
        """Wait for what is made on a thread (before the build forks)."""
        self.documents.ready()

    def handover(self) -> AuditState:
        return self.state

    def merge(self, other: AuditState) -> None:
        self.state.findings.update(other.findings)
        for words, first in other.private_texts.items():
            mine = self.state.private_texts.get(words)
            if mine is None or first < mine:
                self.state.private_texts[words] = first

    def findings(self) -> list[Finding]:
        """By output file, then private texts by where they first show; as if scanned in order."""
        found = [f for path in sorted(self.state.findings) for f in self.state.findings[path]]
        rank = {words: number for number, words in enumerate(self.index.private_texts)}
        firsts = sorted(self.state.private_texts.items(), key=lambda i: (i[1], rank[i[0]]))
        for words, (path, _) in firsts:
            sources = tuple(sorted(self.index.private_texts[words]))
            found.append(Finding(path, "private text", f"({len(words)} words)", sources))
        return [f for f in found if not _allowed(f, self.publish)]

    def enforce(self) -> None:
        """Raise PrivacyError naming what would leak when the audit found anything."""
        findings = self.findings()
        if findings:
            raise PrivacyError(_message(findings))


class StreamScan:
    """`SiteAudit.scan` of a file whose bytes come a chunk at a time (see `SiteAudit.stream`).

    The bytes are held until they are more than a part (`_PART_BYTES`); from then on they are
    cut where `_text_parts` cuts the whole and each part is scanned and let go, as
    `_scan_in_parts` does. A calendar is cut into the pieces `_calendar_pieces` cuts, each
    scanned as `_scan_calendar` does. What needs the whole text (a possible copy of an input
    document, a private text's word run) reads the file back once it is written (`finish`)."""

    def __init__(self, site_audit: SiteAudit, path: str) -> None:
        self.site_audit = site_audit
        self.path = path
        self.pending = bytearray()
        # no line break in `pending[_PART_BYTES - 1 : searched]`: a line longer than a part
        # (a one-line search index) is not searched again from its start at every chunk
        self.searched = 0
        self.pieces: list[_PieceHits] = []
        self.may_copy = False  # the first part's start allows a copy of an input document
        self.calendar = path.endswith(".ics") and reads_contents(path)
        self.in_parts = not self.calendar and reads_contents(path)  # else: scanned whole

    def feed(self, chunk: bytes) -> None:
        self.pending += chunk
        if self.calendar:
            self._calendar_pieces()
        elif self.in_parts and len(self.pending) > _PART_BYTES:
            self._scan_parts(final=False)

    def fed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """`chunks`, each fed to the scan as it passes."""
        for chunk in chunks:
            self.feed(chunk)
            yield chunk

    def finish(self, whole: Callable[[], bytes]) -> None:
        """Scan what is left; `whole` reads the whole file back, if it must be looked at whole."""
        if self.calendar:
            self._finish_calendar(whole)
            return
        if not self.pieces:  # never cut into parts: as `scan` sees it, without a copy
            self.site_audit.scan(self.path, self.pending)  # type: ignore[arg-type]
            return
        self._scan_parts(final=True)
        audit = self.site_audit
        found = list(_raw_copies(self.path, None, audit.documents))  # by its name only
        if self.may_copy and not found:
            found = list(_raw_copies(self.path, _scannable(self.path, whole()), audit.documents))
        self._keep(found, whole)

    def _keep(self, found: list[Finding], whole: Callable[[], bytes]) -> None:
        audit = self.site_audit
        found.extend(_piece_emails(self.path, self.pieces, audit.index))
        found.extend(_piece_phones(self.path, self.pieces, audit.index))
        if any(piece.anchors for piece in self.pieces):
            audit._private_texts(self.path, _scannable(self.path, whole()) or "")
        audit._keep(self.path, found)

    def _scan_parts(self, *, final: bool) -> None:
        """Scan the parts `_text_parts` would cut from the whole, as far as the bytes held show
        them: a cut is known once a byte follows it (or at the end, `final`)."""
        pending = self.pending
        start, searched = 0, self.searched
        while start < len(pending):
            cut = _part_end(pending, start, searched)
            if cut >= len(pending) and not final:
                break
            part = _unescape(str(memoryview(pending)[start:cut], "utf-8", "replace"))
            if not self.pieces:
                self.may_copy = _may_copy_input(self.path, part, self.site_audit.documents)
            audit = self.site_audit
            self.pieces.append(_text_hits(part, audit.runs, audit.texts))
            start, searched = cut, 0
        self.searched = len(pending) - start
        del pending[:start]

    def _calendar_pieces(self) -> None:
        """Scan the pieces before each `BEGIN:VEVENT` line held so far (`_calendar_pieces`)."""
        pending = self.pending
        start = 0
        cut = pending.find(_VEVENT_CUT)
        while cut >= 0:
            with memoryview(pending) as view:
                self.pieces.append(self.site_audit._calendar_piece(view[start:cut]))
            start = cut + 1
            cut = pending.find(_VEVENT_CUT, start)
        del pending[:start]

    def _finish_calendar(self, whole: Callable[[], bytes]) -> None:
        self._calendar_pieces()
        pending = bytes(self.pending)
        self.pending = bytearray()
        end = pending.rfind(_CALENDAR_END_CUT)
        view = memoryview(pending)
        audit = self.site_audit
        if end >= 0:
            self.pieces.append(audit._calendar_piece(view[:end]))
        self.pieces.append(audit._calendar_piece(view[end + 1 if end >= 0 else 0 :]))
        self._keep(list(_raw_copies(self.path, None, audit.documents)), whole)


def _message(findings: list[Finding]) -> str:
    shown = "\n  ".join(str(f) for f in findings[:MAX_SHOWN])
    more = f"\n  … and {len(findings) - MAX_SHOWN} more" if len(findings) > MAX_SHOWN else ""
    # a private field's value cannot be let through by publishing the public field repeating it
    publishable = [f for f in findings if not any(s.private for s in f.sources)]
    fields = sorted({str(s) for f in publishable for s in f.sources})
    hint = (
        f"\nif the organiser publishes these on purpose, pass --publish-field for: "
        f"{', '.join(fields)}"
        if fields
        else ""
    )
    return (
        f"privacy audit: {len(findings)} finding(s) in the output; nothing was written:"
        f"\n  {shown}{more}{hint}"
    )


def index_input(documents: Mapping[str, Any]) -> _InputIndex:
    return _InputIndex(documents)


def _index_strings(strings: Iterable[tuple[str, str, str]]) -> _Index:
    index = _Index()
    sources: dict[tuple[str, str], tuple[Source, bool]] = {}
    for document, key, raw in strings:
        known = sources.get((document, key))
        if known is None:
            source = Source(document, key)
            known = sources[document, key] = (source, source.private)
        source, private = known
        value = _unescape(raw)
        if "@" in value:
            for match in _email_matches(value):
                index.emails.setdefault(match.group().casefold(), set()).add(source)
        if len(value) >= MIN_PHONE_DIGITS:
            for match in _number_runs(value):
                digits = only_digits(match.group())
                if len(digits) >= MIN_PHONE_DIGITS:
                    index.phones.setdefault(digits, set()).add(source)
        if private and len(value.strip()) >= MIN_PRIVATE_TEXT_CHARS:
            words = tuple(w.casefold() for w in _WORD.findall(value))
            if len(words) >= MIN_PRIVATE_TEXT_WORDS:
                index.private_texts.setdefault(words, set()).add(source)
    index.private_phones = {
        digits: sources
        for digits, sources in index.phones.items()
        if any(source.private for source in sources)
    }
    return index


def _strings(
    documents: Mapping[str, Any], *, only_private: bool = False
) -> Iterator[tuple[str, str, str]]:
    """(document, kebab-case key, value) for every string or number under a key, any depth;
    with `only_private`, those under a private field's key, in the same order."""
    keys: dict[object, str] = {}  # JSON keys repeat in every object
    for document, root in documents.items():
        stack: list[tuple[str, Any]] = [("", root)]
        while stack:
            key, value = stack.pop()
            kind = type(value)  # the exact JSON types first: isinstance of an ABC is slow
            if only_private and _public_scalar(key, kind, value):
                continue
            if kind is str:
                yield document, key, value
            elif kind is dict:
                stack.extend(_named_items(value, keys, only_private))
            elif kind is list:
                if only_private and key not in PRIVATE_FIELDS:
                    value = [item for item in value if type(item) not in _PLAIN]
                stack.extend(zip(repeat(key, len(value)), value, strict=True))
            elif value is None or kind is bool or kind is int or kind is float:
                if value is not None and kind is not bool:
                    yield document, key, str(value)
            elif isinstance(value, str):
                yield document, key, value
            elif isinstance(value, Mapping):
                stack.extend(_named_items(value, keys, only_private))
            elif isinstance(value, list):
                stack.extend((key, item) for item in value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield document, key, str(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})  # JSON's scalars, exactly


def _public_scalar(key: str, kind: type, value: Any) -> bool:
    """A public field's value that holds no object or array: nothing private is in it."""
    if kind is dict or kind is list or key in PRIVATE_FIELDS:
        return False
    return not isinstance(value, Mapping | list)


def _named_items(
    value: Mapping[Any, Any], keys: dict[object, str], only_private: bool
) -> list[tuple[str, Any]]:
    """An object's (kebab-case key, value) pairs, in its order; with `only_private`, without
    the plain scalars of public keys."""
    named = []
    for k, v in value.items():
        name = keys.get(k) if isinstance(k, str) else None
        if name is None:
            name = keys[k] = str(k).lower().replace("_", "-")
        if only_private and type(v) in _PLAIN and name not in PRIVATE_FIELDS:
            continue
        named.append((name, v))
    return named


def reads_contents(path: str) -> bool:
    """Whether the audit looks inside this output file (text) or only at its name (media)."""
    name = _file_name(path)
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as PurePosixPath.suffix
    return suffix.lower() in TEXT_SUFFIXES


def _file_name(path: str) -> str:
    if "//" in path or "/." in path or path.endswith("/") or path.startswith("."):
        return PurePosixPath(path).name  # folds "a//b", "a/./b", "a/."
    return path[path.rfind("/") + 1 :]  # the same, without pathlib's cost per file


def _scannable(path: str, data: bytes) -> str | None:
    """The text of an output file with escapes undone, or None for binary files (media)."""
    if not reads_contents(path):
        return None
    text = data.decode("utf-8", "replace")
    if path.endswith(".ics"):
        text = _unfolded(text)
    return _unescape(text)


def _unfolded(text: str) -> str:
    """A calendar's text with lines unfolded and TEXT escapes undone (RFC 5545 3.1, 3.3.11)."""
    fold = _FOLD
    if text.count("\n") == text.count("\r\n"):  # CRLF line breaks, as RFC 5545 has them
        fold = _FOLD_CRLF  # the same matches, found faster with no optional first character
    elif "\r" not in text:
        fold = _FOLD_LF
    text = fold.sub("", text)
    if "\\" in text:
        text = _ICS_ESCAPE.sub(_ics_unescaped, text)
    return text


_FOLD = re.compile(r"\r?\n[ \t]")
_FOLD_CRLF = re.compile(r"\r\n[ \t]")
_FOLD_LF = re.compile(r"\n[ \t]")
_ICS_ESCAPE = re.compile(r"\\[\\;,nN]")
_ICS_UNESCAPED = {"\\\\": "\\", "\\;": ";", "\\,": ",", "\\n": "\n", "\\N": "\n"}


def _ics_unescaped(match: re.Match[str]) -> str:
    return _ICS_UNESCAPED[match.group()]


_VEVENT_CUT = b"\nBEGIN:VEVENT"
_CALENDAR_END_CUT = b"\nEND:VCALENDAR"
_MAX_KEPT_PIECES = 50_000  # VEVENTs; more are scanned again rather than held


def _calendar_pieces(data: bytes) -> Iterator[memoryview]:
    """A calendar's bytes cut before each `BEGIN:VEVENT` line and before its last
    `END:VCALENDAR` line, the line breaks left out: a VEVENT is the same piece wherever it is.
    `b"\\n".join` of the pieces is the calendar. One at a time, without copying."""
    view = memoryview(data)
    start = 0
    cut = data.find(_VEVENT_CUT)
    while cut >= 0:
        yield view[start:cut]
        start = cut + 1
        cut = data.find(_VEVENT_CUT, start)
    end = data.rfind(_CALENDAR_END_CUT, start)  # within the last piece
    if end >= 0:
        yield view[start:end]
        start = end + 1
    yield view[start:]


_PART_BYTES = 1 << 20  # a file bigger than this is scanned in parts of about this size


def _text_parts(data: bytes) -> Iterator[str]:
    """`_scannable` text of a (non-calendar) file in parts cut after line breaks. A line break
    ends any broken UTF-8 sequence, and no escape spans one, so the parts' texts joined are
    the whole text."""
    view = memoryview(data)
    start = 0
    while start < len(data):
        cut = _part_end(data, start)
        yield _unescape(str(view[start:cut], "utf-8", "replace"))
        start = cut


def _part_end(data: bytes | bytearray, start: int, searched: int = 0) -> int:
    """Where the part of `data` from `start` ends: after the first line break at least
    `_PART_BYTES` on, else at the end; `searched`: no line break is before it."""
    return data.find(b"\n", max(start + _PART_BYTES - 1, searched)) + 1 or len(data)


def _may_copy_input(path: str, start: str, documents: StoredDocuments) -> bool:
    """Whether a file whose text begins with `start` may be a copy of an input document,
    as `_raw_copies` judges it from the text's start; a blank start decides nothing."""
    if not path.endswith(".json"):
        return False
    if _JSON_SPACE.match(start).end() == len(start):  # type: ignore[union-attr]
        return True
    return any(_could_be_copy(start, outline) for outline in documents.outlines())


@dataclass(frozen=True, slots=True)
class _PieceHits:
    """What the line-local checks find in one piece of a text, in order."""

    emails: tuple[str, ...]  # addresses, as `_emails` takes them
    runs: tuple[tuple[_Run, bool], ...]  # `_run_hits`
    anchors: bool  # holds a private text's distinctive word


def _piece_hits(piece: str, runs: _NumberRuns, texts: _PrivateTexts) -> _PieceHits:
    return _text_hits(_unescape(_unfolded(piece)), runs, texts)


def _text_hits(text: str, runs: _NumberRuns, texts: _PrivateTexts) -> _PieceHits:
    """`_PieceHits` of a text whose escapes are undone."""
    emails = tuple(m.group() for m in _email_matches(text) if is_address(m.group()))
    found = tuple(_run_hits(text, runs))
    anchors = bool(texts.by_anchor) and bool(list(texts._anchors_in(text)))
    return _PieceHits(emails, found, anchors)


def _piece_emails(path: str, pieces: list[_PieceHits], index: _InputIndex) -> Iterator[Finding]:
    """`_emails` of the whole text, from its pieces' addresses."""
    seen: set[str] = set()
    for piece in pieces:
        for address in piece.emails:
            key = address.casefold()
            if key not in seen:
                seen.add(key)
                sources = tuple(sorted(index.emails.get(key, ())))
                yield Finding(path, "e-mail address", _mask_email(address), sources)


def _piece_phones(path: str, pieces: list[_PieceHits], index: _InputIndex) -> Iterator[Finding]:
    """`_phones` of the whole text, from its pieces' runs."""
    return _phone_findings(path, (hit for piece in pieces for hit in piece.runs), index)


def _phone_findings(
    path: str, hits: Iterable[tuple[_Run, bool]], index: _InputIndex
) -> Iterator[Finding]:
    """The phone numbers of a file's runs, in order, each once."""
    seen: set[str] = set()
    for run, phone_here in hits:
        assert run.digits is not None
        if phone_here and run.digits not in seen:
            seen.add(run.digits)
            sources = _phone_sources(run.digits, index)
            yield Finding(path, "phone number", _maskdigits(run.digits), sources)
        for number in run.private:
            if number not in seen:
                seen.add(number)
                sources = tuple(sorted(index.private_phones[number]))
                yield Finding(path, "phone number", _maskdigits(number), sources)


def _unescape(text: str) -> str:
    """Undo HTML entities and URL escapes, which hide `@` from a plain search."""
    if "&" in text:
        text = _CHARREF.sub(_charref, text)
    if "%" in text:
        text = unquote(text)
    return text


@functools.lru_cache(maxsize=4096)
def _unescaped_charref(reference: str) -> str:
    return html.unescape(reference)


def _charref(match: re.Match[str]) -> str:
    # html.unescape replaces each reference by what it alone means; pages repeat a few of them
    return _unescaped_charref(match.group())


def _raw_copies(path: str, text: str | None, documents: Mapping[str, Any]) -> Iterator[Finding]:
    name = _file_name(path)
    stem = name[:-5] if name.endswith(".json") else name
    if stem in DATA_FILES or stem == "attendees":
        yield Finding(path, "raw input file", repr(name), ())
        return
    if text is None or not path.endswith(".json"):
        return
    stored = documents if isinstance(documents, StoredDocuments) else None
    outlines = stored.outlines() if stored is not None else documents.values()
    if not any(_could_be_copy(text, outline) for outline in outlines):
        return  # not worth parsing: a site's schedule export is as big as the input
    try:
        if stored is not None and not stored.may_hold(_text_shape(text)):
            return
        value = json.loads(text)
    except ValueError:
        return
    same_shape = stored.shaped_like(value) if stored is not None else documents.items()
    for document, content in same_shape:
        if content is not None and value == content:
            yield Finding(path, "copy of the input", repr(document), (Source(document, "*"),))


_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # json's whitespace


def _could_be_copy(text: str, content: Any) -> bool:
    """False where `json.loads(text) == content` cannot hold: an array or object of the input
    against anything else, or an object against one with a key it lacks (the text's first:
    keys repeated in JSON replace values, never remove keys)."""
    kind = type(content)
    if kind is not dict and kind is not list:
        return content is not None
    at = _JSON_SPACE.match(text).end()  # type: ignore[union-attr]
    if kind is list:
        return text.startswith("[", at)
    if not text.startswith("{", at):
        return False
    at = _JSON_SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
    if not text.startswith('"', at):
        return True  # "{}", or not JSON
    try:
        key, _ = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
    except ValueError:
        return True
    return key in content


class StoredDocuments(Mapping[str, Any]):
    """The input documents kept for the copy check, each marshalled and compressed into one
    bytes object and decoded again only for an output of the same shape (equal values have
    the same type and length), so the build can let the parsed JSON go once the input is
    indexed (10,000 sessions: 55 MB of objects, which the forked render workers would share and
    partly copy; 27 MB marshalled, 8 MB compressed).

    They are packed on a thread (zlib lets the build go on meanwhile) until `ready()`, which
    the build calls before it forks, and which decoding a document waits for."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self._shapes = {name: _shape(value) for name, value in documents.items()}
        self._outlines = [_outline(value) for value in documents.values()]
        self._packed: dict[str, bytes | tuple[Any]] = {}
        self._failure: BaseException | None = None
        self._packing: threading.Thread | None = threading.Thread(
            target=self._pack_all, args=(dict(documents),), name="audit-pack", daemon=True
        )
        self._packing.start()

    def _pack_all(self, documents: dict[str, Any]) -> None:
        try:
            for name in list(documents):
                self._packed[name] = _pack(documents.pop(name))  # let go once packed
        except BaseException as exc:  # raised where the documents are needed
            self._failure = exc

    def ready(self) -> None:
        """Wait until every document is packed (no thread may run when a process forks)."""
        if self._packing is not None:
            self._packing.join()
            self._packing = None
        if self._failure is not None:
            raise self._failure

    def __getitem__(self, name: str) -> Any:
        self.ready()
        return _unpack(self._packed[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    def outlines(self) -> list[Any]:
        """Each document as `_could_be_copy` needs it: an object's keys, an empty array for an
        array, a plain value as it is."""
        return self._outlines

    def may_hold(self, shape: tuple[str, int] | None) -> bool:
        """Whether any document may equal a value of this shape."""
        return any(known is None or known == shape for known in self._shapes.values())

    def shaped_like(self, value: Any) -> Iterator[tuple[str, Any]]:
        """The documents that may equal `value`, decoded."""
        shape = _shape(value)
        for name, known in self._shapes.items():
            if known is None or known == shape:
                yield name, self[name]


def _outline(value: Any) -> Any:
    if isinstance(value, dict):
        return dict.fromkeys(value)
    return [] if isinstance(value, list) else value


def _shape(value: Any) -> tuple[str, int] | None:
    """What equal JSON containers share; None for anything else (always compared)."""
    if isinstance(value, dict):
        return "dict", len(value)
    if isinstance(value, list):
        return "list", len(value)
    return None


def _text_shape(text: str) -> tuple[str, int] | None:
    """`_shape` of the JSON value in `text`, parsed without keeping its objects (each becomes
    its number of distinct keys): a schedule export of 20 MB would take five times that as
    objects, only to be found unlike every input document."""
    value = json.loads(text, object_pairs_hook=_key_count)
    first = text.lstrip(" \t\n\r")[:1]
    if first == "{":
        return "dict", value
    if first == "[":
        return "list", len(value)
    return None


def _key_count(pairs: list[tuple[str, Any]]) -> int:
    return len({key for key, _ in pairs})  # a repeated key is one key of the dict


def _pack(value: Any) -> bytes | tuple[Any]:
    try:
        return zlib.compress(marshal.dumps(value), 1)  # the fastest level: 3.5x smaller here
    except ValueError:  # not plain JSON data: kept as it is
        return (value,)


def _unpack(packed: bytes | tuple[Any]) -> Any:
    return packed[0] if isinstance(packed, tuple) else marshal.loads(zlib.decompress(packed))


def _emails(path: str, text: str, index: _InputIndex) -> Iterator[Finding]:
    seen: set[str] = set()
    for match in _email_matches(text):
        address = match.group()
        key = address.casefold()
        if key in seen or not is_address(address):
            continue
        seen.add(key)
        sources = tuple(sorted(index.emails.get(key, ())))
        yield Finding(path, "e-mail address", _mask_email(address), sources)


def _email_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of `EMAIL.finditer(text)`, found from each `@` instead of trying every position.

    A match holds one `@` and starts where the run of local-part characters before it starts
    (its look-behind rejects any later start), so that is the only place to try.
    """
    end = 0  # where the last match ended: finditer goes on from there
    at = text.find("@")
    while at >= 0:
        start = at
        while start > 0 and text[start - 1] in _LOCAL_PART:
            start -= 1
        if end <= start < at and (match := EMAIL.match(text, start)) is not None:
            end = match.end()
            yield match
        at = text.find("@", at + 1)


def _number_runs(text: str, pos: int = 0) -> Iterator[re.Match[str]]:
    """The matches of `NUMBER_RUN.finditer(text)` whose digits start at `pos` or later, found
    much faster.

    NUMBER_RUN's optional prefix makes the regex engine try it at every position; its digit
    core is found quickly and ends where the match ends, and the match starts earlier only
    when "tel:", "+" or "(" come right before the core.
    """
    end = 0
    for core in _NUMBER_CORE.finditer(text, pos):
        start = core.start()
        match: re.Match[str] | None = core
        if start > end and text[start - 1] in "(+:":
            match = NUMBER_RUN.search(text, max(end, start - _NUMBER_PREFIX), core.end())
        if match is None:  # pragma: no cover - the core itself matches
            return
        end = match.end()
        yield match


# A text as one byte a character, mapped to what `_NUMBER_CORE` sees: "d" a digit or a
# non-ASCII character (which may be one: `encode` makes them "?"), "s" a separator, "x"
# anything else. bytes.translate and a regex over a literal alphabet are several times faster
# than `\d` over the text.
def _run_byte(byte: int) -> int:
    if byte in b"0123456789?":
        return ord("d")
    return ord("s") if byte in b" ()./-" else ord("x")


_RUN_MAP = bytes(map(_run_byte, range(256)))  # a bytes.translate table
_MAPPED_CORE = re.compile(rb"d[ds]{5,}d")
# characters kept before a mapped core: NUMBER_RUN's prefix and the one before a match
_CONTEXT = _NUMBER_PREFIX + 1


def _mapped(text: str) -> bytes:
    return text.encode("ascii", "replace").translate(_RUN_MAP)


def _run_hits(text: str, runs: _NumberRuns) -> Iterator[tuple[_Run, bool]]:
    """The runs of `_number_runs(text)` that can make a finding: (run, is it a phone number
    where it stands), for those holding a private number or shaped like a phone number.

    Every run of NUMBER_RUN's characters is within a run of mapped bytes `_MAPPED_CORE`
    matches, and different runs are apart, so each is looked at in a window of its own: from
    `_CONTEXT` characters before its mapped core to the one after it. Pages repeat the same
    windows (dates, times, ids), so each is worked out once.
    """
    windows = runs.windows
    for offset, mapped, end in _mapped_parts(text):
        for core in _MAPPED_CORE.finditer(mapped, 0, end):
            first, last = core.start() + offset, core.end() + offset
            window = text[first - _CONTEXT if first > _CONTEXT else 0 : last + 1]
            hits = windows.get(window)
            if hits is None:
                if len(windows) >= _MAX_KEPT_WINDOWS:
                    windows.clear()
                hits = windows[window] = _window_hits(window, runs)
            if hits:
                yield from hits


_MAPPED_PART = 1 << 20  # characters: a big file's text is not copied whole, twice


def _mapped_parts(text: str) -> Iterator[tuple[int, bytes, int]]:
    """(where it starts, `_mapped` bytes, where to stop in them) for parts of the text that
    follow each other, each cut after an "x", which no mapped core holds."""
    start = 0
    while start < len(text):
        mapped = _mapped(text[start : start + _MAPPED_PART])
        end = len(mapped)
        if start + end < len(text):
            end = mapped.rfind(b"x") + 1
            if not end:  # nowhere to cut: the rest at once
                mapped = _mapped(text[start:])
                end = len(mapped)
        yield start, mapped, end
        start += end


_MAX_KEPT_WINDOWS = 50_000  # a few bytes each; more are worked out again


def _window_hits(window: str, runs: _NumberRuns) -> tuple[tuple[_Run, bool], ...]:
    """`_run_hits` of a window: the mapped core ending before its last character, and the
    characters leading up to it, whose matches belong to an earlier window and are left out."""
    mapped = _mapped(window)
    core = mapped.find(b"d", mapped.rfind(b"x", 0, len(window) - 1) + 1)
    hits = []
    for match in _number_runs(window, core):
        run = runs.known.get(match.group()) or runs.learn(match.group())
        if run.digits is None:
            continue
        phone_here = run.shaped and is_phone(window, match)
        if phone_here or run.private:
            hits.append((run, phone_here))
    return tuple(hits)


def _phones(path: str, text: str, index: _InputIndex, runs: _NumberRuns) -> Iterator[Finding]:
    return _phone_findings(path, _run_hits(text, runs), index)


@dataclass(frozen=True, slots=True)
class _Run:
    """What a run of numbers is, wherever it stands."""

    digits: str | None  # None: too few digits for a phone number
    shaped: bool  # shaped like a phone number (whether it is one also depends on its neighbours)
    private: tuple[str, ...]  # the private phone numbers it holds, in the input's order


class _NumberRuns:
    """Runs of numbers, each worked out once: the same ones (dates, ids) come back on every page."""

    def __init__(
        self,
        private_phones: Iterable[str],
        in_input_order: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.rank = {number: rank for rank, number in enumerate(private_phones)}
        # when `private_phones` is not in the input's order: where to find it, when needed
        self.in_input_order = in_input_order
        self.lengths = sorted({len(number) for number in self.rank})
        self.known: dict[str, _Run] = {}
        self.windows: dict[str, tuple[tuple[_Run, bool], ...]] = {}  # by `_run_hits` window

    def learn(self, run: str) -> _Run:
        digits = only_digits(run)
        if len(digits) < MIN_PHONE_DIGITS:
            known = _Run(None, False, ())
        else:
            # alone, with no neighbours to spoil it, a run is a phone number if it is shaped like one
            shaped = is_phone(run, NUMBER_RUN.match(run))  # type: ignore[arg-type]
            known = _Run(digits, shaped, self._private_within(digits))
        self.known[run] = known
        return known

    def _private_within(self, digits: str) -> tuple[str, ...]:
        if not self.lengths:
            return ()
        found = {
            digits[start : start + length]
            for length in self.lengths
            for start in range(len(digits) - length + 1)
        }
        private = found & self.rank.keys()
        if len(private) > 1 and self.in_input_order is not None:
            self.rank = {number: rank for rank, number in enumerate(self.in_input_order())}
            self.in_input_order = None
        return tuple(sorted(private, key=self.rank.__getitem__))


def _phone_sources(digits: str, index: _InputIndex) -> tuple[Source, ...]:
    sources = index.phones.get(digits)
    if sources is None:  # written differently in the input, e.g. without the country code
        sources = {s for number, found in index.phones.items() if digits in number for s in found}
        sources |= {s for number, found in index.phones.items() if number in digits for s in found}
    return tuple(sorted(sources))


class _PrivateTexts:
    """Private free text shows up as the same run of words in some file's visible text.

    Most files hold none of it: a file is split into words only when a distinctive word (the
    longest) of some private text occurs in it.
    """

    def __init__(self, texts: Iterable[tuple[str, ...]]) -> None:
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        self.by_anchor: dict[str, list[tuple[str, ...]]] = {}
        for words in texts:
            self.by_first.setdefault(words[0], []).append(words)
            self.by_anchor.setdefault(max(words, key=len), []).append(words)

    def first_hits(self, text: str) -> Iterator[tuple[tuple[str, ...], int]]:
        """(private text, word position) of each private text's first occurrence in `text`."""
        if not self.by_anchor:
            return
        possible = {words for anchor in self._anchors_in(text) for words in self.by_anchor[anchor]}
        if not possible:
            return
        visible = _TAG.sub(" ", text)
        if len(visible) > _WORDS_AT_ONCE:
            yield from _first_runs(visible, possible)
            return
        words = [w.casefold() for w in _WORD.findall(visible)]
        found: set[tuple[str, ...]] = set()
        for at, word in enumerate(words):
            for candidate in self.by_first.get(word, ()):
                if (
                    candidate in possible
                    and candidate not in found
                    and tuple(words[at : at + len(candidate)]) == candidate
                ):
                    found.add(candidate)
                    yield candidate, at

    def _anchors_in(self, text: str) -> Iterable[str]:
        # casefold maps each character on its own, so a word's folding is a substring of the
        # text's; for ASCII text it also keeps word boundaries, so its words can be compared
        folded = text.casefold()
        if len(self.by_anchor) <= _FEW_ANCHORS:
            return [anchor for anchor in self.by_anchor if anchor in folded]
        if text.isascii():
            words = _distinct_words(folded)
        else:
            words = {word.casefold() for word in _distinct_words(text)}
        return words & self.by_anchor.keys()


_WORDS_AT_ONCE = 1 << 16  # characters whose words are listed at once


def _first_runs(
    visible: str, possible: set[tuple[str, ...]]
) -> Iterator[tuple[tuple[str, ...], int]]:
    """`_PrivateTexts.first_hits` of a long text, from its words one at a time, not a list of
    them all (a search index of 8 MB on one line: a million words, twice, as found and folded).
    Each run is recognised at its last word, among the words last seen: the first occurrence
    found is the first by its start too, as the runs of one private text are equally long."""
    by_last: dict[str, list[tuple[str, ...]]] = {}
    for candidate in possible:
        by_last.setdefault(candidate[-1], []).append(candidate)
    recent: deque[str] = deque(maxlen=max(map(len, possible)))
    found: set[tuple[str, ...]] = set()
    for at, match in enumerate(_WORD.finditer(visible)):
        word = match.group().casefold()
        recent.append(word)
        for candidate in by_last.get(word, ()):
            size = len(candidate)
            if (
                candidate not in found
                and size <= len(recent)
                and tuple(islice(recent, len(recent) - size, None)) == candidate
            ):
                found.add(candidate)
                yield candidate, at - size + 1


def _distinct_words(text: str) -> set[str]:
    """`set(_WORD.findall(text))`, without the list of every word of a long text (a search
    index of 8 MB on one line: a million words, 70 MB): slices cut before a non-word
    character, which no word holds, are listed one at a time."""
    if len(text) <= _WORDS_AT_ONCE:
        return set(_WORD.findall(text))
    words: set[str] = set()
    start = 0
    while start < len(text):
        cut = _NON_WORD.search(text, start + _WORDS_AT_ONCE)
        end = cut.start() if cut is not None else len(text)
        words.update(_WORD.findall(text, start, end))
        start = end
    return words


_NON_WORD = re.compile(r"\W")


def _allowed(finding: Finding, publish: frozenset[str]) -> bool:
    """Published on purpose: every source is a published field, and none is private unpublished."""
    if not finding.sources:
        return False
    return all(_published(source, publish) for source in finding.sources)


def _published(source: Source, publish: frozenset[str]) -> bool:
    return source.key in publish or str(source) in publish


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def _maskdigits(digits: str) -> str:
    return "…" + digits[-2:]
