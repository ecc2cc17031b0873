"""The XSS and injection corpus in every text field, URL and colour of an export.

The built site is parsed with real parsers (lxml HTML and XML, icalendar, json) and checked for
anything a payload could have smuggled in: scripts, event handlers, dangerous URLs, CSS, new
calendar properties or XML elements. The browser test runs the pages for real.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import icalendar
import lxml.etree
import lxml.html
import pytest
from hostile_corpus import (
    ICAL_INJECTION,
    MARKUP_PAYLOADS,
    REPO,
    THEME_INLINE_SCRIPTS,
    XML_INJECTION,
)
from hostile_corpus import xss_site as build_xss_site

SAFE_SCHEMES = ("http://", "https://", "mailto:")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcset", "data", "poster", "content")
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "form", "svg", "math", "style", "frame"}
# the only inline styles the theme writes: validated colours, grid numbers, a media URL
STYLE_DECLARATION = re.compile(
    r"--track-(?:bg|fg):#[0-9a-f]{6}"
    r"|--(?:cols|rows):\d+"
    r"|grid-(?:column|row):\d+(?: / span \d+)?"
    r"|--banner:url\('(?:\.\./)*media/[0-9a-f]+\.(?:png|jpg|gif|webp)'\)"
)


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = build_xss_site(tmp_path_factory.mktemp("xss"))
    assert len(list((site / "sessions").glob("*.html"))) == len(MARKUP_PAYLOADS) + 2
    return site


def _pages(site: Path) -> dict[str, lxml.html.HtmlElement]:
    return {
        p.relative_to(site).as_posix(): lxml.html.fromstring(p.read_bytes())
        for p in sorted(site.rglob("*.html"))
    }


THEME_SCRIPTS = {p.name for p in (REPO / "themes" / "default" / "static").glob("*.js")}


def test_only_theme_scripts_and_inert_json_data_are_on_any_page(xss_site: Path) -> None:
    for path, tree in _pages(xss_site).items():
        scripts = tree.xpath("//script")
        assert scripts, path
        for script in scripts:
            if script.get("type") in ("application/json", "application/ld+json"):  # inert data
                assert "<" not in script.text, path
                json.loads(script.text)
                continue
            if script.get("src") is None:  # the theme's one inline script (colour scheme)
                assert (script.text or "").strip() in THEME_INLINE_SCRIPTS, path
                continue
            name = script.get("src", "").rsplit("/", 1)[-1]
            assert name in THEME_SCRIPTS or name in DATA_SCRIPTS, path
            assert not (script.text or "").strip(), path


# scripts the build writes: each assigns one JSON value to one global, nothing else
DATA_SCRIPTS = {"changes-flag.js": "eventsiteChanges", "search-index.js": "eventsiteSearch"}


def test_the_data_scripts_assign_json_and_nothing_else(xss_site: Path) -> None:
    for name, variable in DATA_SCRIPTS.items():
        text = (xss_site / name).read_text(encoding="utf-8")
        prefix, suffix = f"window.{variable}=", ";\n"
        assert text.startswith(prefix) and text.endswith(suffix), name
        json.loads(text.removeprefix(prefix).removesuffix(suffix))  # one value: no statement


def test_no_event_handler_attributes_or_active_elements(xss_site: Path) -> None:
    for path, tree in _pages(xss_site).items():
        for element in tree.iter(lxml.etree.Element):
            handlers = [name for name in element.attrib if name.lower().startswith("on")]
            assert not handlers, f"{path}: <{element.tag} {handlers}>"
            if _is_theme_filter_form(element):
                continue
            assert element.tag not in FORBIDDEN_TAGS, f"{path}: <{element.tag}>"
            if element.tag == "meta":
                assert element.get("http-equiv") is None, path


def _is_theme_filter_form(element: lxml.etree._Element) -> bool:
    """The theme's own search form: submits nowhere (no action), filtered by site.js."""
    return (
        element.tag == "form"
        and "data-filters" in element.attrib
        and "action" not in element.attrib
    )


def _is_safe_url(value: str) -> bool:
    squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
    if ":" not in squeezed.split("/", 1)[0].split("#", 1)[0].split("?", 1)[0]:
        return True  # relative link inside the site
    return squeezed.startswith(SAFE_SCHEMES)


def test_every_url_is_relative_or_http(xss_site: Path) -> None:
    checked = 0
    for path, tree in _pages(xss_site).items():
        for element in tree.iter(lxml.etree.Element):
            for name in URL_ATTRIBUTES:
                value = element.get(name)
                if value is None or (name == "content" and element.tag != "meta"):
                    continue
                if name == "content" and element.get("property") not in ("og:url", "og:image"):
                    continue
                checked += 1
                assert _is_safe_url(value), f"{path}: <{element.tag} {name}={value!r}>"
    assert checked > 500


