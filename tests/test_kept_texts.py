"""Sanitised rich text kept between builds must be exactly what sanitising makes, and a
damaged or foreign file must only cost the sanitising again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsite.model import text

RICH = st.lists(
    st.sampled_from(
        ["<p>", "</p>", "<h1>", "<script>x</script>", "*a*", "\n\n", "  ", "&nbsp;", "é", "x"]
    ),
    max_size=12,
).map("".join)


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[Path]:
    text.rich_text.cache_clear()
    text.keep_sanitised_texts(str(tmp_path))
    yield tmp_path
    text.save_sanitised_texts()
    text.rich_text.cache_clear()


def _reload(folder: Path) -> None:
    text.save_sanitised_texts()
    text.rich_text.cache_clear()
    text.keep_sanitised_texts(str(folder))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.one_of(RICH, st.text(max_size=20)), max_size=5))
def test_kept_texts_read_back_as_sanitising_makes_them(
    kept: Path, values: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = [text._sanitised(v) if v.strip() else "" for v in values]
    assert [text.rich_text(v) for v in values] == expected
    _reload(kept)
    monkeypatch.setattr(text, "_sanitised", lambda value: pytest.fail(f"sanitised {value!r}"))
    assert [text.rich_text(v) for v in values] == expected
    monkeypatch.undo()


def test_a_damaged_file_is_ignored(kept: Path) -> None:
    assert text.rich_text("*one*") == "<p><em>one</em></p>"
    _reload(kept)
    (file,) = kept.iterdir()
    file.write_bytes(b"not marshal data")
    _reload(kept)
    assert text.rich_text("*one*") == "<p><em>one</em></p>"


def test_nothing_is_written_when_nothing_new_was_sanitised(kept: Path) -> None:
    text.rich_text("*one*")
    _reload(kept)
    (file,) = kept.iterdir()
    before = file.stat().st_mtime_ns
    text.rich_text("*one*")
    _reload(kept)
    assert file.stat().st_mtime_ns == before


def test_without_a_folder_nothing_is_kept() -> None:
    text.keep_sanitised_texts(None)
    text.rich_text.cache_clear()
    assert text.rich_text("<p>two</p>") == "<p>two</p>"
    text.save_sanitised_texts()
