"""`eventsite serve` changes sessions in place when an edit touches only their own fields: the
site must still be byte for byte the one a clean build of the edited export writes, and every
edit it cannot prove to be such a one must take the whole path."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE
from test_incremental import Export, assert_same_as_clean

from eventsite.build import BuildOptions, build
from eventsite.incremental import Rebuilder
from eventsite.render.tracking import TrackingRenderer

Sessions = list[dict[str, Any]]


def _public(sessions: Sessions) -> Sessions:
    return [s for s in sessions if s["state"] in ("accepted", "confirmed")]


def _set(index: int, **fields: Any) -> Callable[[Sessions], None]:
    def change(sessions: Sessions) -> None:
        _public(sessions)[index].update(fields)

    return change


@pytest.fixture
def served(tmp_path: Path) -> tuple[Export, Rebuilder]:
    shutil.copytree(SAMPLE, tmp_path / "export")
    export = Export(tmp_path / "export")
    export.save("sessions", export.load("sessions"))  # in the style the edits write
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    return export, rebuilder


# (change, whether it is an edit of sessions' own fields only)
EDITS: list[tuple[Callable[[Sessions], None], bool]] = [
    (_set(0, title="A new title"), True),
    (
        _set(1, **{"long-abstract": "Now with *Markdown* and <b>HTML</b> & <script>x</script>"}),
        True,
    ),
    (_set(2, subtitle="A subtitle", language="Slovenian", level="Beginner"), True),
    (_set(3, **{"slides-url": "https://example.org/s", "video-url": "https://v.example/1"}), True),
    (_set(4, **{"short-abstract": "Short", "long-abstract": ""}), True),
    (lambda s: [_set(i, title=f"Two at once {i}")(s) for i in (5, 6)], True),
    (_set(7, title="Zzz last in its slot"), True),
    (_set(8, **{"long-abstract": "Mail me: someone@example.org"}), False),  # a new issue
    (_set(9, **{"starts-at": "2026-06-11T08:00:00+02:00"}), False),  # moves in the schedule
    (_set(10, state="draft"), False),
    (_set(11, title=""), False),  # no longer publishable
    (_set(12, speakers=[]), False),
    (_set(13, **{"audio-url": "https://example.org/a.mp3"}), False),  # media
    (lambda s: s.append(dict(s[0], id=9001, title="Added")), False),
    (_set(0, title="A new title, edited again"), True),
]


def _speaker(index: int, **fields: Any) -> Callable[[Sessions], None]:
    def change(speakers: Sessions) -> None:
        speakers[index].update(fields)

    return change


# (change of the speakers file, whether it is an edit of speakers' biographies only)
SPEAKER_EDITS: list[tuple[Callable[[Sessions], None], bool]] = [
    (_speaker(0, **{"short-biography": "Now a short line."}), True),
    (
        _speaker(
            1, **{"long-biography": "<p>With <b>HTML</b> &amp; *Markdown*</p><script>x</script>"}
        ),
        True,
    ),
    (lambda s: [_speaker(i, **{"long-biography": f"Bio {i} 😀 Über"})(s) for i in (2, 3)], True),
    (_speaker(4, **{"short-biography": "", "long-biography": ""}), True),
    (_speaker(5, **{"long-biography": "Call me on +49 170 1234567"}), False),  # a new issue
    (_speaker(6, name="Someone Else"), False),  # names order and show everywhere
    (_speaker(7, organisation="Elsewhere Ltd"), False),  # in the search index
    (_speaker(8, **{"photo-url": ""}), False),  # media
    (_speaker(9, sessions=[]), False),  # links
    (lambda s: s.append(dict(s[0], id=9001, name="Added")), False),
    (_speaker(0, **{"short-biography": "Edited again."}), True),
]


@pytest.mark.parametrize("document", ["sessions", "speakers"])
def test_in_place_edits_match_clean_builds(
    served: tuple[Export, Rebuilder], tmp_path: Path, document: str
) -> None:
    export, rebuilder = served
    export.save(document, export.load(document))  # in the style the edits write
    rebuilder.rebuild([export.root / document])
    for change, in_place in EDITS if document == "sessions" else SPEAKER_EDITS:
        stats = rebuilder.rebuild([export.edit(document, change)])
        assert stats.patched is in_place, change
        assert stats.rendered
        assert_same_as_clean(rebuilder, tmp_path)


def test_the_same_session_edited_again_and_again_stays_in_place(
    served: tuple[Export, Rebuilder], tmp_path: Path
) -> None:
    """An editor saves one session many times: each save after a patched one is patched too."""
    export, rebuilder = served
    for round_ in range(3):
        for change in (
            _set(0, title=f"Draft title {round_}"),
            _set(0, **{"long-abstract": f"Abstract, draft {round_}"}),
        ):
            stats = rebuilder.rebuild([export.edit("sessions", change)])
            assert stats.patched, (round_, change)
            assert_same_as_clean(rebuilder, tmp_path)


def test_a_retitle_that_changes_the_schedule_order_takes_the_whole_path(
    served: tuple[Export, Rebuilder], tmp_path: Path
) -> None:
    export, rebuilder = served
    first = _public(export.load("sessions"))[0]
    same_slot = {key: first[key] for key in ("starts-at", "ends-at", "microlocation")}
    rebuilder.rebuild([export.edit("sessions", _set(1, title="Mmm", **same_slot))])
    assert_same_as_clean(rebuilder, tmp_path)
    stats = rebuilder.rebuild([export.edit("sessions", _set(1, title="Mmn"))])
    assert stats.patched  # still before the first session's title in that room and slot
    assert_same_as_clean(rebuilder, tmp_path)
    stats = rebuilder.rebuild([export.edit("sessions", _set(1, title="\x01 before"))])
    assert stats.patched  # before it still
    assert_same_as_clean(rebuilder, tmp_path)
    stats = rebuilder.rebuild([export.edit("sessions", _set(1, title="Zzz after"))])
    assert not stats.patched
    assert_same_as_clean(rebuilder, tmp_path)


def test_random_in_place_edits_match_clean_builds(
    served: tuple[Export, Rebuilder], tmp_path: Path
) -> None:
    export, rebuilder = served
    rng = random.Random(7)
    words = ["graph", "Über", "<em>x</em>", "a & b", "</script>", "# head", "rust", "😀", ""]
    fields = ["title", "subtitle", "short-abstract", "long-abstract", "language", "level"]
    count = len(_public(export.load("sessions")))
    for _ in range(12):
        picks = {rng.randrange(count): rng.choice(fields) for _ in range(rng.choice((1, 1, 3)))}

        def change(sessions: Sessions, picks: dict[int, str] = picks) -> None:
            for index, name in picks.items():
                text = " ".join(rng.choices(words, k=rng.randrange(1, 6))).strip() or "t"
                _public(sessions)[index][name] = text

        rebuilder.rebuild([export.edit("sessions", change)])
        assert_same_as_clean(rebuilder, tmp_path)


def test_a_failed_in_place_rebuild_changes_nothing(
    served: tuple[Export, Rebuilder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, rebuilder = served
    before = dict(rebuilder.files)
    render, splice = TrackingRenderer.render_tracked, TrackingRenderer.splice
    calls = 0

    def failing(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 3:  # after pages made of the edited session, spliced or rendered
                raise RuntimeError("boom")
            return real(*args)

        return call

    monkeypatch.setattr(TrackingRenderer, "render_tracked", failing(render))
    monkeypatch.setattr(TrackingRenderer, "splice", failing(splice))
    with pytest.raises(RuntimeError):
        rebuilder.rebuild([export.edit("sessions", _set(0, title="Never shown"))])
    assert calls == 3
    assert dict(rebuilder.files) == before
    monkeypatch.setattr(TrackingRenderer, "render_tracked", render)
    monkeypatch.setattr(TrackingRenderer, "splice", splice)
    path = export.edit("sessions", _set(1, title="Shown"))
    rebuilder.rebuild([path])  # both edits now, and nothing of the failed attempt
    assert_same_as_clean(rebuilder, tmp_path)


def test_deferred_writes_reach_the_disk_on_flush_or_with_the_next_rebuild(
    served: tuple[Export, Rebuilder], tmp_path: Path
) -> None:
    export, rebuilder = served
    page = rebuilder.output / "schedule" / "index.html"
    before = page.read_bytes()
    stats = rebuilder.rebuild([export.edit("sessions", _set(0, title="Later"))], defer_writes=True)
    assert "schedule/index.html" in stats.written
    assert page.read_bytes() == before  # not yet on disk, already in `files`
    assert rebuilder.files["schedule/index.html"] != before
    rebuilder.flush()
    assert_same_as_clean(rebuilder, tmp_path)
    rebuilder.rebuild([export.edit("sessions", _set(1, title="Sooner"))], defer_writes=True)
    rebuilder.rebuild([export.edit("sessions", _set(2, title="Next"))])  # flushes first
    assert_same_as_clean(rebuilder, tmp_path)


def test_an_unscheduled_session_is_edited_in_place(
    served: tuple[Export, Rebuilder], tmp_path: Path
) -> None:
    export, rebuilder = served
    rebuilder.rebuild([export.edit("sessions", _set(3, **{"starts-at": None}))])
    stats = rebuilder.rebuild([export.edit("sessions", _set(3, title="Some day, maybe"))])
    assert stats.patched
    assert_same_as_clean(rebuilder, tmp_path)


def test_in_place_edits_equal_the_whole_path_over_a_published_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")  # both record the same revision time
    shutil.copytree(SAMPLE, tmp_path / "export")
    export = Export(tmp_path / "export")
    export.save("sessions", export.load("sessions"))
    titles = [s["title"] for s in _public(export.load("sessions"))[:3]]
    build(BuildOptions(source=str(export.root), output=tmp_path / "a"))
    export.edit("sessions", _set(0, title="Published, then retitled"))
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    in_place = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "a"))
    whole = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "b"))
    monkeypatch.setattr(whole, "_patch", lambda *args: None)
    in_place.build_all()
    whole.build_all()
    edits = [
        (_set(1, **{"long-abstract": "Only the abstract"}), True),  # same revisions
        (_set(2, title="Retitled since publishing"), True),  # a new change to record
        (_set(1, **{"long-abstract": "The abstract again"}), True),
        (_set(2, title="Retitled again"), True),  # the change recorded differently
        (_set(0, title=titles[0]), True),  # as published: one change less
        (_set(2, title=titles[2]), False),  # no change left: the menu loses "Changes"
        (_set(2, title="Retitled once more"), False),  # and gets it back
        (_set(1, **{"long-abstract": "And again"}), True),
    ]
    for change, in_place_expected in edits:
        path = export.edit("sessions", change)
        stats = in_place.rebuild([path])
        assert stats.patched is in_place_expected
        if in_place_expected:  # no page but the changes page shows the history's changes
            assert len(stats.rendered) < stats.pages / 8
        assert not whole.rebuild([path]).patched
        assert dict(in_place.files) == dict(whole.files)


def test_a_retitle_splices_the_list_pages_and_renders_only_the_session_page(
    served: tuple[Export, Rebuilder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule, day, track, room and speaker pages show the session only through
    fragments: their bytes are spliced, and equal what a render makes."""
    export, rebuilder = served
    render = TrackingRenderer.render_tracked
    rendered: list[str] = []

    def noting(self: TrackingRenderer, page: Any) -> Any:
        rendered.append(page.path)
        return render(self, page)

    monkeypatch.setattr(TrackingRenderer, "render_tracked", noting)
    for title in ("Spliced once", "Spliced twice"):
        rendered.clear()
        stats = rebuilder.rebuild([export.edit("sessions", _set(0, title=title))])
        assert stats.patched
        assert len(rendered) == 1 and rendered[0].startswith("sessions/")
        assert {"schedule/index.html", *rendered} < set(stats.rendered)
        assert_same_as_clean(rebuilder, tmp_path)


