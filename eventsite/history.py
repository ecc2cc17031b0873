"""The schedule's change history across builds: read the previous one, add this build's changes.

The history lives in the published site (`changes.json`), so a static host is the only storage
a CI job needs: the previous history comes from the output folder before it is replaced, or from
`--previous` (a site folder, a file, or the URL of the published site).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from eventsite import urls
from eventsite.errors import SourceError
from eventsite.issues import IssueLog
from eventsite.model.changes import (
    Change,
    ChangeHistory,
    HistoryFormatError,
    diff,
    history_from_data,
    snapshot_of,
)
from eventsite.model.graph import EventGraph

MAX_HISTORY_BYTES = 50_000_000
FETCH_TIMEOUT_SECONDS = 30


@dataclass(slots=True)
class HistoryUpdate:
    history: ChangeHistory
    changes: list[Change]  # the ones this build found
    previous_from: str | None  # where the previous history came from
    base: ChangeHistory | None = None  # the previous history itself


def update_history(
    graph: EventGraph,
    event_key: str,
    previous_spec: str | None,
    output: Path,
    issues: IssueLog,
) -> HistoryUpdate:
    """Compare this build's schedule with the previous history and record what changed."""
    where = previous_spec or str(output / urls.CHANGES_JSON)
    previous = load_previous(previous_spec, output, issues)
    snapshot = snapshot_of(graph)
    if previous is not None and previous.event_key != event_key:
        issues.warn(
            "history", "event", None, "the previous change history is for another event; "
            "starting a new one", where,
        )  # fmt: skip
        previous = None
    if previous is None:
        return HistoryUpdate(ChangeHistory(event_key, snapshot), [], None)
    changes = diff(previous.snapshot, snapshot, graph.hidden_states)
    history = previous.record(snapshot, changes, build_time())
    return HistoryUpdate(history, changes, where, previous)


def build_time() -> datetime:
    """When this build happened: SOURCE_DATE_EPOCH for reproducible builds, else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise SourceError(f"SOURCE_DATE_EPOCH is not a Unix time: {epoch!r}") from None
    return datetime.now(UTC).replace(microsecond=0)


def load_previous(spec: str | None, output: Path, issues: IssueLog) -> ChangeHistory | None:
    """The previous change history, or None when there is none yet."""
    if spec is None:
        return _read_file(output / urls.CHANGES_JSON, issues, required=False)
    if spec.startswith(("http://", "https://")):
        return _fetch(spec, issues)
    path = Path(spec)
    if path.is_dir():
        path = path / urls.CHANGES_JSON
    return _read_file(path, issues, required=True)


def _read_file(path: Path, issues: IssueLog, *, required: bool) -> ChangeHistory | None:
    if not path.is_file():
        if required:
            raise SourceError("no change history here (changes.json)", file=str(path))
        return None
    if path.stat().st_size > MAX_HISTORY_BYTES:
        raise SourceError("the change history is too large", file=str(path))
    try:
        return _parse(path.read_bytes(), str(path))
    except OSError as exc:
        raise SourceError(
            f"cannot read the change history: {exc.strerror}", file=str(path)
        ) from None


def _fetch(url: str, issues: IssueLog) -> ChangeHistory | None:
    import requests

    target = url if url.rsplit("/", 1)[-1].endswith(".json") else _join(url, urls.CHANGES_JSON)
    shown = redact(target)
    try:
        response = requests.get(target, timeout=FETCH_TIMEOUT_SECONDS, stream=True)
        if response.status_code == 404:
            issues.warn(
                "history", "site", None, "no previous change history (404); starting one", shown
            )
            return None
        if response.status_code != 200:
            raise SourceError(f"HTTP {response.status_code} for the previous history", file=shown)
        body = response.raw.read(MAX_HISTORY_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise SourceError(
            f"cannot fetch the previous history: {type(exc).__name__}", file=shown
        ) from None
    if len(body) > MAX_HISTORY_BYTES:
        raise SourceError("the change history is too large", file=shown)
    return _parse(body, shown)


def _parse(data: bytes, where: str) -> ChangeHistory:
    try:
        return history_from_data(json.loads(data.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"the change history is not valid JSON: {exc}", file=where) from None
    except HistoryFormatError as exc:
        raise SourceError(f"unreadable change history: {exc}", file=where) from None


def _join(base: str, name: str) -> str:
    parts = urlsplit(base)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path + name, parts.query, ""))


def redact(url: str) -> str:
    """A URL safe to print: no user name, password or query string (tokens live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
