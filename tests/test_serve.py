"""The parts of `eventsite serve`, each with real components: sockets, inotify, HTTP servers."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SAMPLE
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from eventsite.build import BuildOptions
from eventsite.errors import SourceError
from eventsite.incremental import Rebuilder
from eventsite.live import FileWatcher, LiveServer
from eventsite.serve import ApiPoller, BuildFailure, PreviewSite, RebuildLoop, redact, site_path

REPO = Path(__file__).resolve().parents[1]
LIVERELOAD_7 = "http://livereload.com/protocols/official-7"
LiveSite = tuple[LiveServer, PreviewSite, Rebuilder]
CLIENT_TAG = re.compile(rb'<script src="/livereload.js\?snipver=(\d+)"></script>')


def _raw_get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """A GET with the path sent exactly as given (http clients would normalise '..')."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def live_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, PreviewSite, Rebuilder]]:
    """The sample site built once and served by a LiveServer on a thread."""
    out = tmp_path_factory.mktemp("live") / "site"
    rebuilder = Rebuilder(BuildOptions(source=str(SAMPLE), output=out))
    rebuilder.build_all()
    site = PreviewSite()
    site.publish(rebuilder.files)
    server = LiveServer("127.0.0.1", 0, site.respond)
    ready = threading.Event()
    thread = threading.Thread(target=server.run, args=(ready.set,))
    thread.start()
    assert ready.wait(10)
    try:
        yield server, site, rebuilder
    finally:
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_serves_pages_from_memory_with_the_reload_client(live_site: LiveSite) -> None:
    server, _, rebuilder = live_site
    status, headers, body = _raw_get(server.port, "/sessions/108.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert CLIENT_TAG.sub(b"", body) == rebuilder.files["sessions/108.html"]
    assert _raw_get(server.port, "/")[2].count(b"/livereload.js") == 1
    status, headers, body = _raw_get(server.port, "/schedule.ics")
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    assert body == rebuilder.files["schedule.ics"]
    assert _raw_get(server.port, "/assets/style.css")[2] == rebuilder.files["assets/style.css"]
    status, headers, _ = _raw_get(server.port, "/schedule")
    assert status == 301 and headers["Location"] == "/schedule/"
    status, _, body = _raw_get(server.port, "/no/such/page.html")
    assert status == 404 and b"Page not found" in body
    assert _raw_get(server.port, "/livereload.js")[0] == 200


def _handshake(port: int, snipver: int) -> list[str]:
    """livereload.js's handshake for a page served at `snipver`: the commands the server sends
    until it has been quiet for 0.3 s."""
    from tornado.websocket import websocket_connect

    hello: dict[str, object] = {"command": "hello", "protocols": [LIVERELOAD_7]}
    if snipver:  # as livereload.js does
        hello["snipver"] = snipver
    info = {"command": "info", "url": f"http://127.0.0.1:{port}/", "plugins": {}}

    async def talk() -> list[str]:
        client = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
        try:
            await client.write_message(json.dumps(hello))
            commands = [json.loads(await client.read_message())["command"]]
            await client.write_message(json.dumps(info))
            while True:
                try:
                    message = await asyncio.wait_for(client.read_message(), 0.3)
                except TimeoutError:
                    return commands
                commands.append(json.loads(message)["command"])
        finally:
            client.close()

    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever runs on this thread
        return thread.submit(asyncio.run, talk()).result(timeout=30)


def _generation_served(port: int) -> int:
    found = CLIENT_TAG.search(_raw_get(port, "/")[2])
    assert found is not None
    return int(found.group(1))


def test_a_page_that_missed_a_reload_is_reloaded_when_it_connects(live_site: LiveSite) -> None:
    server, _, _ = live_site
    served = _generation_served(server.port)
    assert _handshake(server.port, served) == ["hello"]
    server.reload()  # while the page was loading: no browser was connected to hear it
    deadline = time.monotonic() + 10
    while _generation_served(server.port) == served and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _handshake(server.port, served) == ["hello", "reload"]
    assert _handshake(server.port, _generation_served(server.port)) == ["hello"]


@pytest.mark.parametrize(
    "path",
    ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/sessions/..%2f..%2fsecret", "/a\\b",
     "/%00index.html", "/./index.html"],
)  # fmt: skip
def test_refuses_path_traversal(live_site: LiveSite, path: str) -> None:
    server, _, _ = live_site
    status, _, body = _raw_get(server.port, path)
    assert status == 400 and b"refused" in body


