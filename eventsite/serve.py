"""`eventsite serve`: a live preview that rebuilds on every change and reloads the browser.

Three threads cooperate:
- the server (main thread) answers requests from the last good build, held in memory, so a
  browser never sees a half-written site; a failed rebuild adds an error overlay to every page;
- the file watcher (or, for an API source, the poller) reports changed paths;
- the rebuild loop gathers a burst of changes into one incremental rebuild, then publishes the
  new files and reloads the browsers.

Ctrl-C (or SIGTERM) stops all three and removes the temporary output folder, if one was made.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import mimetypes
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from markupsafe import escape

from eventsite import errors
from eventsite.build import BuildOptions
from eventsite.incremental import Rebuilder, RebuildStats
from eventsite.issues import Severity
from eventsite.live import RELOAD_ALL, FileWatcher, LiveServer, Response
from eventsite.sources.api import ApiOptions

DEFAULT_PORT = 8000
DEFAULT_POLL_SECONDS = 30.0
DEBOUNCE_SECONDS = 0.03  # editors save in one burst of events, well within this
# once every changed file was closed after writing (or moved, or deleted), the rest of a burst
# (an editor's rename after its write) follows within this
SAVED_DEBOUNCE_SECONDS = 0.004
MAX_BATCH_SECONDS = 3.0  # rebuild at least this often while changes keep coming
# the few reference cycles rebuilds leave are collected after this long without a change
COLLECT_AFTER_SECONDS = 5.0
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".ics": "text/calendar; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
Log = Callable[[str], None]


@dataclass(slots=True)
class ServeOptions:
    build: BuildOptions
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    poll: float = DEFAULT_POLL_SECONDS  # seconds between conditional requests to an API source
    debounce: float = DEBOUNCE_SECONDS
    temporary_output: bool = False  # remove the output folder on exit
    verbose: bool = False  # print every problem found after each rebuild
    extra_files: list[Path] = field(default_factory=list)  # e.g. a config file: any change rebuilds


@dataclass(frozen=True, slots=True)
class BuildFailure:
    """Why the last rebuild failed, as the overlay shows it."""

    title: str
    file: str | None
    message: str

    @classmethod
    def from_error(cls, exc: BaseException) -> BuildFailure:
        titles: dict[type, str] = {
            errors.SourceError: "The export cannot be read",
            errors.IntegrityError: "The export has problems (--strict)",
            errors.ThemeError: "The theme cannot be rendered",
            errors.OutputError: "The site cannot be written",
        }
        if isinstance(exc, errors.EventsiteError):
            title = titles.get(type(exc), "The site cannot be built")
            return cls(title, exc.file, exc.message)
        return cls("Internal error (please report it)", None, f"{type(exc).__name__}: {exc}")

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.file else self.message


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def redact(url: str) -> str:
    """A URL safe to print: no user info, query or fragment (they may hold tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class PreviewSite:
    """What the browser sees: the last good build, and the failure of a later rebuild."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: Mapping[str, bytes] = {}
        self._failure: BuildFailure | None = None

    @property
    def failure(self) -> BuildFailure | None:
        return self._failure

    def publish(self, files: Mapping[str, bytes]) -> None:
        with self._lock:
            self._files, self._failure = files, None

    def fail(self, failure: BuildFailure) -> None:
        with self._lock:
            self._failure = failure

    def respond(self, request_path: str) -> Response:
        with self._lock:
            files, failure = self._files, self._failure
        rel = site_path(request_path)
        if rel is None:
            return Response(400, CONTENT_TYPES[".txt"], b"400 Bad request: path refused\n")
        if not files:
            return _placeholder(failure)
        body = files.get(rel)
        if body is None and f"{rel.removesuffix('index.html')}/index.html".lstrip("/") in files:
            return Response(301, CONTENT_TYPES[".txt"], b"", {"Location": request_path + "/"})
        status = 200
        if body is None:
            status, rel = 404, "404.html"
            body = files.get(rel, b"<!doctype html><title>Not found</title><h1>Not found</h1>")
        content_type = content_type_of(rel)
        if failure is not None and content_type.startswith("text/html"):
            body = with_overlay(body, failure)
        return Response(status, content_type, body)


def site_path(request_path: str) -> str | None:
    """The output path a request names; None for anything that tries to leave the site."""
    path = unquote(request_path)
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return None
    parts = path.split("/")
    if any(part in (".", "..") for part in parts):
        return None
    rel = "/".join(part for part in parts if part)
    if not rel or path.endswith("/"):
        rel = f"{rel}/index.html" if rel else "index.html"
    return rel


def content_type_of(rel: str) -> str:
    suffix = Path(rel).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(rel)[0] or "application/octet-stream"


def overlay_html(failure: BuildFailure) -> bytes:
    """A fixed panel naming the file and the problem; HTML-escaped, with inline styles only."""
    file_line = (
        f'<p style="margin:.25rem 0"><code data-role="file">{escape(failure.file)}</code></p>'
        if failure.file
        else ""
    )
    html = (
        '<div id="eventsite-error" role="alert" style="position:fixed;left:0;right:0;bottom:0;'
        "z-index:2147483647;max-height:60vh;overflow:auto;margin:0;padding:1rem 1.25rem;"
        "background:#2b0b0e;color:#fff;border-top:4px solid #e5484d;"
        'font:15px/1.45 system-ui,sans-serif;text-align:left">'
        f'<p style="margin:0 0 .25rem"><strong data-role="title">{escape(failure.title)}</strong>'
        " — the preview shows the last good build. Fix it and save: this page reloads by itself.</p>"
        f"{file_line}"
        '<pre data-role="message" style="white-space:pre-wrap;margin:.25rem 0 0;'
        f'font:13px/1.4 ui-monospace,monospace">{escape(failure.message)}</pre></div>'
    )
    return html.encode("utf-8")


def with_overlay(page: bytes, failure: BuildFailure) -> bytes:
    body_end = page.rfind(b"</body>")
    if body_end < 0:
        return page + overlay_html(failure)
    return page[:body_end] + overlay_html(failure) + page[body_end:]


def _placeholder(failure: BuildFailure | None) -> Response:
    """The page shown before the first build succeeded."""
    text = "Building the site…" if failure is None else "No site yet: the first build failed."
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>eventsite preview</title></head><body><h1>{text}</h1></body></html>"
    ).encode()
    if failure is not None:
        page = with_overlay(page, failure)
    return Response(503, CONTENT_TYPES[".html"], page, {"Retry-After": "1"})


@dataclass(frozen=True, slots=True)
class _Saved:
    path: Path


_TIMED_OUT = object()


class RebuildLoop:
    """Runs rebuilds on its own thread, one per burst of changes."""

    _STOP = object()

    def __init__(self, rebuild: Callable[[set[Path] | None], None], debounce: float) -> None:
        self._rebuild = rebuild
        self._debounce = debounce
        self._queue: queue.Queue[object] = queue.Queue()
        self._garbage = False  # rebuilds left cycles the collector has not looked at yet
        # a daemon, so that a second Ctrl-C during a long rebuild still ends the process
        self._thread = threading.Thread(target=self._run, name="eventsite-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self, path: Path | None) -> None:
        """A path changed (None: anything may have changed). Safe from any thread."""
        self._queue.put(path)

    def notify_saved(self, path: Path) -> None:
        """A path changed and its write is over (closed, moved or deleted)."""
        self._queue.put(_Saved(path))

    def stop(self) -> None:
        self._queue.put(self._STOP)
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def _run(self) -> None:
        try:
            while True:
                batch = self._next_batch()
                if batch is self._STOP:
                    return
                try:
                    self._rebuild(batch)  # type: ignore[arg-type]
                finally:
                    # what a rebuild made is mostly kept (the new site; `Rebuilder` frees the
                    # last one by reference counting), so collections would walk millions of
                    # kept objects (~1 s at 10,000 sessions) to free little: it is frozen out
                    # of their way, and looked at once edits pause
                    gc.freeze()
                    self._garbage = True
        finally:
            self._collect(last=True)

    def _collect(self, last: bool = False) -> None:
        if self._garbage:
            self._garbage = False
            gc.unfreeze()
            gc.collect()
            if not last:
                gc.freeze()

    def _first_change(self) -> object:
        while self._garbage:
            try:
                return self._queue.get(timeout=COLLECT_AFTER_SECONDS)
            except queue.Empty:
                self._collect()
        return self._queue.get()

    def _next_batch(self) -> object:
        """Wait for a change, then for a quiet `debounce` (at most MAX_BATCH_SECONDS)."""
        item = self._first_change()
        changes: set[Path | None] = set()
        writing: set[Path | None] = set()  # changed, and not known to be written completely
        give_up = time.monotonic() + MAX_BATCH_SECONDS
        while item is not _TIMED_OUT:
            if item is self._STOP:
                return item
            if isinstance(item, _Saved):
                changes.add(item.path)
                writing.discard(item.path)
            else:
                changes.add(item)  # type: ignore[arg-type]
                writing.add(item)  # type: ignore[arg-type]
            quiet = self._debounce if writing else min(self._debounce, SAVED_DEBOUNCE_SECONDS)
            wait = min(time.monotonic() + quiet, give_up) - time.monotonic()
            item = self._next_item(wait)
        return None if None in changes else {p for p in changes if p is not None}

    def _next_item(self, wait: float) -> object:
        if wait <= 0:
            return _TIMED_OUT
        try:
            return self._queue.get(timeout=wait)
        except queue.Empty:
            return _TIMED_OUT


class ApiPoller:
    """Asks an API source whether it changed, with conditional requests, every `interval` s."""

    def __init__(
        self,
        urls: list[str],
        interval: float,
        on_change: Callable[[], None],
        log: Log,
        auth_headers: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        import requests

        self.urls, self.interval, self._on_change, self._log = urls, interval, on_change, log
        self._auth_headers = auth_headers or (lambda url: {})
        self._session = requests.Session()
        self._validators: dict[str, dict[str, str]] = {}
        self._digests: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eventsite-poll")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._session.close()

    def check(self) -> bool:
        """One round of requests; True when any URL answered with different content."""
        changed = False
        for url in self.urls:
            changed = self._check_one(url) or changed
        return changed

    def _check_one(self, url: str) -> bool:
        import requests

        try:
            headers = {**self._validators.get(url, {}), **self._auth_headers(url)}
            response = self._session.get(url, headers=headers, timeout=30)
        except errors.EventsiteError as exc:  # e.g. the log-in for a fresh token failed
            self._log(f"poll: {redact(url)}: {exc}; trying again later")
            return False
        except requests.RequestException as exc:
            self._log(f"poll: {redact(url)}: {type(exc).__name__}; trying again later")
            return False
        if response.status_code == 304:
            return False
        if response.status_code != 200:
            self._log(f"poll: {redact(url)}: HTTP {response.status_code}; trying again later")
            return False
        self._validators[url] = _validators_of(response.headers)
        digest = hashlib.sha256(response.content).hexdigest()
        previous, self._digests[url] = self._digests.get(url), digest
        return previous is not None and previous != digest

    def _run(self) -> None:
        self.check()  # learn the validators; the first build has the current content
        while not self._stop.wait(self.interval):
            if self.check():
                self._on_change()


def _validators_of(headers: Mapping[str, str]) -> dict[str, str]:
    validators = {}
    if headers.get("ETag"):
        validators["If-None-Match"] = headers["ETag"]
    if headers.get("Last-Modified"):
        validators["If-Modified-Since"] = headers["Last-Modified"]
    return validators


def serve(options: ServeOptions, log: Log = print) -> None:
    """Build, serve and keep the preview up to date until Ctrl-C or SIGTERM."""
    source = options.build.source
    if not is_url(source) and not Path(source).exists():
        raise errors.SourceError("no such file or folder", file=source)
    preview = _Preview(options, log)
    try:
        preview.run()
    finally:
        preview.close()


class _Preview:
    """Wires the rebuilder, the preview site, the server, the watcher and the poller."""

    def __init__(self, options: ServeOptions, log: Log) -> None:
        self.options, self.log = options, log
        self.rebuilder = Rebuilder(options.build)
        self.site = PreviewSite()
        self.server = LiveServer(options.host, options.port, self.site.respond)
        self.loop = RebuildLoop(self._rebuild, options.debounce)
        self.watcher = FileWatcher(self.loop.notify, self._ignored, self.loop.notify_saved)
        self.poller: ApiPoller | None = None
        if is_url(options.build.source):
            api = options.build.api
            self.poller = ApiPoller(
                [options.build.source],
                options.poll,
                lambda: self.loop.notify(None),
                log,
                (lambda url: api.client(url).auth.headers()) if api is not None else None,
            )

    def run(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            self.server.run(self._started)
        self.log("Stopped.")

    def _started(self) -> None:
        self.log(f"Serving on {self.server.url}  (Ctrl-C to stop)")
        self.log(f"  site files in {self.rebuilder.output}")
        self.loop.start()
        self.loop.notify(None)
        self.watcher.start()
        self._watch_inputs()
        if self.poller is not None:
            self.poller.start()

    def close(self) -> None:
        self.watcher.stop()
        if self.poller is not None:
            self.poller.stop()
        self.loop.stop()
        if self.options.temporary_output:
            shutil.rmtree(self.rebuilder.output.parent, ignore_errors=True)

    def _rebuild(self, changed: set[Path] | None) -> None:
        before = self.site.failure
        try:
            # the browsers are served from memory: they reload before the disk is written
            stats = self.rebuilder.rebuild(changed, defer_writes=True)
        except Exception as exc:  # any failure keeps the last good site and shows the reason
            self._failed(exc, before)
            self._watch_inputs()
            return
        self.site.publish(self.rebuilder.files)
        self.log(_summary(stats))
        if self.options.verbose:
            for issue in stats.issues:
                self.log(f"  {issue.severity.name.lower()}: {issue}")
        if stats.written or before is not None:
            self.server.reload(_reload_path(stats.written))
        if stats.reloaded_theme:
            self._watch_inputs()
        try:
            self.rebuilder.flush()
        except errors.OutputError as exc:
            self._failed(exc, None)

    def _failed(self, exc: Exception, before: BuildFailure | None) -> None:
        if not isinstance(exc, errors.EventsiteError) and os.environ.get("EVENTSITE_DEBUG"):
            traceback.print_exc()
        failure = BuildFailure.from_error(exc)
        self.site.fail(failure)
        self.log(f"error: {failure.title}: {failure}")
        if failure != before:
            self.server.reload()

    def _watch_inputs(self) -> None:
        folders: list[Path] = []
        files = list(self.options.extra_files)
        source = self.rebuilder.source_path()
        if not is_url(self.options.build.source):
            (folders if source.is_dir() else files).append(source)
        try:
            folders.extend(self.rebuilder.theme_dirs())
        except errors.EventsiteError:
            theme = self.options.build.theme
            if theme:
                folders.append(Path(theme))
        self.watcher.watch(folders, files)

    def _ignored(self, path: Path) -> bool:
        """The output folder and its staging siblings change on every build: never a source."""
        output = self.rebuilder.output
        if path == output or path.is_relative_to(output):
            return True
        return path.parent == output.parent and path.name.startswith(f".{output.name}.")


def _summary(stats: RebuildStats) -> str:
    warnings = stats.issues.count(Severity.WARNING)
    notes = f"; {warnings} warning(s) (eventsite check lists them)" if warnings else ""
    return f"rebuilt: {stats.summary()}{notes}"


def _reload_path(written: Iterable[str]) -> str:
    """A stylesheet path when only stylesheets changed (reloaded in place), else the page."""
    written = list(written)
    if written and all(path.endswith(".css") for path in written):
        return written[0]
    return RELOAD_ALL


def temporary_output() -> Path:
    return Path(tempfile.mkdtemp(prefix="eventsite-serve-")) / "site"


def run_command(args: argparse.Namespace, source: str) -> int:
    """`eventsite serve` from parsed command-line arguments."""
    output = args.output or temporary_output()
    build = BuildOptions(
        source=source,
        output=output,
        base_url=args.base_url,
        theme=args.theme,
        strict=args.strict,
        # one ApiOptions for every rebuild: its client keeps the token and renews it in time
        api=ApiOptions(auth_scheme=args.auth_scheme, timeout=args.timeout),
    )
    options = ServeOptions(
        build=build,
        host=args.host,
        port=args.port,
        poll=args.poll,
        temporary_output=args.output is None,
        verbose=args.verbose,
    )
    serve(options, log=_printer(quiet=args.quiet))
    return 0


def _printer(*, quiet: bool) -> Log:
    def log(line: str) -> None:
        if quiet and not line.startswith(("error", "Serving", "Stopped")):
            return
        stream = sys.stderr if line.startswith("error") else sys.stdout
        print(line, file=stream, flush=True)

    return log
