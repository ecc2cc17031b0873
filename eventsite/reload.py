"""Loading an export again after an edit, with work in proportion to what changed (`serve`).

`DocumentMemo.parse` stands in for `sources.base.parse_document`: a file whose bytes did not
change gives the very value parsed last time, and in a changed file that is a JSON array, every
record whose text is unchanged is the object parsed last time; only the changed records are
parsed again. `RecordMemo` stands in for the per-record normalisers of `model.normalise`: a record
that is the very object it saw last time (with the same context) gives a copy of the entity it
made then. Both replay the issues the work reported the first time, in the same order.

Whenever reuse cannot be shown to give what a fresh parse gives (another encoding, escaped
surrogates, a string that may be cut, a file that is not an array of objects...), the file is
parsed as a whole, as `parse_document` does.
"""

from __future__ import annotations

import bisect
import codecs
import dataclasses
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eventsite.issues import Issue, IssueLog
from eventsite.model import contacts
from eventsite.model.contacts import ContactRedactor
from eventsite.sources import base

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# `_may_hold_long_string` looks for a quote and MAX_STRING_CHARS more characters, after turning
# each escaped quote into one character: a run that touches a changed span lies within this many
# characters of it
_LONG_MARGIN = 2 * (base.MAX_STRING_CHARS + 2)
_SURROGATE_MARGIN = 8
_TAIL_BLOCK = 1 << 18
_DECODER = json.JSONDecoder(strict=False)


@dataclass(slots=True)
class _Array:
    """A data file parsed into a top-level array, with where each item's bytes are."""

    data: bytes
    start: int  # where the JSON text starts: after a UTF-8 BOM, if the file has one
    items: list[Any]
    spans: list[tuple[int, int]]  # byte offsets in `data`
    parsed: int  # items parsed anew to make this array (the others are earlier objects)


@dataclass(slots=True)
class _Parsed:
    data: bytes
    file: str
    value: Any
    issues: list[Issue]
    array: _Array | None  # when items can be reused one by one


class DocumentMemo:
    """`parse_document` that reuses what it parsed of the previous version of each file."""

    def __init__(self) -> None:
        self._kept: dict[str, _Parsed] = {}
        self.reparsed: dict[str, int] = {}  # items parsed anew per file, by the last load

    def kept(self, name: str) -> tuple[str, Any] | None:
        """(file, value) of the document `name` as the last parse gave it."""
        kept = self._kept.get(name)
        return None if kept is None else (kept.file, kept.value)

    def holds(self, path: str) -> bool:
        """Whether `path` is a data file of the last load, with the bytes it had then."""
        for kept in self._kept.values():
            if kept.file == path:
                try:
                    with open(path, "rb") as handle:
                        return handle.read(len(kept.data) + 1) == kept.data
                except OSError:
                    return False
        return False

    def parse(self, name: str, data: bytes, file: str, issues: IssueLog) -> Any:
        kept = self._kept.get(name)
        if kept is not None and kept.file == file and kept.data == data:
            issues.issues.extend(kept.issues)
            self.reparsed[name] = 0
            return kept.value
        array = _respliced(kept.array, data) if kept is not None and kept.file == file else None
        if array is None:
            return self._parse_whole(name, data, file, issues)
        self.reparsed[name] = array.parsed
        self._kept[name] = _Parsed(data, file, array.items, [], array)
        return array.items

    def _parse_whole(self, name: str, data: bytes, file: str, issues: IssueLog) -> Any:
        array = _as_array(data) if base.EXPECTED_TYPES.get(name) is list else None
        if array is not None:  # what `parse_document` makes of it, item by item
            self._kept[name] = _Parsed(data, file, array.items, [], array)
            self.reparsed[name] = len(array.items)
            return array.items
        start = len(issues.issues)
        value = base.parse_document(name, data, file, issues)  # raises: nothing is kept
        self._kept[name] = _Parsed(data, file, value, issues.issues[start:], None)
        self.reparsed[name] = len(value) if isinstance(value, list) else 1
        return value


def _plain_text(data: bytes) -> str | None:
    """The text `parse_document` parses as it is (no cleaning pass), or None."""
    scratch = IssueLog()
    try:
        text = base.decode_text(data, "", scratch)
    except base.SourceError:
        return None
    if scratch.issues or len(data) > base.max_json_bytes():
        return None
    return text