def test_inline_styles_hold_only_validated_values(xss_site: Path) -> None:
    styles = 0
    for path, tree in _pages(xss_site).items():
        for element in tree.xpath("//*[@style]"):
            for declaration in filter(None, element.get("style").split(";")):
                styles += 1
                assert STYLE_DECLARATION.fullmatch(declaration.strip()), f"{path}: {declaration}"
    assert styles > 50


def test_payload_text_round_trips_as_text(xss_site: Path) -> None:
    for number, payload in enumerate(MARKUP_PAYLOADS, 1):
        tree = lxml.html.fromstring((xss_site / "sessions" / f"{number}.html").read_bytes())
        assert tree.xpath("string(//h1)") == f"S{number - 1} {payload}"
        assert tree.xpath("string(//title)").startswith(f"S{number - 1} {payload} · ")


def test_template_syntax_in_data_is_not_evaluated(xss_site: Path) -> None:
    page = (xss_site / "sessions" / "24.html").read_text(encoding="utf-8")
    assert "<h1>S23 {{ 7*7 }}{% raw %}${7*7}</h1>" in page


def test_rich_text_keeps_harmless_markup_only(xss_site: Path) -> None:
    tree = lxml.html.fromstring((xss_site / "sessions" / "6.html").read_bytes())
    abstract = tree.xpath("//section[contains(@class, 'abstract')]")[0]
    links = abstract.xpath(".//a")
    assert [a.text for a in links] == ["click me"]
    assert links[0].get("href") is None


def test_calendar_has_no_injected_properties(xss_site: Path) -> None:
    calendar = icalendar.Calendar.from_ical((xss_site / "schedule.ics").read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == len(MARKUP_PAYLOADS) + 2
    for component in calendar.walk():
        assert "ATTACH" not in component and "X-INJECTED" not in component
    summaries = {str(e["SUMMARY"]) for e in events}
    assert " ".join(ICAL_INJECTION.split()) in {" ".join(s.split()) for s in summaries}
    assert f"S0 {MARKUP_PAYLOADS[0]}" in summaries
    raw = (xss_site / "schedule.ics").read_bytes().decode("utf-8")
    lines = raw.replace("\r\n ", "").split("\r\n")  # unfolded content lines
    names = {line.split(":", 1)[0].split(";", 1)[0] for line in lines if line}
    assert not {"ATTACH", "X-INJECTED"} & names
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(events)
    assert all("\n" not in line and "\r" not in line for line in lines)


def test_session_calendar_files_parse_with_one_event_each(xss_site: Path) -> None:
    for path in sorted((xss_site / "sessions").glob("*.ics")):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        assert len(calendar.walk("VEVENT")) == 1, path.name


def test_frab_xml_has_no_injected_elements(xss_site: Path) -> None:
    root = lxml.etree.fromstring((xss_site / "schedule.xml").read_bytes())
    assert not root.xpath("//evil")
    titles = [t.text for t in root.xpath("//event/title")]
    assert len(titles) == len(MARKUP_PAYLOADS) + 2
    assert XML_INJECTION in titles
    assert f"S0 {MARKUP_PAYLOADS[0]}" in titles


def test_frab_json_round_trips_the_payloads(xss_site: Path) -> None:
    data = json.loads((xss_site / "schedule.json").read_text(encoding="utf-8"))
    text = json.dumps(data, ensure_ascii=False)
    for number, payload in enumerate(MARKUP_PAYLOADS):
        assert json.dumps(f"S{number} {payload}", ensure_ascii=False) in text


def test_invalid_colours_never_reach_css(xss_site: Path) -> None:
    css = "".join(
        el.get("style") for tree in _pages(xss_site).values() for el in tree.xpath("//*[@style]")
    )
    for fragment in ("javascript", "expression", "url(j", "<", '"', "}", "#12345g"):
        assert fragment not in css
    assert "--track-bg:#e8eaf0" in css  # the default colour replaced every invalid one


def test_change_history_carries_payloads_as_text(xss_site: Path) -> None:
    page = lxml.html.fromstring((xss_site / "changes.html").read_bytes())
    titles = [t.text_content() for t in page.xpath("//*[contains(@class, 'change-title')]")]
    assert f"S0 {MARKUP_PAYLOADS[0]}" in titles
    feed = lxml.etree.fromstring((xss_site / "changes.xml").read_bytes())
    assert not feed.xpath("//evil") and not feed.xpath("//*[local-name()='script']")
    assert f"S0 {MARKUP_PAYLOADS[0]}" in "".join(feed.itertext())
    changes = json.loads((xss_site / "changes.json").read_text(encoding="utf-8"))
    assert f"S0 {MARKUP_PAYLOADS[0]}" in json.dumps(changes, ensure_ascii=False)