def test_site_path_maps_requests_to_output_paths() -> None:
    assert site_path("/") == "index.html"
    assert site_path("/schedule/") == "schedule/index.html"
    assert site_path("/speakers/Ana%20K.html") == "speakers/Ana K.html"
    assert site_path("/x/../y") is None
    assert site_path("relative") is None


def test_failed_rebuild_keeps_serving_the_last_site_with_an_overlay(live_site: LiveSite) -> None:
    server, site, rebuilder = live_site
    good = _raw_get(server.port, "/speakers/index.html")[2]
    site.fail(BuildFailure.from_error(SourceError("invalid JSON <here>", file="/x/sessions")))
    status, _, body = _raw_get(server.port, "/speakers/index.html")
    assert status == 200 and b'id="eventsite-error"' in body
    assert b"invalid JSON &lt;here&gt;" in body and b"/x/sessions" in body
    overlay = body[body.index(b'<div id="eventsite-error"') : body.index(b"</body>")]
    assert body.replace(overlay, b"") == good
    assert _raw_get(server.port, "/schedule.json")[2] == rebuilder.files["schedule.json"]
    site.publish(rebuilder.files)
    assert _raw_get(server.port, "/speakers/index.html")[2] == good


def test_before_the_first_good_build_every_page_explains_why(tmp_path: Path) -> None:
    site = PreviewSite()
    response = site.respond("/index.html")
    assert response.status == 503 and b"Building" in response.body
    site.fail(BuildFailure.from_error(SourceError("no 'event' file", file=str(tmp_path))))
    response = site.respond("/sessions/1.html")
    assert response.status == 503 and b"no &#39;event&#39; file" in response.body


def test_a_burst_of_changes_makes_one_rebuild() -> None:
    batches: list[set[Path] | None] = []
    done = threading.Event()

    def rebuild(changed: set[Path] | None) -> None:
        batches.append(changed)
        done.set()

    loop = RebuildLoop(rebuild, debounce=0.3)
    loop.start()
    for number in range(30):
        loop.notify(Path(f"/export/images/{number}.png"))
        time.sleep(0.005)
    assert done.wait(5)
    time.sleep(0.5)
    loop.stop()
    assert len(batches) == 1 and len(batches[0] or ()) == 30
    assert not any(t.name == "eventsite-rebuild" for t in threading.enumerate())


