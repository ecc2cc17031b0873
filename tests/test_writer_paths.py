"""The writer joins plain output paths as strings; the result must be what the general,
pathlib-based check makes of them, and anything else must still take the general path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.errors import OutputError
from eventsite.writer import _Folders, _lexical_target

PATHS = st.lists(
    st.sampled_from(["a", "b.html", ".", "..", "", ".x", "...", "c\\d", "e\x00", "ü", " "]),
    min_size=1,
    max_size=4,
).map("/".join) | st.text(alphabet="ab/.\\\x00", max_size=8)


@settings(max_examples=500, deadline=None)
@given(PATHS)
def test_a_target_is_what_the_pathlib_check_makes_of_it(tmp_path_factory, rel: str) -> None:
    root = tmp_path_factory.mktemp("site")
    folders = _Folders(root, fresh=True)
    try:
        expected = str(_lexical_target(root, rel))
    except OutputError:
        with pytest.raises(OutputError):
            folders.target(rel)
        return
    try:
        made = folders.target(rel)
    except OutputError:  # e.g. "a/.." is the root itself: its folder is outside
        assert Path(expected).parent.resolve() == root.parent.resolve() or rel.strip("/.") == ""
        return
    assert made == expected
    assert Path(made).parent.is_dir()
