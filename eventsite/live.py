"""The live-preview backend: file events (watchdog) and a reloading web server (livereload).

This is the only module that imports watchdog, tornado or livereload, so either can be swapped
without touching `eventsite.serve`. It knows nothing about events or sites:

- `FileWatcher` reports changed paths under some roots to a callback, from its own thread;
- `LiveServer` answers every GET through a `respond(path)` callback, adds the livereload client
  to HTML pages, and tells connected browsers to reload when `reload()` is called (from any
  thread); a page that connects only after a reload it was served before is reloaded then.

livereload's own `Server` is not used: it polls files every 800 ms, installs global logging and
blocks in a global IOLoop. Its websocket handler and its browser client are used as they are.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from eventsite.errors import UsageError

# the page's generation (reloads asked for when it was served) rides in livereload.js's
# `snipver` option, which the client sends back in its handshake
CLIENT_SCRIPT = '<script src="/livereload.js?snipver={generation}"></script>'
RELOAD_ALL = "*"


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FileWatcher:
    """Watches folders (recursively) and single files; calls `on_change(path)` per change."""

    def __init__(
        self,
        on_change: Callable[[Path], None],
        ignore: Callable[[Path], bool],
        on_saved: Callable[[Path], None] | None = None,
    ) -> None:
        """`on_saved` (default: `on_change`) gets the changes that end a write: a file closed
        after writing, moved or deleted; `on_change` the others (a write under way...)."""
        from watchdog.observers import Observer

        self._on_change = on_change
        self._on_saved = on_saved or on_change
        self._ignore = ignore
        self._observer = Observer()
        self._observer.daemon = True
        self._watches: dict[tuple[Path, bool], object] = {}
        self._files: set[Path] = set()
        self._folders: set[Path] = set()
        self._lock = threading.Lock()
        self._handler = _EventHandler(self._dispatch)

    def start(self) -> None:
        self._observer.start()

    def watch(self, folders: Iterable[Path], files: Iterable[Path]) -> None:
        """Watch exactly these folders and files from now on (earlier watches are dropped)."""
        folders = {p.absolute() for p in folders if p.is_dir()}
        files = {p.absolute() for p in files}
        wanted = {(p, True) for p in folders} | {(p.parent, False) for p in files}
        with self._lock:
            self._folders, self._files = folders, files
            for key in set(self._watches) - wanted:
                self._observer.unschedule(self._watches.pop(key))  # type: ignore[arg-type]
            for path, recursive in sorted(wanted - set(self._watches)):
                if path.is_dir():
                    self._watches[(path, recursive)] = self._observer.schedule(
                        self._handler, str(path), recursive=recursive
                    )

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=10)

    def _dispatch(self, path: Path, saved: bool) -> None:
        with self._lock:
            interesting = path in self._files or any(path.is_relative_to(f) for f in self._folders)
        if interesting and not self._ignore(path):
            (self._on_saved if saved else self._on_change)(path)


class _EventHandler:
    """Turns watchdog events into changed paths; reads (open/close without write) are no change."""

    CHANGES = frozenset({"created", "modified", "deleted", "moved", "closed"})
    ENDS_A_WRITE = frozenset({"deleted", "moved", "closed"})  # "closed": after writing

    def __init__(self, report: Callable[[Path, bool], None]) -> None:
        self._report = report

    def dispatch(self, event: object) -> None:
        kind = getattr(event, "event_type", "")
        if kind not in self.CHANGES:
            return
        if getattr(event, "is_directory", False) and kind in ("modified", "closed"):
            return  # a folder's own timestamp: its files report their changes themselves
        saved = kind in self.ENDS_A_WRITE
        for attribute in ("src_path", "dest_path"):
            value = getattr(event, attribute, "")
            if value:
                self._report(Path(_text(value)), saved)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


class LiveServer:
    """An HTTP server on one host and port that reloads connected browsers on demand."""

    def __init__(self, host: str, port: int, respond: Callable[[str], Response]) -> None:
        self.host, self.port, self._respond = host, port, respond
        self._loop: object | None = None
        self._stop: asyncio.Event | None = None
        # reloads asked for so far, plus one (livereload.js leaves a `snipver` of 0 out of its
        # handshake); changed on the server's loop only
        self._generation = 1

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self, on_ready: Callable[[], None]) -> None:
        """Serve until `stop()`, SIGTERM or Ctrl-C (KeyboardInterrupt propagates)."""
        asyncio.run(self._serve(on_ready))

    def reload(self, path: str = RELOAD_ALL) -> None:
        """Ask every connected browser to reload (a CSS path reloads only the styles)."""
        loop = self._loop
        if loop is not None:
            loop.add_callback(self._reload_browsers, path)  # type: ignore[attr-defined]

    def _current_generation(self) -> int:
        return self._generation

    def _reload_browsers(self, path: str) -> None:
        from livereload.handlers import LiveReloadHandler

        self._generation += 1
        LiveReloadHandler.reload_waiters(path)

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.add_callback(stop.set)  # type: ignore[attr-defined]

    async def _serve(self, on_ready: Callable[[], None]) -> None:
        from tornado.httpserver import HTTPServer
        from tornado.ioloop import IOLoop
        from tornado.netutil import bind_sockets

        self._stop = asyncio.Event()
        try:
            sockets = bind_sockets(self.port, address=self.host)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror}; "
                "choose another --port or --host"
            ) from None
        self.port = sockets[0].getsockname()[1]  # the port the system chose for port 0
        server = HTTPServer(self._application())
        server.add_sockets(sockets)
        self._loop = IOLoop.current()
        on_main_thread = threading.current_thread() is threading.main_thread()
        if on_main_thread:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._stop.set)
        try:
            on_ready()
            await self._stop.wait()
        finally:
            if on_main_thread:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
            self._loop = None
            server.stop()
            await server.close_all_connections()
            _close_browsers()

    def _application(self) -> object:
        from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
        from tornado import web

        LiveReloadHandler.watcher = SimpleNamespace(filepath=None)  # only read by its logging
        LiveReloadHandler.live_css = True
        LiveReloadHandler.waiters = set()
        return web.Application(
            [
                (r"/livereload", _reload_handler(self._current_generation)),
                (r"/livereload\.js", LiveReloadJSHandler),
                (r"/.*", _site_handler(self._respond, self._current_generation)),
            ],
            compress_response=False,
            log_function=lambda handler: None,  # the preview prints rebuilds, not requests
        )


def _reload_handler(generation: Callable[[], int]) -> type:
    from livereload.handlers import LiveReloadHandler

    class ReloadHandler(LiveReloadHandler):  # type: ignore[misc]
        """livereload's handler; a browser whose page was served before the last reload (it
        was loading, or reconnecting, when the reload was sent) is reloaded once connected."""

        served_at: object = None

        def on_message(self, message: str | bytes) -> None:
            super().on_message(message)
            command = json.loads(message)
            if command.get("command") == "hello":
                self.served_at = command.get("snipver")
            elif command.get("command") == "info" and self.served_at != generation():
                self.send_message({"command": "reload", "path": RELOAD_ALL, "liveCSS": True})

    return ReloadHandler


def _site_handler(respond: Callable[[str], Response], generation: Callable[[], int]) -> type:
    from tornado import web

    class SiteHandler(web.RequestHandler):
        def get(self) -> None:
            self._answer(include_body=True)

        def head(self) -> None:
            self._answer(include_body=False)

        def _answer(self, include_body: bool) -> None:
            response = respond(self.request.path)
            body = response.body
            if response.content_type.startswith("text/html"):
                body = add_client_script(body, generation())
            self.set_status(response.status)
            self.set_header("Content-Type", response.content_type)
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Content-Type-Options", "nosniff")
            for name, value in response.headers.items():
                self.set_header(name, value)
            if include_body:
                self.finish(body)
            else:
                self.set_header("Content-Length", str(len(body)))
                self.finish()

        def compute_etag(self) -> None:
            return None

    return SiteHandler


def add_client_script(html: bytes, generation: int) -> bytes:
    """Put the livereload client at the end of the page's head (or at the start)."""
    script = CLIENT_SCRIPT.format(generation=generation).encode()
    head_end = html.find(b"</head>")
    if head_end < 0:
        return script + html
    return html[:head_end] + script + html[head_end:]


def _close_browsers() -> None:
    from livereload.handlers import LiveReloadHandler

    for waiter in list(LiveReloadHandler.waiters):
        waiter.close()
    LiveReloadHandler.waiters.clear()
