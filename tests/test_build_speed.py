"""The speed-ups keep the output exact: parallel, in-place and cached builds produce the same
bytes as a single-process clean build; the writer touches only what changed; the Markdown
shortcut matches Markdown; the synthetic benchmark exports have the promised proportions."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from conftest import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st
from sitecheck import site_files

from eventsite.build import BuildOptions, build
from eventsite.errors import OutputError, ThemeError
from eventsite.model.text import (
    _MARKDOWN_SYNTAX,
    plain_paragraphs,
    plain_text,
    rich_text,
    sanitised,
)
from eventsite.model.values import _MOJIBAKE, text
from eventsite.render import search

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from synthetic import generate  # noqa: E402

SYNTHETIC_SESSIONS = 120


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("synthetic") / "export", SYNTHETIC_SESSIONS, 7).path


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("EVENTSITE_CACHE_DIR", str(cache))
    return cache


tree = site_files  # every file of a folder by relative path


def assert_same_site(a: Path, b: Path) -> None:
    left, right = tree(a), tree(b)
    assert sorted(left) == sorted(right)
    different = [path for path in left if left[path] != right[path]]
    assert different == []


def run_build(
    source: Path,
    out: Path,
    jobs: int | None = 1,
    theme: str | None = None,
    previous: Path | None = None,
):
    options = BuildOptions(source=str(source), output=out, jobs=jobs, theme=theme)
    options.previous = str(previous) if previous else None
    return build(options)


def test_parallel_build_is_byte_identical_to_single_process(export: Path, tmp_path: Path) -> None:
    single = run_build(export, tmp_path / "single", jobs=1)
    parallel = run_build(export, tmp_path / "parallel", jobs=2)
    run_build(export, tmp_path / "three", jobs=3)
    assert single.pages > 200  # sessions, speakers, days, tracks, rooms
    assert (single.files, single.bytes) == (parallel.files, parallel.bytes)
    assert_same_site(tmp_path / "single", tmp_path / "parallel")
    assert_same_site(tmp_path / "single", tmp_path / "three")


def test_session_pages_are_rendered_last_and_nothing_else_moves(export: Path) -> None:
    """Forked processes take pages in `render_order`: the one that joins late (after the
    whole-schedule files) takes the session pages, which make no session list items."""
    from eventsite.build import load_graph
    from eventsite.issues import IssueLog
    from eventsite.media import MediaResolver
    from eventsite.render.pages import SESSION_TEMPLATE, plan_pages, render_order
    from eventsite.render.view import build_view
    from eventsite.urls import BaseUrl

    issues = IssueLog()
    raw, graph = load_graph(str(export), issues)
    planned = plan_pages(
        build_view(graph, MediaResolver(raw.media, issues, resize=False), BaseUrl())
    )
    ordered = render_order(planned)
    sessions = [page for page in planned if page.template == SESSION_TEMPLATE]
    others = [page for page in planned if page.template != SESSION_TEMPLATE]
    assert len(sessions) > 50 and planned[-1].template != SESSION_TEMPLATE
    assert ordered == others + sessions
    theme = REPO / "themes" / "default" / "templates"
    shown = (theme / SESSION_TEMPLATE).read_text() + (theme / "base.html").read_text()
    assert "session_item" not in shown and "speaker_card" in shown


def edited_copy(export: Path, target: Path) -> Path:
    """The export with one session retitled and one session removed."""
    shutil.copytree(export, target)
    sessions = json.loads((target / "sessions").read_text(encoding="utf-8"))
    public = [s for s in sessions if s["state"] == "accepted"]
    public[0]["title"] = "A retitled session"
    sessions.remove(public[1])
    (target / "sessions").write_text(json.dumps(sessions), encoding="utf-8")
    return target


def test_in_place_rebuild_equals_clean_build_and_touches_only_changes(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")  # the change history's clock
    site = tmp_path / "site"
    run_build(export, site, jobs=2)
    before = {p: os.stat(site / p).st_mtime_ns for p in tree(site)}
    shutil.copytree(site, tmp_path / "previous")
    edited = edited_copy(export, tmp_path / "edited")

    report = run_build(edited, site, jobs=2)
    # the same build into a new folder, with the same previous site for the change history
    run_build(edited, tmp_path / "clean-edited", jobs=1, previous=tmp_path / "previous")
    assert_same_site(site, tmp_path / "clean-edited")
    assert report.pages == len([p for p in tree(site) if p.endswith(".html")])

    after = {p: os.stat(site / p).st_mtime_ns for p in tree(site)}
    removed = before.keys() - after.keys()
    assert any(p.startswith("sessions/") for p in removed)  # the deleted session's files
    unchanged = [p for p in after if p in before and after[p] == before[p]]
    assert "assets/style.css" in unchanged
    assert any(p.startswith("media/") for p in unchanged)
    assert "schedule/index.html" not in unchanged  # shows the new title
    assert not [p for p in site.rglob("*") if ".tmp-" in p.name]


def test_no_change_rebuild_writes_nothing(export: Path, tmp_path: Path) -> None:
    from eventsite.writer import SiteWriter

    site = tmp_path / "site"
    run_build(export, site, jobs=1)
    first = tree(site)
    mtimes = {p: os.stat(site / p).st_mtime_ns for p in first}
    run_build(export, site, jobs=2)
    assert tree(site) == first
    assert {p: os.stat(site / p).st_mtime_ns for p in first} == mtimes
    writer = SiteWriter(site)
    for path, data in first.items():
        if path != ".eventsite-site":
            writer.write(path, data)
    stats = writer.finish()
    assert (stats.written, stats.removed) == (0, 0)


def test_error_in_a_render_worker_is_reported_and_the_site_is_untouched(
    export: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    run_build(export, site, jobs=2)
    before = tree(site)
    theme = tmp_path / "theme" / "templates"
    theme.mkdir(parents=True)
    (theme / "speaker.html").write_text(
        '{% extends "default/speaker.html" %}{% block content %}{{ no_such_thing }}{% endblock %}'
    )
    with pytest.raises(ThemeError, match=r"speaker\.html .*no_such_thing"):
        run_build(export, site, jobs=2, theme=str(tmp_path / "theme"))
    assert tree(site) == before
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]


def test_in_place_update_never_writes_through_a_planted_link(export: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    outside = tmp_path / "outside"
    outside.mkdir()
    run_build(export, site, jobs=1)
    shutil.rmtree(site / "speakers")
    (site / "speakers").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="outside the output folder"):
        run_build(export, site, jobs=1)
    assert list(outside.iterdir()) == []


def test_changed_template_is_used_although_compiled_templates_are_cached(
    export: Path, tmp_path: Path, private_cache: Path
) -> None:
    theme = tmp_path / "theme" / "templates"
    theme.mkdir(parents=True)
    page = theme / "404.html"
    page.write_text('{% extends "default/404.html" %}{% block content %}first{% endblock %}')
    run_build(export, tmp_path / "a", theme=str(tmp_path / "theme"))
    assert any(private_cache.rglob("*.cache"))
    page.write_text('{% extends "default/404.html" %}{% block content %}second{% endblock %}')
    run_build(export, tmp_path / "a", theme=str(tmp_path / "theme"))
    assert b"second" in (tmp_path / "a" / "404.html").read_bytes()
    run_build(export, tmp_path / "b", theme=str(tmp_path / "theme"))
    assert_same_site(tmp_path / "a", tmp_path / "b")


def _loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has loaded after running `statement`."""
    code = (
        f"import json, sys, eventsite.cli; {statement}; "
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cli_start_up_imports_no_heavy_module() -> None:
    heavy = ("jinja2", "PIL", "markdown", "requests", "nh3")
    assert _loaded_after("pass", heavy) == []


def test_a_build_that_downloads_nothing_imports_no_network_stack(tmp_path: Path) -> None:
    build = (
        f"eventsite.cli.main(['build', {str(SAMPLE)!r}, '-o', {str(tmp_path / 'site')!r}, '-q'])"
    )
    assert _loaded_after(build, ("http.client", "ssl", "email.message")) == []


def test_a_media_host_that_does_not_resolve_loads_no_http_client(tmp_path: Path) -> None:
    """Offline, or a long-gone photo host: the lookup fails before the HTTP client is needed."""
    fetch = (
        "from pathlib import Path\n"
        "from eventsite.fetch.cache import MediaCache\n"
        "from eventsite.fetch.policy import FetchFailed\n"
        "from eventsite.fetch.remote import RemoteMedia\n"
        "def nowhere(host, port):\n"
        "    raise FetchFailed(f'cannot resolve host {host!r}')\n"
        f"remote = RemoteMedia(MediaCache(Path({str(tmp_path)!r})), resolver=nowhere)\n"
        "result = remote('https://photos.example.org/a.jpg')\n"
        "assert result.data is None and 'cannot resolve host' in result.problem, result\n"
    )
    modules = ("http.client", "ssl", "eventsite.fetch.client")
    assert _loaded_after(f"exec({fetch!r})", modules) == []


_MARKDOWN = markdown.Markdown(extensions=["nl2br", "sane_lists"])
TEXT = st.text(
    alphabet=st.sampled_from(list("ab cdé.,;:'\"?()/%@$-1234\n*_#<>&[]!+=|~`\\\t")), max_size=80
)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_plain_text_shortcut_matches_markdown(text: str) -> None:
    if _MARKDOWN_SYNTAX.search(text):
        return
    assert plain_paragraphs(text) == _MARKDOWN.reset().convert(text)


def test_plain_text_shortcut_is_taken_for_plain_text_only() -> None:
    assert not _MARKDOWN_SYNTAX.search("Line one.\nLine two (with a URL: https://x.org/a-b).")
    for syntax in ("* item", "1. first", "# heading", "a *b*", "> quote", "    code", "a & b"):
        assert _MARKDOWN_SYNTAX.search(syntax), syntax
    assert rich_text("One.\n\nTwo\nthree") == "<p>One.</p>\n<p>Two<br>\nthree</p>"
    assert rich_text("* a\n* b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"


_VISIBLE = st.text(
    alphabet=st.sampled_from(list("ab é.<p></p>&amp;\n\t\r\x0b\x0c\x1c\x85\xa0\u2028\u3000")),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(_VISIBLE)
def test_visible_text_without_paragraphs_is_the_folded_paragraphs_joined(value: str) -> None:
    """`plain_text` without paragraphs joins every word by one space; that must be what the
    paragraphs, each folded, joined by a space, read."""
    with_paragraphs = plain_text(value, paragraphs=True)
    assert plain_text(value) == " ".join(with_paragraphs.split("\n\n")).strip()


_RICH_PIECES = ["a", "b", " ", "\n", "\t", "\xa0", "&nbsp;", "&#32;", "&amp;", "<p>", "</p>"]
_RICH_PIECES += ["<br>", "<h1>", "<script>", "</script>", "<em>", "</em>", "<template>", "*", "é"]
_RICH = st.lists(st.sampled_from(_RICH_PIECES), max_size=25).map("".join)


@settings(max_examples=500, deadline=None)
@given(_RICH)
def test_sanitised_text_reads_as_the_rich_text_does(value: str) -> None:
    """The whole-schedule files take `sanitised` (no check for visible text) where pages take
    `rich_text`: both must give the same plain text, and the same HTML when there is text."""
    rich = rich_text(value)
    assert plain_text(sanitised(value), paragraphs=True) == plain_text(rich, paragraphs=True)
    assert rich in ("", sanitised(value))


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("aZ 1.é\u0301\u0308ñÅﬁ\u00a0İ\u1e9e“”—漢ÿ")), max_size=40)
)
def test_search_normalisation_drops_the_combining_marks_of_any_text(text: str) -> None:
    """`search.normalise` looks only at non-ASCII runs; it must equal the plain formula."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if c.isascii() or not unicodedata.combining(c))
    assert search.normalise(text) == kept.lower()


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60), st.sampled_from(["", "é"]))
def test_words_of_a_text_are_what_the_word_pattern_finds(text: str, extra: str) -> None:
    """ASCII text is split in C (non-word characters made spaces); the rest by the pattern."""
    assert search.words_of(text + extra) == search._WORD.findall(text + extra)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2040), max_size=30))
def test_display_text_shortcut_for_ascii_keeps_mojibake_repair(value: str) -> None:
    repaired = value.strip()
    if _MOJIBAKE.search(value):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            repaired = repaired.encode("cp1252").decode("utf-8")
    assert text(value) == repaired
    assert text("Fran\u00c3\u00a7ois") == "Fran\u00e7ois"


def test_synthetic_exports_are_deterministic_and_realistic(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 400, seed=3)
    generate(tmp_path / "b", 400, seed=3)
    other = generate(tmp_path / "c", 400, seed=4)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a")["sessions"] != tree(tmp_path / "c")["sessions"]
    assert first.shape == other.shape

    sessions = json.loads((tmp_path / "a" / "sessions").read_text(encoding="utf-8"))
    speakers = json.loads((tmp_path / "a" / "speakers").read_text(encoding="utf-8"))
    assert len(sessions) == 400
    assert len(speakers) == 320  # 0.8 N
    assert {len(s["speakers"]) for s in sessions} == {1, 2, 3}
    assert all(s["sessions"] for s in speakers)  # every speaker speaks
    hidden = [s for s in sessions if s["state"] not in ("accepted", "confirmed")]
    assert 0.01 < len(hidden) / len(sessions) < 0.08
    words = [len(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", s["long-abstract"]))) for s in sessions]
    assert min(words) >= 80 and max(words) <= 300
    with_photo = [s for s in speakers if s["photo-url"]]
    assert len(with_photo) == len(speakers) // 2
    assert all((tmp_path / "a" / s["photo-url"].lstrip("/")).is_file() for s in with_photo)
    assert len({s["starts-at"][:10] for s in sessions}) == first.shape.days
    assert len({s["microlocation"]["id"] for s in sessions}) == first.shape.rooms


def test_privacy_audit_sees_the_whole_parallel_build_before_anything_is_written(
    export: Path, tmp_path: Path
) -> None:
    from eventsite.errors import EventsiteError

    site = tmp_path / "site"
    run_build(export, site, jobs=2)
    before = tree(site)
    leaky = tmp_path / "leaky"
    shutil.copytree(export, leaky)
    sessions = json.loads((leaky / "sessions").read_text(encoding="utf-8"))
    public = [s for s in sessions if s["state"] == "accepted"]
    secret = "Reviewer only: the speaker asked for a quiet room, ref 48151623"
    public[0]["comments"] = secret  # a private field ...
    public[-1]["subtitle"] = secret  # ... whose value a public one repeats
    (leaky / "sessions").write_text(json.dumps(sessions), encoding="utf-8")
    with pytest.raises(EventsiteError, match="privacy audit"):
        run_build(leaky, site, jobs=2)
    assert tree(site) == before
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
