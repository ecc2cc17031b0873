"""One remote media fetch: GET with redirects, timeouts, size caps and content checks.

The headers of the GET are checked before any body byte is read (status, Content-Length,
Content-Type), which does what a HEAD request would without a second round trip; the body is
then streamed and abandoned as soon as it passes the size cap, the build budget or the
per-file deadline. A server-supplied file name (Content-Disposition) is never looked at.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import quote, urljoin, urlsplit

from eventsite import __version__
from eventsite.fetch.connect import open_connection
from eventsite.fetch.policy import (
    FetchFailed,
    FetchPolicy,
    FetchRefused,
    Resolver,
    check_url,
    system_resolver,
)

REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_IMAGE_TYPES = ("text/", "application/json", "application/xml", "application/xhtml")
CHUNK = 64 * 1024
USER_AGENT = f"eventsite/{__version__} (static site generator; media fetch)"
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"

Spend = Callable[[int], None]  # charges bytes to the build budget; raises FetchRefused


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str = ""
    last_modified: str = ""

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # final URL after redirects
    status: int  # 200, or 304 when the validators still match
    body: bytes
    headers: Message


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    validators: Validators | None = None,
    spend: Spend | None = None,
    resolver: Resolver = system_resolver,
) -> Response:
    """GET `url`, following at most `policy.max_redirects` redirects through checked hops."""
    deadline = time.monotonic() + policy.total_timeout
    current = url
    for _hop in range(policy.max_redirects + 1):
        scheme, host, port = check_url(current)
        connection = open_connection(scheme, host, port, policy, resolver)
        watchdog = _cut_at(connection, deadline)
        try:
            response = _request(connection, current, validators)
            _check_deadline(policy, deadline)  # the watchdog's cut can look like a short answer
            if response.status in REDIRECTS:
                current = _redirect_target(current, response)
                continue
            return _finish(current, response, policy, deadline, spend)
        except (http.client.HTTPException, OSError) as exc:
            raise _network_failure(exc, policy, deadline) from None
        finally:
            watchdog.cancel()
            connection.close()
    raise FetchRefused(f"more than {policy.max_redirects} redirects")


def _cut_at(connection: http.client.HTTPConnection, deadline: float) -> threading.Timer:
    """Shut the connection down at `deadline`, even while it waits for slow header lines."""

    def cut() -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), cut)
    timer.daemon = True
    timer.start()
    return timer


def _network_failure(exc: Exception, policy: FetchPolicy, deadline: float) -> FetchFailed:
    try:
        _check_deadline(policy, deadline)
    except FetchFailed as late:
        return late
    if isinstance(exc, TimeoutError):
        return FetchFailed("the server did not answer in time")
    return FetchFailed(f"broken HTTP response ({type(exc).__name__})")


def _request(
    connection: http.client.HTTPConnection, url: str, validators: Validators | None
) -> http.client.HTTPResponse:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1",
        "Accept-Encoding": "identity",
        "Connection": "close",
        **(validators.headers() if validators else {}),
    }
    connection.request("GET", request_target(url), headers=headers)
    return connection.getresponse()


def request_target(url: str) -> str:
    """Path and query of `url`, percent-encoded where the data left raw characters."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    return path + ("?" + quote(parts.query, safe=_QUERY_SAFE) if parts.query else "")


def _redirect_target(current: str, response: http.client.HTTPResponse) -> str:
    location = response.getheader("Location")
    if not location:
        raise FetchFailed(f"HTTP {response.status} redirect without a Location")
    target = urljoin(current, location.strip())
    check_url(target)  # refuse file:, data:, ftp: … before anything else happens
    return target


def _finish(
    url: str,
    response: http.client.HTTPResponse,
    policy: FetchPolicy,
    deadline: float,
    spend: Spend | None,
) -> Response:
    if response.status == 304:
        return Response(url, 304, b"", response.msg)
    if response.status != 200:
        reason = response.reason or http.client.responses.get(response.status, "")
        raise FetchFailed(f"HTTP {response.status} {reason}".strip())
    _check_headers(response, policy)
    body = _read_capped(response, policy, deadline, spend)
    return Response(url, 200, body, response.msg)


def _check_headers(response: http.client.HTTPResponse, policy: FetchPolicy) -> None:
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type.startswith(NOT_IMAGE_TYPES):
        raise FetchFailed(f"the server sent {content_type}, not an image")
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > policy.max_bytes:
        raise FetchRefused(f"{int(length):,} bytes is over the {policy.max_bytes:,}-byte limit")


def _read_capped(
    response: http.client.HTTPResponse, policy: FetchPolicy, deadline: float, spend: Spend | None
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(CHUNK):
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchRefused(f"more than the {policy.max_bytes:,}-byte limit; abandoned")
        if spend is not None:
            spend(len(chunk))
        _check_deadline(policy, deadline)
        chunks.append(chunk)
    _check_deadline(policy, deadline)
    return b"".join(chunks)


def _check_deadline(policy: FetchPolicy, deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise FetchFailed(f"slower than the {policy.total_timeout:g} s limit per file")
