"""`eventsite build` with remote media: real local server, real CLI, real browser."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE
from pytest_httpserver import HTTPServer
from sitecheck import broken_links
from werkzeug import Request, Response

from eventsite.cli import main

SPEAKERS = 3


@pytest.fixture
def web(server: HTTPServer) -> Iterator[HTTPServer]:
    """Serves the sample's own speaker photos and one sponsor logo, with ETags."""
    server.clear()
    photos = sorted((SAMPLE / "images" / "speakers").glob("*.png"))[:SPEAKERS]
    logo = next((SAMPLE / "images" / "sponsors").glob("*.png"))
    for n, path in enumerate([*photos, logo]):
        server.expect_request(f"/bucket/{n}.png").respond_with_handler(
            conditional(path.read_bytes(), f'"{n}"')
        )
    yield server
    server.clear()


def conditional(data: bytes, etag: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(data, content_type="image/png", headers={"ETag": etag})

    return handler


def remote_export(tmp_path: Path, http: HTTPServer) -> Path:
    """The sample export with its first speakers' photos and first sponsor logo on `http`."""
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    speakers = json.loads((export / "speakers").read_text(encoding="utf-8"))
    for n, speaker in enumerate(speakers[:SPEAKERS]):
        speaker["photo-url"] = http.url_for(f"/bucket/{n}.png") + "?token=s3cr3t"
    (export / "speakers").write_text(json.dumps(speakers), encoding="utf-8")
    sponsors = json.loads((export / "sponsors").read_text(encoding="utf-8"))
    sponsors[0]["logo-url"] = http.url_for(f"/bucket/{SPEAKERS}.png")
    (export / "sponsors").write_text(json.dumps(sponsors), encoding="utf-8")
    return export


def build(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["build", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def statuses(http: HTTPServer) -> list[int]:
    return [response.status_code for _request, response in http.log]


def site_bytes(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_remote_media_are_downloaded_resized_and_never_hotlinked(
    web: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = remote_export(tmp_path, web)
    site = tmp_path / "out" / "site"
    code, out, err = build(capsys, str(export), "-o", str(site), "--allow-private-media")
    assert code == 0, err
    assert sorted(statuses(web)) == [200] * (SPEAKERS + 1)
    assert "media: 4 downloaded" in out
    assert (tmp_path / "out" / ".eventsite-cache" / "remote").is_dir()  # beside the output
    html = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "127.0.0.1" not in html and "s3cr3t" not in html
    assert "s3cr3t" not in out + err
    speaker = json.loads((export / "speakers").read_text(encoding="utf-8"))[0]
    page = (site / "speakers" / f"{speaker['id']}.html").read_text(encoding="utf-8")
    img = re.search(r'<img class="photo" src="([^"]+)" srcset="([^"]+)"[^>]*>', page)
    assert img, page
    assert re.search(r'width="160" height="160"', img.group(0))
    assert all(part.strip().startswith("../media/") for part in img.group(2).split(","))
    assert broken_links(site) == []


def test_refused_media_get_placeholders_and_fail_only_with_strict(
    web: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = remote_export(tmp_path, web)
    code, _out, err = build(capsys, str(export), "-o", str(tmp_path / "site"))
    assert code == 0
    assert err.count("loopback address 127.0.0.1; refused; placeholder used") == SPEAKERS + 1
    assert "?…" in err and "s3cr3t" not in err
    assert web.log == []  # nothing was even connected to
    speaker = json.loads((export / "speakers").read_text(encoding="utf-8"))[0]
    page = (tmp_path / "site" / "speakers" / f"{speaker['id']}.html").read_text("utf-8")
    assert 'class="photo initials"' in page
    code, _out, err = build(capsys, str(export), "-o", str(tmp_path / "s2"), "--strict")
    assert code == 1 and "--strict" in err


def test_warm_rebuild_and_offline_rebuild_give_the_same_site(
    web: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = remote_export(tmp_path, web)
    cache = tmp_path / "cache"
    common = ("--allow-private-media", "--cache-dir", str(cache), "-q")
    assert build(capsys, str(export), "-o", str(tmp_path / "cold"), *common)[0] == 0
    web.clear_log()
    assert build(capsys, str(export), "-o", str(tmp_path / "warm"), *common)[0] == 0
    assert statuses(web) == [304] * (SPEAKERS + 1)  # revalidated, nothing transferred
    web.clear_log()
    offline = build(capsys, str(export), "-o", str(tmp_path / "off"), *common, "--offline")
    assert offline[0] == 0
    assert web.log == []
    cold = site_bytes(tmp_path / "cold")
    assert site_bytes(tmp_path / "warm") == cold
    assert site_bytes(tmp_path / "off") == cold


def test_offline_with_an_empty_cache_makes_no_requests(
    web: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = remote_export(tmp_path, web)
    code, _out, err = build(
        capsys, str(export), "-o", str(tmp_path / "site"), "--offline", "--allow-private-media"
    )
    assert code == 0
    assert err.count("not in the media cache (--offline)") == SPEAKERS + 1
    assert web.log == []


def test_cache_inside_the_output_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    code, _out, err = build(capsys, str(SAMPLE), "-o", str(site), "--cache-dir", str(site / "c"))
    assert code == 2 and "inside the output folder" in err


@pytest.mark.browser
def test_browser_loads_the_resized_local_copies(
    web: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], browser
) -> None:
    export = remote_export(tmp_path, web)
    site = tmp_path / "site"
    assert build(capsys, str(export), "-o", str(site), "--allow-private-media", "-q")[0] == 0
    web.clear_log()
    page = browser.new_page(device_scale_factor=2)
    page.goto((site / "speakers" / "index.html").as_uri())
    page.wait_for_load_state("load")
    avatars = page.locator("img.avatar")
    assert avatars.count() >= SPEAKERS
    loaded = avatars.evaluate_all(
        "els => els.map(e => [e.complete && e.naturalWidth > 0, e.currentSrc])"
    )
    assert all(ok for ok, _src in loaded)
    assert all(src.startswith("file://") and "/media/" in src for _ok, src in loaded)
    assert web.log == []  # the published site never calls the original hosts
    page.close()


def test_unwritable_cache_is_a_warning_not_a_failure(
    web: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = remote_export(tmp_path, web)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache should go")
    site = tmp_path / "site"
    argv = (str(export), "-o", str(site), "--allow-private-media", "--cache-dir", str(blocker))
    code, _out, err = build(capsys, *argv)
    assert code == 0
    assert "warning: cannot write the media cache" in err
    assert len(statuses(web)) == SPEAKERS + 1
    speaker = json.loads((export / "speakers").read_text(encoding="utf-8"))[0]
    assert 'class="photo"' in (site / "speakers" / f"{speaker['id']}.html").read_text("utf-8")
