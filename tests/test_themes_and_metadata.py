"""Theme overrides (a user folder and the built-in contrast theme), schema.org JSON-LD and
OpenGraph tags, readable track colours, and the search index's contents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import SAMPLE
from hypothesis import given
from hypothesis import strategies as st

from eventsite.build import load_graph
from eventsite.cli import main
from eventsite.issues import IssueLog
from eventsite.model.graph import EventGraph
from eventsite.model.values import color
from eventsite.render import structured
from eventsite.render.filters import contrast, text_color, track_style

BASE = "https://example.org/devconf/"


@pytest.fixture(scope="module")
def graph() -> EventGraph:
    return load_graph(str(SAMPLE), IssueLog())[1]


def json_ld(page: Path) -> list[dict]:
    tree = lxml.html.fromstring(page.read_bytes())
    return [json.loads(s.text) for s in tree.xpath('//script[@type="application/ld+json"]')]


def meta(page: Path, prop: str) -> str | None:
    tree = lxml.html.fromstring(page.read_bytes())
    found = tree.xpath(f'//meta[@property="{prop}"]/@content')
    return found[0] if found else None


# -------------------------------------------------------------- themes


@pytest.fixture(scope="module")
def override_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user theme holding one template and one stylesheet, built through the CLI."""
    theme = tmp_path_factory.mktemp("my-theme")
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "partials" / "head_extra.html").write_text(
        '<link rel="stylesheet" href="{{ url(urls.asset_path(\'mine.css\')) }}">\n'
        '<meta name="x-theme" content="mine">\n'
    )
    (theme / "static" / "mine.css").write_text(":root { --accent: rgb(120, 20, 60); }\n")
    # a list item of its own, without the default theme's star button
    (theme / "templates" / "partials" / "session_item.html").write_text(
        '<li class="session-item mine" data-session="{{ s.id }}">'
        '<a class="title" href="{{ url(s) }}">{{ s.title }}</a></li>\n'
    )
    out = tmp_path_factory.mktemp("override") / "site"
    assert main(["build", str(SAMPLE), "-o", str(out), "--theme", str(theme), "-q"]) == 0
    return out


@pytest.mark.browser
def test_a_theme_folder_overrides_only_what_it_holds(
    browser, override_site: Path, sample_site: Path
) -> None:
    assert (override_site / "assets" / "mine.css").is_file()
    for name in ("style.css", "site.js", "print.css"):  # the rest falls back to the default
        assert (override_site / "assets" / name).read_bytes() == (
            sample_site / "assets" / name
        ).read_bytes()
    context = browser.new_context()
    page = context.new_page()
    page.goto((override_site / "schedule" / "index.html").as_uri())
    assert page.locator('meta[name="x-theme"]').count() == 1
    link_color = page.locator(".session-item a.title").first.evaluate(
        "e => getComputedStyle(e).color"
    )
    assert link_color == "rgb(120, 20, 60)"
    items = page.locator(".session-item.mine")
    assert items.count() == len(list((override_site / "sessions").glob("*.html")))
    # the default theme's script still runs, and adds the star buttons the template left out
    assert items.locator("button.star").count() == items.count()
    items.first.locator("button.star").click()
    assert page.locator("[data-star-count]").inner_text() == "1"
    context.close()


@pytest.mark.browser
def test_the_builtin_contrast_theme_extends_the_default(
    browser, tmp_path: Path, sample_site: Path
) -> None:
    out = tmp_path / "site"
    assert main(["build", str(SAMPLE), "-o", str(out), "--theme", "contrast", "-q"]) == 0
    assert (out / "assets" / "contrast.css").is_file()
    assert sorted(p.name for p in (out / "sessions").iterdir()) == sorted(
        p.name for p in (sample_site / "sessions").iterdir()
    )
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto((out / "index.html").as_uri())
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    for rel in ("index.html", "schedule/index.html"):
        page.goto((out / rel).as_uri())
        violations = Axe().run(page).response["violations"]
        assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    context.close()


def test_an_unknown_theme_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["build", str(SAMPLE), "-o", str(tmp_path / "s"), "--theme", "nope"]) == 1
    err = capsys.readouterr().err
    assert "no theme named 'nope'" in err and "contrast" in err and "default" in err


# ------------------------------------------------------- JSON-LD and OG


def test_session_pages_describe_an_event_with_its_speakers(
    sample_site: Path, graph: EventGraph
) -> None:
    for session in graph.sessions:
        page = sample_site / "sessions" / f"{session.id}.html"
        (data,) = json_ld(page)
        assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
        assert data["name"] == session.title
        assert data.get("startDate") == (session.start.isoformat() if session.start else None)
        assert [p["name"] for p in data.get("performer", [])] == [s.name for s in session.speakers]
        assert data["url"] == f"{BASE}sessions/{session.id}.html"
        assert data["superEvent"]["name"] == graph.event.name
        assert meta(page, "og:type") == "article"
        assert meta(page, "og:url") == data["url"]


