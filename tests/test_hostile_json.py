"""Broken and hostile JSON in an export folder: exact exit codes, messages and site contents."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import EVENT, SESSIONS, export_files, run_limited, session, write_folder

from eventsite.cli import main
from eventsite.sources.base import MAX_STRING_CHARS


def _folder(tmp_path: Path, **files: Any) -> Path:
    return write_folder(tmp_path / "export", export_files(**files))


def _build(
    source: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    code = main(["build", str(source), "-o", str(out), *extra])
    return code, capsys.readouterr().err


REFUSED = [
    ("invalid syntax", {"sessions": b'[{"id": 1,}]'}, "sessions", "invalid JSON at line 1, column 11"),
    ("empty file", {"event": b""}, "event", "invalid JSON at line 1, column 1: Expecting value"),
    ("event is an array", {"event": b"[]"}, "event", "expected a JSON object at the top level, found array"),
    ("event is null", {"event": b"null"}, "event", "expected a JSON object at the top level, found null"),
    ("sessions is an object", {"sessions": b'{"id": 1}'}, "sessions", "expected a JSON array at the top level, found object"),
    ("sessions is a string", {"sessions": b'"sessions"'}, "sessions", "found string"),
    ("sessions is a number", {"sessions": b"42"}, "sessions", "found number"),
    ("deep nesting", {"sessions": b"[" * 200_000 + b"]" * 200_000}, "sessions", "JSON nested too deeply"),
    ("deep nesting in event", {"event": b'{"a":' * 100_000 + b"1" + b"}" * 100_000}, "event", "JSON nested too deeply"),
    ("huge integer", {"sessions": b'[{"id": ' + b"9" * 5000 + b"}]"}, "sessions", "invalid JSON: a number has too many digits"),
    ("broken UTF-16", {"event": codecs.BOM_UTF16_LE + b"{\x00}"}, "event", "not valid utf-16 text"),
    ("NUL bytes", {"sessions": b"\x00\x00\x00"}, "sessions", "invalid JSON"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "document", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_broken_required_file_is_a_clean_error(
    files: dict[str, bytes],
    document: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = _folder(tmp_path, **files)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 1
    assert err.startswith(f"error: {source / document}: ")
    assert message in err
    assert "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "tracks",
            b"[{,]",
            "invalid JSON at line 1, column 3: Expecting property name enclosed in double quotes",
        ),
        ("speakers", b'{"name": "x"}', "expected a JSON array at the top level, found object"),
        ("sponsors", b"true", "expected a JSON array at the top level, found bool"),
    ],
)
def test_broken_optional_file_is_skipped_with_a_warning(
    name: str, content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _folder(tmp_path, **{name: content})
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0
    assert f"warning: {source / name}: file: {message}; file skipped [broken-file]" in err
    assert (tmp_path / "site" / "sessions" / "1.html").is_file()
    assert _build(source, tmp_path / "strict", capsys, "--strict")[0] == 1


def test_null_in_every_field_builds_an_empty_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = dict.fromkeys(EVENT)
    sessions = [dict.fromkeys([*SESSIONS[0], "track", "speakers", "microlocation"])]
    speakers = [dict.fromkeys(["id", "name", "photo-url", "sessions", "website"])]
    source = _folder(tmp_path, event=event, sessions=sessions, speakers=speakers)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0, err
    assert "event: no time zone; using the timestamps' offset (UTC) [timezone]" in err
    assert "session: '' has no id; skipped [missing-id]" in err
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<title>Untitled event</title>" in index
    assert not list((tmp_path / "site" / "sessions").glob("*.html"))


def test_lists_where_strings_belong_read_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = {key: [value] for key, value in SESSIONS[0].items() if key != "id"}
    sessions = [{"id": 1, **listed}, SESSIONS[1]]
    source = _folder(tmp_path, sessions=sessions)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0
    assert "session 1: unreadable start time ['2026-03-28T10:00:00+01:00'] [bad-time]" in err
    pages = sorted(p.name for p in (tmp_path / "site" / "sessions").glob("*.html"))
    assert pages == ["2.html"]  # session 1 has no readable state or title: not public


def test_numbers_as_strings_and_strings_as_numbers_link_up(tmp_path: Path) -> None:
    sessions = [
        session(1, "2026-03-28T10:00:00+01:00", "2026-03-28T11:00:00+01:00", title=2026),
        {**SESSIONS[1], "id": "2", "track": {"id": "05", "name": "Web"}},
    ]
    speakers = [{"id": "3", "name": 12345, "sessions": [{"id": 1}, {"id": "2"}]}]
    tracks = [{"id": 5, "name": "Web", "position": "2", "color": "#ABC"}]
    source = _folder(tmp_path, sessions=sessions, speakers=speakers, tracks=tracks)
    assert main(["build", str(source), "-o", str(tmp_path / "site")]) == 0
    site = tmp_path / "site"
    assert "<h1>2026</h1>" in (site / "sessions" / "1.html").read_text(encoding="utf-8")
    speaker = (site / "speakers" / "3.html").read_text(encoding="utf-8")
    assert "<h1>12345</h1>" in speaker
    assert speaker.count('class="session-item"') == 2
    track = (site / "tracks" / "5.html").read_text(encoding="utf-8")
    assert "--track-bg:#aabbcc" in track


def test_unknown_future_fields_are_ignored_byte_for_byte(tmp_path: Path) -> None:
    plain = _folder(tmp_path / "a")
    future = write_folder(
        tmp_path / "b" / "export",
        export_files(
            event={**EVENT, "hologram-stage": {"beam": [1, 2, 3]}, "x-private-token": "s3cr3t"},
            sessions=[{**s, "quantum-room": None, "ratings": [5, 4]} for s in SESSIONS],
            attendees=[{"id": 1, "name": "Someone Else", "ticket": "ABC-123"}],
        ),
    )
    assert main(["build", str(plain), "-o", str(tmp_path / "one")]) == 0
    assert main(["build", str(future), "-o", str(tmp_path / "two")]) == 0
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "encoding",
    ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"],
)
def test_bom_and_wide_encodings_read_the_same(encoding: str, tmp_path: Path) -> None:
    event = {**EVENT, "name": "Čebelarska konferenca — ☕ 2026"}
    source = _folder(tmp_path, event=json.dumps(event, ensure_ascii=False).encode(encoding))
    assert main(["build", str(source), "-o", str(tmp_path / "site")]) == 0
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<title>Čebelarska konferenca — ☕ 2026</title>" in index


def test_non_utf8_bytes_are_replaced_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = json.dumps({**EVENT, "name": "Caf\u00e9 Days"}, ensure_ascii=False).encode("latin-1")
    source = _folder(tmp_path, event=raw)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0
    at = raw.index(b"\xe9")
    assert f"{source / 'event'}: file: not valid UTF-8 at byte {at}; undecodable bytes" in err
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<title>Caf\ufffd Days</title>" in index


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    raw = b'[{"id": "\\ud800x", "title": "Talk \\udc00 here", "state": "accepted", "starts-at": "2026-03-28T10:00:00+01:00"}]'
    source = _folder(tmp_path, sessions=raw)
    assert main(["build", str(source), "-o", str(tmp_path / "site")]) == 0
    pages = list((tmp_path / "site" / "sessions").glob("*.html"))
    assert len(pages) == 1
    assert "<h1>Talk \ufffd here</h1>" in pages[0].read_text(encoding="utf-8")


def test_nan_and_infinity_are_not_ids_or_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = b'[{"id": NaN, "title": "A", "state": "accepted"}, {"id": 2, "title": "B", "state": "accepted", "starts-at": Infinity}]'
    source = _folder(tmp_path, sessions=raw)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0
    assert "session: 'A' has no id; skipped [missing-id]" in err
    assert "session 2: unreadable start time inf [bad-time]" in err
    assert [p.name for p in (tmp_path / "site" / "sessions").glob("*.html")] == ["2.html"]


def test_deep_nesting_inside_a_field_reads_as_missing(tmp_path: Path) -> None:
    deep = '{"a": [' * 400 + '"x"' + "]}" * 400  # deeper than json.dumps goes
    record = json.dumps(SESSIONS[0])[:-1] + f', "subtitle": {deep}, "track": {deep}}}'
    source = _folder(tmp_path, sessions=f"[{record}]".encode())
    assert main(["build", str(source), "-o", str(tmp_path / "site")]) == 0
    page = (tmp_path / "site" / "sessions" / "1.html").read_text(encoding="utf-8")
    assert 'class="subtitle"' not in page and "track-tag" not in page


def test_fifty_megabyte_string_is_cut_in_bounded_time_and_memory(tmp_path: Path) -> None:
    huge = "A" * (50 * 2**20)
    sessions = [{**SESSIONS[0], "long-abstract": huge, "title": "Huge " + "B" * 10**6}]
    source = _folder(tmp_path, sessions=sessions)
    run = run_limited(["build", str(source), "-o", str(tmp_path / "site")], memory_mb=1024)
    assert run.code == 0, run.stderr
    expected = f"2 string(s) longer than {MAX_STRING_CHARS} characters cut to that length"
    assert f"warning: {source / 'sessions'}: file: {expected} [long-text]" in run.stderr
    assert run.seconds < 30
    assert run.peak_rss_mb < 700
    page = (tmp_path / "site" / "sessions" / "1.html").read_bytes()
    assert MAX_STRING_CHARS < len(page) < 8 * MAX_STRING_CHARS  # title thrice, abstract once
    total = sum(p.stat().st_size for p in (tmp_path / "site").rglob("*") if p.is_file())
    assert total < 5 * 2**20
