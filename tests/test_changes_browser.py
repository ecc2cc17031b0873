"""The "changed since your last visit" flag on starred sessions, in headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE
from test_changes import by_id, edit_sessions, public_sessions

from eventsite.build import BuildOptions, build

pytestmark = pytest.mark.browser


def star(page: Any, session_ids: list[str]) -> None:
    page.evaluate(
        "ids => localStorage.setItem("
        "'eventsite-stars:' + document.documentElement.dataset.event, JSON.stringify(ids))",
        session_ids,
    )


def flagged(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all(
            ".changed-flag", "els => els.map(e => e.closest('[data-session]').dataset.session)"
        )
    )


def test_starred_moved_session_is_flagged_until_the_next_visit(tmp_path: Path, browser) -> None:
    export, site = tmp_path / "export", tmp_path / "site"
    shutil.copytree(SAMPLE, export)
    build(BuildOptions(source=str(export), output=site))
    first, second, third = (str(s["id"]) for s in public_sessions(export)[:3])
    moved, retitled, unchanged = first, second, third
    context = browser.new_context()
    errors: list[str] = []
    context.on("weberror", lambda e: errors.append(str(e.error)))

    visit = context.new_page()
    visit.goto((site / "schedule" / "index.html").as_uri())
    star(visit, [moved, unchanged])
    assert flagged(visit) == set()
    visit.close()

    def edit(sessions: list[dict[str, Any]]) -> None:
        session = by_id(sessions, moved)
        session["starts-at"] = session["starts-at"].replace("2026-06-11", "2026-06-12")
        session["ends-at"] = session["ends-at"].replace("2026-06-11", "2026-06-12")
        by_id(sessions, retitled)["title"] = "Retitled, but nobody starred it"

    edit_sessions(export, edit)
    build(BuildOptions(source=str(export), output=site))

    revisit = context.new_page()
    revisit.goto((site / "schedule" / "index.html").as_uri())
    assert flagged(revisit) == {moved}
    flag = revisit.locator(f"[data-session='{moved}'] .changed-flag")
    assert flag.is_visible()
    assert "Moved" in (flag.get_attribute("title") or "")
    revisit.goto((site / "sessions" / f"{moved}.html").as_uri())
    assert revisit.locator("article.session .changed-flag").is_visible()
    revisit.close()

    next_visit = context.new_page()
    next_visit.goto((site / "schedule" / "index.html").as_uri())
    assert flagged(next_visit) == set()
    seen = next_visit.evaluate(
        "localStorage.getItem('eventsite-seen:' + document.documentElement.dataset.event)"
    )
    assert json.loads(seen) == 1
    next_visit.close()
    context.close()
    assert errors == []
