"""Accessibility in headless Chromium: axe-core on the main page kinds in both colour schemes,
keyboard use of the schedule, visible focus and labelled controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def first_file(site: Path, folder: str) -> str:
    return next(p for p in sorted((site / folder).glob("*.html")) if p.name != "index.html").name


def page_kinds(site: Path) -> dict[str, str]:
    day = next((site / "schedule").glob("2*.html")).name
    return {
        "landing": "index.html",
        "schedule": "schedule/index.html",
        "day": f"schedule/{day}",
        "session": f"sessions/{first_file(site, 'sessions')}",
        "speaker": f"speakers/{first_file(site, 'speakers')}",
    }


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser) -> Iterator:
    context = browser.new_context(color_scheme=request.param)
    yield context.new_page()
    context.close()


def blocking_violations(axe: Axe, page) -> list[str]:
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def test_axe_reports_no_serious_violations(axe: Axe, scheme_page, sample_site: Path) -> None:
    found = {}
    for kind, rel in page_kinds(sample_site).items():
        scheme_page.goto((sample_site / rel).as_uri())
        # stars, badges and filters are part of the page the visitor sees
        stars = scheme_page.locator("button.star")
        if stars.count():
            stars.first.click()
        problems = blocking_violations(axe, scheme_page)
        if problems:
            found[kind] = problems
    assert found == {}


def test_axe_passes_with_the_finder_in_use(axe: Axe, browser, sample_site: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto((sample_site / "schedule" / "index.html").as_uri() + "#starred")
    page.locator("input[name=starred]").uncheck()
    page.locator("button.star").nth(1).click()
    page.fill("input[name=q]", "a")
    assert blocking_violations(axe, page) == []
    context.close()


def test_keyboard_reaches_skip_link_controls_and_stars_with_visible_focus(
    browser, sample_site: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto((sample_site / "schedule" / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    seen: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        active = page.evaluate(
            "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.tagName, e.name || e.className, s.outlineStyle, s.outlineWidth]; })()"
        )
        seen.append(f"{active[0]}:{active[1]}")
        assert active[2] != "none" and active[3] != "0px", active  # focus is visible
        if active[1] == "star":
            break
    assert "INPUT:q" in seen and "SELECT:track" in seen
    assert seen[-1] == "BUTTON:star"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
    page.keyboard.press("/")  # the search shortcut
    assert page.evaluate("document.activeElement.name") == "q"
    context.close()


def test_every_control_has_a_name_and_the_page_has_landmarks(browser, sample_site: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto((sample_site / "schedule" / "index.html").as_uri())
    assert page.evaluate("document.documentElement.lang") == "en"
    for role in ("banner", "navigation", "main", "contentinfo", "search"):
        assert page.get_by_role(role).count() >= 1, role
    unnamed = page.evaluate(
        """[...document.querySelectorAll('button, select, input')]
            .filter(e => e.offsetParent !== null)
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.textContent.trim())
            .map(e => e.outerHTML)"""
    )
    assert unnamed == []
    images = page.evaluate("[...document.images].filter(i => !i.hasAttribute('alt')).length")
    assert images == 0
    context.close()
