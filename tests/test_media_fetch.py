"""Remote media against a real local HTTP server: safety rules, limits, cache and offline mode.

The server binds 127.0.0.1, so the policy used here allows exactly 127.0.0.1/32 and nothing
else: every other private, loopback or link-local address stays refused, which is what the
redirect and DNS tests rely on.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from eventsite.fetch.cache import MediaCache
from eventsite.fetch.connect import open_checked_socket
from eventsite.fetch.policy import FetchPolicy, FetchRefused, display_url, system_resolver
from eventsite.fetch.remote import RemoteMedia
from eventsite.issues import IssueLog
from eventsite.media import ImageRequest, MediaResolver
from eventsite.model.entities import MediaRef
from eventsite.sources.base import MediaStore

LOCAL_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
MEDIA_NAME = re.compile(r"media/[0-9a-f]{20}\.(webp|jpg|png)")


def jpeg(width: int = 400, height: int = 300, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png(width: int = 120, height: int = 60) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 90, 200, 128)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def web(server: HTTPServer) -> Iterator[HTTPServer]:
    server.clear()
    yield server
    server.clear()


def fetcher(cache: Path, **limits: object) -> RemoteMedia:
    policy = FetchPolicy(allowed_networks=LOCAL_ONLY, **limits)  # type: ignore[arg-type]
    return RemoteMedia(MediaCache(cache), policy)


def statuses(http: HTTPServer) -> list[int]:
    return [response.status_code for _request, response in http.log]


def resolve_photos(remote: RemoteMedia, urls: list[str]) -> tuple[MediaResolver, IssueLog]:
    issues = IssueLog()
    resolver = MediaResolver(MediaStore(), issues, remote)
    requests = [ImageRequest(MediaRef(u, "speaker"), "speaker", str(i)) for i, u in enumerate(urls)]
    resolver.prepare(requests)
    return resolver, issues


# --- normal downloads ----------------------------------------------------------------------


def test_images_download_concurrently_once_per_url(web: HTTPServer, tmp_path: Path) -> None:
    for n in range(12):
        web.expect_request(f"/photos/{n}.jpg").respond_with_data(
            jpeg(color=(n * 20, 80, 80)), content_type="image/jpeg"
        )
    urls = [web.url_for(f"/photos/{n}.jpg") for n in range(12)]
    remote = fetcher(tmp_path / "cache")
    resolver, issues = resolve_photos(remote, urls + urls[:4])  # four URLs used twice

    assert not list(issues), [str(i) for i in issues]
    assert len(web.log) == 12 and set(statuses(web)) == {200}
    assert remote.stats.downloaded == 12
    assets = [resolver.image(MediaRef(u, "speaker"), "speaker", "x") for u in urls]
    assert all(a is not None and a.width == 160 and a.thumbnail is not None for a in assets)
    assert all(MEDIA_NAME.fullmatch(path) for path in resolver.files)
    # resized for the role: 160 px at 1x, and a denser variant for 2x screens
    first = assets[0]
    assert first is not None and first.srcset[0][1] == 1.0
    assert Image.open(io.BytesIO(resolver.files[first.path])).size == (160, 160)


def test_redirect_chain_is_followed(web: HTTPServer, tmp_path: Path) -> None:
    image = jpeg()
    web.expect_request("/a").respond_with_response(Response(status=301, headers={"Location": "/b"}))
    web.expect_request("/b").respond_with_response(
        Response(status=302, headers={"Location": web.url_for("/c")})
    )
    web.expect_request("/c").respond_with_response(Response(status=307, headers={"Location": "d"}))
    web.expect_request("/d").respond_with_data(image, content_type="image/jpeg")
    result = fetcher(tmp_path)(web.url_for("/a"))
    assert result.data == image
    assert statuses(web) == [301, 302, 307, 200]


def test_a_host_is_looked_up_once_per_fetch(web: HTTPServer, tmp_path: Path) -> None:
    """The lookup made before the first connection serves every hop to the same host."""
    image = jpeg()
    web.expect_request("/a").respond_with_response(Response(status=302, headers={"Location": "/b"}))
    web.expect_request("/b").respond_with_data(image, content_type="image/jpeg")
    lookups: list[tuple[str, int]] = []

    def counting(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return system_resolver(host, port)

    remote = RemoteMedia(MediaCache(tmp_path), FetchPolicy(allowed_networks=LOCAL_ONLY))
    remote.resolver = counting
    assert remote(web.url_for("/a")).data == image
    assert statuses(web) == [302, 200]
    assert lookups == [("127.0.0.1", web.port)]


def test_too_many_redirects_are_refused(web: HTTPServer, tmp_path: Path) -> None:
    web.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": "/loop"})
    )
    result = fetcher(tmp_path, max_redirects=3)(web.url_for("/loop"))
    assert result.data is None and "more than 3 redirects" in result.problem
    assert len(web.log) == 4


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
        ("http://127.0.0.2:{port}/x.jpg", "loopback address 127.0.0.2"),
        ("http://10.1.2.3/x.jpg", "private address 10.1.2.3"),
        ("http://100.64.0.9/x.jpg", "carrier-grade NAT address 100.64.0.9"),
        ("http://[::ffff:127.0.0.2]/x.jpg", "loopback address 127.0.0.2"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("ftp://example.org/x.jpg", "scheme 'ftp' is not allowed"),
    ],
    ids=["metadata", "loopback", "private", "cgnat", "mapped-v6", "file", "ftp"],
)
def test_redirect_to_a_refused_address_is_refused(
    web: HTTPServer, tmp_path: Path, target: str, words: str
) -> None:
    web.expect_request("/jump").respond_with_response(
        Response(status=302, headers={"Location": target.format(port=web.port)})
    )
    result = fetcher(tmp_path)(web.url_for("/jump"))
    assert result.data is None
    assert "refused" in result.problem and words in result.problem
    assert statuses(web) == [302]  # nothing else was contacted


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "data:image/png;base64,iVBORw0KGgo=", "ftp://x.org/a.png"]
)
def test_non_http_schemes_are_refused(tmp_path: Path, url: str) -> None:
    result = fetcher(tmp_path)(url)
    assert result.data is None and "is not allowed (only http and https)" in result.problem


def test_private_hosts_are_refused_unless_allowed(web: HTTPServer, tmp_path: Path) -> None:
    web.expect_request("/p.jpg").respond_with_data(jpeg(), content_type="image/jpeg")
    cache = MediaCache(tmp_path)
    for url in (web.url_for("/p.jpg"), f"http://localhost:{web.port}/p.jpg"):
        result = RemoteMedia(cache, FetchPolicy())(url)  # default policy: public hosts only
        assert result.data is None and "loopback address" in result.problem
    assert web.log == []  # refused before connecting
    allowed = RemoteMedia(cache, FetchPolicy(allow_private=True))(web.url_for("/p.jpg"))
    assert allowed.data is not None


def test_socket_goes_only_to_an_allowed_address(web: HTTPServer) -> None:
    """The resolved answers are checked one by one; the socket connects to the checked one."""
    policy = FetchPolicy(allowed_networks=LOCAL_ONLY)

    def rebinding(_host: str, _port: int) -> list[str]:
        return ["10.0.0.7", "169.254.169.254", "127.0.0.1"]

    sock = open_checked_socket("media.example", web.port, policy, rebinding)
    try:
        assert sock.getpeername()[0] == "127.0.0.1"
    finally:
        sock.close()
    with pytest.raises(FetchRefused, match=r"private address 10\.0\.0\.7"):
        open_checked_socket("media.example", web.port, policy, lambda _h, _p: ["10.0.0.7"])


# --- limits and content checks -------------------------------------------------------------


def test_oversized_file_is_refused_by_length_and_by_stream(web: HTTPServer, tmp_path: Path) -> None:
    big = b"\xff\xd8\xff" + b"\0" * 300_000
    web.expect_request("/big.jpg").respond_with_data(big, content_type="image/jpeg")

    def dribble(_request: Request) -> Response:
        chunks = (b"\0" * 10_000 for _ in range(100))  # no Content-Length: streamed
        return Response(chunks, content_type="image/jpeg")

    web.expect_request("/stream.jpg").respond_with_handler(dribble)
    remote = fetcher(tmp_path, max_bytes=100_000)
    declared = remote(web.url_for("/big.jpg"))
    assert declared.data is None and "over the 100,000-byte limit" in declared.problem
    streamed = remote(web.url_for("/stream.jpg"))
    assert streamed.data is None and "more than the 100,000-byte limit" in streamed.problem
    assert remote.stats.bytes <= 100_000


def test_build_budget_stops_further_downloads(web: HTTPServer, tmp_path: Path) -> None:
    image = jpeg(800, 600)
    for n in range(3):
        web.expect_request(f"/b{n}.jpg").respond_with_data(image, content_type="image/jpeg")
    remote = fetcher(tmp_path, budget_bytes=int(len(image) * 1.5))
    results = [remote(web.url_for(f"/b{n}.jpg")) for n in range(3)]
    assert results[0].data == image
    assert all(r.data is None and "budget" in r.problem for r in results[1:])


@pytest.mark.parametrize(
    ("content_type", "words"),
    [
        ("text/html; charset=utf-8", "the server sent text/html, not an image"),  # by header
        ("image/jpeg", "not an image (the content is no JPEG"),  # by the bytes
    ],
)
def test_html_instead_of_an_image_is_rejected(
    web: HTTPServer, tmp_path: Path, content_type: str, words: str
) -> None:
    page = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    web.expect_request("/photo.jpg").respond_with_data(page, content_type=content_type)
    remote = fetcher(tmp_path / "cache")
    resolver, issues = resolve_photos(remote, [web.url_for("/photo.jpg")])
    assert resolver.files == {}
    (issue,) = list(issues)
    assert issue.kind == "remote-media" and issue.entity == "speaker" and issue.id == "0"
    assert words in issue.message and "placeholder" in issue.message
    assert not list((tmp_path / "cache").rglob("*.bin"))  # never cached


def test_http_errors_become_warnings_with_a_placeholder(web: HTTPServer, tmp_path: Path) -> None:
    web.expect_request("/gone.jpg").respond_with_data("no", status=404)
    web.expect_request("/oops.jpg").respond_with_data("no", status=500)
    urls = [web.url_for("/gone.jpg"), web.url_for("/oops.jpg")]
    resolver, issues = resolve_photos(fetcher(tmp_path), urls)
    messages = [i.message for i in issues]
    assert "HTTP 404 NOT FOUND" in messages[0].upper() and "HTTP 500" in messages[1]
    assert resolver.image(MediaRef(urls[0], "speaker"), "speaker", "0") is None


def test_slow_server_times_out(web: HTTPServer, tmp_path: Path) -> None:
    def sleepy(_request: Request) -> Response:
        time.sleep(1.5)
        return Response(jpeg(), content_type="image/jpeg")

    def trickle(_request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for byte in jpeg():
                time.sleep(0.05)
                yield bytes([byte])

        return Response(body(), content_type="image/jpeg")

    web.expect_request("/sleepy.jpg").respond_with_handler(sleepy)
    web.expect_request("/trickle.jpg").respond_with_handler(trickle)
    remote = fetcher(tmp_path, read_timeout=0.4, total_timeout=0.8)
    started = time.monotonic()
    assert "did not answer in time" in remote(web.url_for("/sleepy.jpg")).problem
    assert "slower than the 0.8 s limit" in remote(web.url_for("/trickle.jpg")).problem
    assert time.monotonic() - started < 3
    while len(web.log) < 2 and time.monotonic() - started < 5:
        time.sleep(0.05)  # let the sleepy handler finish, so its log does not leak onward


def test_headers_sent_a_byte_at_a_time_hit_the_per_file_limit(tmp_path: Path) -> None:
    """Each byte comes within the read timeout, so only the per-file deadline stops this."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def slowloris() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 200:
                if stop.is_set():
                    return
                with contextlib.suppress(OSError):
                    connection.sendall(bytes([byte]))
                time.sleep(0.05)

    thread = threading.Thread(target=slowloris, daemon=True)
    thread.start()
    remote = fetcher(tmp_path, read_timeout=0.5, total_timeout=1.0)
    started = time.monotonic()
    result = remote(f"http://127.0.0.1:{listener.getsockname()[1]}/p.jpg")
    stop.set()
    thread.join(5)
    listener.close()
    assert result.data is None and "slower than the 1 s limit" in result.problem
    assert time.monotonic() - started < 2.5


