"""What lets a build free the parsed export early: the model owns its strings, the privacy
audit keeps the documents compact, and its copy check still finds exactly what it found."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from eventsite import audit
from eventsite.issues import IssueLog
from eventsite.model.graph import resolve
from eventsite.model.normalise import normalise
from eventsite.model.values import ident, own, text
from eventsite.parallel import PackedFiles, other_file_chains, unmap_large_blocks

DOCUMENTS: dict[str, Any] = {
    "event": {"id": 1, "name": "Conf", "timezone": "Europe/Berlin", "rate": 1.5, "ok": True},
    "sessions": [
        {"id": 7, "title": "Talk", "state": "accepted", "long-abstract": "About things."},
        {"id": "x8", "title": "Other talk", "state": "confirmed", "speakers": [{"id": 3}]},
    ],
    "speakers": [{"id": 3, "name": "Ana", "sessions": [{"id": "x8"}]}],
    "tracks": [],
    "notes": None,
    "count": 2,
}


def test_own_makes_an_equal_new_string() -> None:
    value = "".join(["Talk ", "title"])
    copied = own(value)
    assert copied == value
    assert copied is not value
    assert text(value) is not value
    assert ident("x8") == "x8"


def test_the_model_keeps_none_of_the_parsed_strings() -> None:
    parsed = json.loads(json.dumps(DOCUMENTS))
    strings = {id(s) for s in _strings(parsed)}
    issues = IssueLog()
    graph = resolve(normalise(parsed, issues), issues)
    kept = [
        value
        for entity in [graph.event, *graph.sessions, *graph.speakers]
        for name in type(entity).__slots__
        if isinstance(value := getattr(entity, name), str) and len(value) > 1
    ]
    assert kept
    assert not [value for value in kept if id(value) in strings]


def test_the_audit_does_not_hold_the_parsed_documents() -> None:
    parsed = json.loads(json.dumps(DOCUMENTS))
    site_audit = audit.SiteAudit(parsed, frozenset())
    assert isinstance(site_audit.documents, audit.StoredDocuments)
    assert dict(site_audit.documents) == parsed
    assert site_audit.documents["sessions"] is not parsed["sessions"]


OUTPUTS = [
    DOCUMENTS["sessions"],
    DOCUMENTS["event"],
    {**DOCUMENTS["event"], "rate": 1.5, "ok": 1},  # True == 1: still a copy
    {**DOCUMENTS["event"], "id": 1.0},
    DOCUMENTS["sessions"][:1],
    DOCUMENTS["speakers"],
    [],
    {},
    2,
    2.0,
    None,
    "Conf",
    {"id": 1},
]


TEXTS = [
    '{"id": 1, "id": 1, "name": "Conf", "timezone": "Europe/Berlin", "rate": 1.5, "ok": true}',
    '{"id": 2, "id": 1, "name": "Conf", "timezone": "Europe/Berlin", "rate": 1.5, "ok": true}',
    " \n\t" + json.dumps(DOCUMENTS["sessions"]) + "\n",
    "\ufeff" + json.dumps(DOCUMENTS["sessions"]),
    json.dumps(DOCUMENTS["sessions"])[:-1],
    "",
    "NaN",
]


@pytest.mark.parametrize("text_value", [json.dumps(value) for value in OUTPUTS] + TEXTS)
def test_copy_check_finds_the_same_copies_from_stored_documents(text_value: str) -> None:
    plain = list(audit._raw_copies("out/data.json", text_value, DOCUMENTS))
    stored = list(audit._raw_copies("out/data.json", text_value, audit.StoredDocuments(DOCUMENTS)))
    assert stored == plain


def test_copy_check_still_finds_a_copied_document() -> None:
    stored = audit.StoredDocuments(DOCUMENTS)
    (finding,) = audit._raw_copies("x.json", json.dumps(DOCUMENTS["sessions"]), stored)
    assert finding.kind == "copy of the input"
    assert "sessions" in finding.shown


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.parametrize("jobs", [1, 2, 3, 4, 8, 64])
@pytest.mark.parametrize("count", [0, 1, 5, 6])
def test_other_file_chains_make_every_part_once_in_order(jobs: int, count: int) -> None:
    parts = [lambda number=number: {f"{number}.txt": b""} for number in range(count)]
    chains = other_file_chains(parts, jobs)
    assert sorted(id(part) for chain in chains for part in chain) == sorted(map(id, parts))
    assert all(chain for chain in chains)
    assert len(chains) <= max(1, jobs // 2)  # the large ones never pile up in every process
    for chain in chains:
        assert [parts.index(part) for part in chain] == sorted(parts.index(p) for p in chain)


def _resident_kb() -> int:
    with open("/proc/self/smaps_rollup") as rollup:
        return sum(int(line.split()[1]) for line in rollup if line.startswith("Rss:"))


@pytest.mark.skipif(
    not hasattr(os, "fork") or not os.path.exists("/proc/self/smaps_rollup"),
    reason="needs fork and Linux's /proc",
)
def test_a_forked_process_gives_packed_files_back_as_it_lets_go_of_them() -> None:
    """Files made between blocks that live on (as media are, among the model's objects) are
    given back to the system by a process that lets go of them, without copying them."""
    unmap_large_blocks()
    files: dict[str, bytes] = {}
    keep = []
    for n in range(8192):  # 32 MiB of files
        files[f"media/{n:05}.webp"] = bytes([n % 251]) * 4096
        keep.append(bytes([n % 13]) * 600)  # outlives them, in the same heap
    packed = PackedFiles(files)
    assert files == {}
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        before = _resident_kb()
        packed.release()
        os.write(write_end, str(before - _resident_kb()).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        given_back_kb = int(pipe.read())
    os.waitpid(pid, 0)
    assert given_back_kb >= 30 * 1024
    assert len(keep) == 8192


def test_packed_files_are_written_in_parts_that_cover_each_file_once() -> None:
    files = {f"m/{n}": bytes([n]) * (n * 37 % 1000 + 1) for n in range(200)}
    expected = dict(files)
    packed = PackedFiles(files)
    for count in (1, 3, 8, 500):
        parts = packed.parts(count)
        assert 1 <= len(parts) <= min(count, 200)
        assert [i for part in parts for i in part] == list(range(200))
    written: dict[str, bytes] = {}

    class Out:
        def write(self, path: str, data: bytes) -> None:
            written[path] = data

    for part in packed.parts(4):
        packed.write(part, Out())  # type: ignore[arg-type]
    assert written == expected
    packed.release()
    with pytest.raises(RuntimeError):
        packed.write(packed.parts(1)[0], Out())  # type: ignore[arg-type]
    assert PackedFiles({}).parts(4) == []
