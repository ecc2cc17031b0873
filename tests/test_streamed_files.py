"""Files written as they are made (`SiteWriter.write_chunks`, `SiteAudit.stream`) must end up
exactly as if written whole: the same bytes, the same file-store objects, the same findings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from test_audit_calendars import _EVENTS, _LINES, DOCUMENTS, _reference_scan, calendar_files
from test_audit_parts import _PATHS, _TEXT

from eventsite import audit
from eventsite.filestore import FileStore, _holds
from eventsite.parallel import Chunks, SiteOutput
from eventsite.writer import SiteWriter


def _cut(data: bytes, sizes: list[int]) -> list[bytes]:
    """`data` in chunks of the given sizes (cycled), the last one what is left."""
    chunks, start = [], 0
    for size in sizes * (len(data) + 1):
        if start >= len(data):
            break
        chunks.append(data[start : start + size])
        start += size
    return chunks


@settings(max_examples=300, deadline=None)
@given(_TEXT, _PATHS, st.integers(1, 40), st.lists(st.integers(1, 30), min_size=1, max_size=5))
def test_a_streamed_scan_finds_what_a_scan_of_the_whole_finds(
    text: str, path: str, part_bytes: int, sizes: list[int]
) -> None:
    data = text.encode("utf-8", "surrogatepass")
    streamed = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    whole = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    with mock.patch.object(audit, "_PART_BYTES", part_bytes):
        scan = streamed.stream(path)
        for chunk in _cut(data, sizes):
            scan.feed(chunk)
        scan.finish(lambda: data)
    _reference_scan(whole, path, data)
    assert streamed.findings() == whole.findings()
    assert streamed.state.private_texts == whole.state.private_texts


def test_a_streamed_copy_of_an_input_document_is_found() -> None:
    for name, document in DOCUMENTS.items():
        copy = json.dumps(document, indent=2).encode()
        site_audit = audit.SiteAudit(DOCUMENTS, frozenset())
        with mock.patch.object(audit, "_PART_BYTES", 7):
            scan = site_audit.stream("data/copy.json")
            for chunk in _cut(copy, [5]):
                scan.feed(chunk)
            scan.finish(lambda copy=copy: copy)
        assert any(f.shown == repr(name) for f in site_audit.findings())


def test_a_line_longer_than_a_part_is_searched_for_its_end_once() -> None:
    """A one-line file (the search index) fed a chunk at a time: each byte is looked at for a
    line break about once, not again at every chunk (50,000 sessions: a 42 MB line in 50,000
    chunks took 40 s)."""
    data = b"x" * 20_000 + b"\n" + b"y" * 5_000 + b"\n" + b"z" * 20_000
    looked_at = []
    part_end = audit._part_end

    def counting(data: bytearray, start: int, *searched: int) -> int:
        looked_at.append(len(data) - max((start + audit._PART_BYTES - 1, *searched)))
        return part_end(data, start, *searched)

    site_audit = audit.SiteAudit(DOCUMENTS, frozenset())
    with (
        mock.patch.object(audit, "_PART_BYTES", 100),
        mock.patch.object(audit, "_part_end", counting),
    ):
        scan = site_audit.stream("search-index.js")
        for chunk in _cut(data, [10]):
            scan.feed(chunk)
        scan.finish(lambda: data)
    assert len(looked_at) > 4_000
    assert sum(max(0, span) for span in looked_at) < 2 * len(data)


def _write(root: Path, store: FileStore | None, files: dict[str, bytes], chunked: bool) -> None:
    writer = SiteWriter(root, store)
    out = SiteOutput(writer, audit.SiteAudit(DOCUMENTS, frozenset()))
    for path, data in files.items():
        if chunked:
            out.write_chunks(path, Chunks(_cut(data, [3, 1, 7])))
        else:
            out.write(path, data)
    writer.finish()


FILES = {
    "schedule.xml": b"<schedule>\n" + b"<event>x</event>\n" * 40 + b"</schedule>\n",
    "same.json": b"<schedule>\n" + b"<event>x</event>\n" * 40 + b"</schedule>\n",
    "empty.json": b"",
}


def test_chunks_written_with_a_store_are_the_objects_a_whole_write_makes(tmp_path: Path) -> None:
    whole_store = FileStore(tmp_path / "whole-files")
    _write(tmp_path / "whole", whole_store, FILES, chunked=False)
    store = FileStore(tmp_path / "files")
    _write(tmp_path / "site", store, FILES, chunked=True)  # new objects, adopted
    _write(tmp_path / "again", store, FILES, chunked=True)  # the same objects, linked
    for path, data in FILES.items():
        for site in ("whole", "site", "again"):
            assert (tmp_path / site / path).read_bytes() == data
        assert (tmp_path / "site" / path).stat().st_ino == (tmp_path / "again" / path).stat().st_ino
    assert sorted(os.listdir(store.root)) == sorted(os.listdir(whole_store.root))
    # two contents, made once each; every other file linked to them
    assert (store.created, store.linked) == (2, 1 + 3)
    for name in os.listdir(store.root):  # reusable: made with their time mark
        obj = store.root / name
        assert _holds(str(obj), obj.stat().st_size, bytes.fromhex(name))
        assert obj.stat().st_nlink in {3, 5}


def test_chunks_written_without_a_store_or_in_place(tmp_path: Path) -> None:
    _write(tmp_path / "site", None, FILES, chunked=True)
    _write(tmp_path / "site", FileStore(tmp_path / "files"), FILES, chunked=True)  # in place
    for path, data in FILES.items():
        assert (tmp_path / "site" / path).read_bytes() == data


def test_frab_pieces_are_the_frab_files(tmp_path: Path) -> None:
    from test_format_text import SAMPLE

    from eventsite import urls
    from eventsite.build import load_graph
    from eventsite.issues import IssueLog
    from eventsite.media import MediaResolver
    from eventsite.render import frab
    from eventsite.render.view import build_view

    issues = IssueLog()
    raw, graph = load_graph(str(SAMPLE), issues)
    for base in (None, "https://example.org/ev/"):
        view = build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl.parse(base))
        pieces = {path: b"".join(made) for path, made in frab.frab_pieces(view)}
        assert pieces == frab.frab_files(view)


def _reference_fold(line: str) -> str:
    from eventsite.render import ical

    return ical._fold_utf8(line)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=400))
def test_ascii_lines_fold_as_any_line_does(line: str) -> None:
    from eventsite.render import ical

    assert ical.fold(line) == _reference_fold(line)


def _reference_distinct_words(texts: list[str]) -> list[str]:
    from eventsite.render import search

    seen: dict[str, None] = {}
    for text in texts:
        for word in search._WORD.findall(search.normalise(text)):
            if len(word) >= search.MIN_WORD_LENGTH and word not in search.STOP_WORDS:
                seen.setdefault(word, None)
    return list(seen)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="aAbé\u0301İ_1 .,-\u00a0\tthe", max_size=30), max_size=6))
def test_distinct_words_are_each_texts_words_in_order(texts: list[str]) -> None:
    from eventsite.render import search

    assert search.distinct_words(texts) == _reference_distinct_words(texts)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet='ab1</!-é"\\', min_size=1, max_size=6),
            st.text(alphabet='ab </!-->é"\\\u2028', max_size=30),
        ),
        max_size=6,
    )
)
def test_search_index_pieces_are_the_search_index(entries: list[tuple[str, str]]) -> None:
    from types import SimpleNamespace

    from eventsite.render import search

    sessions = [
        SimpleNamespace(
            id=ident,
            subtitle=words,
            abstract="",
            language="",
            level="",
            session_type=None,
            speakers=[],
        )
        for ident, words in entries
    ]
    assert b"".join(search.search_index_pieces(sessions)) == search.search_index(sessions)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_EVENTS, min_size=1, max_size=4),
    _LINES,
    st.sampled_from(["", "\r\n"]),
    st.lists(st.integers(1, 30), min_size=1, max_size=5),
)
def test_a_streamed_calendar_is_scanned_as_a_whole_one(
    calendars: list[list[str]], header: str, end: str, sizes: list[int]
) -> None:
    streamed = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    whole = audit.SiteAudit(DOCUMENTS, frozenset({"title"}))
    for path, data in calendar_files(calendars, header, end):
        scan = streamed.stream(path)
        for chunk in _cut(data, sizes):
            scan.feed(chunk)
        scan.finish(lambda data=data: data)
        _reference_scan(whole, path, data)
    assert streamed.findings() == whole.findings()
    assert streamed.state.private_texts == whole.state.private_texts


def test_the_schedule_calendar_in_pieces_is_the_calendar() -> None:
    from test_format_text import SAMPLE

    from eventsite import urls
    from eventsite.build import load_graph
    from eventsite.issues import IssueLog
    from eventsite.media import MediaResolver
    from eventsite.render import ical
    from eventsite.render.view import build_view

    issues = IssueLog()
    raw, graph = load_graph(str(SAMPLE), issues)
    view = build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl())
    pieces = {
        path: made if isinstance(made, bytes) else b"".join(made)
        for path, made in ical.calendar_pieces(view)
    }
    assert pieces == ical.calendar_files(view)
    assert not isinstance(dict(ical.calendar_pieces(view))[urls.ICAL], bytes)


def test_plain_texts_are_what_the_plain_filter_makes() -> None:
    from conftest import real_export_dirs
    from test_format_text import SAMPLE

    from eventsite.build import load_graph
    from eventsite.issues import IssueLog
    from eventsite.render.filters import plain
    from eventsite.render.schedule_text import PlainTexts

    texts = PlainTexts()
    sources = [SAMPLE, *(p for p in real_export_dirs() if p.name == "FOSSASIASummit2016")]
    values = ["", " ", "a\n\n\nb", "<p>a</p>\n<p> b &amp; c</p>", "*x*\n\n- y\n- z", "<br>\u00a0"]
    for source in sources:
        _, graph = load_graph(str(source), IssueLog())
        values += [t for s in graph.sessions for t in (s.short_abstract, s.long_abstract)]
    for value in values:
        assert texts.paragraphs(value) == plain(value, paragraphs=True)
    texts.keep_only(values[::2])
    for value in values:
        assert texts.folded(value) == plain(value)
        assert texts.folded(value) == plain(value)  # let go after the first, made again


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab_1 .é\u0301-\n\u00a0", max_size=300), st.integers(1, 20))
def test_distinct_words_of_a_long_text_are_its_words(text: str, at_once: int) -> None:
    with mock.patch.object(audit, "_WORDS_AT_ONCE", at_once):
        assert audit._distinct_words(text) == set(audit._WORD.findall(text))


_PRIVATE_RUNS = [("a", "b", "a"), ("b", "a"), ("a",), ("c", "c"), ("a", "b", "a", "b")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "B", "c", "<i>", "a<b>b", " ", "é", "A_"]), max_size=40),
    st.lists(st.sampled_from(_PRIVATE_RUNS), min_size=1, max_size=4, unique=True),
)
def test_private_runs_of_a_long_text_are_found_where_a_short_one_finds_them(
    pieces: list[str], runs: list[tuple[str, ...]]
) -> None:
    text = " ".join(pieces)
    texts = audit._PrivateTexts(runs)
    short = dict(texts.first_hits(text))
    with mock.patch.object(audit, "_WORDS_AT_ONCE", 0):
        long = dict(texts.first_hits(text))
    assert long == short
