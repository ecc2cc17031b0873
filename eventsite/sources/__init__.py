"""Stage 1, load: read an export (zip, folder or live API URL) into a `RawExport` of parsed
JSON documents.

Nothing here interprets the data; `eventsite.model` does that.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from eventsite.errors import SourceError
from eventsite.issues import IssueLog
from eventsite.sources.base import DATA_FILES, REQUIRED_FILES, MediaStore, RawExport
from eventsite.sources.jsonapi import unpack_documents

if TYPE_CHECKING:
    from eventsite.sources.api import ApiOptions
    from eventsite.sources.folder import Parser

__all__ = ["DATA_FILES", "REQUIRED_FILES", "MediaStore", "RawExport", "is_url", "open_source"]


def is_url(spec: str | Path) -> bool:
    return isinstance(spec, str) and spec.lower().startswith(("http://", "https://"))


def open_source(
    spec: str | Path,
    issues: IssueLog,
    *,
    api: ApiOptions | None = None,
    parse: Parser | None = None,
) -> RawExport:
    """Open an export: a zip file, an unpacked folder, or an event URL of a live API.

    Zips and folders may hold legacy files or JSON:API documents (an `eventsite fetch`
    snapshot); either way the documents come out in the legacy record shape. A folder's
    documents are parsed with `parse` if given (see `folder.read_folder`).
    """
    if is_url(spec):
        from eventsite.sources.api import read_api

        return read_api(str(spec), issues, api)
    path = Path(spec)
    if path.is_dir():
        from eventsite.sources.folder import read_folder

        return _unpacked(read_folder(path, issues, parse) if parse else read_folder(path, issues))
    if path.is_file():
        from eventsite.sources.archive import read_archive

        return _unpacked(read_archive(path, issues))
    raise SourceError("no such file or folder", file=str(spec))


def _unpacked(raw: RawExport) -> RawExport:
    return replace(raw, documents=unpack_documents(raw.documents, raw.files))
