"""The raw export every source produces, and lenient JSON decoding shared by all sources."""

from __future__ import annotations

import codecs
import json
import os
import re
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from eventsite.errors import SourceError, UsageError
from eventsite.issues import IssueLog

REQUIRED_FILES = ("event", "sessions")
OPTIONAL_FILES = (
    "speakers",
    "tracks",
    "microlocations",
    "sponsors",
    "session_types",
)
DATA_FILES = REQUIRED_FILES + OPTIONAL_FILES
# the shape each data file must have at its top level
EXPECTED_TYPES: dict[str, type] = {name: list for name in DATA_FILES}
EXPECTED_TYPES["event"] = dict

# input fields (kebab case) that are never published, in any document and at any depth; the API
# client drops them before anything is stored and the privacy audit looks for their values
PRIVATE_FIELDS = frozenset(
    {
        "email",
        "mobile",
        "phone",
        "heard-from",
        "sponsorship-required",
        "speaking-experience",
        "comments",
        "gender",
        "paypal-email",
        "contact-email",
        "notes",
    }
)

MAX_JSON_BYTES = 64 * 1024 * 1024  # the default; see max_json_bytes()
MAX_JSON_VARIABLE = "EVENTSITE_MAX_DATA_MB"
MAX_MEDIA_BYTES = 32 * 1024 * 1024
# longer strings (a 50 MB "abstract") are cut: nothing on a schedule page needs more
MAX_STRING_CHARS = 100_000
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# a quote followed by more characters than a string may hold, none of them a quote
_LONG_RUN = re.compile(f'"[^"]{{{MAX_STRING_CHARS + 1}}}')


def max_json_bytes() -> int:
    """The largest data file (or API answer) read: 64 MB, or $EVENTSITE_MAX_DATA_MB for an
    event too big for that (50,000 sessions make a 119 MB `sessions` file). The cap keeps a
    hostile export from exhausting memory, so it is raised only on purpose."""
    value = os.environ.get(MAX_JSON_VARIABLE, "").strip()
    if not value:
        return MAX_JSON_BYTES
    if not value.isdigit() or not 0 < int(value) <= 65_536:
        raise UsageError(f"{MAX_JSON_VARIABLE} must be a whole number of MB from 1 to 65536")
    return int(value) * 2**20


def too_big(limit: int) -> str:
    """The end of a message refusing data over `limit` bytes."""
    return f"larger than {limit // 2**20} MB (set {MAX_JSON_VARIABLE} to allow more)"


def normalise_media_path(value: str) -> str:
    """Turn a media reference from the JSON (`/images/x.jpg`, `images/x.jpg`) into a store key."""
    key = value.strip().replace("\\", "/").lstrip("/")
    while key.startswith("./"):
        key = key[2:]
    return unicodedata.normalize("NFC", key)


@dataclass(slots=True)
class MediaStore:
    """Local media files of an export, looked up by normalised relative path.

    Real exports reference files with or without a leading slash, in another letter case, or
    under a wrong folder or extension (`img/x.png` for `images/x.jpg`); the lookup tolerates
    those, falling back to a unique match on the file's stem.
    """

    names: dict[str, str] = field(default_factory=dict)  # normalised key -> real member/path
    reader: Callable[[str], bytes] | None = None
    # what changes when a file's bytes may have changed (size, mtime, inode); None: unknown
    signer: Callable[[str], Hashable] | None = None
    _folded: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _stems: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for key, real in sorted(self.names.items()):
            self._folded.setdefault(key.casefold(), real)
            stem = _stem(key)
            # a stem shared by two files is ambiguous: never guess between them
            self._stems[stem] = None if stem in self._stems else real

    def find(self, value: str) -> str | None:
        """Return the real name for a media reference, or None when the export lacks it."""
        key = normalise_media_path(value)
        if not key or ".." in key.split("/"):
            return None
        found = self._lookup(key)
        repaired = _repair_mojibake(key)
        return found if found or repaired == key else self._lookup(repaired)

    def _lookup(self, key: str) -> str | None:
        return (
            self.names.get(key) or self._folded.get(key.casefold()) or self._stems.get(_stem(key))
        )

    def signature(self, real_name: str) -> Hashable | None:
        """A value that changes whenever the file may have changed, or None when not known."""
        if self.signer is None:
            return None
        try:
            return self.signer(real_name)
        except OSError:
            return None

    def read(self, real_name: str) -> bytes:
        if self.reader is None:
            raise SourceError("this source has no local media", file=real_name)
        return self.reader(real_name)


def _repair_mojibake(value: str) -> str:
    """Undo UTF-8 read as Latin-1 ("FranÃ§ois" -> "François"), as found in real exports."""
    try:
        return unicodedata.normalize("NFC", value.encode("cp1252").decode("utf-8"))
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _stem(key: str) -> str:
    base = key.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0].casefold() if "." in base else base.casefold()


@dataclass(slots=True)
class RawExport:
    """Parsed JSON documents by file name (`event`, `sessions`, ...) plus local media."""

    origin: str
    documents: dict[str, Any]
    media: MediaStore
    files: dict[str, str] = field(
        default_factory=dict
    )  # document name -> file name shown in messages