def _as_array(data: bytes) -> _Array | None:
    """A file's top-level array parsed item by item, if `parse_document` would just `json.loads`
    it: decoded without a warning, no escaped surrogate, no string that may be cut. The same
    scanner parses each item as `json.loads` would, from the same parser state."""
    text = _plain_text(data)
    if text is None or base._SURROGATE_ESCAPE.search(text) or base._may_hold_long_string(text):
        return None
    parsed = _parse_span(text, after_item=False, before_item=False)
    if parsed is None:
        return None
    items, spans = parsed
    start = _text_start(data)
    return _Array(data, start, items, _byte_spans(text, spans, start, len(data)), len(items))


def _text_start(data: bytes) -> int:
    return len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0


def _byte_spans(
    text: str, spans: list[tuple[int, int]], start: int, end: int
) -> list[tuple[int, int]]:
    """`spans` (character offsets in `text`) as offsets in the bytes [start, end) it was
    decoded from."""
    if len(text) == end - start:  # ASCII: a character is a byte
        return [(low + start, high + start) for low, high in spans] if start else spans
    made, at, char = [], start, 0
    for low, high in spans:
        at += len(text[char:low].encode("utf-8"))
        begin = at
        at += len(text[low:high].encode("utf-8"))
        made.append((begin, at))
        char = high
    return made


def _respliced(old: _Array | None, data: bytes) -> _Array | None:
    """The new version of an array file, reusing the items whose bytes (and place) are unchanged.

    Items before the first changed byte are the old objects: the text up to them is the same.
    So are the old items that lie in the bytes the two versions end with, counted from the
    end: the same text from the same parser state parses the same. Only the bytes between are
    decoded and parsed, and they must end where such an item starts, after a separator.
    Outside them the bytes are the old ones, which decoded without a warning; the span starts
    and ends at ASCII bytes, so the new file decodes without one exactly when the span does.
    """
    if old is None or not old.spans or not _plain_bytes(data, old.start):
        return None
    kept = _common_prefix_items(old, data)
    changed_from = old.spans[kept - 1][1] if kept else old.start
    common = min(len(data), len(old.data)) - changed_from
    tail = _common_suffix_length(data, old.data, common)
    reused = bisect.bisect_left(old.spans, (len(old.data) - tail, 0), lo=kept)
    delta = len(data) - len(old.data)
    changed_to = old.spans[reused][0] + delta if reused < len(old.spans) else len(data)
    try:
        text = data[changed_from:changed_to].decode("utf-8")
    except UnicodeDecodeError:
        return None
    parsed = _parse_span(text, kept > 0, reused < len(old.spans))
    if parsed is None or not _plain_around(data, changed_from, changed_to):
        return None
    items, spans = parsed
    spans = _byte_spans(text, spans, changed_from, changed_to)
    return _Array(
        data,
        old.start,
        [*old.items[:kept], *items, *old.items[reused:]],
        [*old.spans[:kept], *spans, *((s + delta, e + delta) for s, e in old.spans[reused:])],
        len(items),
    )


def _plain_bytes(data: bytes, start: int) -> bool:
    """Whether `decode_text` takes these bytes as UTF-8 with the old file's BOM (or none)."""
    if len(data) > base.max_json_bytes() or _text_start(data) != start:
        return False
    return start > 0 or (
        not data.startswith(_OTHER_BOMS) and base._bomless_wide_encoding(data) is None
    )


_OTHER_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _parse_span(
    text: str, after_item: bool, before_item: bool
) -> tuple[list[Any], list[tuple[int, int]]] | None:
    """The items of the changed span of an array: it follows an item (else the `[`) and
    precedes a reused item (else it ends the array); None when it is not such a span."""
    items: list[Any] = []
    spans: list[tuple[int, int]] = []
    pos = _WHITESPACE.match(text, 0).end()
    if not after_item:
        if not text.startswith("[", pos):
            return None
        pos = _WHITESPACE.match(text, pos + 1).end()
        if before_item and pos == len(text):
            return items, spans
    try:
        while True:
            if after_item or items:
                if not before_item and text.startswith("]", pos):
                    return _closed(text, pos, items, spans)
                if not text.startswith(",", pos):
                    return None
                pos = _WHITESPACE.match(text, pos + 1).end()
                if before_item and pos == len(text):
                    return items, spans
            elif not before_item and text.startswith("]", pos):
                return _closed(text, pos, items, spans)
            value, end = _DECODER.scan_once(text, pos)
            items.append(value)
            spans.append((pos, end))
            pos = _WHITESPACE.match(text, end).end()
    except (StopIteration, ValueError, RecursionError):
        return None


