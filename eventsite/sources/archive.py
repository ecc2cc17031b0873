"""Read an export zip safely: no extraction to disk, unsafe members refused, sizes capped."""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from eventsite.errors import SourceError
from eventsite.issues import IssueLog
from eventsite.sources.base import (
    DATA_FILES,
    MAX_MEDIA_BYTES,
    MediaStore,
    RawExport,
    max_json_bytes,
    normalise_media_path,
    parse_document,
)

MAX_MEMBERS = 50_000
# a central directory entry is 46 bytes plus name, extra field and comment (each < 64 KiB);
# refusing huge directories before zipfile parses them bounds memory for "billion member" zips
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 512
EOCD_SIGNATURE = b"PK\x05\x06"
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
EOCD_SEARCH_BYTES = 22 + 0xFFFF  # the end record plus the longest archive comment
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # what all members may inflate to, together
CHUNK = 1 << 16


def read_archive(path: Path, issues: IssueLog) -> RawExport:
    """Read the JSON documents of an export zip and index its media members."""
    file = str(path)
    _check_directory_size(path, file)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise SourceError(
            "not a zip archive (or a truncated one); expected an Open Event export .zip",
            file=file,
        ) from None
    except (UnicodeDecodeError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        # a malformed central directory: names flagged UTF-8 that are not, bad offsets...
        raise SourceError(f"corrupt zip archive: {exc}", file=file) from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", file=file) from None
    with archive:
        members = _safe_members(archive, file)
        prefix = _export_root(members, file)
        documents: dict[str, object] = {}
        names: dict[str, str] = {}
        shown: dict[str, str] = {}
        for info in members:
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            rel = info.filename[len(prefix) :]
            doc_name = _document_name(rel)
            if doc_name and doc_name in documents:
                issues.warn(
                    "duplicate-member",
                    "file",
                    None,
                    f"the archive holds {info.filename!r} twice; the first copy is used",
                    file,
                )
            elif doc_name:
                shown[doc_name] = f"{file}:{info.filename}"
                data = _read_member(archive, info, max_json_bytes(), shown[doc_name])
                documents[doc_name] = parse_document(doc_name, data, shown[doc_name], issues)
            elif "/" in rel:
                names.setdefault(normalise_media_path(rel), info.filename)
    if "event" not in documents:
        raise SourceError(
            "no 'event' file at the root of the archive; is this an Open Event export?", file=file
        )
    if "sessions" not in documents:
        raise SourceError("no 'sessions' file at the root of the archive", file=file)
    store = MediaStore(names=names, reader=_MemberReader(path))
    return RawExport(origin=file, documents=documents, media=store, files=shown)


def _check_directory_size(path: Path, file: str) -> None:
    """Refuse archives whose end record declares too many members or a huge directory."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - EOCD_SEARCH_BYTES))
            tail = handle.read()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", file=file) from None
    at = tail.rfind(EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < 22:
        return  # not a zip: zipfile says so with its own message
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    directory_bytes = int.from_bytes(tail[at + 12 : at + 16], "little")
    zip64 = tail.rfind(ZIP64_EOCD_SIGNATURE, 0, at)
    if zip64 >= 0 and at - zip64 >= 56:  # the zip64 end record holds the real numbers
        entries = int.from_bytes(tail[zip64 + 32 : zip64 + 40], "little")
        directory_bytes = int.from_bytes(tail[zip64 + 40 : zip64 + 48], "little")
    if entries > MAX_MEMBERS:
        raise SourceError(f"archive has {entries} members, more than {MAX_MEMBERS}", file=file)
    if directory_bytes > MAX_DIRECTORY_BYTES:
        raise SourceError(
            f"archive directory is {directory_bytes // 2**20} MB, more than "
            f"{MAX_DIRECTORY_BYTES // 2**20} MB; refused",
            file=file,
        )


def _safe_members(archive: zipfile.ZipFile, file: str) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise SourceError(f"archive has {len(members)} members, more than {MAX_MEMBERS}", file=file)
    if not members:
        raise SourceError("the zip archive is empty", file=file)
    total = 0
    for info in members:
        _check_member_name(info.filename, file)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise SourceError(f"member {info.filename!r} is a symbolic link; refused", file=file)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise SourceError(
                f"archive inflates to more than {MAX_TOTAL_BYTES // 2**20} MB; refused", file=file
            )
    return members


def _check_member_name(name: str, file: str) -> None:
    if not name:
        raise SourceError("a member has an empty name; refused (corrupt archive?)", file=file)
    if "\\" in name or (len(name) > 1 and name[1] == ":") or name.startswith("/"):
        raise SourceError(f"member {name!r} has an absolute or Windows path; refused", file=file)
    if ".." in PurePosixPath(name).parts or "\x00" in name:
        raise SourceError(f"member {name!r} points outside the archive ('..'); refused", file=file)


def _export_root(members: list[zipfile.ZipInfo], file: str) -> str:
    """Exports sit at the zip root, or inside one top-level folder; return that prefix."""
    names = {m.filename for m in members}
    if "event" in names or "event.json" in names:
        return ""
    candidates = sorted(
        n[: -len("event")] for n in names if n.endswith("/event") and n.count("/") == 1
    )
    if candidates:
        return candidates[0]
    if any(n.lower().endswith(".zip") for n in names):
        raise SourceError(
            "the archive holds another zip archive, not an export; unzip the outer one first",
            file=file,
        )
    raise SourceError(
        "no 'event' file at the root of the archive; is this an Open Event export?", file=file
    )


def _document_name(rel: str) -> str | None:
    name = rel[:-5] if rel.endswith(".json") else rel
    return name if name in DATA_FILES else None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, shown: str) -> bytes:
    """Read a member in chunks, stopping at `cap` whatever its header claims (zip bombs)."""
    if info.flag_bits & 0x1:
        raise SourceError("the member is encrypted; exports are never encrypted", file=shown)
    data = bytearray()  # grown in place: no second copy of a member at the cap
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                if len(data) + len(chunk) > cap:
                    raise SourceError(
                        f"inflates past the {cap // 2**20} MB limit; refused (zip bomb?)",
                        file=shown,
                    )
                data += chunk
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise SourceError(f"corrupt zip member: {exc}", file=shown) from None
    except NotImplementedError as exc:
        raise SourceError(f"unsupported zip feature: {exc}", file=shown) from None
    return bytes(data)


class _MemberReader:
    """Reads media members on demand (only those the site uses), reopening the zip once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive: zipfile.ZipFile | None = None

    def __call__(self, member: str) -> bytes:
        if self.archive is None:
            self.archive = zipfile.ZipFile(self.path)
        shown = f"{self.path}:{member}"
        return _read_member(self.archive, self.archive.getinfo(member), MAX_MEDIA_BYTES, shown)
