"""`eventsite serve` end to end: a real subprocess, real file edits, a real Chromium."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from conftest import SAMPLE

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def _with_ctrl_c() -> None:
    """SIGINT as a terminal gives it: a launcher without job control (`pytest … &` in a script)
    starts the suite with SIGINT ignored, which the child would inherit and `interrupt` not end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class ServeProcess:
    """`python -m eventsite serve ...` with its output read line by line on a thread."""

    def __init__(self, *args: str, cwd: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "eventsite", "serve", *args, "--port", "0"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_with_ctrl_c,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r} in {self.seen}")

    def interrupt(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)


def wait_until_connected(page: Any) -> None:
    """Until the page's livereload client finished its handshake (then it gets reloads)."""
    page.wait_for_function("window.LiveReload && window.LiveReload.connector.protocol >= 7")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "export")
    return tmp_path / "export"


@pytest.fixture
def serving(export: Path, tmp_path: Path) -> Iterator[tuple[ServeProcess, str, Path]]:
    out = tmp_path / "out"
    process = ServeProcess(str(export), "-o", str(out), cwd=tmp_path)
    try:
        url = process.wait_for(r"Serving on (http://\S+)").group(1)
        process.wait_for(r"^rebuilt: ")
        yield process, url, out
    finally:
        process.kill()


def _edit_sessions(export: Path, session_id: int, **fields: Any) -> None:
    sessions = json.loads((export / "sessions").read_text(encoding="utf-8"))
    next(s for s in sessions if s["id"] == session_id).update(fields)
    (export / "sessions").write_text(json.dumps(sessions, indent=1), encoding="utf-8")


def test_edit_then_break_then_fix_shows_in_the_browser(
    browser: Any, serving: tuple[ServeProcess, str, Path], export: Path
) -> None:
    process, url, out = serving
    session = next(
        s
        for s in json.loads((export / "sessions").read_text(encoding="utf-8"))
        if s["state"] == "accepted"
    )
    page = browser.new_page()
    try:
        page.goto(f"{url}sessions/{session['id']}.html")
        assert page.locator("h1").inner_text() == session["title"]
        wait_until_connected(page)
        page.evaluate("window.__not_reloaded = true")

        _edit_sessions(export, session["id"], title="Live edited title")
        page.wait_for_function(
            "document.querySelector('h1').textContent === 'Live edited title'", timeout=20_000
        )
        assert page.evaluate("window.__not_reloaded === undefined")  # the page itself reloaded
        process.wait_for(r"^rebuilt: \d+ of \d+ pages rendered")
        assert "Live edited title" in (out / f"sessions/{session['id']}.html").read_text()

        text = (export / "sessions").read_text(encoding="utf-8")
        (export / "sessions").write_text(text[:-40], encoding="utf-8")
        overlay = page.locator("#eventsite-error")
        overlay.wait_for(state="visible", timeout=20_000)
        assert "invalid JSON" in overlay.inner_text()
        assert str(export / "sessions") in overlay.locator("[data-role=file]").inner_text()
        assert page.locator("h1").inner_text() == "Live edited title"  # last good site
        process.wait_for(r"^error: The export cannot be read")

        (export / "sessions").write_text(text, encoding="utf-8")
        overlay.wait_for(state="detached", timeout=20_000)
        assert page.locator("h1").inner_text() == "Live edited title"
    finally:
        page.close()
    assert process.interrupt() == 0
    assert process.seen[-1] == "Stopped."


def test_stylesheet_change_reloads_styles_in_place(
    browser: Any, export: Path, tmp_path: Path
) -> None:
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "style.css").write_text("h1 { color: rgb(1, 2, 3) }\n")
    process = ServeProcess(str(export), "--theme", str(theme), cwd=tmp_path)
    try:
        url = process.wait_for(r"Serving on (http://\S+)").group(1)
        out = Path(process.wait_for(r"site files in (.+)$").group(1))
        process.wait_for(r"^rebuilt: ")
        page = browser.new_page()
        page.goto(url)
        wait_until_connected(page)
        page.evaluate("window.__not_reloaded = true")
        (theme / "static" / "style.css").write_text("h1 { color: rgb(200, 0, 0) }\n")
        page.wait_for_function(
            "getComputedStyle(document.querySelector('h1')).color === 'rgb(200, 0, 0)'",
            timeout=20_000,
        )
        assert page.evaluate("window.__not_reloaded === true")  # styles swapped, no reload
        page.close()
        assert out.is_dir()
        assert process.interrupt() == 0
        assert not out.exists()  # the temporary output folder is removed on exit
    finally:
        process.kill()
