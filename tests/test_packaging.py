"""The wheel carries the built-in themes and the sample export, and works when installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = dist.glob("eventsite-*.whl")
    return found


def test_wheel_contains_themes_and_sample(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "eventsite/themes/default/templates/base.html" in names
    assert "eventsite/themes/default/static/style.css" in names
    assert "eventsite/sample_exports/devconf-2026/event" in names
    assert not any(name.startswith("tests/") for name in names)


def test_installed_wheel_builds_the_sample(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
         str(wheel)],
        check=True,
        timeout=300,
    )  # fmt: skip
    # the wheel's copy shadows any source checkout; run from an empty folder
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "eventsite", "build", "-o", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import eventsite; print(eventsite.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.startswith(str(target))
    assert (tmp_path / "out" / "index.html").is_file()
    assert (tmp_path / "out" / "assets" / "style.css").is_file()