def test_server_file_names_are_never_used(web: HTTPServer, tmp_path: Path) -> None:
    web.expect_request("/evil").respond_with_data(
        png(),
        content_type="image/png",
        headers={"Content-Disposition": 'attachment; filename="../../x.html"'},
    )
    resolver, issues = resolve_photos(fetcher(tmp_path / "cache"), [web.url_for("/evil")])
    assert not list(issues)
    assert resolver.files and all(MEDIA_NAME.fullmatch(p) for p in resolver.files)
    assert not any("x.html" in str(p) for p in tmp_path.rglob("*"))


# --- cache and offline ---------------------------------------------------------------------


def conditional_image(image: bytes, etag: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(image, content_type="image/jpeg", headers={"ETag": etag})

    return handler


def test_warm_cache_rebuild_transfers_nothing(web: HTTPServer, tmp_path: Path) -> None:
    urls = []
    for n in range(6):
        web.expect_request(f"/w{n}.jpg").respond_with_handler(
            conditional_image(jpeg(color=(10, n * 30, 90)), f'"v{n}"')
        )
        urls.append(web.url_for(f"/w{n}.jpg"))
    cold, _ = resolve_photos(fetcher(tmp_path / "cache"), urls)
    assert statuses(web) == [200] * 6
    web.clear_log()

    warm_remote = fetcher(tmp_path / "cache")
    warm, issues = resolve_photos(warm_remote, urls)
    assert not list(issues)
    assert statuses(web) == [304] * 6  # only revalidation, no body sent
    assert all(response.get_data() == b"" for _request, response in web.log)
    assert warm_remote.stats.downloaded == 0 and warm_remote.stats.revalidated == 6
    assert warm.files == cold.files  # byte-identical output


def test_fresh_cache_entries_are_used_without_asking(web: HTTPServer, tmp_path: Path) -> None:
    web.expect_request("/fresh.jpg").respond_with_data(
        jpeg(), content_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"}
    )
    url = web.url_for("/fresh.jpg")
    assert fetcher(tmp_path)(url).data is not None
    again = fetcher(tmp_path)
    assert again(url).data is not None and again.stats.fresh == 1
    assert len(web.log) == 1


def test_changed_image_is_downloaded_again(web: HTTPServer, tmp_path: Path) -> None:
    old, new = jpeg(color=(1, 2, 3)), jpeg(color=(200, 200, 3))
    web.expect_request("/c.jpg").respond_with_handler(conditional_image(old, '"1"'))
    url = web.url_for("/c.jpg")
    assert fetcher(tmp_path)(url).data == old
    web.clear()
    web.expect_request("/c.jpg").respond_with_handler(conditional_image(new, '"2"'))
    assert fetcher(tmp_path)(url).data == new


def test_offline_uses_only_the_cache(web: HTTPServer, tmp_path: Path) -> None:
    image = jpeg()
    web.expect_request("/o.jpg").respond_with_data(image, content_type="image/jpeg")
    url = web.url_for("/o.jpg")
    cache = MediaCache(tmp_path / "cache")
    cold = RemoteMedia(cache, FetchPolicy(allow_private=True), offline=True)(url)
    assert cold.data is None and "--offline" in cold.problem
    assert web.log == []
    assert RemoteMedia(cache, FetchPolicy(allow_private=True))(url).data == image
    web.clear_log()
    warm = RemoteMedia(cache, FetchPolicy(allow_private=True), offline=True)
    assert warm(url).data == image and warm.stats.offline == 1
    assert web.log == []


def test_damaged_cache_entry_is_ignored(web: HTTPServer, tmp_path: Path) -> None:
    image = jpeg()
    web.expect_request("/d.jpg").respond_with_data(image, content_type="image/jpeg")
    url = web.url_for("/d.jpg")
    fetcher(tmp_path)(url)
    for body in tmp_path.rglob("*.bin"):
        body.write_bytes(b"tampered")
    assert fetcher(tmp_path)(url).data == image
    assert len(web.log) == 2


def test_messages_never_show_query_strings_or_credentials() -> None:
    url = "https://user:secret@bucket.example/p.jpg?X-Goog-Signature=abc&token=t0k"
    shown = display_url(url)
    assert shown == "https://bucket.example/p.jpg?…"
    assert "secret" not in shown and "t0k" not in shown
