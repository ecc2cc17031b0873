"""Reports for CI: `--report FILE.json` (machine-readable) and `--summary FILE.md` (a job page).

Both are written for failed builds too (status "error", the message and the exit code), so a CI
job can always show what happened. Text from the export is escaped in the Markdown summary.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from eventsite import __version__, urls
from eventsite.build import BuildOptions, BuildReport
from eventsite.errors import EventsiteError, OutputError
from eventsite.history import redact
from eventsite.issues import Issue, Severity
from eventsite.model.changes import KIND_LABELS, Change

REPORT_FORMAT = "eventsite-build-report"
REPORT_VERSION = 1
SUMMARY_ITEMS = 50
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def write_ci_reports(
    report_file: Path | None,
    summary_file: Path | None,
    options: BuildOptions,
    *,
    report: BuildReport | None = None,
    error: EventsiteError | None = None,
) -> None:
    """Write the JSON report and append the Markdown summary, when asked for."""
    if report_file is not None:
        text = json.dumps(report_data(options, report, error), ensure_ascii=False, indent=2)
        _write(report_file, text + "\n", append=False)
    if summary_file is not None:
        _write(summary_file, summary_markdown(options, report, error), append=True)


def _write(path: Path, text: str, *, append: bool) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write the report: {exc.strerror}", file=str(path)) from None


def report_data(
    options: BuildOptions, report: BuildReport | None, error: EventsiteError | None = None
) -> dict[str, Any]:
    """The JSON report: status, counts, warnings, schedule changes and timing."""
    data: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "eventsite": __version__,
        "status": "error" if error or report is None else "ok",
        "exit_code": error.exit_code if error else 0,
        "error": str(error) if error else None,
        "source": _shown_source(options.source),
        "output": str(options.output),
    }
    if report is None:
        return data
    data.update(
        event=report.event,
        counts={
            "sessions": report.sessions,
            "hidden_sessions": report.hidden_sessions,
            "speakers": report.speakers,
            "pages": report.pages,
            "files": report.files,
            "bytes": report.bytes,
            "errors": report.issues.count(Severity.ERROR),
            "warnings": report.issues.count(Severity.WARNING),
            "notes": report.issues.count(Severity.INFO),
        },
        warnings=[_issue_data(i) for i in report.issues.at_least(Severity.WARNING)],
        changes={
            "revision": report.revision,
            "counts": dict(sorted(Counter(str(c.kind) for c in report.changes).items())),
            "items": [_change_data(c, options) for c in report.changes],
        },
        timing={"seconds": round(report.seconds, 3), "stages": dict(report.stage_seconds)},
    )
    return data


def _shown_source(source: str) -> str:
    return redact(source) if source.startswith(("http://", "https://")) else source


def _issue_data(issue: Issue) -> dict[str, Any]:
    return {
        "severity": issue.severity.name.lower(),
        "kind": issue.kind,
        "entity": issue.entity,
        "id": issue.id,
        "file": issue.file,
        "message": issue.message,
    }


def _change_data(change: Change, options: BuildOptions) -> dict[str, Any]:
    return {
        "kind": str(change.kind),
        "session": change.session_id,
        "title": change.title,
        "summary": change.summary,
        "url": _session_url(change, options),
    }


def _session_url(change: Change, options: BuildOptions) -> str | None:
    """Public URL of the session page (needs --base-url); none for a session that is gone."""
    if not options.base_url or change.kind in ("cancelled", "removed"):
        return None
    return urls.BaseUrl.parse(options.base_url).absolute(urls.session_path_of_id(change.session_id))


def summary_markdown(
    options: BuildOptions, report: BuildReport | None, error: EventsiteError | None = None
) -> str:
    """A short Markdown page: the outcome, a table of counts, the changes and the warnings."""
    if error is not None or report is None:
        message = md(str(error)) if error else "the build did not finish"
        return f"## eventsite build failed\n\n{message}\n\n"
    lines = [f"## eventsite build: {md(report.event or options.source)}", ""]
    lines += _counts_table(report)
    lines += _changes_section(report, options)
    lines += _warnings_section(report)
    return "\n".join(lines) + "\n"


def _counts_table(report: BuildReport) -> list[str]:
    warnings = report.issues.count(Severity.WARNING)
    return [
        "| | |",
        "|---|---|",
        f"| sessions | {report.sessions} public, {report.hidden_sessions} not public |",
        f"| speakers | {report.speakers} |",
        f"| pages / files | {report.pages} / {report.files} ({report.bytes / 1_000_000:.1f} MB) |",
        f"| schedule changes | {len(report.changes)} (update {report.revision}) |",
        f"| warnings | {warnings} |",
        f"| time | {report.seconds:.2f} s |",
        "",
    ]


def _changes_section(report: BuildReport, options: BuildOptions) -> list[str]:
    if not report.changes:
        return ["No schedule changes in this build.", ""]
    counts = Counter(KIND_LABELS[c.kind].lower() for c in report.changes)
    lines = ["### Schedule changes", "", ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))]
    lines.append("")
    for change in report.changes[:SUMMARY_ITEMS]:
        url = _session_url(change, options)
        title = f"[{md(change.title)}]({url})" if url else md(change.title)
        lines.append(f"- **{change.label}**: {title}: {md(change.detail)}")
    if len(report.changes) > SUMMARY_ITEMS:
        lines.append(f"- … and {len(report.changes) - SUMMARY_ITEMS} more")
    return [*lines, ""]


def _warnings_section(report: BuildReport) -> list[str]:
    warnings = report.issues.at_least(Severity.WARNING)
    if not warnings:
        return []
    lines = ["### Warnings", ""]
    lines += [f"- {md(str(w))}" for w in warnings[:SUMMARY_ITEMS]]
    if len(warnings) > SUMMARY_ITEMS:
        lines.append(f"- … and {len(warnings) - SUMMARY_ITEMS} more")
    return [*lines, ""]


def md(text: str) -> str:
    """Text from the export as inert Markdown: no links, HTML, tables or emphasis."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
