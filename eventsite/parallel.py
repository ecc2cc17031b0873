"""Render the HTML pages and write them, on this process and, for large sites, forked ones.

Rendering is CPU-bound Python, so threads would not help; a forked worker shares the resolved
graph, the compiled templates and the staging folder without copying or pickling any of it.
Each process writes the files it rendered (creating files costs the kernel time, which then
runs on both cores too) and the worker hands back only the list of what it wrote. Every page
is rendered from the same data by the same templates whichever process renders it, so the
site is byte-identical to a single-process build (tests check this).
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Sequence

from eventsite.errors import EventsiteError, ThemeError
from eventsite.render.pages import HtmlRenderer, PageSpec
from eventsite.writer import SiteWriter, WriteState

PAGES_PER_WORKER = 250  # below this many pages a worker costs more than it saves
JOBS_VARIABLE = "EVENTSITE_JOBS"


def job_count(pages: int, requested: int | None = None) -> int:
    """Processes to render `pages` pages on: `requested`, $EVENTSITE_JOBS, or one per core."""
    if requested is None:
        env = os.environ.get(JOBS_VARIABLE, "")
        requested = int(env) if env.isdigit() and int(env) > 0 else None
    if requested is None:
        requested = min(len(os.sched_getaffinity(0)), max(1, pages // PAGES_PER_WORKER))
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return 1  # no fork on Windows; forking a threaded process (serve) is unsafe
    return max(1, requested)


def render_pages(
    renderer: HtmlRenderer, pages: Sequence[PageSpec], writer: SiteWriter, jobs: int = 1
) -> None:
    """Render every page and hand it to `writer`, sharing the work among `jobs` processes."""
    if jobs <= 1 or len(pages) < 2:
        _render_share(renderer, pages, writer)
        return
    first, rest = _first_of_each_template(pages)
    _render_share(renderer, first, writer)  # compiles every template once, before forking
    shares = _split(rest, jobs)
    workers = [_fork(renderer, share, writer) for share in shares[1:]]
    try:
        _render_share(renderer, shares[0], writer)
    finally:
        results = [_collect(pid, fd) for pid, fd in workers]
    for result in results:
        writer.merge(_unwrap(result))


def _render_share(renderer: HtmlRenderer, pages: Sequence[PageSpec], writer: SiteWriter) -> None:
    for page in pages:
        writer.write(page.path, renderer.render(page))


def _first_of_each_template(
    pages: Sequence[PageSpec],
) -> tuple[list[PageSpec], list[PageSpec]]:
    seen: set[str] = set()
    first: list[PageSpec] = []
    rest: list[PageSpec] = []
    for page in pages:
        (rest if page.template in seen else first).append(page)
        seen.add(page.template)
    return first, rest


def _split(pages: Sequence[PageSpec], jobs: int) -> list[list[PageSpec]]:
    """Deal the pages out in plan order, so each process gets a like mix of cheap and big ones."""
    return [list(pages[start::jobs]) for start in range(jobs)]


def _fork(renderer: HtmlRenderer, share: list[PageSpec], writer: SiteWriter) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        os.close(write_end)
        return pid, read_end
    os.close(read_end)  # the worker from here on; it never returns
    _run_worker(renderer, share, writer, write_end)
    raise AssertionError("unreachable")  # pragma: no cover


def _run_worker(
    renderer: HtmlRenderer, share: list[PageSpec], writer: SiteWriter, write_end: int
) -> None:
    code = 0
    try:
        writer.detach()
        _render_share(renderer, share, writer)
        payload: tuple[str, object] = ("ok", writer.handover())
    except EventsiteError as exc:
        payload = ("error", (type(exc).__name__, exc.message, exc.file))
    except BaseException as exc:  # reported by the parent, which owns the terminal
        payload = ("crash", f"{type(exc).__name__}: {exc}")
        code = 1
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(payload, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(code)


def _collect(pid: int, read_end: int) -> tuple[str, object]:
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return ("crash", f"render worker {pid} died (wait status {status})")
    result: tuple[str, object] = pickle.loads(data)
    return result


def _unwrap(result: tuple[str, object]) -> WriteState:
    kind, value = result
    if kind == "ok" and isinstance(value, WriteState):
        return value
    if kind == "error" and isinstance(value, tuple):
        name, message, file = value
        error_class = {cls.__name__: cls for cls in _error_classes()}.get(name, ThemeError)
        raise error_class(message, file=file)
    raise RuntimeError(f"a render worker failed: {value}")


def _error_classes() -> list[type[EventsiteError]]:
    found: list[type[EventsiteError]] = []
    pending: list[type[EventsiteError]] = [EventsiteError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
