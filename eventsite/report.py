"""Human-readable build reports on the terminal (stderr for problems, stdout for results)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from eventsite.build import BuildReport
from eventsite.issues import Severity

if TYPE_CHECKING:
    from eventsite.snapshot import FetchReport


def print_report(report: BuildReport, *, quiet: bool = False, verbose: bool = False) -> None:
    shown = Severity.INFO if verbose else Severity.WARNING
    if not quiet:
        for issue in report.issues.at_least(shown):
            print(f"{issue.severity.name.lower()}: {issue}", file=sys.stderr)
    warnings = report.issues.count(Severity.WARNING)
    notes = report.issues.count(Severity.INFO)
    summary = (
        f"{report.sessions} public sessions ({report.hidden_sessions} not public), "
        f"{report.speakers} speakers; {warnings} warning(s), {notes} note(s)"
    )
    if report.output is None:
        print(f"checked {report.source}: {summary}")
        return
    if quiet:
        return
    size = report.bytes / 1_000_000
    print(
        f"built {report.output}: {report.pages} pages, {report.files} files, {size:.1f} MB "
        f"in {report.seconds:.2f} s\n  {summary}"
    )


def print_fetch_report(report: FetchReport, *, quiet: bool = False) -> None:
    for issue in report.issues.at_least(Severity.WARNING):
        print(f"{issue.severity.name.lower()}: {issue}", file=sys.stderr)
    if quiet:
        return
    counts = ", ".join(
        f"{count} {name.replace('_', ' ')}" for name, count in report.resources.items()
    )
    print(
        f"fetched {report.source} -> {report.output}: {counts}; "
        f"{report.bytes / 1000:.0f} kB in {report.seconds:.2f} s"
    )
