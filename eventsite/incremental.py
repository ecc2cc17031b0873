"""Incremental rebuilds: after an edit, render only the pages whose inputs changed.

`Rebuilder(options).build_all()` builds the whole site once and remembers, for every page, the
inputs it read (see `eventsite.render.tracking`). `rebuild(changed_paths)` then loads the export
and/or the theme again (whichever the changed paths belong to), renders only the pages whose
inputs now have another digest, makes the data-only files (calendars, schedules, sitemap) again
when the data changed, and writes only the files whose bytes changed. The result is byte for byte
the site a clean `eventsite build` of the same input writes.

A failed rebuild raises and changes nothing: the previous site stays on disk and in `files`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from eventsite import history, patch, urls
from eventsite.build import BuildOptions, fail_if_strict, load_graph, other_files
from eventsite.errors import OutputError, SourceError, ThemeError
from eventsite.filestore import replace_file
from eventsite.issues import IssueLog
from eventsite.media import MediaMemo, MediaResolver, MemoryDerivedStore, image_requests
from eventsite.model.changes import ChangeHistory, Snapshot, diff_again, session_state
from eventsite.model.graph import EventGraph
from eventsite.reload import DocumentMemo, RecordMemo
from eventsite.render import changes
from eventsite.render.calendar_cache import FormatCache
from eventsite.render.pages import PageSpec, navigation, plan_pages
from eventsite.render.theme import Theme
from eventsite.render.tracking import (
    GLOBALS_KEY,
    DepKey,
    Digest,
    EntityFields,
    Fingerprints,
    PageLayout,
    TemplateDigests,
    TrackingRenderer,
    globals_value,
    page_signature,
)
from eventsite.render.view import SiteView, build_view
from eventsite.sources.folder import read_data
from eventsite.writer import MARKER, check_output_dir, safe_target, write_site


@dataclass(slots=True)
class RebuildStats:
    """What one build or rebuild did."""

    pages: int = 0  # HTML pages in the site
    rendered: list[str] = field(default_factory=list)  # pages rendered this time
    written: list[str] = field(default_factory=list)  # files whose bytes changed
    removed: list[str] = field(default_factory=list)
    files: int = 0  # files in the site
    reloaded_data: bool = False
    reloaded_theme: bool = False
    seconds: float = 0.0
    issues: IssueLog = field(default_factory=IssueLog)
    sessions: int = 0
    speakers: int = 0
    hidden_sessions: int = 0
    events_reused: int = 0  # calendar VEVENTs of unchanged sessions, reused
    patched: bool = False  # sessions were changed in place (no whole load of the export)

    def summary(self) -> str:
        return (
            f"{len(self.rendered)} of {self.pages} pages rendered, {len(self.written)} file(s) "
            f"written, {len(self.removed)} removed in {self.seconds:.2f} s"
        )


@dataclass(slots=True)
class _Data:
    """One load of the export: the view the templates see and the pages to make of it."""

    graph: EventGraph
    view: SiteView
    pages: list[PageSpec]
    media_files: dict[str, bytes]
    feeds: dict[str, bytes]
    issues: IssueLog
    fields: EntityFields  # of the view's entities, to find what the next load changed
    changed: set[DepKey]  # keys `fields` covers that changed since the load before


@dataclass(frozen=True, slots=True)
class _PageRecord:
    signature: Digest
    keys: frozenset[DepKey]
    others: frozenset[DepKey]  # the keys `EntityFields` does not cover: compared by digest
    layout: PageLayout | None = None  # where its fragments are, to splice it after a patch


@dataclass(slots=True)
class _State:
    """The last good build: what is on disk and in memory, and what each page read."""

    data: _Data
    theme: Theme
    renderer: TrackingRenderer  # compiled templates, reused while the theme is unchanged
    templates: TemplateDigests
    static: dict[str, bytes]
    records: dict[str, _PageRecord]
    digests: dict[DepKey, Digest]  # of the records' `others`
    files: dict[str, bytes]


class Rebuilder:
    """Builds a site once, then keeps it up to date with the least work per change."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.output = options.output.absolute()
        self._state: _State | None = None
        self._disk_in_sync = False
        self._formats = FormatCache()
        self._history_dir: Path | None = None
        # the published history the last load compared with (its `_history_home` copy)
        self._history_base: ChangeHistory | None = None
        # without a cache folder, resized images still survive from one rebuild to the next
        self._derived = options.media_cache or MemoryDerivedStore()
        self._media_memo = MediaMemo()  # unchanged image files are not read again
        self._documents = DocumentMemo()  # unchanged files and records are not parsed again
        self._records = RecordMemo()  # nor normalised again
        self._documents_current = False  # `_documents` holds what the last good build read
        self._deferring = False  # `_write_changes` only keeps what to write, for `flush`
        self._pending: tuple[dict[str, bytes], list[str]] | None = None
        # the page list of the last load and each page's place in it, by output path
        self._page_index: tuple[list[PageSpec] | None, dict[str, int]] = (None, {})

    def _history_home(self) -> Path:
        """Where the previous change history is read from: a copy of the output folder's, taken
        before the first build, so that every preview compares with the published history and
        not with the preview before it (the way `eventsite build` into that folder would)."""
        if self._history_dir is None:
            self._history_dir = Path(tempfile.mkdtemp(prefix="eventsite-history-"))
            weakref.finalize(self, shutil.rmtree, self._history_dir, True)
            published = self.output / urls.CHANGES_JSON
            if published.is_file():
                shutil.copyfile(published, self._history_dir / urls.CHANGES_JSON)
        return self._history_dir

    @property
    def files(self) -> Mapping[str, bytes]:
        """Every file of the last good build by output path (read-only)."""
        return MappingProxyType(self._state.files if self._state else {})

    def source_path(self) -> Path:
        return Path(self.options.source).absolute()

    def _source_is_url(self) -> bool:
        return self.options.source.lower().startswith(("http://", "https://"))

    def theme_dirs(self) -> list[Path]:
        theme = self._state.theme if self._state else Theme.load(self.options.theme)
        return list(theme.watched_paths())

    def build_all(self) -> RebuildStats:
        """Build everything from scratch and write the whole site atomically."""
        started = time.perf_counter()
        check_output_dir(self.output, [] if self._source_is_url() else [self.source_path()])
        theme = Theme.load(self.options.theme)
        data = self._load_data()
        stats = RebuildStats(reloaded_data=True, reloaded_theme=True)
        state = self._render(data, theme, _read_static(theme), None, stats)
        self._write_everything(state.files)
        return self._commit(state, stats, list(state.files), [], started)

    def rebuild(
        self, changed_paths: Iterable[Path] | None = None, *, defer_writes: bool = False
    ) -> RebuildStats:
        """Bring the site up to date after `changed_paths` changed (None: anything may have).

        With `defer_writes`, changed files are only in `files` until `flush()` (which the next
        rebuild calls first): `serve` shows the new site before the disk has it."""
        self.flush()
        if self._state is None:
            return self.build_all()  # the collector runs: a whole build makes garbage cycles
        self._deferring = defer_writes
        try:
            with collector_paused():
                return self._rebuild(changed_paths)
        finally:
            self._deferring = False

    def flush(self) -> None:
        """Write the changes a `rebuild(defer_writes=True)` left to write; raises OutputError
        (the next rebuild then writes the whole site)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._write_changes(*pending)

    def _rebuild(self, changed_paths: Iterable[Path] | None) -> RebuildStats:
        started = time.perf_counter()
        previous = self._state
        data_changed, theme_changed = self._classify(changed_paths, previous.theme)
        in_sync = self._disk_in_sync and (self.output / MARKER).is_file()
        if not (data_changed or theme_changed) and in_sync:
            stats = RebuildStats(pages=len(previous.records), files=len(previous.files))
            stats.issues = previous.data.issues
            stats.seconds = time.perf_counter() - started
            return stats  # only files saved with the very bytes the last build read
        if data_changed and not theme_changed and in_sync and changed_paths is not None:
            patched = self._patch(previous, changed_paths, started)
            if patched is not None:
                return patched
        theme = Theme.load(self.options.theme) if theme_changed else previous.theme
        data = self._load_data() if data_changed else previous.data
        static = _read_static(theme) if theme_changed else previous.static
        stats = RebuildStats(reloaded_data=data_changed, reloaded_theme=theme_changed)
        state = self._render(data, theme, static, previous, stats)
        written = {p: b for p, b in state.files.items() if previous.files.get(p) != b}
        removed = sorted(previous.files.keys() - state.files.keys())
        if self._disk_in_sync and (self.output / MARKER).is_file():
            self._write_changes(written, removed)
        else:
            self._write_everything(state.files)
        return self._commit(state, stats, sorted(written), removed, started)

    def _patch(
        self, previous: _State, changed_paths: Iterable[Path], started: float
    ) -> RebuildStats | None:
        """The rebuild after an edit of a few sessions' or speakers' own fields, made by
        changing them in place (see `eventsite.patch`); None when the edit is not such a one."""
        found = self._record_edits(list(changed_paths))
        if found is None:
            return None
        kind, edits = found
        undo: list[Callable[[], None]] = []
        rendering = False
        try:
            made = self._apply_edits(previous, kind, edits, undo)
            if made is None:
                _run(undo)
                return None
            rendering = True
            state, stats, written = self._render_patched(previous, made)
            self._write_changes(written, [])
        except BaseException:
            _run(undo)
            if rendering:  # fragments made of the edited entities would outlive the undo
                previous.renderer.clear_fragments()
            raise
        previous.data.feeds.update(made.feeds)
        replaced = [(edit.old_record, edit.made, edit.target) for edit in edits]
        self._records.patched(kind.document, replaced)
        stats.reloaded_data = stats.patched = True
        return self._commit(state, stats, sorted(written), [], started)

    def _record_edits(
        self, changed_paths: list[Path]
    ) -> tuple[patch.RecordKind, list[patch.RecordEdit]] | None:
        state = self._state
        if state is None or self._source_is_url() or not self._documents_current:
            return None  # `_documents` may hold a file the graph was not made of
        found = self._edited_document(changed_paths)
        if found is None:
            return None
        kind, file, old_items = found
        issues = IssueLog()
        self._documents_current = False  # until this edit or a whole load succeeds
        try:
            new_items = self._documents.parse(kind.document, read_data(Path(file)), file, issues)
        except SourceError:
            return None  # the whole load reports it
        if issues.issues:
            return None
        edits = patch.record_edits(
            kind,
            state.data.graph,
            state.data.fields,
            state.data.issues,
            old_items,
            new_items,
            self._records,
            self.options.publish_fields,
        )
        return None if edits is None else (kind, edits)

    def _edited_document(
        self, changed_paths: list[Path]
    ) -> tuple[patch.RecordKind, str, object] | None:
        """The kind of record whose file is the one changed path (others are unchanged)."""
        resolved = [str(Path(path).resolve()) for path in changed_paths]
        for kind in patch.KINDS:
            kept = self._documents.kept(kind.document)
            if kept is None or kept[0] not in resolved:
                continue
            for path, real in zip(changed_paths, resolved, strict=True):
                if real != kept[0] and not self._documents.holds(str(Path(path).absolute())):
                    return None  # another file changed too
            return kind, *kept
        return None

    def _apply_edits(
        self,
        previous: _State,
        kind: patch.RecordKind,
        edits: list[patch.RecordEdit],
        undo: list[Callable[[], None]],
    ) -> patch.Patched | None:
        data = previous.data
        changed: set[DepKey] = set()
        for edit in edits:
            changed |= patch.apply_edit(edit, data.fields, undo)
        if kind is not patch.SESSIONS:  # biographies: no page title, history or file shows them
            return patch.Patched(changed, set(), {})
        pages = self._pages_retitled(data.pages, edits, undo)
        view = data.view
        revised = self._history_patched(view, edits, undo)
        if revised is None:
            return None
        targets = [edit.target for edit in edits]
        feeds = self._formats.patched_files(view, targets, previous.files, revised)
        if feeds is None:
            return None
        if revised:  # the pending revision's changes (or time): its page made again too
            pages.add(self._changes_page_remade(data.pages, view, undo))
        return patch.Patched(changed, pages, feeds)

    def _pages_retitled(
        self, pages: list[PageSpec], edits: list[patch.RecordEdit], undo: list[Callable[[], None]]
    ) -> set[str]:
        """Give the pages of retitled sessions their new titles; returns their paths."""
        index = self._page_positions(pages)
        retitled: set[str] = set()
        for edit in edits:
            path = urls.session_path(edit.target)
            at = index[path]
            page = pages[at]
            if page.title != edit.target.title:
                pages[at] = dataclasses.replace(page, title=edit.target.title)
                undo.append(functools.partial(pages.__setitem__, at, page))
                retitled.add(path)
        return retitled

    def _page_positions(self, pages: list[PageSpec]) -> dict[str, int]:
        """Each page's place in `pages` (the page list of the last load), by output path."""
        if self._page_index[0] is not pages:
            self._page_index = (pages, {page.path: i for i, page in enumerate(pages)})
        return self._page_index[1]

    def _history_patched(
        self, view: SiteView, edits: list[patch.RecordEdit], undo: list[Callable[[], None]]
    ) -> bool | None:
        """Give the view the change history of the edited graph; returns whether its revisions
        changed, or None when the edit needs a whole load (the menu links to the changes page
        only while there are revisions)."""
        old = view.history
        if old is None:  # the build keeps no history
            return False
        if self.options.previous is not None:  # a file or URL that may have changed: read again
            issues = IssueLog()
            new = history.update_history(
                view.graph, view.event_key, self.options.previous, self._history_home(), issues
            ).history
            if issues.issues or new.revisions != old.revisions:
                return None
        else:
            new = self._history_edited(old, edits)
            if bool(new.revisions) != bool(old.revisions):
                return None
        view.history = new
        undo.append(functools.partial(setattr, view, "history", old))
        return new.revisions != old.revisions

    def _history_edited(self, old: ChangeHistory, edits: list[patch.RecordEdit]) -> ChangeHistory:
        """What `update_history` makes of the edited graph, from the last one: the snapshot
        differs in the edited sessions' states only, and so may the changes since the
        published history (the `_history_home` copy, which a preview never changes)."""
        states = {edit.target.id: session_state(edit.target) for edit in edits}
        snapshot = Snapshot({**old.snapshot.sessions, **states})
        base = self._history_base
        if base is None:  # no published history: a new one starts from the snapshot
            return ChangeHistory(old.event_key, snapshot)
        pending = old.revisions[0].changes if old.revision > base.revision else []
        changes = diff_again(base.snapshot, pending, snapshot, set(states))
        return base.record(snapshot, changes, history.build_time())

    def _changes_page_remade(
        self, pages: list[PageSpec], view: SiteView, undo: list[Callable[[], None]]
    ) -> str:
        """Give the changes page the view's revisions; returns its path."""
        at = self._page_positions(pages)[urls.CHANGES]
        page = pages[at]
        pages[at] = dataclasses.replace(page, context=changes.page_context(view))
        undo.append(functools.partial(pages.__setitem__, at, page))
        return urls.CHANGES

    def _render_patched(
        self, previous: _State, made: patch.Patched
    ) -> tuple[_State, RebuildStats, dict[str, bytes]]:
        """Render the pages that read what the edit changed; everything else stays."""
        data, renderer = previous.data, previous.renderer
        changed = set(made.changed)
        digests = Fingerprints(
            data.view,
            (globals_value(renderer.env), data.view.base_url),
            previous.templates,
            data.fields.entities,
        )
        kept_digests = dict(previous.digests)
        for key, old in previous.digests.items():
            if key[0] not in patch.UNTOUCHED_KINDS and (now := digests.digest(key)) != old:
                changed.add(key)
                kept_digests[key] = now
        stale = renderer.drop_fragments(changed)
        stats = RebuildStats()
        records = dict(previous.records)
        html: dict[str, bytes] = {}
        pages, index = data.pages, self._page_positions(data.pages)
        for path, record in previous.records.items():
            respecified = path in made.respecified
            if not respecified and record.keys.isdisjoint(changed):
                continue
            if not respecified and record.layout is not None:
                spliced = renderer.splice(
                    previous.files[path], record.layout, record.keys, stale, changed
                )
                if spliced is not None:  # only fragments of the page changed: made again
                    html[path], layout = spliced
                    records[path] = dataclasses.replace(record, layout=layout)
                    stats.rendered.append(path)
                    continue
            page = pages[index[path]]
            html[path], keys = renderer.render_tracked(page)
            if keys == record.keys:  # the usual case: the same inputs, other values
                keys, others = record.keys, record.others
            else:
                others = frozenset(key for key in keys if not data.fields.covers(key))
            records[path] = _PageRecord(page_signature(page), keys, others, renderer.layout)
            kept_digests.update((key, digests.digest(key)) for key in others)
            stats.rendered.append(path)
        files = dict(previous.files)
        made_files = {**html, **made.feeds}
        written = {p: b for p, b in made_files.items() if files.get(p) != b}
        files.update(made_files)
        state = _State(
            data=data,
            theme=previous.theme,
            renderer=renderer,
            templates=previous.templates,
            static=previous.static,
            records=records,
            digests=kept_digests,
            files=files,
        )
        return state, stats, written

    def _classify(self, changed: Iterable[Path] | None, theme: Theme) -> tuple[bool, bool]:
        """Which inputs to load again: the data, the theme, or (for any other path) both."""
        if changed is None:
            return True, True
        source = None if self._source_is_url() else self.source_path()
        theme_dirs = [p.absolute() for p in theme.watched_paths()]
        data = themed = False
        for path in (Path(p).absolute() for p in changed):
            if self._documents_current and self._documents.holds(str(path)):
                continue  # saved again with the same bytes (or a second event of one save)
            in_source = source is not None and path.is_relative_to(source)
            in_theme = any(path.is_relative_to(d) for d in theme_dirs)
            data = data or in_source or not in_theme
            themed = themed or in_theme or not in_source
        return data, themed

    def _load_data(self) -> _Data:
        """Stages load -> plan -> media, and the data-only files; raises on unusable input."""
        issues = IssueLog()
        self._documents_current = False
        self._records.start(issues)
        raw, graph = load_graph(
            self.options.source,
            issues,
            strict=self.options.strict,
            api=self.options.api,
            publish=self.options.publish_fields,
            parse=self._documents.parse,
            maker=self._records,
            redact=self._records.redact_entity,
        )
        self._records.finish()
        self._media_memo.next_build()
        media = MediaResolver(
            raw.media,
            issues,
            self.options.fetch_remote,
            derived=self._derived,
            memo=self._media_memo,
        )
        media.prepare(image_requests(graph))
        view = build_view(graph, media, urls.BaseUrl.parse(self.options.base_url))
        update = history.update_history(
            graph, view.event_key, self.options.previous, self._history_home(), issues
        )
        view.history = update.history
        self._history_base = update.base if self.options.previous is None else None
        pages = plan_pages(view)
        fail_if_strict(issues, self.options.strict)
        fields = EntityFields(view)
        previous = self._state.data.fields if self._state else None
        changed = fields.changed_since(previous) if previous else set()
        self._formats.use(fields)
        feeds = other_files(view, pages, self._formats)
        return _Data(graph, view, pages, dict(media.files), feeds, issues, fields, changed)

    def _render(
        self,
        data: _Data,
        theme: Theme,
        static: dict[str, bytes],
        previous: _State | None,
        stats: RebuildStats,
    ) -> _State:
        """Render the pages whose inputs changed since `previous`; reuse the others' bytes."""
        nav = navigation(data.view)
        fragments: list[dict[object, object]] = []
        if previous is not None and previous.theme is theme:
            renderer, templates = previous.renderer, previous.templates
            fragments = renderer.fragments()
            renderer.use_view(data.view, nav)
        else:
            renderer = TrackingRenderer(theme, data.view, nav)
            templates = TemplateDigests(renderer.env)
        fields = data.fields
        digests = Fingerprints(
            data.view, (globals_value(renderer.env), data.view.base_url), templates, fields.entities
        )
        records: dict[str, _PageRecord] = {}
        html: dict[str, bytes] = {}
        changed = _changed_keys(previous, data, digests) if previous else set()
        if previous and fragments and GLOBALS_KEY not in changed:
            unchanged = _unchanged_inputs(previous, changed)
            renderer.carry_fragments(fragments, unchanged, fields.entities)
        for page in data.pages:
            signature = page_signature(page)
            old = previous.records.get(page.path) if previous else None
            if previous and old and old.signature == signature and old.keys.isdisjoint(changed):
                records[page.path], html[page.path] = old, previous.files[page.path]
                continue
            html[page.path], keys = renderer.render_tracked(page)
            others = frozenset(key for key in keys if not fields.covers(key))
            records[page.path] = _PageRecord(signature, keys, others, renderer.layout)
            stats.rendered.append(page.path)
        wanted = set().union(*(record.others for record in records.values()))
        files = {**html, **data.feeds, **data.media_files}
        files.update((urls.asset_path(name), data) for name, data in static.items())
        return _State(
            data=data,
            theme=theme,
            renderer=renderer,
            templates=templates,
            static=static,
            records=records,
            digests={key: digests.digest(key) for key in wanted},
            files=files,
        )

    def _commit(
        self,
        state: _State,
        stats: RebuildStats,
        written: list[str],
        removed: list[str],
        started: float,
    ) -> RebuildStats:
        previous, self._state = self._state, state
        if stats.reloaded_data:
            self._documents_current = True
        if previous is not None and previous.data is not state.data:
            _unlink(previous.data.graph)
        graph = state.data.graph
        stats.pages = len(state.records)
        stats.files = len(state.files)
        stats.written, stats.removed = written, removed
        stats.issues = state.data.issues
        stats.sessions, stats.speakers = len(graph.sessions), len(graph.speakers)
        stats.hidden_sessions = graph.hidden_sessions
        reloaded = stats.reloaded_data and not stats.patched
        stats.events_reused = self._formats.calendars.reused if reloaded else 0
        stats.seconds = time.perf_counter() - started
        return stats

    def _write_everything(self, files: dict[str, bytes]) -> None:
        self._disk_in_sync = False
        write_site(self.output, files, {})
        self._disk_in_sync = True

    def _write_changes(self, written: dict[str, bytes], removed: list[str]) -> None:
        """Replace changed files one by one (each atomically) and delete files that are gone."""
        self._disk_in_sync = False
        if self._deferring:
            self._pending = (written, removed)
            return
        try:
            for rel in sorted(written):
                replace_file(safe_target(self.output, rel), written[rel])
            for rel in removed:
                _remove_file(self.output, safe_target(self.output, rel))
        except OSError as exc:
            raise OutputError(f"cannot update the site: {exc}", file=str(self.output)) from None
        self._disk_in_sync = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a rebuild: most of what it makes is kept, so
    collections midway walk millions of objects to free little (10,000 sessions: ~1 s of an
    edit's 4 s). The collector runs as usual afterwards (see `serve.RebuildLoop`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(undo: list[Callable[[], None]]) -> None:
    for step in reversed(undo):
        step()
    undo.clear()


def _changed_keys(previous: _State, data: _Data, digests: Fingerprints) -> set[DepKey]:
    """The inputs read by the last build whose value is different now."""
    changed = set() if data is previous.data else set(data.changed)
    changed.update(key for key, old in previous.digests.items() if digests.digest(key) != old)
    return changed


def _unchanged_inputs(
    previous: _State, changed: set[DepKey]
) -> Callable[[frozenset[DepKey]], bool]:
    """Whether a set of inputs read during the last build are all known to be the same now:
    each is one `EntityFields` compares, or one whose digest the last build kept; not changed."""
    known: dict[DepKey, bool] = {}
    covers, digests = previous.data.fields.covers, previous.digests

    def unchanged(keys: frozenset[DepKey]) -> bool:
        if not keys.isdisjoint(changed):
            return False
        for key in keys:
            ok = known.get(key)
            if ok is None:
                ok = known[key] = key in digests or covers(key)
            if not ok:
                return False
        return True

    return unchanged


def _unlink(graph: EventGraph) -> None:
    """Cut the links between a discarded load's entities (each session and what lists it), so
    that reference counting frees that load's memory at once: with the collector paused during
    rebuilds, a burst of edits would otherwise keep one whole graph per edit alive. Nothing
    keeps them: pages, records, caches and the next load hold values, keys and copies."""
    for session in graph.sessions:
        session.track = session.room = session.session_type = None
        session.speakers = []
    for owner in (*graph.tracks, *graph.rooms, *graph.session_types, *graph.speakers):
        owner.sessions = []


def _read_static(theme: Theme) -> dict[str, bytes]:
    try:
        return {name: path.read_bytes() for name, path in theme.static_files().items()}
    except OSError as exc:
        raise ThemeError(f"cannot read a static file: {exc.strerror}", file=exc.filename) from None


def _remove_file(root: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    parent = target.parent
    while parent != root and parent.is_relative_to(root) and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
