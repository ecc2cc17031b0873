"""Edit-to-rebuilt time of `eventsite serve` against a clean build of the same export.

    python benchmarks/serve_bench.py [--sessions 5000] [--edits 5] [--skip-serve]

For FOSSASIASummit2016 (the largest real export, from ../shared/real_exports) and for a synthetic
export with --sessions sessions, this measures:
- clean build: `eventsite.build.build` into an empty folder (what `eventsite build` does);
- first serve build: `Rebuilder.build_all` (the same plus recording what each page reads);
- one-session edit, in process: write a new title into `sessions`, then `Rebuilder.rebuild`;
- one-session edit, end to end: the same edit with `eventsite serve` running in a subprocess,
  timed from the file write to the "rebuilt:" line (file event + debounce + rebuild; the
  browsers reload then, and the changed files are written to disk after that).
Medians over --edits edits; CPU seconds (process time) are printed too, as they vary less than
wall time on a busy machine. Each export is copied to a temporary folder first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eventsite.build import BuildOptions, build  # noqa: E402
from eventsite.incremental import Rebuilder  # noqa: E402

SHARED = Path(os.environ.get("EVENTSITE_SHARED", REPO.parent / "shared"))
FOSSASIA = SHARED / "real_exports" / "FOSSASIASummit2016"
WORDS = [
    "open",
    "data",
    "web",
    "cloud",
    "kernel",
    "rust",
    "python",
    "design",
    "privacy",
    "network",
    "scale",
    "test",
    "build",
    "release",
    "community",
    "hardware",
    "graph",
    "search",
    "mobile",
    "security",
    "compiler",
    "database",
    "stream",
    "edge",
    "learning",
]


def synthetic_export(root: Path, sessions: int, seed: int = 5000) -> Path:
    """A deterministic kebab-case export with `sessions` public sessions over five days."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    zone = timezone(timedelta(hours=8))
    days = 5
    rooms = [{"id": i, "name": f"Room {i:02d}", "floor": i // 10} for i in range(1, 41)]
    tracks = [
        {"id": i, "name": f"Track {w.title()}", "color": f"#{rng.randrange(0x1000000):06X}"}
        for i, w in enumerate(WORDS[:16], 1)
    ]
    speakers = [
        {
            "id": i,
            "name": f"Speaker {i} {rng.choice(WORDS).title()}",
            "organisation": f"{rng.choice(WORDS).title()} Labs",
            "short-biography": " ".join(rng.choices(WORDS, k=30)),
            "sessions": [],
        }
        for i in range(1, sessions * 3 // 5 + 1)
    ]
    items = []
    per_room_day = -(-sessions // (days * len(rooms)))
    for number in range(sessions):
        day, rest = divmod(number, len(rooms) * per_room_day)
        room, slot = divmod(rest, per_room_day)
        start = datetime(2026, 3, 18 + day, 9, 0, tzinfo=zone) + timedelta(minutes=35 * slot)
        track = tracks[number % len(tracks)]
        chosen = rng.sample(speakers, k=rng.choice((1, 1, 2)))
        for speaker in chosen:
            speaker["sessions"].append({"id": number + 1})
        items.append(
            {
                "id": number + 1,
                "title": f"{' '.join(rng.choices(WORDS, k=4)).capitalize()} ({number + 1})",
                "state": "accepted",
                "starts-at": start.isoformat(),
                "ends-at": (start + timedelta(minutes=30)).isoformat(),
                "long-abstract": "<p>" + " ".join(rng.choices(WORDS, k=80)) + "</p>",
                "track": {"id": track["id"], "name": track["name"]},
                "microlocation": {"id": rooms[room]["id"], "name": rooms[room]["name"]},
                "speakers": [{"id": s["id"], "name": s["name"]} for s in chosen],
            }
        )
    event = {
        "id": 1,
        "name": f"Synthetic Summit ({sessions} sessions)",
        "starts-at": "2026-03-18T09:00:00+08:00",
        "ends-at": f"2026-03-{17 + days}T18:00:00+08:00",
        "timezone": "Asia/Singapore",
    }
    for name, data in (
        ("event", event),
        ("sessions", items),
        ("speakers", [s for s in speakers if s["sessions"]]),
        ("tracks", tracks),
        ("microlocations", rooms),
    ):
        (root / name).write_text(json.dumps(data, indent=1), encoding="utf-8")
    return root


def edit_one_title(source: Path, number: int) -> Path:
    path = source / "sessions"
    path.write_bytes(edited_sessions(source, number))
    return path


def edited_sessions(source: Path, number: int) -> bytes:
    """The `sessions` file with one public session's title changed, as an editor saves it."""
    sessions = json.loads((source / "sessions").read_text(encoding="utf-8"))
    public = [s for s in sessions if s.get("state") in ("accepted", "confirmed")]
    public[(number * 7919) % len(public)]["title"] = f"Edited title {number}"
    return json.dumps(sessions, indent=1).encode("utf-8")


def measure(label: str, source: Path, work: Path, edits: int, serve: bool) -> dict[str, object]:
    started, cpu = time.perf_counter(), time.process_time()
    report = build(BuildOptions(source=str(source), output=work / "clean"))
    clean, clean_cpu = time.perf_counter() - started, time.process_time() - cpu
    rebuilder = Rebuilder(BuildOptions(source=str(source), output=work / "serve"))
    first = rebuilder.build_all()
    times, cpu_times, rendered = [], [], []
    for number in range(edits):
        changed = edit_one_title(source, number)
        started, cpu = time.perf_counter(), time.process_time()
        stats = rebuilder.rebuild([changed])
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        rendered.append(len(stats.rendered))
    result: dict[str, object] = {
        "export": label,
        "sessions": report.sessions,
        "pages": report.pages,
        "clean_build_s": round(clean, 3),
        "clean_build_cpu_s": round(clean_cpu, 3),
        "first_serve_build_s": round(first.seconds, 3),
        "edit_rebuild_s": round(statistics.median(times), 3),
        "edit_rebuild_cpu_s": round(statistics.median(cpu_times), 3),
        "pages_rendered_per_edit": int(statistics.median(rendered)),
        "load_average": round(os.getloadavg()[0], 1),
    }
    if serve:
        result["edit_to_rebuilt_serve_s"] = round(_through_serve(source, work, edits), 3)
    result["speedup"] = round(clean / float(result["edit_rebuild_s"]), 1)  # type: ignore[arg-type]
    return result


def _through_serve(source: Path, work: Path, edits: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "eventsite", "serve", str(source), "--port", "0"]
    command += ["-o", str(work / "served")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        _wait_for(process.stdout, r"^rebuilt: ")
        times = []
        for number in range(100, 100 + edits):
            saved = edited_sessions(source, number)  # made before the clock starts: the save
            started = time.perf_counter()  # is what `serve` sees, not the editor's work
            (source / "sessions").write_bytes(saved)
            _wait_for(process.stdout, r"^rebuilt: ")
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(stream: object, pattern: str) -> str:
    for line in stream:  # type: ignore[attr-defined]
        if re.search(pattern, line):
            return line
    raise RuntimeError(f"serve ended before printing {pattern!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--skip-serve", action="store_true", help="in-process timings only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eventsite-bench-") as temporary:
        work = Path(temporary)
        exports = []
        if FOSSASIA.is_dir():
            exports.append(("FOSSASIASummit2016", shutil.copytree(FOSSASIA, work / "fossasia")))
        else:
            print(f"note: {FOSSASIA} is missing; real export skipped", file=sys.stderr)
        synthetic = synthetic_export(work / "synthetic", args.sessions)
        exports.append((f"synthetic-{args.sessions}", synthetic))
        for label, source in exports:
            result = measure(label, source, work / label, args.edits, not args.skip_serve)
            print(json.dumps(result))


if __name__ == "__main__":
    main()
