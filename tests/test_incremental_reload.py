"""`eventsite serve` reloads an edited export reusing what did not change: the result must be
what a fresh load gives, value for value (types included) and issue for issue."""

from __future__ import annotations

import codecs
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE
from hypothesis import given
from hypothesis import strategies as st
from test_incremental import Export, assert_same_as_clean

from eventsite import reload
from eventsite.build import BuildOptions
from eventsite.errors import SourceError
from eventsite.incremental import Rebuilder
from eventsite.issues import IssueLog
from eventsite.model.entities import Session, Speaker
from eventsite.reload import DocumentMemo, RecordMemo, copy_entity
from eventsite.sources.base import MAX_STRING_CHARS, parse_document


def _typed(value: Any) -> str:
    """JSON text that tells 1, 1.0 and true apart (== does not)."""
    return json.dumps(value, sort_keys=True)


def _fresh(name: str, data: bytes) -> tuple[str, list[str]] | str:
    issues = IssueLog()
    try:
        return _typed(parse_document(name, data, "f", issues)), [str(i) for i in issues]
    except SourceError as exc:
        return f"error: {exc}"


def _memo(memo: DocumentMemo, name: str, data: bytes) -> tuple[str, list[str]] | str:
    issues = IssueLog()
    try:
        return _typed(memo.parse(name, data, "f", issues)), [str(i) for i in issues]
    except SourceError as exc:
        return f"error: {exc}"


def _records(count: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "title": f"Talk {i} é", "level": 1, "state": "accepted", "tags": [i, "x"]}
        for i in range(count)
    ]


def _dump(items: Any, indent: int | None = 1, ascii_only: bool = True) -> bytes:
    return json.dumps(items, indent=indent, ensure_ascii=ascii_only).encode("utf-8")


# each edit turns the bytes of a sessions file into other bytes
TextEdit = Callable[[bytes], bytes]


def _via_json(change: Callable[[list[Any]], Any], **dump: Any) -> TextEdit:
    def edit(data: bytes) -> bytes:
        items = json.loads(data)
        result = change(items)
        return _dump(items if result is None else result, **dump)

    return edit


