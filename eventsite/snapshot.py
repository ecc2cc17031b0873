"""`eventsite fetch URL -o export.zip`: save a live event as a snapshot `build` reads offline.

The snapshot is the JSON:API documents the API gave (pages merged, private attributes and
paging links dropped), one file per resource under the export file names (`event`,
`sessions`, ...), plus a `meta` file naming the server. Files are written with sorted keys
and fixed zip timestamps, so fetching an unchanged event twice gives byte-identical files, and
building the snapshot gives the byte-identical site that building the URL gives.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsite.errors import OutputError
from eventsite.issues import IssueLog
from eventsite.sources.api import ApiOptions

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(slots=True)
class FetchReport:
    source: str
    output: Path
    issues: IssueLog
    resources: dict[str, int]
    bytes: int = 0
    seconds: float = 0.0


def fetch(url: str, output: Path, options: ApiOptions | None = None) -> FetchReport:
    """Fetch every document of the event at `url` and write them to `output` (.zip or folder)."""
    started = time.perf_counter()
    options = options or ApiOptions()
    _check_output(output)
    issues = IssueLog()
    client = options.client(url)
    documents = client.snapshot(issues)
    files = snapshot_files(documents, client.target.root, client.target.event)
    if output.suffix.lower() == ".zip":
        _write_zip(output, files)
    else:
        _write_folder(output, files)
    return FetchReport(
        source=client.target.event,
        output=output,
        issues=issues,
        resources={name: _count(doc) for name, doc in documents.items()},
        bytes=sum(len(data) for data in files.values()),
        seconds=time.perf_counter() - started,
    )


def snapshot_files(documents: dict[str, Any], root: str, event_url: str) -> dict[str, bytes]:
    """File name -> bytes of a snapshot, deterministic for the same documents."""
    files = {name: _dump(document) for name, document in sorted(documents.items())}
    files["meta"] = _dump({"root-url": root, "event-url": event_url, "format": "jsonapi"})
    return files


def _dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _count(document: Any) -> int:
    data = document.get("data") if isinstance(document, dict) else None
    return len(data) if isinstance(data, list) else int(data is not None)


def _check_output(output: Path) -> None:
    if output.suffix.lower() == ".zip":
        if output.is_dir():
            raise OutputError(f"{output} is a folder; give a .zip file name or a new folder")
        return
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise OutputError(
            f"{output} exists and is not an empty folder; give a new folder or a .zip file name"
        )


def _write_zip(output: Path, files: dict[str, bytes]) -> None:
    """Write the zip next to its final name, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
            for name, data in sorted(files.items()):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        os.chmod(temp, 0o644)
        os.replace(temp, output)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_folder(output: Path, files: dict[str, bytes]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        temp.chmod(0o755)
        for name, data in files.items():
            (temp / name).write_bytes(data)
        if output.is_dir():
            output.rmdir()  # checked empty above
        temp.rename(output)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
