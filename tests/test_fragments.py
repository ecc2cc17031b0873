"""Markup made once and reused (`{% fragment %}`, text and time caches) is exactly the markup
rendering every time would make, and pages record the same inputs for incremental rebuilds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jinja2
import markdown
import nh3
import pytest
from conftest import SAMPLE
from hostile_corpus import MARKUP_PAYLOADS, URL_PAYLOADS
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from eventsite import urls
from eventsite.build import load_graph
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.model.text import (
    SANITISER_OPTIONS,
    _markdown_converter,
    _sanitiser,
    has_visible_text,
)
from eventsite.render import filters
from eventsite.render.fragments import FragmentExtension, reset_fragments
from eventsite.render.pages import HtmlRenderer, plan_pages
from eventsite.render.theme import Theme
from eventsite.render.tracking import TrackingRenderer
from eventsite.render.view import SiteView, build_view

PARTIALS = {
    # reads a context variable by name, `root` through a context function, and a loop local
    "item.html": '<li data-x="{{ x }}">{{ link("p.html") }} {{ page_path }}</li>\n',
    "outer.html": "[{% include 'inner.html' %}]\n",
    "inner.html": "{{ y }}{% if z is defined %}/{{ z }}{% endif %}\n",
    "indented.html": "<a>\n  {% if x %}{{ x }}{% endif %}\n</a>\n",
}


@jinja2.pass_context
def _link(context: jinja2.runtime.Context, path: str) -> str:
    return context["root"] + path


def _environment(extra: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({**PARTIALS, **extra}),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        extensions=[FragmentExtension],
    )
    env.globals["link"] = _link
    return env


def _pair(body: str) -> tuple[jinja2.Template, jinja2.Template]:
    """The same page with `{% include %}` and with `{% fragment %}`."""
    include = re.sub(r" WITH [^%+]*", " ", body.replace("FRAGMENT", "include"))
    fragment = body.replace("FRAGMENT", "fragment").replace(" WITH", " with")
    env = _environment({"include.html": include, "fragment.html": fragment})
    return env.get_template("include.html"), env.get_template("fragment.html")


values = st.one_of(st.text(max_size=5), st.integers(0, 3), st.booleans())


@settings(max_examples=60, deadline=None)
@given(pages=st.lists(st.tuples(st.sampled_from(["", "../"]), values, values), max_size=6))
def test_a_fragment_renders_as_an_include_would_on_every_page(
    pages: list[tuple[str, Any, Any]],
) -> None:
    include, fragment = _pair(
        "<ul>\n{% for x in xs %}  {% FRAGMENT 'item.html' WITH x=x %}\n{% endfor %}</ul>\n"
        "  {% FRAGMENT 'outer.html' %}\nend\n    {%+ FRAGMENT 'indented.html' WITH x=x +%}\n"
    )
    for root, x, y in pages:  # one environment: later pages reuse earlier markup
        context = {"root": root, "xs": [x, y, x], "page_path": f"{root}p", "y": y, "x": x}
        assert fragment.render(context) == include.render(context)


def test_the_key_covers_variables_of_included_templates() -> None:
    _, fragment = _pair("{% FRAGMENT 'outer.html' %}")
    assert fragment.render(root="", y="a") == "[a]"
    assert fragment.render(root="", y="b") == "[b]"
    assert fragment.render(root="", y="b", z=1) == "[b/1]"


def test_markup_and_text_of_the_same_characters_are_different_inputs() -> None:
    _, fragment = _pair("{% FRAGMENT 'inner.html' %}")
    assert fragment.render(y=Markup("<b>")) == "<b>"
    assert fragment.render(y="<b>") == "&lt;b&gt;"


def test_a_page_variable_that_shadows_a_global_is_part_of_the_key() -> None:
    env = _environment({"page.html": "{% fragment 'inner.html' %}"})
    env.globals["y"] = "global"
    page = env.get_template("page.html")
    assert page.render() == "global"
    assert page.render(y="page") == "page"
    assert page.render() == "global"


def test_unhashable_values_render_every_time() -> None:
    _, fragment = _pair("{% FRAGMENT 'inner.html' %}")
    shown = [1]
    assert fragment.render(y=shown) == "[1]"
    shown.append(2)
    assert fragment.render(y=shown) == "[1, 2]"


def test_an_undefined_with_value_renders_as_an_include_would() -> None:
    _, fragment = _pair("{% FRAGMENT 'inner.html' WITH z=nothing %}")
    assert fragment.render(y="a") == "a"


def test_reset_forgets_the_markup() -> None:
    env = _environment({"page.html": "{% fragment 'inner.html' %}"})
    env.globals["y"] = "old"
    assert env.get_template("page.html").render() == "old"
    env.globals["y"] = "new"  # a new view: globals are not part of the key
    reset_fragments(env)
    assert env.get_template("page.html").render() == "new"


def test_a_fragment_shown_once_renders_as_an_include_would_and_is_not_kept() -> None:
    env = _environment(
        {
            "include.html": "{% for x in xs %}{% include 'item.html' %}{% endfor %}",
            "once.html": "{% for x in xs %}{% fragment 'item.html' once with x=x %}{% endfor %}",
        }
    )
    context = {"root": "../", "xs": [1, "a", 1], "page_path": "p"}
    once = env.get_template("once.html").render(context)
    assert once == env.get_template("include.html").render(context)
    assert not env.extensions[FragmentExtension.identifier].entries()


def _sample_view() -> SiteView:
    issues = IssueLog()
    raw, graph = load_graph(str(SAMPLE), issues)
    media = MediaResolver(raw.media, issues, resize=False)
    return build_view(graph, media, urls.BaseUrl.parse("https://example.org/"))


def test_pages_record_the_same_inputs_whether_fragments_are_made_or_reused() -> None:
    view = _sample_view()
    pages = plan_pages(view)
    theme = Theme.load(None)

    def render_all(order: list[Any], fresh_each_page: bool) -> dict[str, tuple[bytes, Any]]:
        renderer = TrackingRenderer(theme, view, [("Schedule", urls.SCHEDULE)])
        results = {}
        for page in order:
            if fresh_each_page:
                reset_fragments(renderer.env)
            results[page.path] = renderer.render_tracked(page)
        return results

    made = render_all(pages, fresh_each_page=True)
    built = HtmlRenderer(theme, view, [("Schedule", urls.SCHEDULE)])
    assert {path: page[0] for path, page in made.items()} == {
        page.path: built.render(page) for page in pages
    }
    # a build keeps no day-grid box (`once`); serve keeps them, to remake only what an edit changed
    kept = {key[0] for key in built.env.extensions[FragmentExtension.identifier].entries()}
    assert "partials/session_item.html" in kept and "partials/grid_session.html" not in kept
    tracking = TrackingRenderer(theme, view, [("Schedule", urls.SCHEDULE)])
    for page in pages:
        tracking.render_tracked(page)
    kept = {key[0] for key in tracking.env.extensions[FragmentExtension.identifier].entries()}
    assert "partials/grid_session.html" in kept
    reused = render_all(pages, fresh_each_page=False)
    reversed_order = render_all(pages[::-1], fresh_each_page=False)
    assert made == reused == reversed_order
    item_reads = {key for _, keys in made.values() for key in keys if key[0] == "session"}
    assert any(key[2:] == ("title",) for key in item_reads)  # attributes, not whole sessions


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(hours=2), timedelta(hours=-7)])
def test_iso_times_of_the_same_instant_in_other_zones_differ(offset: timedelta) -> None:
    moment = datetime(2026, 6, 11, 12, 0, tzinfo=UTC)
    same_instant = moment.astimezone(timezone(offset))
    assert filters.iso(moment) == moment.isoformat()
    assert filters.iso(same_instant) == same_instant.isoformat()
    assert filters.iso(moment) == moment.isoformat()


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["<", ">", "&", "nbsp;", "#160;", " ", "\n", "\u00a0", "a", "<p>", "&nbsp;"]
        ),
        max_size=10,
    ).map("".join)
)
def test_visible_text_check_matches_removing_the_invisible_parts(value: str) -> None:
    assert has_visible_text(value) == bool(re.sub(r"<[^>]*>|&nbsp;|&#160;|\s", "", value))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.sampled_from(MARKUP_PAYLOADS + URL_PAYLOADS), st.text(max_size=60)))
def test_the_reused_sanitiser_cleans_as_nh3_clean_does(value: str) -> None:
    assert _sanitiser()(value) == nh3.clean(value, **SANITISER_OPTIONS)


_BY_NAME = markdown.Markdown(extensions=["nl2br", "sane_lists"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["* ", "1. ", "- ", "**b**", "_i_", "`c`", "# h", "[a](http://x)", "\n", "x "]
        ),
        max_size=12,
    ).map("".join)
)
def test_the_markdown_converter_made_of_extension_objects_converts_as_by_name(text: str) -> None:
    assert _markdown_converter().reset().convert(text) == _BY_NAME.reset().convert(text)


@pytest.mark.parametrize(
    ("page", "streams"),
    [
        ("{% for x in xs %}{% fragment 'item.html' with x=x %}{% endfor %}", True),
        ("{% set y = 1 %}{% if y %}{% fragment 'outer.html' %}{% endif %}", True),
        ("{% include 'streaming.html' %}", True),
        ("{% set m %}{% fragment 'item.html' with x=1 %}{% endset %}{{ m }}{{ m }}", False),
        ("{% macro f() %}{% fragment 'item.html' with x=1 %}{% endmacro %}{{ f() }}", False),
        ("{% filter upper %}{% fragment 'item.html' with x=1 %}{% endfilter %}", False),
        ("{% set m %}{% include 'streaming.html' %}{% endset %}{{ m }}", False),
        ("{% include 'copying.html' %}", False),
        ("{% extends 'streaming.html' %}{% block b %}{{ super() }}{% endblock %}", False),
        ("{% block b %}{% fragment 'outer.html' %}{% endblock %}{{ self.b() }}", False),
    ],
)
def test_a_page_streams_its_fragments_only_when_each_is_output_once_as_it_is(
    page: str, streams: bool
) -> None:
    env = _environment(
        {
            "page.html": page,
            "streaming.html": "{% block b %}{% fragment 'outer.html' %}{% endblock %}",
            "copying.html": "{% set m %}{% fragment 'outer.html' %}{% endset %}{{ m }}",
        }
    )
    extension = next(iter(env.extensions.values()))
    assert isinstance(extension, FragmentExtension)
    assert extension.streams("page.html") is streams
