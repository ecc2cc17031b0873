"""`serve` keeps image outcomes between rebuilds, keyed by each file's signature: a replaced,
removed or restored image file is seen at once, and warnings are reported on every rebuild."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

from conftest import SAMPLE
from PIL import Image
from test_incremental import assert_same_as_clean

from eventsite.build import BuildOptions
from eventsite.incremental import Rebuilder

PHOTO = Path("images/speakers/AnaKovac_1.png")


def _other_picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (200, 30, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_replaced_removed_and_restored_photos_reach_the_site(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    rebuilder = Rebuilder(BuildOptions(source=str(export), output=tmp_path / "site"))
    rebuilder.build_all()
    original = (export / PHOTO).read_bytes()

    (export / PHOTO).write_bytes(_other_picture())  # same name, other bytes
    stats = rebuilder.rebuild([export / PHOTO])
    assert any(path.startswith("media/") for path in stats.written)
    assert_same_as_clean(rebuilder, tmp_path)

    os.remove(export / PHOTO)
    stats = rebuilder.rebuild([export / PHOTO])
    assert any("AnaKovac_1.png" in issue.message for issue in stats.issues.issues)
    again = rebuilder.rebuild([export / "sessions"])  # the warning is not lost when reused
    assert any("AnaKovac_1.png" in issue.message for issue in again.issues.issues)
    assert_same_as_clean(rebuilder, tmp_path)

    (export / PHOTO).write_bytes(original)
    rebuilder.rebuild([export / PHOTO])
    assert_same_as_clean(rebuilder, tmp_path)