def _closed(
    text: str, pos: int, items: list[Any], spans: list[tuple[int, int]]
) -> tuple[list[Any], list[tuple[int, int]]] | None:
    """The items, if the `]` at `pos` ends the text (but for whitespace)."""
    return (items, spans) if _WHITESPACE.match(text, pos + 1).end() == len(text) else None


def _plain_around(data: bytes, low: int, high: int) -> bool:
    """Whether the changed span [low, high) gives `parse_document` no reason for a cleaning pass.

    The old text had no escaped surrogate and no possible over-long string, and outside the
    span the new bytes are the old ones: only a match touching the span can be new. The
    margins are counted in characters; a character takes at most four bytes."""
    if base._SURROGATE_ESCAPE.search(
        _decoded(data, low - 4 * _SURROGATE_MARGIN, high + 4 * _SURROGATE_MARGIN)
    ):
        return False
    return not base._may_hold_long_string(
        _decoded(data, low - 4 * _LONG_MARGIN, high + 4 * _LONG_MARGIN)
    )


def _decoded(data: bytes, low: int, high: int) -> str:
    """`data[low:high]` decoded, both ends moved out to the nearest character boundary."""
    low, high = max(0, low), min(len(data), high)
    while low > 0 and data[low] & 0xC0 == 0x80:
        low -= 1
    while high < len(data) and data[high] & 0xC0 == 0x80:
        high += 1
    return data[low:high].decode("utf-8")