def test_watcher_reports_writes_but_not_reads_or_ignored_paths(tmp_path: Path) -> None:
    source, output, archive = tmp_path / "export", tmp_path / "export" / "site", tmp_path / "a.zip"
    output.mkdir(parents=True)
    (source / "sessions").write_text("[]")
    archive.write_bytes(b"zip")
    (tmp_path / "other.txt").write_text("x")
    seen: list[Path] = []
    watcher = FileWatcher(seen.append, lambda p: p.is_relative_to(output))
    watcher.start()
    watcher.watch([source], [archive])
    try:
        (source / "sessions").read_text()
        (output / "index.html").write_text("built")
        (tmp_path / "other.txt").write_text("y")
        time.sleep(0.5)
        assert seen == []
        (source / "sessions").write_text('[{"id": 1}]')
        archive.write_bytes(b"new zip")
        deadline = time.monotonic() + 5
        while {source / "sessions", archive} - set(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {source / "sessions", archive} <= set(seen)
        assert all(p in (source / "sessions", archive) for p in seen)
    finally:
        watcher.stop()


def test_api_poller_uses_conditional_requests(httpserver: HTTPServer) -> None:
    state = {"body": b'{"name": "v1"}', "etag": '"v1"'}
    seen_validators: list[str | None] = []

    def handler(request: Request) -> Response:
        seen_validators.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == state["etag"]:
            return Response(status=304)
        return Response(state["body"], headers={"ETag": state["etag"]})

    httpserver.expect_request("/v1/events/7").respond_with_handler(handler)
    logged: list[str] = []
    poller = ApiPoller([httpserver.url_for("/v1/events/7")], 60, lambda: None, logged.append)
    try:
        assert poller.check() is False  # the first answer is the baseline
        assert poller.check() is False  # 304 Not Modified
        state.update(body=b'{"name": "v2"}', etag='"v2"')
        assert poller.check() is True
        assert poller.check() is False
    finally:
        poller.stop()
    assert seen_validators == [None, '"v1"', '"v1"', '"v2"']
    assert logged == []


def test_api_poller_never_logs_tokens(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/events/7").respond_with_data("down", status=503)
    logged: list[str] = []
    url = httpserver.url_for("/v1/events/7").replace("://", "://user:pw@") + "?api_key=SECRET1"
    poller = ApiPoller([url], 60, lambda: None, logged.append)
    try:
        assert poller.check() is False
    finally:
        poller.stop()
    assert len(logged) == 1 and "HTTP 503" in logged[0]
    assert "SECRET1" not in logged[0] and "pw" not in logged[0]
    assert redact("https://a:b@host:8443/p?token=x#f") == "https://host:8443/p"


def _eventsite(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "eventsite", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_serve_errors(tmp_path: Path) -> None:
    missing = _eventsite("serve", str(tmp_path / "missing.zip"), cwd=tmp_path)
    assert missing.returncode == 1 and "missing.zip: no such file or folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_port = _eventsite("serve", "--port", "70000", cwd=tmp_path)
    assert bad_port.returncode == 2 and "not a port number" in bad_port.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = _eventsite("serve", str(SAMPLE), "--port", str(port), "-o", "out", cwd=tmp_path)
    assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "Traceback" not in busy.stderr


def test_serve_refuses_an_output_folder_that_is_not_its_own(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    rebuilder = Rebuilder(BuildOptions(source=str(export), output=tmp_path / "notes"))
    with pytest.raises(Exception, match="not empty and was not made by eventsite"):
        rebuilder.build_all()
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


def test_api_poller_sends_the_authorization_header(httpserver: HTTPServer) -> None:
    from eventsite.sources.api import ApiOptions

    seen: list[str | None] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("Authorization"))
        return Response(b'{"data": {}}', status=200, content_type="application/vnd.api+json")

    httpserver.expect_request("/v1/events/7").respond_with_handler(handler)
    url = httpserver.url_for("/v1/events/7")
    api = ApiOptions(environ={"EVENTSITE_API_TOKEN": "tok3n"})
    poller = ApiPoller([url], 60, lambda: None, [].append, lambda u: api.client(u).auth.headers())
    try:
        poller.check()
    finally:
        poller.stop()
    assert seen == ["JWT tok3n"]


def test_a_finished_save_rebuilds_without_the_whole_debounce() -> None:
    batches: list[tuple[float, set[Path] | None]] = []
    done = threading.Event()

    def rebuild(changed: set[Path] | None) -> None:
        batches.append((time.monotonic(), changed))
        done.set()

    loop = RebuildLoop(rebuild, debounce=2.0)
    loop.start()
    try:
        started = time.monotonic()
        loop.notify(Path("/export/sessions"))  # written...
        loop.notify(Path("/export/.sessions.tmp"))
        loop.notify_saved(Path("/export/.sessions.tmp"))  # ...closed, then moved into place
        loop.notify_saved(Path("/export/sessions"))
        assert done.wait(1.5)
        assert batches[0][1] == {Path("/export/sessions"), Path("/export/.sessions.tmp")}
        assert batches[0][0] - started < 1.0
        done.clear()
        started = time.monotonic()
        loop.notify(Path("/export/speakers"))  # still being written: the whole debounce
        assert done.wait(5)
        assert batches[1][0] - started >= 1.9
    finally:
        loop.stop()


def test_watcher_tells_finished_writes_apart(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    changed: list[Path] = []
    saved: list[Path] = []
    watcher = FileWatcher(changed.append, lambda p: False, saved.append)
    watcher.start()
    watcher.watch([source], [])
    try:
        with (source / "sessions").open("w") as handle:
            handle.write("[]")
            handle.flush()
            deadline = time.monotonic() + 5
            while not changed and time.monotonic() < deadline:
                time.sleep(0.02)
            assert changed and saved == []  # open for writing: not finished
        deadline = time.monotonic() + 5
        while not saved and time.monotonic() < deadline:
            time.sleep(0.02)
        assert saved == [source / "sessions"]
    finally:
        watcher.stop()