EDITS: dict[str, TextEdit] = {
    "title in the middle": _via_json(lambda s: s[7].update(title="New")),
    "first item": _via_json(lambda s: s[0].update(title="First")),
    "last item": _via_json(lambda s: s[-1].update(title="Last")),
    "int to true": _via_json(lambda s: s[5].update(level=True)),
    "int to float": _via_json(lambda s: s[5].update(level=1.0)),
    "inserted": _via_json(lambda s: s.insert(4, {"id": 99, "title": "In"})),
    "appended": _via_json(lambda s: s.append({"id": 98})),
    "removed": _via_json(lambda s: s.pop(3)),
    "removed last": _via_json(lambda s: s.pop()),
    "emptied": _via_json(lambda s: []),
    "swapped": _via_json(lambda s: s.insert(0, s.pop(9))),
    "two apart": _via_json(lambda s: [s[1].update(title="A"), s[15].update(title="B")] and s),
    "compact": _via_json(lambda s: None, indent=None),
    "not ascii": _via_json(lambda s: s[2].update(title="Ünïcödé"), ascii_only=False),
    "an object": _via_json(lambda s: {"sessions": s}),
    "a number item": _via_json(lambda s: s.insert(3, 12)),
    "surrogate escape": lambda d: d.replace(b'"Talk 6 ', b'"\\ud83d\\ude00 '),
    "lone surrogate": lambda d: d.replace(b'"Talk 6 ', b'"\\ud83d '),
    "long string": _via_json(lambda s: s[6].update(title="y" * (MAX_STRING_CHARS + 5))),
    "not utf-8": lambda d: d.replace(b"Talk 6", b"Talk \xff"),
    "bom": lambda d: codecs.BOM_UTF8 + d,
    "broken": lambda d: d.replace(b'"title": "Talk 6', b'"title": Talk 6'),
    "truncated": lambda d: d[: len(d) // 2],
    "trailing junk": lambda d: d + b" x",
    "trailing space": lambda d: d + b"\n\n",
    "number grows": lambda d: d.replace(b'"tags": [\n   6,', b'"tags": [\n   67,'),
    "whitespace only": lambda d: d.replace(b",\n {", b" ,\n\n {"),
    "same bytes": lambda d: d,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_reparsed_file_equals_a_fresh_parse(edit: str) -> None:
    before = _dump(_records(20))
    after = EDITS[edit](before)
    memo = DocumentMemo()
    assert _memo(memo, "sessions", before) == _fresh("sessions", before)
    assert _memo(memo, "sessions", after) == _fresh("sessions", after)
    # and once more from there (the memo of an edited file is reused in turn)
    again = _dump(_records(20))
    assert _memo(memo, "sessions", again) == _fresh("sessions", again)


def test_unchanged_items_are_the_objects_parsed_before() -> None:
    memo = DocumentMemo()
    before = _dump(_records(200))
    old = memo.parse("sessions", before, "f", IssueLog())
    items = json.loads(before)
    items[120]["title"] = "Changed"
    new = memo.parse("sessions", _dump(items), "f", IssueLog())
    assert new == items
    assert [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a is not b] == [120]
    assert memo.reparsed["sessions"] == 1
    items.insert(50, {"id": "new"})
    newer = memo.parse("sessions", _dump(items), "f", IssueLog())
    assert newer == items
    assert memo.reparsed["sessions"] == 1  # only the inserted item is parsed


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_items_are_reused_in_files_of_other_scripts_with_or_without_a_bom(bom: bytes) -> None:
    memo = DocumentMemo()
    items = _records(50)
    before = bom + _dump(items, ascii_only=False)
    old = memo.parse("sessions", before, "f", IssueLog())
    items[30]["title"] = "Ünïcödé 😀 talk"
    after = bom + _dump(items, ascii_only=False)
    new = memo.parse("sessions", after, "f", IssueLog())
    assert (_typed(new), []) == _fresh("sessions", after)
    assert new == items
    assert [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a is not b] == [30]
    assert memo.reparsed["sessions"] == 1


def test_random_byte_edits_parse_like_a_fresh_parse() -> None:
    rng = random.Random(7)
    memo = DocumentMemo()
    data = _dump(_records(60), ascii_only=False)
    memo.parse("sessions", data, "f", IssueLog())
    alphabet = b' \n,:[]{}"\\01eE.-truefalsnul\xc3\xa9\xff'
    for _ in range(400):
        edited = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(edited))
            if rng.random() < 0.5:
                edited[at : at + rng.randint(0, 3)] = bytes(
                    rng.choices(alphabet, k=rng.randint(0, 3))
                )
            else:
                del edited[at : at + rng.randint(1, 40)]
        result = _memo(memo, "sessions", bytes(edited))
        assert result == _fresh("sessions", bytes(edited))
        if not isinstance(result, str):
            data = bytes(edited)


def test_an_unchanged_record_gives_a_copy_of_its_entity() -> None:
    memo = RecordMemo()
    record: dict[str, Any] = {"id": 1}
    made: list[Session] = []

    def make() -> Session:
        made.append(Session(id="1", title="T", state="accepted"))
        return made[-1]

    for _ in range(3):
        memo.start(IssueLog())
        first = memo("sessions", 0, record, ("zone",), make)
        memo.finish()
        first.title = "changed by redaction"
        first.speakers.append(Speaker(id="s", name="S"))
    assert len(made) == 1  # normalised once, then copied
    memo.start(IssueLog())
    again = memo("sessions", 0, record, ("zone",), make)
    assert (again.title, again.speakers) == ("T", [])
    memo("sessions", 0, dict(record), ("zone",), make)  # an equal record, another object
    memo("sessions", 0, record, ("other zone",), make)
    assert len(made) == 3


def test_copy_entity_keeps_fields_and_unshares_lists() -> None:
    speaker = Speaker(id="1", name="A", session_ids=["1", "2"])
    copy = copy_entity(speaker)
    assert copy is not speaker and (copy.id, copy.name, copy.session_ids) == ("1", "A", ["1", "2"])
    copy.session_ids.append("3")
    assert speaker.session_ids == ["1", "2"]


def _set(index: int, **fields: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(sessions: list[dict[str, Any]]) -> None:
        public = [s for s in sessions if s["state"] in ("accepted", "confirmed")]
        public[index % len(public)].update(fields)

    return change


# (file, change, how it is written: indented UTF-8, indented ASCII with escapes, compact)
SITE_EDITS: list[tuple[str, Callable[[Any], Any], dict[str, Any]]] = [
    ("sessions", _set(0, title="A new title"), {}),
    ("sessions", _set(1, **{"long-abstract": "<p>Mail me: someone@example.org</p>"}), {}),
    ("sessions", _set(2, state="draft"), {}),
    ("sessions", _set(3, **{"starts-at": None}), {}),
    ("sessions", lambda s: s.append(dict(s[0], id=7001, title="Added", state="accepted")), {}),
    ("sessions", lambda s: s.pop(0), {}),
    ("sessions", _set(4, title="\U0001f600 emoji"), {"ensure_ascii": True}),
    ("sessions", _set(4, title="\U0001f600 emoji, again"), {"ensure_ascii": True}),
    ("speakers", lambda s: s[0].update(name="Renamed speaker"), {}),
    ("speakers", lambda s: s.pop(), {}),
    ("tracks", lambda s: s.reverse(), {}),
    ("microlocations", lambda s: s[0].update(name="Another room"), {}),
    ("sessions", _set(5, title="Same file, compact"), {"separators": (",", ":")}),
    ("sessions", _set(6, title="Indented again"), {}),
]


def test_edits_of_every_kind_match_clean_builds(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "export")
    export = Export(tmp_path / "export")
    export.save("sessions", export.load("sessions"))  # in the style the first edit writes
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    redacted_id = None
    for number, (name, change, style) in enumerate(SITE_EDITS):
        data = export.load(name)
        change(data)
        path = export.root / name
        dump = {"indent": 1, "ensure_ascii": False, **style}
        path.write_text(json.dumps(data, **dump), encoding="utf-8")
        stats = rebuilder.rebuild([path])
        assert_same_as_clean(rebuilder, tmp_path)
        if number == 1:
            redacted_id = next(i.id for i in stats.issues if i.kind == "contact-removed")
        if number == 0:  # one record parsed and normalised again, not the file
            assert rebuilder._documents.reparsed["sessions"] == 1
            assert rebuilder._records.made == rebuilder._records.redacted == 1
        if number >= 1:  # found once, then replayed with the redaction kept for the record
            assert [i.id for i in stats.issues if i.kind == "contact-removed"] == [redacted_id]
            assert b"someone@example.org" not in b"".join(rebuilder.files.values())


def test_global_functions_of_a_new_view_record_what_they_are_given(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "export")
    export = Export(tmp_path / "export")
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    rebuilder.rebuild([export.edit("sessions", _set(0, title="Another title"))])
    env = rebuilder._state.renderer.env  # type: ignore[union-attr]
    for name in ("jsonld_session", "jsonld_speaker", "nav_current"):
        assert getattr(env.globals[name], "_eventsite_recording", False), name


def test_a_save_with_the_same_bytes_is_no_change_unless_the_last_load_failed(
    tmp_path: Path,
) -> None:
    shutil.copytree(SAMPLE, tmp_path / "export")
    export = Export(tmp_path / "export")
    rebuilder = Rebuilder(BuildOptions(source=str(export.root), output=tmp_path / "site"))
    rebuilder.build_all()
    path = export.edit("sessions", _set(0, title="Saved twice"))
    assert rebuilder.rebuild([path]).rendered
    again = rebuilder.rebuild([path])  # a second event of the same save
    assert (again.rendered, again.written, again.reloaded_data) == ([], [], False)
    good = path.read_bytes()
    path.write_bytes(good[:-20])  # broken JSON: the load fails
    with pytest.raises(SourceError):
        rebuilder.rebuild([path])
    with pytest.raises(SourceError):  # the same broken bytes again: still a failure
        rebuilder.rebuild([path])
    path.write_bytes(good)  # the bytes of the last good build: loaded again, not skipped
    assert rebuilder.rebuild([path]).reloaded_data
    assert_same_as_clean(rebuilder, tmp_path)


@given(
    new=st.binary(max_size=40).map(lambda b: bytes(x % 2 for x in b)),
    old=st.binary(max_size=40).map(lambda b: bytes(x % 2 for x in b)),
    limit=st.integers(0, 40),
    block=st.integers(1, 8),
)
def test_common_tails_are_measured_block_by_block_as_whole_slices_say(
    new: bytes, old: bytes, limit: int, block: int
) -> None:
    limit = min(limit, len(new), len(old))
    expected = next(n for n in range(limit, -1, -1) if new[len(new) - n :] == old[len(old) - n :])
    original = reload._TAIL_BLOCK
    reload._TAIL_BLOCK = block  # blocks smaller than the texts
    try:
        assert reload._common_suffix_length(new, old, limit) == expected
    finally:
        reload._TAIL_BLOCK = original
