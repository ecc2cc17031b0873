"""Pages built from the XSS corpus, loaded in headless Chromium: no payload runs.

Every payload that executes sets `window.__xss` or opens a dialog (alert). A control page with
one raw payload proves the detector sees a script that does run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import MARKUP_PAYLOADS, THEME_INLINE_SCRIPTS
from hostile_corpus import xss_site as build_xss_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_xss_site(tmp_path_factory.mktemp("xss-browser"))


# inert data, the theme's asset scripts, the data scripts the build writes (one JSON value
# each, checked in test_hostile_content), or one of the theme's own inline scripts (passed in)
ONLY_THEME_SCRIPTS = """(inline) => Array.from(document.scripts).every(
    s => s.type === "application/json" || s.type === "application/ld+json"
      || /\\/assets\\/[a-z]+\\.js$/.test(s.src)
      || /\\/(changes-flag|search-index)\\.js$/.test(s.src)
      || (!s.src && inline.includes(s.text.trim())))"""


class Probe:
    """Loads pages in one tab and records dialogs, page errors and requests leaving file://."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        if not request.url.startswith("file://"):
            self.foreign.append(request.url)

    def visit(self, path: Path) -> Any:
        """Load a page and let its timers fire; handlers that need a user are checked statically
        (test_hostile_content: no on* attribute anywhere)."""
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(20)
        return self.page.evaluate("() => window.__xss")

    def close(self) -> None:
        self.page.close()


def test_detector_sees_a_payload_that_runs(browser: Any, tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text(f"<!doctype html><title>c</title>{MARKUP_PAYLOADS[0]}", encoding="utf-8")
    probe = Probe(browser)
    assert probe.visit(control) == 1
    assert probe.dialogs == ["1"]
    assert not probe.page.evaluate(ONLY_THEME_SCRIPTS, sorted(THEME_INLINE_SCRIPTS))
    probe.close()


def test_no_payload_runs_on_any_session_page(browser: Any, xss_site: Path) -> None:
    probe = Probe(browser)
    pages = sorted((xss_site / "sessions").glob("*.html"))
    assert len(pages) == len(MARKUP_PAYLOADS) + 2
    for page in pages:
        assert probe.visit(page) is None, page.name
        assert probe.page.evaluate(ONLY_THEME_SCRIPTS, sorted(THEME_INLINE_SCRIPTS)), page.name
    assert probe.dialogs == []
    assert probe.foreign == []
    probe.close()


def test_no_payload_runs_on_listing_and_speaker_pages(browser: Any, xss_site: Path) -> None:
    probe = Probe(browser)
    pages = [
        xss_site / "index.html",
        xss_site / "code-of-conduct.html",
        xss_site / "changes.html",
        xss_site / "schedule" / "index.html",
        *sorted((xss_site / "schedule").glob("2*.html")),
        *sorted((xss_site / "speakers").glob("*.html"))[:8],
        *sorted((xss_site / "tracks").glob("*.html")),
        *sorted((xss_site / "rooms").glob("*.html")),
    ]
    for page in pages:
        assert probe.visit(page) is None, page
    assert probe.dialogs == []
    assert probe.foreign == []
    probe.close()
