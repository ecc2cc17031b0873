"""Render the HTML pages and write them, on this process and, for large sites, forked ones.

Rendering is CPU-bound Python, so threads would not help; a forked worker shares the resolved
graph, the compiled templates and the staging folder without copying or pickling any of it.
Each process writes the files it rendered (creating files costs the kernel time, which then
runs on both cores too), the privacy audit scans each file where it was made, and the worker
hands back only the list of what it wrote and what the audit found. Every page
is rendered from the same data by the same templates whichever process renders it, so the
site is byte-identical to a single-process build (tests check this).
"""

from __future__ import annotations

import itertools
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from eventsite.audit import AuditState, SiteAudit
from eventsite.errors import EventsiteError, ThemeError
from eventsite.filestore import write_fully
from eventsite.progress import Progress, Task
from eventsite.render.pages import HtmlRenderer, PageSpec, render_order
from eventsite.writer import SiteWriter, WriteState

PAGES_PER_WORKER = 250  # below this many pages a worker costs more than it saves
JOBS_VARIABLE = "EVENTSITE_JOBS"
MAX_JOBS = 64


class Chunks:
    """A file's bytes as they are made, in pieces: written and audited as they come, never
    held whole (see `SiteOutput.write_chunks`)."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.pieces)

    def joined(self) -> bytes:
        return b"".join(self.pieces)


# the files a task makes: all at once, or (path, bytes or chunks) one at a time
Files = dict[str, bytes] | Iterable[tuple[str, bytes | Chunks]]
MAX_TASKS = 8_000  # their numbers must fit in a pipe's buffer (64 KiB) before anyone reads


def job_count(pages: int, requested: int | None = None) -> int:
    """Processes to render `pages` pages on: `requested`, $EVENTSITE_JOBS, or one per core."""
    if requested is None:
        env = os.environ.get(JOBS_VARIABLE, "")
        requested = int(env) if env.isdigit() and int(env) > 0 else None
    if requested is None:
        requested = min(len(os.sched_getaffinity(0)), max(1, pages // PAGES_PER_WORKER))
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return 1  # no fork on Windows; forking a threaded process (serve) is unsafe
    return max(1, min(requested, MAX_JOBS))


def render_pages(
    renderer: HtmlRenderer,
    pages: Sequence[PageSpec],
    writer: SiteWriter,
    jobs: int = 1,
    other_files: Sequence[Callable[[], Files]] = (),
    progress: Progress | None = None,
    site_audit: SiteAudit | None = None,
    ready_files: dict[str, bytes] | None = None,
) -> None:
    """Render every page (and the files each of `other_files` makes) and hand it to `writer`,
    on `jobs` processes.

    `ready_files` (the media) are written first, and the dict emptied. With several processes
    they are packed into one buffer (`PackedFiles`) and written by whichever process is free,
    in parts, instead of by this process alone before the fork (10,000 sessions: 15,700 files,
    about 0.5 s).

    `site_audit` scans each file in the process that made it, while it is still in memory;
    the workers hand their findings back with the list of what they wrote.

    The work is cut into tasks: the ready files first, then the other files (see
    `other_file_chains`), then chunks of pages (in `render_order`). The task numbers wait in a
    pipe that every process reads from, four bytes at a time (reads that small are atomic), so
    whoever is free takes the next task.
    """
    out = SiteOutput(writer, site_audit)
    unmap_large_blocks()  # before the packed files are allocated: they must be a mapping
    parallel = jobs > 1 and len(pages) > 1
    packed = PackedFiles(ready_files if parallel and ready_files else {})
    if not parallel and ready_files:
        write_all(ready_files, out)
    tasks: list[Callable[[], None]] = [
        lambda part=part: packed.write(part, out)  # type: ignore[misc]
        for part in packed.parts(jobs * 4)
    ]
    for chain in other_file_chains(other_files, jobs):
        tasks.append(lambda chain=chain: _write_each(chain, out, packed))  # type: ignore[misc]
    if not parallel:
        with (progress or Progress()).task("pages", len(pages)) as bar:
            _render_share(renderer, pages, out, bar)
        for task in tasks:
            task()
        return
    renderer.load_templates(page.template for page in pages)  # once, for every process
    # page tasks report to `bar`: a no-op in the workers; in this process the real progress
    # task, made after forking (a progress bar may run a thread, which must not be forked)
    bar: Task = Task()
    pages = render_order(pages)
    size = max(4, len(pages) // (jobs * 64), -(-len(pages) // MAX_TASKS))
    for start in range(0, len(pages), size):
        chunk = pages[start : start + size]
        tasks.append(lambda chunk=chunk: _render_share(renderer, chunk, out, bar, packed))  # type: ignore[misc]
    queue = _TaskQueue(len(tasks))
    release_free_memory()
    workers = [_fork(lambda: queue.run(tasks), out) for _ in range(jobs - 1)]
    queue.close_writing()
    bar = (progress or Progress()).task("pages", len(pages))
    try:
        queue.run(tasks)
    finally:
        packed.release()
        bar.close()
        results = [_collect(pid, fd) for pid, fd in workers]
        queue.close()
        for result in results:  # even after a failure: the writer must clean up their files
            if result.state is not None:
                writer.merge(result.state)
            if result.audit is not None and site_audit is not None:
                site_audit.merge(result.audit)
    for result in results:
        result.raise_error()


@dataclass(slots=True)
class SiteOutput:
    """Where a made file goes: the writer, and the privacy audit if there is one."""

    writer: SiteWriter
    site_audit: SiteAudit | None

    def write(self, path: str, data: bytes) -> None:
        self.writer.write(path, data)
        if self.site_audit is not None:
            self.site_audit.scan(path, data)

    def write_chunks(self, path: str, chunks: Chunks) -> None:
        """`write` of the joined chunks, each written and audited as it comes (a new site)."""
        if not self.writer.streams():
            self.write(path, chunks.joined())
            return
        if self.site_audit is None:
            self.writer.write_chunks(path, chunks)
            return
        scan = self.site_audit.stream(path)
        target = self.writer.write_chunks(path, scan.fed(chunks))
        scan.finish(lambda: self.writer.read_source(Path(target)))

    def copy(self, path: str, source: Path) -> None:
        """A file put in the site as it is (a theme's static file)."""
        self.write(path, self.writer.read_source(source))

    def detach(self) -> None:
        self.writer.detach()
        if self.site_audit is not None:
            self.site_audit.detach()


class _TaskQueue:
    """Task numbers in a pipe, shared by forked processes."""

    def __init__(self, count: int) -> None:
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.write_end, True)
        write_fully(self.write_end, b"".join(i.to_bytes(4, "little") for i in range(count)))

    def close_writing(self) -> None:
        if self.write_end >= 0:
            os.close(self.write_end)
            self.write_end = -1

    def run(self, tasks: Sequence[Callable[[], None]]) -> None:
        self.close_writing()
        while len(item := os.read(self.read_end, 4)) == 4:
            tasks[int.from_bytes(item, "little")]()

    def close(self) -> None:
        os.close(self.read_end)


