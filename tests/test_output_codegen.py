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
