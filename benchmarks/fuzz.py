"""Coverage-guided fuzzing (atheris, libFuzzer) of the archive reader and the JSON pipeline.

    pip install -e '.[fuzz]'
    python benchmarks/fuzz.py                     # every target, 120 s each
    python benchmarks/fuzz.py --target json --seconds 600

Targets:
  archive  bytes -> a .zip file -> read_archive -> normalise -> resolve
  json     bytes -> one data file of a small export (parse_document) -> normalise -> resolve
           -> view -> page plan
  site     the same, then render every page and calendar and run the privacy audit (slower)
  text     bytes -> rich_text (Markdown + nh3) and plain_text, the path every abstract takes

A finding is any exception other than EventsiteError, or an input slower than --timeout seconds
(libFuzzer's timeout). Each target runs in its own process (libFuzzer exits when done); crash
inputs are written under benchmarks/out/fuzz/. The summary prints executions and findings.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out" / "fuzz"
SAMPLE = REPO / "sample_exports" / "devconf-2026"
TARGETS = ("archive", "json", "site", "text")
INSTRUMENTED = (
    "eventsite.audit",
    "eventsite.build",
    "eventsite.model.text",
    "eventsite.sources.archive",
    "markdown",
    "markdown.extensions.nl2br",
    "markdown.extensions.sane_lists",
)
BASE_EVENT = {
    "id": 1,
    "name": "Fuzz",
    "timezone": "Europe/Ljubljana",
    "starts-at": "2026-03-28T09:00:00+01:00",
}
BASE_SESSIONS = [
    {
        "id": n,
        "title": f"Talk {n}",
        "state": "accepted",
        "starts-at": f"2026-03-28T1{n}:00:00+01:00",
        "ends-at": f"2026-03-28T1{n}:45:00+01:00",
        "track": {"id": 1, "name": "Main"},
        "microlocation": {"id": 1, "name": "Hall"},
        "speakers": [{"id": n, "name": f"Speaker {n}"}],
    }
    for n in (1, 2)
]


# --- targets (run inside the worker process) ---------------------------------------------------


def _archive_target() -> object:
    from eventsite.errors import EventsiteError
    from eventsite.issues import IssueLog
    from eventsite.model.graph import resolve
    from eventsite.model.normalise import normalise
    from eventsite.sources.archive import read_archive

    path = Path(tempfile.mkdtemp(prefix="eventsite-fuzz-")) / "export.zip"

    def run(data: bytes) -> None:
        path.write_bytes(data)
        issues = IssueLog()
        try:
            raw = read_archive(path, issues)
            resolve(normalise(raw.documents, issues, raw.files), issues)
        except EventsiteError:
            pass

    return run


def _json_target(render: bool = False) -> object:
    from eventsite import audit, urls
    from eventsite.build import render_site
    from eventsite.errors import EventsiteError
    from eventsite.issues import IssueLog
    from eventsite.media import MediaResolver
    from eventsite.model.graph import resolve
    from eventsite.model.normalise import normalise
    from eventsite.render.pages import plan_pages
    from eventsite.render.theme import Theme
    from eventsite.render.view import build_view
    from eventsite.sources.base import DATA_FILES, MediaStore, parse_document

    theme = Theme.load(None)

    def run(data: bytes) -> None:
        if not data:
            return
        name = DATA_FILES[data[0] % len(DATA_FILES)]
        issues = IssueLog()
        documents: dict[str, object] = {"event": BASE_EVENT, "sessions": BASE_SESSIONS}
        try:
            documents[name] = parse_document(name, data[1:], name, issues)
            graph = resolve(normalise(documents, issues), issues)
            view = build_view(
                graph, MediaResolver(MediaStore(), issues), urls.BaseUrl("https://x/")
            )
            pages = plan_pages(view)
            if not render:
                return
            files = render_site(view, pages, theme)
            audit.audit(files, documents, frozenset())
            for data_out in files.values():
                data_out.decode("utf-8")
        except EventsiteError:
            pass

    return run


def _site_target() -> object:
    return _json_target(render=True)


def _text_target() -> object:
    from eventsite.model.text import plain_text, rich_text

    def run(data: bytes) -> None:
        value = data.decode("utf-8", "replace")
        rich_text.cache_clear()
        html = rich_text(value)
        plain_text(html, 200)
        if re.search(r"<script|\son\w+=|javascript:", html, re.IGNORECASE):
            raise AssertionError(f"unsafe markup survived sanitising: {html[:200]!r}")

    return run


def worker(target: str, libfuzzer_args: list[str]) -> None:
    import atheris

    # imported inside the block so atheris instruments them (rich_text imports markdown lazily)
    with atheris.instrument_imports(include=["eventsite", "markdown"]):
        for module in INSTRUMENTED:
            importlib.import_module(module)

    targets = {
        "archive": _archive_target,
        "json": _json_target,
        "site": _site_target,
        "text": _text_target,
    }
    run = targets[target]()
    atheris.Setup([sys.argv[0], *libfuzzer_args], run)  # type: ignore[arg-type]
    atheris.Fuzz()


# --- seeds and the driver ----------------------------------------------------------------------


def write_seeds(target: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    documents = {p.name: p.read_bytes() for p in SAMPLE.iterdir() if p.is_file()}
    if target == "archive":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(documents.items()):
                archive.writestr(name, data)
        (folder / "sample.zip").write_bytes(buffer.getvalue())
        small = io.BytesIO()
        with zipfile.ZipFile(small, "w") as archive:
            archive.writestr("event", json.dumps(BASE_EVENT))
            archive.writestr("sessions", json.dumps(BASE_SESSIONS))
        (folder / "small.zip").write_bytes(small.getvalue())
    elif target in ("json", "site"):
        from eventsite.sources.base import DATA_FILES

        for index, name in enumerate(DATA_FILES):
            if name in documents:
                value = json.loads(documents[name])
                small = value[:3] if isinstance(value, list) else value
                (folder / name).write_bytes(bytes([index]) + json.dumps(small).encode())
        (folder / "sessions-small").write_bytes(b"\x01" + json.dumps(BASE_SESSIONS).encode())
    else:
        sessions = json.loads(documents["sessions"])
        for number, record in enumerate(sessions[:10]):
            abstract = record.get("long-abstract") or record.get("short-abstract") or ""
            (folder / f"abstract-{number}").write_text(abstract, encoding="utf-8")
        (folder / "markup").write_text('<p>a <a href="https://x">b</a> *c*</p>', encoding="utf-8")


def drive(target: str, seconds: int, runs: int, timeout: int) -> dict[str, object]:
    corpus = OUT / "corpus" / target
    seeds = OUT / "seeds" / target
    write_seeds(target, seeds)
    corpus.mkdir(parents=True, exist_ok=True)
    args = [
        str(corpus),
        str(seeds),
        f"-max_total_time={seconds}",
        f"-timeout={timeout}",
        "-rss_limit_mb=2048",
        "-max_len=200000",
        f"-artifact_prefix={OUT}/{target}-",
        "-print_final_stats=1",
    ]
    if runs:
        args.append(f"-runs={runs}")
    done = subprocess.run(
        [sys.executable, __file__, "--worker", target, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    log = done.stdout + done.stderr
    (OUT / f"{target}.log").write_text(log, encoding="utf-8")
    executions = _last_int(r"stat::number_of_executed_units:\s*(\d+)", log)
    if executions is None:
        executions = _last_int(r"Done (\d+) runs", log) or _last_int(r"#(\d+)", log) or 0
    findings = sorted(str(p.relative_to(REPO)) for p in OUT.glob(f"{target}-*") if p.is_file())
    return {
        "target": target,
        "executions": executions,
        "seconds": seconds,
        "exit": done.returncode,
        "findings": findings,
        "coverage": _last_int(r"cov: (\d+)", log),
    }


def _last_int(pattern: str, text: str) -> int | None:
    found = re.findall(pattern, text)
    return int(found[-1]) if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    parser.add_argument("--seconds", type=int, default=120, help="budget per target")
    parser.add_argument("--runs", type=int, default=0, help="stop after N executions (0: time)")
    parser.add_argument(
        "--timeout", type=int, default=10, help="an input slower than this is a finding"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    sys.path.insert(0, str(REPO))  # this checkout's eventsite, not an installed one
    if args.worker:
        worker(args.worker, rest)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    targets = TARGETS if args.target == "all" else (args.target,)
    results = [drive(t, args.seconds, args.runs, args.timeout) for t in targets]
    for result in results:
        print(
            f"{result['target']:8} {result['executions']:>8} executions in {result['seconds']} s, "
            f"coverage {result['coverage']}, findings: {len(result['findings'])} "  # type: ignore[arg-type]
            f"{' '.join(result['findings'])}"  # type: ignore[arg-type]
        )
    (OUT / "summary.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if any(r["findings"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
