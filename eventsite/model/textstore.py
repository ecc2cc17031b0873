"""Sanitised rich text kept between builds of one export, in the cache folder.

Sanitising (Markdown, nh3) is the same work for the same text in every build; a build with a
warm cache reads each text's result here instead (10,000 sessions: ~27,000 texts, ~0.7 s of
CPU). Each export has its own file, named by its source, so a small export never reads the
texts of a large one. A build adds only what it sanitised anew, appended as one record (a
rebuild after an edit writes a few texts, not the whole file); every record carries a hash of
its bytes, so a damaged or half-written record (two builds appending at once) is never read,
only made again. The file is rewritten whole once it has many records.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import struct

_HEADER = struct.Struct("<8sQ16s")  # magic, payload length, payload hash
_MAGIC = b"ESTEXT01"
MAX_RECORDS = 32  # appended records before the file is rewritten as one
MAX_TEXTS = 200_000  # past this, a rewrite keeps only the texts this process looked up


def text_digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def source_key(source: str) -> str:
    """A file-name-safe key for an export: its folder's absolute path, or its URL."""
    name = os.path.abspath(source) if os.path.exists(source) else source
    return hashlib.blake2b(os.fsencode(name), digest_size=10).hexdigest()


class TextStore:
    """Sanitised texts by the digest of their raw text (`text_digest`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.texts: dict[bytes, str] = {}
        self.new: dict[bytes, str] = {}  # made by this process since it was read
        self.used: set[bytes] = set()  # looked up by this process
        self.records = 0

    @classmethod
    def read(cls, path: str) -> TextStore:
        store = cls(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return store
        for texts in _records(data):
            store.texts.update(texts)
            store.records += 1
        return store

    def add(self, digest: bytes, text: str) -> None:
        self.texts[digest] = self.new[digest] = text

    def save(self) -> None:
        """Write what this process made (never fails a build)."""
        if not self.new:
            return
        with contextlib.suppress(OSError):  # the next build sanitises them again
            if 0 < self.records < MAX_RECORDS and len(self.texts) <= MAX_TEXTS:
                _append(self.path, _record(self.new))
            else:
                kept = self.texts
                if len(kept) > MAX_TEXTS:  # texts of earlier versions of the export
                    kept = {d: kept[d] for d in self.used | self.new.keys() if d in kept}
                _replace(self.path, _record(kept))
        self.new = {}


def _record(texts: dict[bytes, str]) -> bytes:
    payload = marshal.dumps(texts)
    digest = hashlib.blake2b(payload, digest_size=16).digest()
    return _HEADER.pack(_MAGIC, len(payload), digest) + payload


def _records(data: bytes) -> list[dict[bytes, str]]:
    """The records of a file, up to the first that is not whole and intact."""
    found: list[dict[bytes, str]] = []
    at = 0
    while at + _HEADER.size <= len(data):
        magic, length, digest = _HEADER.unpack_from(data, at)
        payload = data[at + _HEADER.size : at + _HEADER.size + length]
        if magic != _MAGIC or len(payload) != length:
            break
        if hashlib.blake2b(payload, digest_size=16).digest() != digest:
            break
        try:
            texts = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            break
        if not isinstance(texts, dict):
            break
        found.append(texts)
        at += _HEADER.size + length
    return found


def _append(path: str, record: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        view = memoryview(record)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _replace(path: str, record: bytes) -> None:
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(record)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
