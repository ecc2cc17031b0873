"""Privacy audit of a rendered site, run on every build between render and write.

The generated files are scanned for e-mail addresses, phone numbers and the values of private
fields of the input (speaker e-mail and mobile, session comments, ...). Each hit is traced back
to the input fields that hold it; a hit is a build error unless every field it comes from was
published on purpose with `--publish-field NAME` (or `DOC.NAME`, e.g. `event.code-of-conduct`),
and a private field's value is an error even if a published field repeats it. The raw input
documents must not be copied into the site either.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from eventsite.errors import PrivacyError, UsageError
from eventsite.model.contacts import (
    EMAIL,
    MIN_PHONE_DIGITS,
    NUMBER_RUN,
    emails,
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
_FIELD_NAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)?")


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


@dataclass(slots=True)
class _InputIndex:
    """The input's e-mail addresses, phone numbers and private texts, by where they sit."""

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
    findings = audit(files, documents, publish)
    if not findings:
        return
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
    raise PrivacyError(
        f"privacy audit: {len(findings)} finding(s) in the output; nothing was written:"
        f"\n  {shown}{more}{hint}"
    )


def audit(
    files: Mapping[str, bytes], documents: Mapping[str, Any], publish: frozenset[str]
) -> list[Finding]:
    """Every e-mail address, phone number, private value or raw input found in `files`."""
    index = index_input(documents)
    findings: list[Finding] = []
    texts = {path: _scannable(path, data) for path, data in sorted(files.items())}
    for path, text in texts.items():
        findings.extend(_raw_copies(path, text, documents))
        if text is None:
            continue
        findings.extend(_emails(path, text, index))
        findings.extend(_phones(path, text, index))
    findings.extend(_private_texts(texts, index))
    return [f for f in findings if not _allowed(f, publish)]


def index_input(documents: Mapping[str, Any]) -> _InputIndex:
    index = _InputIndex()
    for document, key, raw in _strings(documents):
        source = Source(document, key)
        value = _unescape(raw)
        for match in EMAIL.finditer(value):
            index.emails.setdefault(match.group().casefold(), set()).add(source)
        for match in NUMBER_RUN.finditer(value):
            digits = only_digits(match.group())
            if len(digits) >= MIN_PHONE_DIGITS:
                index.phones.setdefault(digits, set()).add(source)
        if source.private and len(value.strip()) >= MIN_PRIVATE_TEXT_CHARS:
            words = tuple(w.casefold() for w in _WORD.findall(value))
            if len(words) >= MIN_PRIVATE_TEXT_WORDS:
                index.private_texts.setdefault(words, set()).add(source)
    index.private_phones = {
        digits: sources
        for digits, sources in index.phones.items()
        if any(source.private for source in sources)
    }
    return index


def _strings(documents: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(document, kebab-case key, value) for every string or number under a key, any depth."""
    for document, root in documents.items():
        stack: list[tuple[str, Any]] = [("", root)]
        while stack:
            key, value = stack.pop()
            if isinstance(value, Mapping):
                stack.extend((str(k).lower().replace("_", "-"), v) for k, v in value.items())
            elif isinstance(value, list):
                stack.extend((key, item) for item in value)
            elif isinstance(value, str):
                yield document, key, value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield document, key, str(value)


def reads_contents(path: str) -> bool:
    """Whether the audit looks inside this output file (text) or only at its name (media)."""
    return PurePosixPath(path).suffix.lower() in TEXT_SUFFIXES


def _scannable(path: str, data: bytes) -> str | None:
    """The text of an output file with escapes undone, or None for binary files (media)."""
    if not reads_contents(path):
        return None
    text = data.decode("utf-8", "replace")
    if path.endswith(".ics"):  # unfold lines and undo TEXT escapes (RFC 5545 3.1, 3.3.11)
        text = re.sub(r"\r?\n[ \t]", "", text)
        text = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)
    return _unescape(text)


def _unescape(text: str) -> str:
    """Undo HTML entities and URL escapes, which hide `@` from a plain search."""
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = unquote(text)
    return text


def _raw_copies(path: str, text: str | None, documents: Mapping[str, Any]) -> Iterator[Finding]:
    name = PurePosixPath(path).name
    stem = name[:-5] if name.endswith(".json") else name
    if stem in DATA_FILES or stem == "attendees":
        yield Finding(path, "raw input file", repr(name), ())
        return
    if text is None or not path.endswith(".json"):
        return
    try:
        value = json.loads(text)
    except ValueError:
        return
    for document, content in documents.items():
        if content is not None and value == content:
            yield Finding(path, "copy of the input", repr(document), (Source(document, "*"),))


def _emails(path: str, text: str, index: _InputIndex) -> Iterator[Finding]:
    seen: set[str] = set()
    for address in emails(text):
        key = address.casefold()
        if key in seen:
            continue
        seen.add(key)
        sources = tuple(sorted(index.emails.get(key, ())))
        yield Finding(path, "e-mail address", _mask_email(address), sources)


def _phones(path: str, text: str, index: _InputIndex) -> Iterator[Finding]:
    seen: set[str] = set()
    for match in NUMBER_RUN.finditer(text):
        digits = only_digits(match.group())
        if len(digits) < MIN_PHONE_DIGITS:
            continue
        if digits not in seen and is_phone(text, match):
            seen.add(digits)
            yield Finding(path, "phone number", _maskdigits(digits), _phone_sources(digits, index))
        for number, sources in index.private_phones.items():
            if number in digits and number not in seen:
                seen.add(number)
                yield Finding(path, "phone number", _maskdigits(number), tuple(sorted(sources)))


def _phone_sources(digits: str, index: _InputIndex) -> tuple[Source, ...]:
    sources = index.phones.get(digits)
    if sources is None:  # written differently in the input, e.g. without the country code
        sources = {s for number, found in index.phones.items() if digits in number for s in found}
        sources |= {s for number, found in index.phones.items() if number in digits for s in found}
    return tuple(sorted(sources))


def _private_texts(texts: Mapping[str, str | None], index: _InputIndex) -> Iterator[Finding]:
    """Private free text shows up as the same run of words in some file's visible text."""
    if not index.private_texts:
        return
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for words in index.private_texts:
        by_first.setdefault(words[0], []).append(words)
    found: set[tuple[str, ...]] = set()
    for path, text in texts.items():
        if text is None:
            continue
        words = [w.casefold() for w in _WORD.findall(_TAG.sub(" ", text))]
        for at, word in enumerate(words):
            for candidate in by_first.get(word, ()):
                if candidate not in found and tuple(words[at : at + len(candidate)]) == candidate:
                    found.add(candidate)
                    sources = tuple(sorted(index.private_texts[candidate]))
                    yield Finding(path, "private text", f"({len(candidate)} words)", sources)


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
