"""Read an unpacked export folder; media lookups never leave the folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    too_big,
)

MEDIA_DIRS = ("images", "audio", "audios", "videos", "slides", "img")


# parse_document's signature: (name, data, file, issues) -> value
Parser = Callable[[str, bytes, str, IssueLog], Any]


def read_folder(root: Path, issues: IssueLog, parse: Parser = parse_document) -> RawExport:
    """Read the JSON documents of an export folder and index its media files.

    `parse` is `parse_document` or one that gives the same value (`eventsite serve` reuses what
    it parsed of unchanged files)."""
    root = root.resolve()
    documents: dict[str, object] = {}
    shown: dict[str, str] = {}
    for name in DATA_FILES:
        path = _find_document(root, name)
        if path is None:
            if name in ("event", "sessions"):
                raise SourceError(
                    f"no '{name}' file in the export folder; is this an Open Event export?",
                    file=str(root),
                )
            continue
        shown[name] = str(path)
        documents[name] = parse(name, read_data(path), str(path), issues)
    store = MediaStore(
        names=_index_media(root),
        reader=lambda rel: _read_media(root, rel),
        signer=lambda rel: _signature(os.path.join(root, rel)),
    )
    return RawExport(origin=str(root), documents=documents, media=store, files=shown)


def _find_document(root: Path, name: str) -> Path | None:
    for candidate in (root / name, root / f"{name}.json"):
        if candidate.is_file():
            return candidate
    return None


def _index_media(root: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    for top in MEDIA_DIRS:
        base = root / top
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            # a Path per folder, not per file (4,000 photos: ~10 ms)
            folder = Path(dirpath).relative_to(root).as_posix()
            for filename in sorted(filenames):
                rel = f"{folder}/{filename}"
                names.setdefault(normalise_media_path(rel), rel)
    return names


def _signature(path: str) -> tuple[int, int, int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns


def _read_media(root: Path, rel: str) -> bytes:
    # strings, not Path objects: a large export reads thousands of photos
    top = str(root)
    path = os.path.realpath(os.path.join(top, rel))
    if not (path == top or path.startswith(top.rstrip(os.sep) + os.sep)):
        raise SourceError("media path leaves the export folder; refused", file=rel)
    return _read_capped(path, MAX_MEDIA_BYTES)


def read_data(path: Path) -> bytes:
    limit = max_json_bytes()
    return _read_capped(path, limit, f"file is {too_big(limit)}")


def _read_capped(path: Path | str, cap: int, too_big_message: str = "") -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(cap + 1)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if len(data) > cap:
        message = too_big_message or f"file is larger than {cap // 2**20} MB"
        raise SourceError(message, file=str(path))
    return data