def decode_text(data: bytes, file: str, issues: IssueLog) -> str:
    """Decode JSON bytes: UTF-8 with or without BOM, UTF-16/32 with BOM, else replace bad bytes."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(f"not valid {encoding} text: {exc.reason}", file=file) from None
    wide = _bomless_wide_encoding(data)
    if wide:
        try:
            return data.decode(wide)
        except UnicodeDecodeError as exc:
            raise SourceError(f"not valid {wide} text: {exc.reason}", file=file) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        issues.warn(
            "encoding",
            "file",
            None,
            f"not valid UTF-8 at byte {exc.start}; undecodable bytes replaced",
            file,
        )
        return data.decode("utf-8", errors="replace")


def _bomless_wide_encoding(data: bytes) -> str | None:
    """UTF-16/32 without a BOM, told apart by where the NUL bytes of ASCII JSON fall (RFC 4627)."""
    head = data[:4]
    if len(head) < 4 or 0 not in head:
        return None
    if head[:3] == b"\0\0\0":
        return "utf-32-be"
    if head[1:] == b"\0\0\0":
        return "utf-32-le"
    if head[0] == 0 and head[2] == 0:
        return "utf-16-be"
    if head[1] == 0 and head[3] == 0:
        return "utf-16-le"
    return None


def parse_document(name: str, data: bytes, file: str, issues: IssueLog) -> Any | None:
    """Parse one data file leniently; a broken optional file is skipped with a warning."""
    required = name in REQUIRED_FILES
    try:
        limit = max_json_bytes()
        if len(data) > limit:
            raise SourceError(f"file is {too_big(limit)}", file=file)
        text = decode_text(data, file, issues)
        value = json.loads(text, strict=False)
        surrogates = _SURROGATE_ESCAPE.search(text) is not None
        if surrogates or _may_hold_long_string(text):
            value = clean_strings(value, file, issues, surrogates=surrogates)
        expected = EXPECTED_TYPES[name]
        # a JSON:API document ({"data": [...]}) is accepted here and unpacked later
        if not isinstance(value, expected) and not (isinstance(value, dict) and "data" in value):
            raise SourceError(
                f"expected a JSON {_type_name(expected)} at the top level, "
                f"found {_type_name(type(value))}",
                file=file,
            )
        return value
    except json.JSONDecodeError as exc:
        error = SourceError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file
        )
    except RecursionError:
        error = SourceError("JSON nested too deeply", file=file)
    except ValueError as exc:  # an integer literal past Python's digit limit
        reason = "a number has too many digits" if "digits" in str(exc) else str(exc)
        error = SourceError(f"invalid JSON: {reason}", file=file)
    except SourceError as exc:
        error = exc
    if required:
        raise error
    issues.warn("broken-file", "file", None, f"{error.message}; file skipped", file)
    return None


def _may_hold_long_string(text: str) -> bool:
    """Whether a string of this JSON text could be longer than MAX_STRING_CHARS.

    Each character of a string takes at least one character of text between its quotes once
    escaped quotes are counted as one character, so a scan anchored at quotes (linear, in C)
    finds every long string; a false alarm only costs the walk over the parsed value.
    """
    if len(text) <= MAX_STRING_CHARS or _every_stretch_holds_a_quote(text):
        return False
    if _LONG_RUN.search(text):
        return True
    return '\\"' in text and _LONG_RUN.search(text.replace('\\"', "x")) is not None


def _every_stretch_holds_a_quote(text: str, size: int = MAX_STRING_CHARS // 2) -> bool:
    """Whether each stretch of `size` characters (from the start, end to end) holds a quote
    that is not escaped (not right after a backslash): found by C-level searches from the
    stretch's start, which in JSON text stop within a few characters; no copy of the text.

    A string longer than MAX_STRING_CHARS takes more text than that, so it would hold a whole
    stretch, and a string holds no quote that is not escaped. An escaped backslash before a
    closing quote makes that quote look escaped: a false alarm at worst.
    """
    for start in range(0, len(text) - size + 1, size):
        if not _holds_unescaped_quote(text, start, start + size):
            return False
    return True


def _holds_unescaped_quote(text: str, start: int, end: int) -> bool:
    at = text.find('"', start, end)
    for _ in range(_QUOTES_LOOKED_AT):
        if at < 0:
            return False
        if at == 0 or text[at - 1] != "\\":
            return True
        at = text.find('"', at + 1, end)
    # many escaped quotes (hostile text?): count them all in C instead
    return text.count('"', start, end) > text.count('\\"', max(0, start - 1), end)


_QUOTES_LOOKED_AT = 32


def clean_strings(value: Any, file: str, issues: IssueLog, *, surrogates: bool = True) -> Any:
    """Replace lone surrogates (unencodable as UTF-8) and cut strings past MAX_STRING_CHARS."""
    cut = 0
    root = [value]
    stack: list[Any] = [root]
    while stack:
        container = stack.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            item = container[key]
            if isinstance(item, dict | list):
                stack.append(item)
            elif isinstance(item, str):
                cleaned = _clean_string(item, surrogates)
                cut += len(cleaned) < len(item)
                container[key] = cleaned
    if cut:
        issues.warn(
            "long-text",
            "file",
            None,
            f"{cut} string(s) longer than {MAX_STRING_CHARS} characters cut to that length",
            file,
        )
    return root[0]


def _clean_string(value: str, surrogates: bool) -> str:
    if len(value) > MAX_STRING_CHARS:
        value = value[:MAX_STRING_CHARS]
    return _LONE_SURROGATE.sub("\ufffd", value) if surrogates else value


def _type_name(kind: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(
        kind, "null" if kind is type(None) else kind.__name__
    )