def test_a_theme_that_outputs_a_fragment_twice_gets_its_pages_rendered(
    tmp_path: Path,
) -> None:
    """Markup kept in a variable may be output more than once (or changed): such a page is
    rendered again, never spliced."""
    shutil.copytree(SAMPLE, tmp_path / "export")
    export = Export(tmp_path / "export")
    export.save("sessions", export.load("sessions"))  # in the style the edits write
    theme = tmp_path / "copying"
    (theme / "templates").mkdir(parents=True)
    (theme / "theme.json").write_text('{"extends": "default"}')
    (theme / "templates" / "track.html").write_text(
        '{% extends "default/track.html" %}{% block content %}{% for s in track.sessions %}'
        '{% set m %}{% fragment "partials/session_item.html" with s=s %}{% endset %}'
        "{{ m }}<!-- {{ m|striptags }} -->{% endfor %}{% endblock %}"
    )
    options = BuildOptions(source=str(export.root), output=tmp_path / "site", theme=str(theme))
    rebuilder = Rebuilder(options)
    rebuilder.build_all()
    stats = rebuilder.rebuild([export.edit("sessions", _set(0, title="Copied title"))])
    assert stats.patched
    assert_same_as_clean(rebuilder, tmp_path, theme)


def test_a_speaker_edit_after_a_session_edit_and_back(
    served: tuple[Export, Rebuilder], tmp_path: Path
) -> None:
    """Patches of both files take turns; each starts from what the other left."""
    export, rebuilder = served
    export.save("speakers", export.load("speakers"))
    rebuilder.rebuild([export.root / "speakers"])
    for round_ in range(2):
        stats = rebuilder.rebuild([export.edit("sessions", _set(0, title=f"Turn {round_}"))])
        assert stats.patched
        change = _speaker(0, **{"long-biography": f"<p>Turn {round_}</p>"})
        stats = rebuilder.rebuild([export.edit("speakers", change)])
        assert stats.patched
        assert_same_as_clean(rebuilder, tmp_path)
