"""The built site works from file:// in headless Chromium with no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_schedule_from_file_url_has_no_console_errors(sample_site: Path, browser) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    failed: list[str] = []
    # a navigation cancels requests still in flight (ERR_ABORTED): that is not a broken asset
    page.on(
        "requestfailed",
        lambda r: failed.append(r.url) if "ERR_ABORTED" not in (r.failure or "") else None,
    )
    for rel in ("index.html", "schedule/index.html"):
        page.goto((sample_site / rel).as_uri())
        page.wait_for_load_state("load")
    day = next((sample_site / "schedule").glob("2*.html"))
    page.goto(day.as_uri())
    page.wait_for_load_state("load")
    assert page.locator(".grid-session").count() > 10
    page.locator(".grid-session").first.click()
    page.wait_for_load_state("load")
    assert "/sessions/" in page.url
    assert page.locator("h1").inner_text()
    assert errors == []
    assert failed == []
    page.close()