def _common_suffix_length(new: bytes, old: bytes, limit: int) -> int:
    """How many bytes `new` and `old` end with alike, at most `limit`, compared a block at a
    time from the end: slicing whole tails of a big file would copy them (tens of MB)."""
    length = 0
    block = _TAIL_BLOCK
    while length < limit:
        size = min(block, limit - length)
        if (
            new[len(new) - length - size : len(new) - length]
            == old[len(old) - length - size : len(old) - length]
        ):
            length += size
        elif size == 1:
            return length
        else:
            block = max(1, size // 16)
    return length


def _common_prefix_items(old: _Array, data: bytes) -> int:
    """How many leading old items lie in bytes the new version starts with (whole items)."""
    spans, count = old.spans, len(old.spans)
    low, step = 0, 64
    while low < count:  # gallop over blocks of items, then narrow down inside the first bad one
        high = min(count, low + step)
        begin = spans[low - 1][1] if low else 0
        end = spans[high - 1][1]
        if data[begin:end] == old.data[begin:end]:
            low = high
            continue
        if step == 1:
            return low
        step = max(1, step // 8)
    return count


@dataclass(slots=True)
class _Made:
    record: Mapping[str, Any]
    context: tuple[object, ...]
    entity: Any  # never handed out: resolving and redacting change the copies
    issues: list[Issue]
    # how contact redaction left the copy: (what it depended on, attribute values, issues)
    redacted: tuple[object, tuple[tuple[str, Any], ...], list[Issue]] | None = None


class RecordMemo:
    """A `normalise.RecordMaker` that reuses the entity made of the very same record object.

    Identity, not equality: `{"a": 1} == {"a": True}`, but they may normalise differently; the
    records of an unchanged file or item are the very objects `DocumentMemo` kept.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, object], _Made] = {}
        self._next: dict[tuple[str, object], _Made] = {}
        self._issues = IssueLog()
        self._handed: dict[int, _Made] = {}  # id of each copy handed out by this load
        # the copy each record gave the last good load (and this load's), by the key of `_kept`
        self._copies: dict[tuple[str, object], Any] = {}
        self._next_copies: dict[tuple[str, object], Any] = {}
        self.made = 0  # records normalised anew by the last load
        self.redacted = 0  # entities redacted anew by the last load

    def start(self, issues: IssueLog) -> None:
        self._issues, self._next, self._handed = issues, {}, {}
        self._next_copies = {}
        self.made = self.redacted = 0

    def finish(self) -> None:
        """The load succeeded: its entities are the ones to reuse from now on."""
        self._kept, self._next, self._handed = self._next, {}, {}
        self._copies, self._next_copies = self._next_copies, {}

    def __call__(
        self,
        name: str,
        index: int,
        record: Mapping[str, Any],
        context: tuple[object, ...],
        make: Callable[[], Any],
    ) -> Any:
        key = (name, id(record))
        made = self._kept.get(key)
        log = self._issues.issues
        if made is not None and made.record is record and made.context == context:
            log.extend(made.issues)
        else:
            start = len(log)
            made = _Made(record, context, make(), [])
            made.issues = log[start:]
            self.made += 1
        self._next[key] = made
        copy = copy_entity(made.entity)
        self._handed[id(copy)] = made
        self._next_copies[key] = copy
        return copy

    def made_of(self, name: str, record: object) -> tuple[_Made, Any] | None:
        """What the last good load made of `record` (the very object): how, and the copy."""
        key = (name, id(record))
        made, copy = self._kept.get(key), self._copies.get(key)
        if made is None or made.record is not record or copy is None:
            return None
        return made, copy

    def remake(
        self,
        name: str,
        record: Mapping[str, Any],
        context: tuple[object, ...],
        make: Callable[[IssueLog], Any],
        redaction: tuple[ContactRedactor, dict[str, str], str, str],
    ) -> tuple[_Made, Any]:
        """What a load would make of a new `record` (normalised, then a copy redacted), kept
        aside until `patched` (nothing changes if the caller gives up)."""
        log = IssueLog()
        made = _Made(record, context, make(log), [])
        made.issues = log.issues
        copy = copy_entity(made.entity)
        redactor, fields, document, entity = redaction
        redactor.issues = scratch = IssueLog()
        contacts.redact_entity(redactor, copy, fields, document, entity)
        values = tuple((attribute, getattr(copy, attribute)) for attribute in fields)
        depends = (redactor.publish, tuple(fields.items()), document, entity)
        made.redacted = (depends, values, scratch.issues)
        return made, copy

    def patched(self, name: str, replaced: list[tuple[object, _Made, Any]]) -> None:
        """Each (old record, made of a new record by `remake`, the copy the site shows): the
        new record's stands for the old one's from now on, as if a load had made them."""
        for old_record, made, copy in replaced:
            old_key = (name, id(old_record))
            self._kept.pop(old_key, None)
            self._copies.pop(old_key, None)
            key = (name, id(made.record))
            self._kept[key], self._copies[key] = made, copy
        self.made = self.redacted = len(replaced)

    def redact_entity(
        self,
        redactor: ContactRedactor,
        item: object,
        fields: dict[str, str],
        document: str,
        entity: str,
    ) -> None:
        """`contacts.redact_entity`, replayed for a copy of an entity redacted before.

        Redaction reads only the copy's fields (as normalised from the same record) and the
        published fields, so it leaves the same values and reports the same issues."""
        made = self._handed.get(id(item))
        depends = (redactor.publish, tuple(fields.items()), document, entity)
        log = self._issues.issues
        if made is not None and made.redacted is not None and made.redacted[0] == depends:
            for attribute, value in made.redacted[1]:
                setattr(item, attribute, value)
            log.extend(made.redacted[2])
            return
        start = len(log)
        contacts.redact_entity(redactor, item, fields, document, entity)
        self.redacted += 1
        if made is not None:
            values = tuple((attribute, getattr(item, attribute)) for attribute in fields)
            made.redacted = (depends, values, log[start:])


def copy_entity(entity: Any) -> Any:
    """A copy whose fields can be set and whose lists can grow without touching `entity`."""
    cls = type(entity)
    copy = object.__new__(cls)
    for name in _field_names(cls):
        value = getattr(entity, name)
        setattr(copy, name, list(value) if type(value) is list else value)
    return copy


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))