def other_file_chains(
    parts: Sequence[Callable[[], Files]], jobs: int
) -> list[list[Callable[[], Files]]]:
    """The other files' parts dealt into one chain per two processes, each chain made part
    after part by one process: the whole-schedule files are the largest transient memory of a
    build (10,000 sessions: about 100 MB each for the calendars and the frab schedules, with
    their audit), and two processes making them at once would hold both; the other processes
    render pages meanwhile."""
    count = max(1, jobs // 2)
    return [list(parts[start::count]) for start in range(min(count, len(parts)))]


def _write_each(
    parts: Sequence[Callable[[], Files]], out: SiteOutput, packed: PackedFiles | None = None
) -> None:
    if packed is not None:
        packed.release()  # every part of them is taken: the tasks come in order
    for make in parts:
        write_all(make(), out)
        release_free_memory()  # the heap's free pages from a whole-schedule file's making


def write_all(files: Files, out: SiteOutput) -> None:
    """Write `files` (a dict in path order, or pairs as made), letting each go once written."""
    if not isinstance(files, dict):
        for path, data in files:  # made one at a time: each is let go once written
            if isinstance(data, Chunks):
                out.write_chunks(path, data)
            else:
                out.write(path, data)
            del data  # not held while the next one is made
        return
    for path in sorted(files):
        out.write(path, files.pop(path))  # the written file's bytes are not needed any more


def _render_share(
    renderer: HtmlRenderer,
    pages: Sequence[PageSpec],
    out: SiteOutput,
    bar: Task,
    packed: PackedFiles | None = None,
) -> None:
    if packed is not None:
        packed.release()
    for page in pages:
        out.write(page.path, renderer.render(page))
        bar.advance()


class PackedFiles:
    """Files packed into one buffer, to be written by forked processes in parts.

    One buffer of a megabyte or more is a mapping of its own (`unmap_large_blocks`): each
    process gives it back to the system the moment it lets go of it, copying nothing. The same
    bytes as thousands of objects would be freed into the heap between blocks that live on,
    and stay there (10,000 sessions: 64 MB in each process) until a trim walks the heap.
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        self.index: list[tuple[str, int, int]] = []  # path, offset, size
        offset = 0
        for path in sorted(files):
            self.index.append((path, offset, len(files[path])))
            offset += len(files[path])
        self.data: bytes | None = b"".join(files[path] for path, _, _ in self.index)
        files.clear()

    def parts(self, count: int) -> list[range]:
        """The index cut into at most `count` runs of about equal bytes."""
        if not self.index:
            return []
        total = self.index[-1][1] + self.index[-1][2]
        bounds = [0]
        for number, (_, offset, _) in enumerate(self.index):
            if number and offset * count >= total * len(bounds):
                bounds.append(number)
        bounds.append(len(self.index))
        return [range(start, stop) for start, stop in itertools.pairwise(bounds)]

    def write(self, part: range, out: SiteOutput) -> None:
        data = self.data
        if data is None:
            raise RuntimeError("packed files written after they were let go")
        for path, offset, size in self.index[part.start : part.stop]:
            out.write(path, data[offset : offset + size])

    def release(self) -> None:
        self.data = None


def _libc_function(name: str) -> Callable[..., int] | None:
    """A glibc function, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc's malloc.h)
LARGE_BLOCK_BYTES = 1 << 20


def unmap_large_blocks() -> None:
    """Have the C heap map blocks of 1 MiB and more on their own and unmap them when freed.

    glibc raises its mapping threshold up to 32 MiB once a mapped block is freed, so
    whole-schedule files (10,000 sessions: 17-25 MB) and their text would be taken from the
    heap, whose freed pages are kept: each process would go on holding its largest file's
    transient memory long after, on top of what it makes next."""
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc only; elsewhere nothing).

    Freed memory the heap keeps (the parsed export, media bytes already written: 10,000
    sessions, about 70 MB) would be shared with a forked worker and then reused, and so copied,
    by both processes; given back, each process takes fresh pages only for what it needs."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


