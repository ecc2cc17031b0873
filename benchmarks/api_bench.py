"""Live-API source timings: a real export served as JSON:API from a local HTTP server.

    python benchmarks/api_bench.py [EXPORT] [--runs N]

For each page size (1 page for everything, 30 as flask-rest-jsonapi's default, 7), reports the
median over N runs of: fetching every document (`ApiClient.snapshot`), `fetch` to a zip, and
the whole `build URL` in-process, next to building the legacy folder (media-less copy).
Run from the repository root; needs ../shared/real_exports and pytest-httpserver.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from api_server import OpenEventApi  # noqa: E402
from jsonapi_convert import convert_export  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from eventsite.build import BuildOptions, build  # noqa: E402
from eventsite.issues import IssueLog  # noqa: E402
from eventsite.snapshot import fetch  # noqa: E402
from eventsite.sources.api import ApiOptions  # noqa: E402

REAL_EXPORTS = ROOT.parent / "shared" / "real_exports"


def median_seconds(task: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        task()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times) - min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("export", nargs="?", default="FOSSASIASummit2016")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = REAL_EXPORTS / args.export
    work = Path(tempfile.mkdtemp(prefix="api-bench-"))
    legacy = work / "export"
    legacy.mkdir()
    for path in source.iterdir():
        if path.is_file():
            shutil.copyfile(path, legacy / path.name)
    converted = convert_export(source)
    sessions = len(converted.collections["sessions"])
    print(f"{args.export}: {sessions} sessions; median of {args.runs} runs (spread)")
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        base, spread = median_seconds(
            lambda: build(BuildOptions(source=str(legacy), output=work / "legacy")), args.runs
        )
        print(f"  build legacy folder                  {base:6.3f} s (±{spread:.3f})")
        for page_size in (10_000, 30, 7):
            server.clear()
            api = OpenEventApi(converted, event_id=f"p{page_size}", page_size=page_size)
            url = api.install(server)
            options = ApiOptions(environ={})
            client = options.client(url)
            label = "all" if page_size >= sessions else str(page_size)
            snap, s1 = median_seconds(lambda c=client: c.snapshot(IssueLog()), args.runs)
            requests_per_run = len(server.log) // args.runs
            zipped, s2 = median_seconds(
                lambda u=url, o=options: fetch(u, work / "s.zip", o), args.runs
            )
            site, s3 = median_seconds(
                lambda u=url, o=options: build(BuildOptions(u, work / "site", api=o)), args.runs
            )
            print(
                f"  page size {label:>3}: {requests_per_run:3d} requests  snapshot {snap:6.3f} s "
                f"(±{s1:.3f})  fetch {zipped:6.3f} s (±{s2:.3f})  build URL {site:6.3f} s (±{s3:.3f})"
            )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
