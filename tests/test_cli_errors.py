"""Bad input gets one clear message naming the file and the problem, exit 1, no traceback."""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLE

from eventsite.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def make_zip(path: Path, members: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def sample_members() -> dict[str, bytes]:
    return {
        name: (SAMPLE / name).read_bytes()
        for name in ("event", "sessions", "speakers", "tracks", "microlocations")
    }


@pytest.mark.parametrize(
    ("members", "symlinks", "words"),
    [
        ({"../evil": b"x"}, (), "outside the archive"),
        ({"/etc/evil": b"x"}, (), "absolute"),
        ({"C:\\evil": b"x"}, (), "absolute or Windows"),
        ({"images/link": b"/etc/passwd"}, ("images/link",), "symbolic link"),
        ({"inner.zip": b"PK\x03\x04"}, (), "another zip"),
        ({"readme.txt": b"hello"}, (), "no 'event' file"),
    ],
    ids=["dotdot", "absolute", "windows", "symlink", "nested", "no-event"],
)
def test_unsafe_or_wrong_zip_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    members: dict[str, bytes],
    symlinks: tuple[str, ...],
    words: str,
) -> None:
    archive = make_zip(tmp_path / "export.zip", {**sample_members(), **members}, symlinks=symlinks)
    if "no 'event'" in words or "another zip" in words:
        archive = make_zip(tmp_path / "export.zip", members)
    code, _, err = run(["build", str(archive), "-o", str(tmp_path / "site")], capsys)
    assert code == 1
    assert words in err
    assert str(archive) in err
    assert "Traceback" not in err
    assert not (tmp_path / "site").exists()


def test_zip_bomb_stops_at_the_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("event", (SAMPLE / "event").read_bytes())
        with archive.open("sessions", "w") as member:  # 80 MB of spaces inflates past the cap
            chunk = b" " * (1 << 20)
            for _ in range(80):
                member.write(chunk)
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb.getvalue())
    assert path.stat().st_size < 1_000_000
    code, _, err = run(["build", str(path), "-o", str(tmp_path / "site")], capsys)
    assert code == 1
    assert "sessions" in err and "limit" in err


