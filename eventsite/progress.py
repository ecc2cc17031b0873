"""Progress of long stages: a bar on a terminal, a few plain log lines elsewhere (CI).

Stages call `progress.task(label, total)` and `advance()` it; they never know which kind
of progress they report to. Everything goes to stderr, so stdout stays for results.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress as RichBar

MIN_ITEMS_TO_SHOW = 20  # short stages finish before a bar or a line would help anyone


class Task:
    """A stage in progress; `advance()` once per item, `close()` at the end."""

    def advance(self, count: int = 1) -> None:
        """Record `count` finished items."""

    def close(self) -> None:
        """The stage is over."""

    def __enter__(self) -> Task:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Progress:
    """No output at all (quiet mode, library use, tests)."""

    def task(self, label: str, total: int) -> Task:
        return Task()


class _LogTask(Task):
    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, total
        self.done = 0
        self.started = time.perf_counter()
        print(f"{label}: {total} …", file=stream, flush=True)

    def advance(self, count: int = 1) -> None:
        self.done += count

    def close(self) -> None:
        seconds = time.perf_counter() - self.started
        print(f"{self.label}: {self.done}/{self.total} in {seconds:.1f} s", file=self.stream)


class LogProgress(Progress):
    """One line when a long stage starts and one when it ends: quiet enough for CI logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def task(self, label: str, total: int) -> Task:
        if total < MIN_ITEMS_TO_SHOW:
            return Task()
        return _LogTask(self.stream, label, total)


class _RichTask(Task):
    def __init__(self, bar: RichBar, label: str, total: int) -> None:
        self.bar = bar
        self.id = bar.add_task(label, total=total)
        bar.start()

    def advance(self, count: int = 1) -> None:
        self.bar.advance(self.id, count)

    def close(self) -> None:
        self.bar.stop()


class BarProgress(Progress):
    """A rich progress bar on the terminal, removed when the stage ends."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def task(self, label: str, total: int) -> Task:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichBar

        if total < MIN_ITEMS_TO_SHOW:
            return Task()
        bar = RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=self.stream),
            transient=True,
        )
        return _RichTask(bar, label, total)


def for_terminal(*, quiet: bool, stream: TextIO | None = None) -> Progress:
    """A bar on a TTY, log lines otherwise, nothing when quiet."""
    stream = stream or sys.stderr
    if quiet:
        return Progress()
    return BarProgress(stream) if stream.isatty() else LogProgress(stream)
