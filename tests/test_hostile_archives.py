"""Hostile and broken export archives: each case has its exact exit code, message and output.

Cheap cases run the real CLI in-process; the resource cases (bombs, huge directories) run it in
a child process capped in memory and time.
"""

from __future__ import annotations

import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_corpus import (
    EVENT,
    SESSIONS,
    encode,
    many_member_zip,
    run_limited,
    stored_zip,
    valid_members,
    write_zip,
)

from eventsite.cli import main
from eventsite.sources.archive import MAX_MEMBERS
from eventsite.sources.base import MAX_JSON_BYTES, MAX_MEDIA_BYTES

Members = list[tuple[str | zipfile.ZipInfo, bytes]]


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@dataclass(frozen=True)
class Refused:
    name: str
    members: Members
    words: tuple[str, ...]


REFUSED = [
    Refused("zip slip ../", [*valid_members(), ("../escaped", b"x")], ("'../escaped'", "outside")),
    Refused(
        "zip slip nested ../",
        [*valid_members(), ("images/../../escaped", b"x")],
        ("outside the archive",),
    ),
    Refused("absolute path", [*valid_members(), ("/tmp/escaped", b"x")], ("absolute",)),
    Refused("windows drive", [*valid_members(), ("C:/escaped", b"x")], ("Windows path",)),
    Refused(
        "windows backslashes",
        [*valid_members(), ("images\\..\\..\\escaped", b"x")],
        ("Windows path",),
    ),
    Refused(
        "symlink member",
        [*valid_members(), _symlink("images/logo.png", "/etc/passwd")],
        ("'images/logo.png'", "symbolic link"),
    ),
    Refused("no event file", [("sessions", encode(SESSIONS))], ("no 'event' file",)),
    Refused("no sessions file", [("event", encode(EVENT))], ("no 'sessions' file",)),
]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.name)
def test_unsafe_archive_is_refused_and_nothing_is_written(
    case: Refused, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_zip(tmp_path / "export.zip", case.members)
    out = tmp_path / "out" / "site"
    code = main(["build", str(source), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: {source}: ")
    for word in case.words:
        assert word in err
    assert "Traceback" not in err and "internal error" not in err
    assert not out.exists()
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/escaped").exists()


def _check(source: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(source)])
    return code, capsys.readouterr().err


def test_nested_zip_is_refused_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = write_zip(tmp_path / "inner.zip", valid_members())
    outer = write_zip(tmp_path / "outer.zip", [("export.zip", inner.read_bytes())])
    code, err = _check(outer, capsys)
    assert code == 1
    assert "holds another zip archive" in err and "unzip the outer one first" in err


def test_truncated_zip_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_zip(tmp_path / "whole.zip", valid_members()).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    code, err = _check(cut, capsys)
    assert (code, err) == (
        1,
        f"error: {cut}: not a zip archive (or a truncated one); "
        "expected an Open Event export .zip\n",
    )


def test_corrupt_compressed_member_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_zip(tmp_path / "corrupt.zip", valid_members())
    data = bytearray(path.read_bytes())
    first = data.find(b"PK\x03\x04")
    name_length = int.from_bytes(data[first + 26 : first + 28], "little")
    data[first + 30 + name_length + 2] ^= 0xFF  # inside the deflate stream of 'event'
    path.write_bytes(bytes(data))
    code, err = _check(path, capsys)
    assert code == 1
    assert f"error: {path}:event: corrupt zip member" in err
    assert "internal error" not in err


@pytest.mark.parametrize(
    "content", [b"", b"hello, not a zip", b"PK\x03\x04" + b"\x00" * 40, b"\x00" * 100]
)
def test_non_zip_named_zip_is_refused(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(content)
    code, err = _check(path, capsys)
    assert code == 1
    assert "not a zip archive" in err


def test_empty_zip_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_zip(tmp_path / "empty.zip", [])
    assert _check(path, capsys) == (1, f"error: {path}: the zip archive is empty\n")


def test_duplicate_member_names_use_the_first_copy_and_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = {**EVENT, "name": "Impostor Event"}
    out = tmp_path / "site"
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = write_zip(tmp_path / "dup.zip", [*valid_members(), ("event", encode(second))])
    code = main(["build", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0
    assert f"{path}: file: the archive holds 'event' twice; the first copy is used" in err
    index = (out / "index.html").read_text(encoding="utf-8")
    assert EVENT["name"] in index and "Impostor" not in index
    assert main(["build", str(path), "-o", str(out), "--strict"]) == 1


def test_archive_in_a_folder_inside_the_zip_is_read(tmp_path: Path) -> None:
    members = [(f"MyEvent/{name}", data) for name, data in valid_members()]
    path = write_zip(tmp_path / "folder.zip", members)
    out = tmp_path / "site"
    assert main(["build", str(path), "-o", str(out)]) == 0
    assert (out / "sessions" / "1.html").is_file()


# --- resource cases: a child process with a memory cap and a deadline --------------------------

MEMORY_CAP_MB = 512


def test_zip_bomb_json_member_stops_at_the_cap(tmp_path: Path) -> None:
    inflated = b'{"id": 1, "name": "x"' + b" " * (MAX_JSON_BYTES + 2**20) + b"}"
    members: Members = [("event", inflated), ("sessions", encode(SESSIONS))]
    bomb = write_zip(tmp_path / "bomb.zip", members, level=1)
    assert bomb.stat().st_size < len(inflated) // 100  # tiny file, huge content
    run = run_limited(["build", str(bomb), "-o", str(tmp_path / "site")], memory_mb=MEMORY_CAP_MB)
    assert run.code == 1
    assert f"{bomb}:event: inflates past the 64 MB limit; refused (zip bomb?)" in run.stderr
    assert run.seconds < 20
    assert run.peak_rss_mb < 150  # the 64 MB cap plus the interpreter, not the 65 MB+ content
    assert not (tmp_path / "site").exists()


def test_zip_bomb_with_lying_sizes_is_caught_by_the_crc(tmp_path: Path) -> None:
    inflated = b'{"id": 1, "name": "x"' + b" " * (80 * 2**20) + b"}"
    members: Members = [("event", inflated), ("sessions", encode(SESSIONS))]
    path = write_zip(tmp_path / "liar.zip", members, level=1)
    data = bytearray(path.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = (100).to_bytes(4, "little")  # claims 100 bytes
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    run = run_limited(["check", str(path)], memory_mb=MEMORY_CAP_MB)
    assert run.code == 1
    assert f"{path}:event: corrupt zip member: Bad CRC-32 for file 'event'" in run.stderr
    assert run.seconds < 20 and run.peak_rss_mb < 150


def test_zip_bomb_media_member_fails_the_build_at_the_media_cap(tmp_path: Path) -> None:
    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_MEDIA_BYTES + 2**20)
    event = {**EVENT, "logo-url": "/images/logo.png"}
    members: Members = [
        ("event", encode(event)),
        ("sessions", encode(SESSIONS)),
        ("images/logo.png", image),
    ]
    path = write_zip(tmp_path / "media-bomb.zip", members, level=1)
    run = run_limited(["build", str(path), "-o", str(tmp_path / "site")], memory_mb=MEMORY_CAP_MB)
    assert run.code == 1
    assert f"{path}:images/logo.png: inflates past the 32 MB limit" in run.stderr
    assert run.seconds < 20 and run.peak_rss_mb < 150


def test_huge_member_count_is_refused_before_the_directory_is_parsed(tmp_path: Path) -> None:
    path = many_member_zip(tmp_path / "many.zip", MAX_MEMBERS + 1)
    with zipfile.ZipFile(path) as archive:  # a well-formed archive
        assert len(archive.infolist()) == MAX_MEMBERS + 3
    run = run_limited(["check", str(path)], memory_mb=MEMORY_CAP_MB)
    assert run.code == 1
    assert f"error: {path}: archive has {MAX_MEMBERS + 3} members, more than {MAX_MEMBERS}" in (
        run.stderr
    )
    assert run.seconds < 10 and run.peak_rss_mb < 80


def test_valid_zip_builds_under_the_same_limits(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "ok.zip", valid_members())
    run = run_limited(["build", str(path), "-o", str(tmp_path / "site")], memory_mb=MEMORY_CAP_MB)
    assert run.code == 0, run.stderr
    titles = [s["title"] for s in SESSIONS]
    page = (tmp_path / "site" / "sessions" / "1.html").read_text(encoding="utf-8")
    assert titles[0] in page
    assert json.loads((tmp_path / "site" / "schedule.json").read_text(encoding="utf-8"))


def test_member_name_flagged_utf8_that_is_not_is_a_corrupt_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by benchmarks/fuzz.py: zipfile raised UnicodeDecodeError out of the reader."""
    path = write_zip(tmp_path / "names.zip", [*valid_members(), ("images/\u00e9.png", b"x")])
    data = path.read_bytes()
    assert data.count("é".encode()) == 2  # local header and central directory, UTF-8 flagged
    path.write_bytes(data.replace("é".encode(), b"\xc2\x41"))
    code, err = _check(path, capsys)
    assert code == 1
    assert err.startswith(f"error: {path}: corrupt zip archive: 'utf-8' codec can't decode")


def test_member_with_an_empty_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by benchmarks/fuzz.py: ZipInfo.is_dir() raised IndexError on an empty name."""
    members = [(name.encode(), data) for name, data in valid_members()]
    path = stored_zip(tmp_path / "empty-name.zip", [*members, (b"", b"x")])
    code, err = _check(path, capsys)
    assert (code, err) == (
        1,
        f"error: {path}: a member has an empty name; refused (corrupt archive?)\n",
    )


def test_encrypted_member_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by benchmarks/fuzz.py: zipfile raised RuntimeError (password required)."""
    path = write_zip(tmp_path / "locked.zip", valid_members())
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")  # the first entry is 'event'
    data[central + 8] |= 0x1  # general purpose flag: encrypted
    path.write_bytes(bytes(data))
    code, err = _check(path, capsys)
    assert (code, err) == (
        1,
        f"error: {path}:event: the member is encrypted; exports are never encrypted\n",
    )
