"""The theme's code generator escapes plain str output in C: every template must render the
same text as with Jinja's own code generator, for every kind of value."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from eventsite.render.theme import OutputCodeGenerator, Theme

TEMPLATE = (
    "<p title=\"{{ v }}\">{{ v }}|{{ v ~ '&' }}|{{ w }}</p>"
    "{% set buf %}{{ v }}{% endset %}{{ buf }}"
    "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ m(v) }}"
    "{% for item in items %}{{ item }}{% if not loop.last %}, {% endif %}{% endfor %}"
    "{% filter upper %}{{ v }}{% endfilter %}"
    "{% autoescape false %}{{ v }}{% endautoescape %}"
)


class Text(str):
    """A str subclass that says it is HTML already: `escape` must still see it."""

    def __html__(self) -> str:
        return "<b>trusted</b>"


def environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    ours = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    ours.code_generator_class = OutputCodeGenerator
    plain = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return ours, plain


VALUES = st.one_of(
    st.text(alphabet=st.sampled_from(list("a<>&\"' é\n\x00")), max_size=12),
    st.integers(),
    st.none(),
    st.builds(Markup, st.text(alphabet=st.sampled_from(list("<b>&x")), max_size=8)),
    st.builds(Text, st.text(max_size=4)),
    st.lists(st.text(alphabet="<a&", max_size=3), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(v=VALUES, w=VALUES, items=st.lists(VALUES, max_size=3))
def test_output_is_the_same_as_with_jinjas_code_generator(v: Any, w: Any, items: list) -> None:
    ours, plain = environments()
    values = {"v": v, "w": w, "items": items}
    assert ours.from_string(TEMPLATE).render(values) == plain.from_string(TEMPLATE).render(values)


def test_undefined_output_still_fails() -> None:
    ours, _ = environments()
    with pytest.raises(jinja2.UndefinedError):
        ours.from_string("{{ missing }}").render()


def test_theme_environment_uses_it_and_escapes_data() -> None:
    env = Theme.load(None).environment()
    assert env.code_generator_class is OutputCodeGenerator
    html = env.from_string("{{ v }}").render(v="<script>\"x\" & 'y'</script>")
    assert html == "&lt;script&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/script&gt;"


class Thing:
    """Attributes of every kind a template reads: plain, a property that fails, a method."""

    def __init__(self, a: Any) -> None:
        self.a = a
        self.inner = self if a != "stop" else None

    @property
    def broken(self) -> str:
        raise AttributeError("computed lazily and absent")

    def shout(self, suffix: str) -> str:
        return f"{self.a}{suffix}"


PAGES = {
    "base.html": (
        "<h1>{{ title }}</h1>{% block body %}base {{ o.a }}{% endblock %}"
        "{% fragment 'item.html' with x=o %}|{{ o.inner.inner.a }}|{{ d.k }}|{{ d.items }}"
    ),
    "page.html": (
        "{% extends 'base.html' %}{% block body %}{{ super() }}<ul>{% for x in xs %}"
        "{% fragment 'item.html' with x=x %}{% if loop.first %}*{% endif %}{% endfor %}</ul>"
        "{% set buf %}{{ o.a }}{% fragment 'item.html' with x=o %}{% endset %}[{{ buf }}]"
        "{{ o.shout('!') }}{{ o.broken is defined }}{{ d.missing is defined }}{% endblock %}"
    ),
    "item.html": "<li>{{ x.a }}{{ title }}</li>",
}


def page_environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    from eventsite.render.fragments import FragmentExtension

    made = []
    for generator in (OutputCodeGenerator, None):
        env = jinja2.Environment(
            loader=jinja2.DictLoader(PAGES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=[FragmentExtension],
        )
        if generator is not None:
            env.code_generator_class = generator
        made.append(env)
    return made[0], made[1]


@settings(max_examples=100, deadline=None)
@given(a=VALUES, title=VALUES, xs=st.lists(VALUES, max_size=4), key=VALUES)
def test_pages_with_attributes_fragments_and_blocks_render_the_same(
    a: Any, title: Any, xs: list, key: Any
) -> None:
    values = {"o": Thing(a), "xs": [Thing(x) for x in xs], "title": title, "d": {"k": key}}
    ours, plain = page_environments()
    assert ours.get_template("page.html").render(values) == plain.get_template("page.html").render(
        values
    )


@pytest.mark.parametrize(
    "source", ["{{ o.nothing }}", "{{ o.nothing.deeper }}", "{{ o.broken }}", "{{ u.a }}"]
)
def test_missing_attributes_fail_the_same(source: str) -> None:
    ours, plain = page_environments()
    values = {"o": Thing("x")}
    with pytest.raises(jinja2.UndefinedError) as expected:
        plain.from_string(source).render(values)
    with pytest.raises(jinja2.UndefinedError) as got:
        ours.from_string(source).render(values)
    assert str(got.value) == str(expected.value)


def test_an_environment_subclass_still_sees_every_attribute_read() -> None:
    """The tracking environment of `eventsite serve` records reads in `getattr`."""
    reads: list[str] = []

    class Recording(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            reads.append(attribute)
            return super().getattr(obj, attribute)

    env = Recording(autoescape=True)
    env.code_generator_class = OutputCodeGenerator
    assert env.from_string("{{ o.a }}{{ o.inner.a }}").render(o=Thing("x")) == "xx"
    assert reads == ["a", "inner", "a"]


def test_subclass_environments_keep_their_compiled_code_apart(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    theme = Theme.load(None)

    class Subclass(jinja2.Environment):
        pass

    plain, sub = theme.environment(), theme.environment(Subclass)
    assert plain.bytecode_cache is not None and sub.bytecode_cache is not None
    assert plain.bytecode_cache.directory != sub.bytecode_cache.directory  # type: ignore[attr-defined]
