"""What change tracking and --check-links cost on a real export.

    PYTHONPATH=. python benchmarks/changes.py [EXPORT]   (default: the largest real export in ../shared)

Prints the time to snapshot and diff the schedule (with a tenth of the sessions moved), to
write and read back `changes.json`, and to check every link of the built site, plus sizes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from eventsite import urls
from eventsite.build import load_graph, render_site
from eventsite.issues import IssueLog
from eventsite.linkcheck import broken_links
from eventsite.media import MediaResolver
from eventsite.model.changes import (
    ChangeHistory,
    diff,
    history_from_data,
    history_to_data,
    snapshot_of,
)
from eventsite.render.pages import plan_pages
from eventsite.render.theme import Theme
from eventsite.render.view import build_view

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "real_exports"


def largest_export() -> Path:
    folders = [p for p in SHARED.iterdir() if (p / "sessions").is_file()]
    return max(folders, key=lambda p: (p / "sessions").stat().st_size)


T = TypeVar("T")


def timed(label: str, func: Callable[[], T], repeat: int = 5) -> T:
    best, result = float("inf"), func()
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<44} {best * 1000:8.1f} ms")
    return result


def main() -> None:
    export = Path(sys.argv[1]) if len(sys.argv) > 1 else largest_export()
    issues = IssueLog()
    raw, graph = load_graph(str(export), issues)
    print(f"{export.name}: {len(graph.sessions)} public sessions")
    before = timed("snapshot of the schedule", lambda: snapshot_of(graph))
    for session in graph.sessions[::10]:
        if session.start and session.end:
            session.start += timedelta(minutes=30)
            session.end += timedelta(minutes=30)
    after = snapshot_of(graph)
    changes = timed("diff (a tenth of the sessions moved)", lambda: diff(before, after, {}))
    history = ChangeHistory("bench", before).record(
        after, changes, datetime(2026, 1, 1, tzinfo=UTC)
    )
    text = timed("changes.json: to JSON", lambda: json.dumps(history_to_data(history)))
    timed("changes.json: parse and read back", lambda: history_from_data(json.loads(text)))
    print(f"{'changes found':<44} {len(changes):8d}")
    print(f"{'changes.json size':<44} {len(text) / 1000:8.1f} kB")

    theme = Theme.load(None)
    media = MediaResolver(raw.media, issues)
    view = build_view(graph, media, urls.BaseUrl())
    view.history = history
    files = render_site(view, plan_pages(view), theme)
    copies = {urls.asset_path(n): p for n, p in theme.static_files().items()}
    files.update(media.files)
    broken = timed(f"--check-links over {len(files)} files", lambda: broken_links(files, copies), 3)
    print(f"{'broken links':<44} {len(broken):8d}")


if __name__ == "__main__":
    main()
