"""Stage 1, load: read an export (zip or folder) into a `RawExport` of parsed JSON documents.

Nothing here interprets the data; `eventsite.model` does that.
"""

from __future__ import annotations

from pathlib import Path

from eventsite.errors import SourceError
from eventsite.issues import IssueLog
from eventsite.sources.base import DATA_FILES, REQUIRED_FILES, MediaStore, RawExport

__all__ = ["DATA_FILES", "REQUIRED_FILES", "MediaStore", "RawExport", "open_source"]


def open_source(spec: str | Path, issues: IssueLog) -> RawExport:
    """Open an export given as a path to a zip file or an unpacked folder."""
    path = Path(spec)
    if path.is_dir():
        from eventsite.sources.folder import read_folder

        return read_folder(path, issues)
    if path.is_file():
        from eventsite.sources.archive import read_archive

        return read_archive(path, issues)
    raise SourceError("no such file or folder", file=str(spec))