def _fork(work: Callable[[], None], out: SiteOutput) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        os.close(write_end)
        return pid, read_end
    os.close(read_end)  # the worker from here on; it never returns
    _run_worker(work, out, write_end)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(slots=True)
class _WorkerResult:
    """What a worker hands back: what it wrote, what the audit found in it, and the error that
    stopped it, if any."""

    state: WriteState | None
    audit: AuditState | None = None
    error: tuple[str, str, str | None] | None = None  # EventsiteError class, message, file
    crash: str = ""

    def raise_error(self) -> None:
        if self.error is not None:
            name, message, file = self.error
            error_class = {cls.__name__: cls for cls in _error_classes()}.get(name, ThemeError)
            raise error_class(message, file=file)
        if self.crash:
            raise RuntimeError(f"a render worker failed: {self.crash}")


def _run_worker(work: Callable[[], None], out: SiteOutput, write_end: int) -> None:
    code = 0
    result = _WorkerResult(state=None)
    try:
        out.detach()
        work()
    except EventsiteError as exc:
        result.error = (type(exc).__name__, exc.message, exc.file)
    except BaseException as exc:  # reported by the parent, which owns the terminal
        result.crash = f"{type(exc).__name__}: {exc}"
        code = 1
    result.state = out.writer.handover()
    if out.site_audit is not None:
        result.audit = out.site_audit.handover()
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(code)


def _collect(pid: int, read_end: int) -> _WorkerResult:
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return _WorkerResult(None, crash=f"render worker {pid} died (wait status {status})")
    result: _WorkerResult = pickle.loads(data)
    return result


def _error_classes() -> list[type[EventsiteError]]:
    found: list[type[EventsiteError]] = []
    pending: list[type[EventsiteError]] = [EventsiteError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
