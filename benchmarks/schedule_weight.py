"""How heavy the schedule page of a large event is, and what its scripts cost at start-up.

    PYTHONPATH=. python benchmarks/schedule_weight.py [EXPORT]   (default: the largest real export)

Builds the export into a temporary folder and prints the bytes (raw and gzip -6) of the
schedule page and of everything it loads up front, the lazily loaded search index, the number
of elements, and, when Chromium is installed, the time site.js takes on that page.

Lighthouse scores for the closing notes of the UI issue were taken on the same build with
`npm i -D lighthouse@12` and
`CHROME_PATH=/usr/bin/chromium npx lighthouse http://127.0.0.1:PORT/schedule/index.html
--chrome-flags="--headless --no-sandbox" --output=json`, once from `python -m http.server`
(no compression) and once from a server that gzips.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
from pathlib import Path

from eventsite import urls
from eventsite.build import BuildOptions, build

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "real_exports"
CHROMIUM = Path("/usr/bin/chromium")


def largest_export() -> Path:
    folders = [p for p in SHARED.iterdir() if (p / "sessions").is_file()]
    return max(folders, key=lambda p: len(json.loads((p / "sessions").read_bytes(), strict=False)))


def weights(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return len(data), len(gzip.compress(data, 6))


def up_front_files(site: Path) -> list[Path]:
    """The schedule page and the local files it references with src/href (no lazy ones)."""
    page = site / urls.SCHEDULE
    html = page.read_text(encoding="utf-8")
    refs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"#]+)"', html)
    found = [page]
    for ref in refs:
        target = (page.parent / ref).resolve()
        if target.is_file() and target.suffix in {".css", ".js", ".svg"} and target not in found:
            found.append(target)
    return found


def script_start_up_ms(site: Path) -> float | None:
    """Milliseconds from site.js starting to finishing on the schedule page (best of 3)."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page()
        page.add_init_script(
            "document.addEventListener('readystatechange', () => {"
            " if (document.readyState === 'interactive') window.__t0 = performance.now(); });"
            "document.addEventListener('DOMContentLoaded', () => {"
            " window.__t1 = performance.now(); });"
        )
        runs = []
        for _ in range(3):
            page.goto((site / urls.SCHEDULE).as_uri())
            runs.append(page.evaluate("window.__t1 - window.__t0"))
        browser.close()
    return min(runs)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else largest_export()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        report = build(BuildOptions(source=str(source), output=site))
        page = (site / urls.SCHEDULE).read_text(encoding="utf-8")
        print(f"{source.name}: {report.sessions} public sessions")
        total_raw = total_gz = 0
        for path in up_front_files(site):
            raw, gz = weights(path)
            total_raw, total_gz = total_raw + raw, total_gz + gz
            print(
                f"  {path.relative_to(site)!s:<28} {raw / 1024:8.1f} KiB  gzip {gz / 1024:6.1f} KiB"
            )
        print(
            f"  {'schedule page, up front':<28} {total_raw / 1024:8.1f} KiB  gzip {total_gz / 1024:6.1f} KiB"
        )
        raw, gz = weights(site / urls.SEARCH_INDEX)
        print(
            f"  {urls.SEARCH_INDEX + ' (on search)':<28} {raw / 1024:8.1f} KiB  gzip {gz / 1024:6.1f} KiB"
        )
        print(f"  elements on the page: {len(re.findall(r'<[a-z]', page))}")
        print(f"  bytes per session in the page: {len(page.encode()) // max(report.sessions, 1)}")
        start_up = script_start_up_ms(site)
        if start_up is not None:
            print(f"  site.js start-up (deferred, to DOMContentLoaded): {start_up:.0f} ms")


if __name__ == "__main__":
    main()
