"""Cost and findings of the privacy audit on every real export (../shared/real_exports).

    python benchmarks/privacy_audit.py [EXPORT_DIR ...]

For each export: rendered output size, render time, audit time, and the audit's findings with
the input fields they come from (what an organiser would have to `--publish-field`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eventsite import audit, urls  # noqa: E402
from eventsite.build import load_graph, render_site  # noqa: E402
from eventsite.issues import IssueLog  # noqa: E402
from eventsite.media import MediaResolver  # noqa: E402
from eventsite.render.pages import plan_pages  # noqa: E402
from eventsite.render.theme import Theme  # noqa: E402
from eventsite.render.view import build_view  # noqa: E402

REAL_EXPORTS = REPO.parent / "shared" / "real_exports"


def measure(export: Path, theme: Theme) -> tuple[float, float, float, list[audit.Finding]]:
    issues = IssueLog()
    raw, graph = load_graph(str(export), issues)
    view = build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl("https://x.org/"))
    started = time.perf_counter()
    files = render_site(view, plan_pages(view), theme)
    rendered = time.perf_counter()
    findings = audit.audit(files, raw.documents, frozenset())
    audited = time.perf_counter()
    size = sum(len(data) for data in files.values()) / 2**20
    return size, rendered - started, audited - rendered, findings


def main(args: list[str]) -> int:
    exports = [Path(a) for a in args] or sorted(
        p for p in REAL_EXPORTS.iterdir() if (p / "event").is_file()
    )
    theme = Theme.load(None)
    total_render = total_audit = 0.0
    print(f"{'export':28} {'MB':>6} {'render s':>9} {'audit s':>8}  findings (fields)")
    for export in exports:
        size, render_s, audit_s, findings = measure(export, theme)
        total_render += render_s
        total_audit += audit_s
        fields = sorted({str(s) for f in findings for s in f.sources} or {"-"})
        print(
            f"{export.name:28} {size:6.2f} {render_s:9.3f} {audit_s:8.3f}  "
            f"{len(findings)} ({', '.join(fields)})"
        )
    share = total_audit / total_render if total_render else 0.0
    print(f"total render {total_render:.2f} s, audit {total_audit:.2f} s ({share:.0%} of render)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
