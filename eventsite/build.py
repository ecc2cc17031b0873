"""The build pipeline: load -> normalise -> resolve -> plan -> media -> render -> write.

Each stage lives in its own module and only imports the stages below it; this module only
orchestrates them and reports what happened.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from eventsite import audit, history, linkcheck, urls
from eventsite.errors import IntegrityError
from eventsite.filestore import FileStore
from eventsite.issues import IssueLog, Severity
from eventsite.media import DerivedStore, MediaResolver, RemoteFetcher, image_requests
from eventsite.model.changes import Change
from eventsite.model.contacts import EntityRedaction, redact_contacts
from eventsite.model.graph import EventGraph, resolve
from eventsite.model.normalise import RecordMaker, normalise
from eventsite.parallel import Chunks, Files, SiteOutput, job_count, render_pages
from eventsite.progress import Progress
from eventsite.render.pages import HtmlRenderer, PageSpec, navigation, plan_pages
from eventsite.render.theme import Theme
from eventsite.render.view import SiteView, build_view
from eventsite.sources import RawExport, is_url, open_source
from eventsite.sources.api import ApiOptions
from eventsite.writer import SiteWriter, WriteStats, check_output_dir, write_site

if TYPE_CHECKING:
    from eventsite.render.calendar_cache import FormatCache
    from eventsite.sources.folder import Parser


@dataclass(slots=True)
class BuildOptions:
    source: str
    output: Path = Path("site")
    base_url: str | None = None
    theme: str | None = None
    strict: bool = False
    fetch_remote: RemoteFetcher | None = None  # None: remote media get placeholders
    media_cache: DerivedStore | None = None  # resized images kept between builds
    progress: Progress = field(default_factory=Progress)
    api: ApiOptions | None = None  # for an event URL: auth scheme, timeouts, reused clients
    publish_fields: frozenset[str] = frozenset()  # fields the privacy audit lets through
    previous: str | None = None  # site folder, file or URL with the previous change history
    check_links: bool = False
    jobs: int | None = None  # render processes; None: one per core for large sites
    file_store: FileStore | None = None  # output files kept between builds, linked into sites


@dataclass(slots=True)
class BuildReport:
    """What a build (or a check) did: counts, issues and timing."""

    source: str
    output: Path | None
    issues: IssueLog
    event: str = ""
    sessions: int = 0
    hidden_sessions: int = 0
    speakers: int = 0
    pages: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    revision: int = 0
    changes: list[Change] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)


class _Stopwatch:
    def __init__(self, report: BuildReport) -> None:
        self.report = report
        self.started = self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.report.stage_seconds[stage] = round(now - self.last, 4)
        self.last = now


def load_graph(
    source: str,
    issues: IssueLog,
    *,
    strict: bool = False,
    api: ApiOptions | None = None,
    publish: frozenset[str] = frozenset(),
    parse: Parser | None = None,
    maker: RecordMaker | None = None,
    redact: EntityRedaction | None = None,
) -> tuple[RawExport, EventGraph]:
    """Stages 1-3: read the export, normalise it (contact details out) and resolve the graph.

    `parse`, `maker` and `redact` stand in for the parser of a folder's files, the normaliser
    and the contact redaction of each record (`eventsite.reload` reuses what did not change)."""
    raw = open_source(source, issues, api=api, parse=parse)
    data = normalise(raw.documents, issues, raw.files, strict=strict, maker=maker)
    return raw, resolve(redact_contacts(data, issues, publish, redact), issues)


def check(source: str, *, strict: bool = False, api: ApiOptions | None = None) -> BuildReport:
    """Validate an export without writing anything."""
    started = time.perf_counter()
    issues = IssueLog()
    raw, graph = load_graph(source, issues, strict=strict, api=api)
    build_view(graph, MediaResolver(raw.media, issues, resize=False), urls.BaseUrl())
    report = _report(source, None, graph, issues)
    report.seconds = time.perf_counter() - started
    return report


def build(options: BuildOptions) -> BuildReport:
    """Build the site for `options.source` into `options.output`."""
    issues = IssueLog()
    report = BuildReport(source=options.source, output=options.output, issues=issues)
    watch = _Stopwatch(report)
    check_output_dir(options.output, [] if is_url(options.source) else [Path(options.source)])
    theme = Theme.load(options.theme)
    try:
        with _collector_paused():
            raw, graph = load_graph(
                options.source,
                issues,
                strict=options.strict,
                api=options.api,
                publish=options.publish_fields,
            )
            watch.lap("load")
            privacy_audit = None  # the link check's path audits the whole site at once
            if not options.check_links:
                # it packs the input on a thread while the site is planned (zlib lets go of
                # the GIL); it keeps them compact: the parsed JSON need not outlive the load
                privacy_audit = audit.SiteAudit(raw.documents, options.publish_fields)
                raw.documents = {}
            view, media, pages = _plan(options, report, raw, graph, theme)
        watch.lap("plan+media")
        fail_if_strict(issues, options.strict)
        if options.check_links:  # the link check needs every file at once, before writing
            stats = _check_links_and_write(options, view, pages, theme, media, raw, watch.lap)
        else:
            stats = render_and_write(
                options, view, pages, theme, media.files, watch.lap, privacy_audit
            )
    finally:
        gc.unfreeze()  # an in-process caller (tests, serve) must get the memory back
    watch.lap("write")
    report = _report(options.source, options.output, graph, issues, report)
    report.pages, report.files, report.bytes = len(pages), stats.files, stats.bytes
    report.seconds = time.perf_counter() - watch.started
    return report


def _plan(
    options: BuildOptions, report: BuildReport, raw: RawExport, graph: EventGraph, theme: Theme
) -> tuple[SiteView, MediaResolver, list[PageSpec]]:
    """Stages 4-5: media, the view, the change history and the list of pages."""
    compiling = theme.precompile()  # while images are resized (not loading: both need the GIL)
    media = MediaResolver(
        raw.media, report.issues, options.fetch_remote, derived=options.media_cache
    )
    media.prepare(image_requests(graph), options.progress)
    compiling.wait()
    view = build_view(graph, media, urls.BaseUrl.parse(options.base_url))
    update = history.update_history(
        graph, view.event_key, options.previous, options.output, report.issues
    )
    view.history, report.changes = update.history, update.changes
    report.revision = update.history.revision
    return view, media, plan_pages(view)


def _check_links_and_write(
    options: BuildOptions,
    view: SiteView,
    pages: list[PageSpec],
    theme: Theme,
    media: MediaResolver,
    raw: RawExport,
    lap: Callable[[str], None],
) -> WriteStats:
    files = render_site(view, pages, theme, options.progress)
    files.update(media.files)
    static = _static_copies(theme)
    linkcheck.fail_on_broken_links(files, static)
    lap("render")
    audit.enforce(files, raw.documents, options.publish_fields)
    lap("audit")
    return write_site(options.output, files, static, options.file_store)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the export is loaded and the site planned, and
    what was made then frozen (left out of its passes) until the caller's `gc.unfreeze()`.

    Nearly everything made then lives until the end of the build, and the parsed JSON is
    freed by reference counting; the collector's passes over the growing heap cost 10,000
    sessions 0.4 s of serial time, finding next to nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def render_and_write(
    options: BuildOptions,
    view: SiteView,
    pages: list[PageSpec],
    theme: Theme,
    media_files: dict[str, bytes],
    lap: Callable[[str], None] = lambda stage: None,
    privacy_audit: audit.SiteAudit | None = None,
) -> WriteStats:
    """Stages 6-7: render every file and write it as soon as it is made (pages in parallel).

    `media_files` is emptied: each file is let go once written.

    The privacy audit scans each file as it is made, in the process that made it; nothing is
    visible before `writer.finish()`, so if the audit finds anything, nothing was written.
    """
    writer = SiteWriter(options.output, options.file_store)
    try:
        out = SiteOutput(writer, privacy_audit)
        for path, source in _static_copies(theme).items():
            out.copy(path, source)  # read once, for the site and the audit
        if privacy_audit is not None:
            privacy_audit.ready()  # packed on a thread meanwhile; no thread may run at a fork
        # the graph and view live until the end: the collector need not walk them on every
        # pass while pages are rendered (10,000 sessions: about 2 s of CPU less), nor touch
        # the pages a forked worker shares with this process
        gc.freeze()
        renderer = HtmlRenderer(theme, view, navigation(view))
        jobs = job_count(len(pages), options.jobs)
        extra = other_file_parts(view, pages)
        render_pages(
            renderer, pages, writer, jobs, extra, options.progress, privacy_audit, media_files
        )
        lap("render")
        if privacy_audit is not None:
            privacy_audit.enforce()
        lap("audit")
        return writer.finish()
    finally:
        writer.abort()
        gc.unfreeze()  # an in-process caller (tests, serve) must get the memory back


def render_site(
    view: SiteView, pages: list[PageSpec], theme: Theme, progress: Progress | None = None
) -> dict[str, bytes]:
    """Every generated file of the site: HTML pages, calendars, schedule exports, sitemap."""
    renderer = HtmlRenderer(theme, view, navigation(view))
    files: dict[str, bytes] = {}
    with (progress or Progress()).task("pages", len(pages)) as task:
        for page in pages:
            files[page.path] = renderer.render(page)
            task.advance()
    files.update(other_files(view, pages))
    return files


def other_files(
    view: SiteView, pages: list[PageSpec], cache: FormatCache | None = None
) -> dict[str, bytes]:
    """The files that are not HTML pages: calendars, schedule exports, sitemap, change history.

    With a `cache` (`eventsite serve`), the per-session pieces of unchanged sessions are reused.
    """
    files: dict[str, bytes] = {}
    for part in other_file_parts(view, pages, cache):
        made = part()  # a dict or (path, bytes or chunks) pairs
        for path, data in made.items() if isinstance(made, dict) else made:
            files[path] = data.joined() if isinstance(data, Chunks) else data
    return files


def other_file_parts(
    view: SiteView, pages: list[PageSpec], cache: FormatCache | None = None
) -> list[Callable[[], Files]]:
    """`other_files` in parts, biggest first: each can be made, written and let go on its own.

    The frab schedules come before the calendars: made after them, their transient memory
    would come on top of what the calendars' audit keeps (10,000 sessions: peak 345 -> 313 MiB).
    A clean build makes them and the search index in one part (`_schedule_files`).
    """
    from eventsite.render import changes, frab, search, sitemap

    def sitemap_file() -> dict[str, bytes]:
        indexed = [p.path for p in pages if p.path != urls.NOT_FOUND]
        return {urls.SITEMAP: sitemap.sitemap(indexed, view.base_url)}

    if cache is None:
        schedule_parts: list[Callable[[], Files]] = [lambda: _schedule_files(view)]
    else:
        schedule_parts = [
            lambda: {urls.FRAB_XML: frab.frab_xml(view, cache.frab)},
            lambda: {urls.FRAB_JSON: frab.frab_json(view, cache.frab)},
            lambda: cache.calendar_files(view),
            lambda: {urls.SEARCH_INDEX: search.search_index(view.graph.sessions, cache.search)},
        ]
    return [
        *schedule_parts,
        sitemap_file,
        lambda: changes.change_files(view, cache.changes if cache else None),
    ]


def _schedule_files(view: SiteView) -> Iterator[tuple[str, bytes | Chunks]]:
    """The frab schedules, the calendars and the search index, made one after the other with
    one working out of each session's plain text, let go with them; the big ones written as
    they are made."""
    from eventsite.render import frab, ical, search
    from eventsite.render.schedule_text import PlainTexts

    texts = PlainTexts()
    for path, pieces in frab.frab_pieces(view, texts.paragraphs):
        yield path, Chunks(pieces)
    texts.keep_only(session.abstract for session in view.graph.sessions)  # what is read next
    render_event = ical.encoded_vevents(texts.paragraphs)
    yield from _chunked(ical.calendar_pieces(view, render_event))
    yield urls.SEARCH_INDEX, Chunks(search.search_index_pieces(view.graph.sessions, texts.folded))


def _chunked(
    files: Iterable[tuple[str, bytes | list[bytes]]],
) -> Iterator[tuple[str, bytes | Chunks]]:
    """Files made whole or in pieces, the pieces to be written one by one."""
    for path, made in files:
        yield path, made if isinstance(made, bytes) else Chunks(made)


def fail_if_strict(issues: IssueLog, strict: bool) -> None:
    problems = issues.at_least(Severity.WARNING if strict else Severity.ERROR)
    if problems:
        shown = "\n  ".join(str(p) for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        mode = " (--strict)" if strict else ""
        raise IntegrityError(f"{len(problems)} problem(s) in the export{mode}:\n  {shown}{more}")


def _static_copies(theme: Theme) -> dict[str, Path]:
    return {urls.asset_path(name): path for name, path in theme.static_files().items()}


def _report(
    source: str,
    output: Path | None,
    graph: EventGraph,
    issues: IssueLog,
    report: BuildReport | None = None,
) -> BuildReport:
    report = report or BuildReport(source=source, output=output, issues=issues)
    report.event = graph.event.name
    report.sessions = len(graph.sessions)
    report.hidden_sessions = graph.hidden_sessions
    report.speakers = len(graph.speakers)
    return report