def test_corrupt_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.zip"
    good = make_zip(tmp_path / "good.zip", sample_members()).read_bytes()
    path.write_bytes(good[: len(good) // 2])
    code, _, err = run(["build", str(path), "-o", str(tmp_path / "site")], capsys)
    assert code == 1
    assert "broken.zip" in err and "zip" in err


def test_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.zip"
    path.write_text("<html>Not found</html>")
    code, _, err = run(["check", str(path)], capsys)
    assert code == 1
    assert "not a zip archive" in err


def copy_sample(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    return export


@pytest.mark.parametrize(
    ("file", "content", "words"),
    [
        ("sessions", b'[{"id": 1, "title": "x",}', "invalid JSON at line 1"),
        ("event", b"[1, 2]", "expected a JSON object"),
        ("sessions", b'{"id": 1}', "expected a JSON array"),
    ],
    ids=["invalid-json", "event-wrong-shape", "sessions-wrong-shape"],
)
def test_bad_required_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, content: bytes, words: str
) -> None:
    export = copy_sample(tmp_path)
    (export / file).write_bytes(content)
    code, _, err = run(["build", str(export), "-o", str(tmp_path / "site")], capsys)
    assert code == 1
    assert words in err
    assert str(export / file) in err


def test_missing_event_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = copy_sample(tmp_path)
    (export / "event").unlink()
    code, _, err = run(["check", str(export)], capsys)
    assert code == 1
    assert "no 'event' file" in err


def test_broken_optional_file_is_skipped_with_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = copy_sample(tmp_path)
    (export / "session_types").write_text('[{"id": 1 "name": "Talk"}]')
    code, _out, err = run(["build", str(export), "-o", str(tmp_path / "site")], capsys)
    assert code == 0
    assert "session_types" in err and "file skipped" in err
    code, _, err = run(["build", str(export), "-o", str(tmp_path / "s2"), "--strict"], capsys)
    assert code == 1
    assert "--strict" in err


def test_unknown_time_zone_falls_back_or_fails_in_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = copy_sample(tmp_path)
    event = json.loads((export / "event").read_text(encoding="utf-8"))
    event["timezone"] = "Mars/Olympus_Mons"
    (export / "event").write_text(json.dumps(event), encoding="utf-8")
    code, _, err = run(["build", str(export), "-o", str(tmp_path / "site")], capsys)
    assert code == 0
    assert "unknown time zone 'Mars/Olympus_Mons'" in err
    code, _, err = run(["build", str(export), "-o", str(tmp_path / "s2"), "--strict"], capsys)
    assert code == 1
    assert "Mars/Olympus_Mons" in err


def test_failed_build_leaves_previous_site_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = copy_sample(tmp_path)
    site = tmp_path / "site"
    assert run(["build", str(export), "-o", str(site)], capsys)[0] == 0
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    (export / "sessions").write_text("{broken")
    assert run(["build", str(export), "-o", str(site)], capsys)[0] == 1
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]


def test_refuses_to_replace_a_folder_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    code, _, err = run(["build", str(SAMPLE), "-o", str(precious)], capsys)
    assert code == 1
    assert "not made by eventsite" in err
    assert (precious / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize(
    "argv",
    [["build", "--no-such-option"], ["frobnicate"], [], ["build", "a", "b"]],
    ids=["bad-option", "bad-command", "no-command", "two-sources"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_source_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["build", str(tmp_path / "nope.zip"), "-o", str(tmp_path / "s")], capsys)
    assert code == 1
    assert "nope.zip: no such file or folder" in err


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eventsite", "build", "-o", str(tmp_path / "site"), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    version = subprocess.run(
        [sys.executable, "-m", "eventsite", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("eventsite ")


_EXIT_PROBE = """
import atexit, sys, threading, time
from pathlib import Path
from eventsite.cli import exit_without_teardown
atexit.register(lambda: print("exit handler ran"))
if sys.argv[1] == "thread":
    mark = Path(sys.argv[2])
    threading.Thread(target=lambda: (time.sleep(0.3), mark.write_text("done"))).start()
print("buffered, not yet flushed", end=" ")
exit_without_teardown(3)
"""


@pytest.mark.parametrize("mode", ["alone", "thread"])
def test_the_quick_exit_keeps_the_code_the_exit_handlers_and_other_threads(
    tmp_path: Path, mode: str
) -> None:
    mark = tmp_path / "thread-finished"
    result = subprocess.run(
        [sys.executable, "-c", _EXIT_PROBE, mode, str(mark)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert result.stdout == "buffered, not yet flushed exit handler ran\n"
    assert mark.exists() == (mode == "thread")  # a running thread was waited for


def _sample_with_padded_sessions(tmp_path: Path, padded_bytes: int) -> Path:
    """The sample export whose `sessions` file is padded with whitespace to `padded_bytes`."""
    source = tmp_path / "export"
    shutil.copytree(SAMPLE, source)
    sessions = (source / "sessions").read_bytes()
    (source / "sessions").write_bytes(sessions + b" " * (padded_bytes - len(sessions)))
    return source


def test_a_data_file_over_the_cap_names_the_variable_that_raises_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _sample_with_padded_sessions(tmp_path, 3 * 2**20)
    monkeypatch.setenv("EVENTSITE_MAX_DATA_MB", "2")
    code, _, err = run(["build", str(source), "-o", str(tmp_path / "site"), "-q"], capsys)
    assert code == 1
    assert "larger than 2 MB (set EVENTSITE_MAX_DATA_MB to allow more)" in err
    assert str(source / "sessions") in err
    assert not (tmp_path / "site").exists()

    zipped = make_zip(
        tmp_path / "export.zip", {p.name: p.read_bytes() for p in source.iterdir() if p.is_file()}
    )
    code, _, err = run(["build", str(zipped), "-o", str(tmp_path / "site"), "-q"], capsys)
    assert code == 1
    assert "inflates past the 2 MB limit" in err

    monkeypatch.setenv("EVENTSITE_MAX_DATA_MB", "4")
    code, _, err = run(["build", str(source), "-o", str(tmp_path / "site"), "-q"], capsys)
    assert code == 0, err
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize("value", ["0", "-1", "lots", "1.5", "100000"])
def test_a_bad_data_cap_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("EVENTSITE_MAX_DATA_MB", value)
    code, _, err = run(["build", str(SAMPLE), "-o", str(tmp_path / "site"), "-q"], capsys)
    assert code == 2
    assert "EVENTSITE_MAX_DATA_MB must be a whole number of MB from 1 to 65536" in err
    assert "Traceback" not in err
