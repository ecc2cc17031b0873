"""Templates compiled in the background before a build renders: the renderer then compiles
nothing, the pages are the same bytes, broken templates no page uses do not matter, and the
thread is gone before render workers are forked."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import jinja2
import pytest
from conftest import SAMPLE
from sitecheck import site_files

from eventsite import build as pipeline
from eventsite.caches import CACHE_VARIABLE
from eventsite.errors import ThemeError
from eventsite.render import filters
from eventsite.render.theme import Theme


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Names of the templates any environment compiles from now on."""
    names: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(env: jinja2.Environment, source: Any, name: str | None = None, *a: Any) -> Any:
        names.append(name)
        return original(env, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_VARIABLE, str(folder))
    return folder


def renderer_environment(theme: Theme) -> jinja2.Environment:
    """Set up as `HtmlRenderer` sets up its environment."""
    env = theme.environment()
    filters.install(env)
    return env


def test_precompiled_templates_are_not_compiled_again(
    cache_dir: Path, compiled: list[str | None]
) -> None:
    theme = Theme.load(None)
    theme.precompile().wait()
    assert any(cache_dir.rglob("*.cache"))
    assert "base.html" in compiled
    compiled.clear()
    env = renderer_environment(theme)
    names = env.loader.loaders[0].list_templates()  # type: ignore[union-attr]
    assert "base.html" in names and "session.html" in names
    for name in names:
        env.get_template(name)
    assert compiled == []


def test_a_second_precompile_compiles_nothing(cache_dir: Path, compiled: list[str | None]) -> None:
    Theme.load(None).precompile().wait()
    compiled.clear()
    Theme.load(None).precompile().wait()
    assert compiled == []


def test_site_is_the_same_with_and_without_precompiled_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = []
    for run, cache in enumerate([tmp_path / "cache", tmp_path / "not-a-folder"]):
        if run == 1:
            cache.write_text("")  # no cache folder can be made: every template compiles inline
        monkeypatch.setenv(CACHE_VARIABLE, str(cache))
        out = tmp_path / f"site-{run}"
        pipeline.build(pipeline.BuildOptions(source=str(SAMPLE), output=out, jobs=1))
        sites.append(site_files(out))
    assert sites[0] == sites[1]


def test_broken_templates_fail_the_build_only_when_used(tmp_path: Path, cache_dir: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "unused.html").write_text("{% if %}never rendered")
    out = tmp_path / "site"
    options = pipeline.BuildOptions(source=str(SAMPLE), output=out, theme=str(theme), jobs=1)
    pipeline.build(options)
    assert (out / "index.html").is_file()
    shutil.rmtree(out)
    (theme / "templates" / "session.html").write_text("{% for %}broken")
    with pytest.raises(ThemeError, match=r"session\.html"):
        pipeline.build(options)


def test_the_compiling_thread_is_gone_before_rendering(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiling_at_render: list[bool] = []
    job_count = pipeline.job_count

    def spy(pages: int, requested: int | None = None) -> int:
        alive = {thread.name for thread in threading.enumerate()}
        compiling_at_render.append("templates" in alive)
        return job_count(pages, requested)

    original = jinja2.Environment.compile

    def slow_compile(env: jinja2.Environment, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)  # compiling outlasts loading and images
        return original(env, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", slow_compile)
    monkeypatch.setattr(pipeline, "job_count", spy)
    pipeline.build(pipeline.BuildOptions(source=str(SAMPLE), output=tmp_path / "site", jobs=2))
    assert compiling_at_render == [False]