def test_speaker_pages_describe_a_person(sample_site: Path, graph: EventGraph) -> None:
    for speaker in graph.speakers:
        page = sample_site / "speakers" / f"{speaker.id}.html"
        (data,) = json_ld(page)
        assert data["@type"] == "Person" and data["name"] == speaker.name
        assert data.get("worksFor", {}).get("name", "") == speaker.organisation
        assert data["url"] == f"{BASE}speakers/{speaker.id}.html"
        image = meta(page, "og:image")
        assert image == data.get("image")
        if image:
            assert image.startswith(BASE + "media/")
            assert (sample_site / image.removeprefix(BASE)).is_file()


def test_landing_page_describes_the_conference(sample_site: Path, graph: EventGraph) -> None:
    (data,) = json_ld(sample_site / "index.html")
    event = graph.event
    assert data["@type"] == "Event" and data["name"] == event.name
    assert data["startDate"] == event.start.isoformat()
    assert data["location"]["name"] == event.location_name
    assert data["location"]["geo"]["latitude"] == event.latitude


def test_json_ld_cannot_break_out_of_its_script_element() -> None:
    hostile = "</script><script>alert(1)</script> & <!-- x"
    element = str(structured.script({"name": hostile}))
    assert element.count("</script>") == 1 and element.endswith("</script>")
    assert "<!--" not in element
    inner = element.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert json.loads(inner)["name"] == hostile


# ------------------------------------------------------- track colours


hex_colors = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@given(background=hex_colors, wanted=st.one_of(st.none(), hex_colors))
def test_track_text_is_always_readable(background: str, wanted: str | None) -> None:
    chosen = text_color(background, wanted)
    assert contrast(background, chosen) >= 4.5
    if wanted and contrast(background, wanted) >= 4.5:
        assert chosen == wanted  # the data's colour is kept when it is readable


@pytest.mark.parametrize("value", ["red", "#12", "#ggg000", "rgb(1,2,3)", "", None, 12])
def test_invalid_track_colours_fall_back_to_readable_defaults(value: object) -> None:
    from eventsite.model.entities import Track

    track = Track(id="1", name="T", color=color(value), font_color=color(value))
    style = dict(part.split(":") for part in track_style(track).split(";"))
    assert contrast(style["--track-bg"], style["--track-fg"]) >= 4.5


def test_pages_use_only_validated_track_colours(sample_site: Path) -> None:
    styles = set()
    for page in sample_site.rglob("*.html"):
        styles.update(re.findall(r"--track-(?:bg|fg):([^;\"]+)", page.read_text("utf-8")))
    assert styles and all(re.fullmatch(r"#[0-9a-f]{6}", s) for s in styles)


# -------------------------------------------------------- search index


def test_search_index_holds_public_sessions_only_and_is_a_script(
    sample_site: Path, graph: EventGraph
) -> None:
    text = (sample_site / "search-index.js").read_text(encoding="utf-8")
    assert text.startswith("window.eventsiteSearch={") and text.endswith("};\n")
    # an entry per line: the privacy audit scans a big index in parts cut at line breaks
    assert text.count("\n") == len(graph.sessions)
    index = json.loads(text.removeprefix("window.eventsiteSearch=").removesuffix(";\n"))
    assert sorted(index) == sorted(s.id for s in graph.sessions)
    sessions = json.loads((SAMPLE / "sessions").read_text(encoding="utf-8"))
    hidden = {str(s["id"]) for s in sessions if s["state"] not in ("accepted", "confirmed")}
    assert hidden and not hidden & set(index)
    speakers = json.loads((SAMPLE / "speakers").read_text(encoding="utf-8"))
    emails = [s["email"].lower() for s in speakers if s.get("email")]
    assert emails and not [e for e in emails if e in text] and "@" not in text


def test_filter_links_pass_the_link_check_and_element_fragments_still_count(
    tmp_path: Path,
) -> None:
    from eventsite.linkcheck import broken_links

    out = tmp_path / "site"
    assert main(["build", str(SAMPLE), "-o", str(out), "--check-links", "-q"]) == 0
    assert "../schedule/index.html#room=" in (out / "rooms" / "1.html").read_text("utf-8")
    schedule = (out / "schedule" / "index.html").read_bytes()
    files = {
        "rooms/1.html": b'<a href="../schedule/index.html#room=1&amp;day=2026-06-11">r</a>'
        b'<a href="../schedule/index.html#nowhere">x</a>',
        "schedule/index.html": schedule,
    }
    problems = [(p.link, p.reason) for p in broken_links(files, {}) if p.page == "rooms/1.html"]
    assert problems == [("../schedule/index.html#nowhere", "no element with id 'nowhere'")]
