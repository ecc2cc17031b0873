"""A failing or misbehaving API server: exit 1, one message naming the URL, no site written."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_server import _running_server, error_response, jsonapi_response, local_server  # noqa: F401
from pytest_httpserver import HTTPServer
from werkzeug import Response

from eventsite.cli import main

EVENT_PATH = "/v1/events/ab12cd34"
EVENT = {"type": "event", "id": "1", "attributes": {"name": "X", "timezone": "UTC"}}


def build(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Run `eventsite build URL`, check the failure contract, return stderr."""
    started = time.monotonic()
    code = main(["build", url, "-o", str(tmp_path / "site"), *extra, "--offline"])
    _, err = capsys.readouterr()
    assert code == 1, err
    assert url in err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one line: the message
    assert not (tmp_path / "site").exists()
    assert time.monotonic() - started < 10
    return err


def serve_event(server: HTTPServer, response: Response) -> str:
    server.expect_request(EVENT_PATH).respond_with_response(response)
    return server.url_for(EVENT_PATH)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "HTTP 401 Unauthorized: the event is not public; set EVENTSITE_API_TOKEN"),
        (403, "HTTP 403 Forbidden: this account may not read the event"),
        (404, "HTTP 404 Not Found: no such event"),
        (500, "HTTP 500: the server failed (500 - boom); try again later"),
    ],
    ids=["401", "403", "404", "500"],
)
def test_http_errors_are_explained(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    status: int,
    words: str,
) -> None:
    url = serve_event(local_server, error_response(status, "boom"))
    err = build(url, tmp_path, capsys)
    assert words in err
    assert len(local_server.log) == 1  # none of these is retried


BAD_DOCUMENTS = {
    "html-page": (
        Response("<!DOCTYPE html><html><body>Welcome</body></html>", content_type="text/html"),
        "answered with an HTML page (HTTP 200), not JSON:API",
    ),
    "html-labelled-json": (
        Response("<html><body>Login</body></html>", content_type="application/json"),
        "answered with an HTML page",
    ),
    "invalid-json": (
        Response('{"data": {"type": "event",', content_type="application/vnd.api+json"),
        "the answer is not valid JSON (line 1",
    ),
    "no-data-member": (
        jsonapi_response({"meta": {}}),
        "not a JSON:API document (no 'data' member)",
    ),
    "not-an-object": (jsonapi_response([1, 2]), "not a JSON:API document (not a JSON object)"),
    "event-is-a-list": (jsonapi_response({"data": [EVENT]}), "expected a single event resource"),
    "wrong-type": (
        jsonapi_response({"data": {**EVENT, "type": "speaker"}}),
        "is a 'speaker' resource where 'event' resources were expected",
    ),
    "no-id": (jsonapi_response({"data": {"type": "event"}}), "data (event) has no 'id'"),
    "attributes-not-object": (
        jsonapi_response({"data": {**EVENT, "attributes": [1]}}),
        "'attributes' is not an object",
    ),
}


@pytest.mark.parametrize(("response", "words"), BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_bad_documents_are_refused(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    response: Response,
    words: str,
) -> None:
    url = serve_event(local_server, response)
    local_server.expect_request(f"{EVENT_PATH}/sessions").respond_with_response(
        jsonapi_response({"data": []})
    )
    err = build(url, tmp_path, capsys)
    assert words in err


def test_malformed_collection_page_names_the_page(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_event(local_server, jsonapi_response({"data": EVENT}))
    local_server.expect_request(f"{EVENT_PATH}/sessions").respond_with_response(
        jsonapi_response({"data": [{"type": "session", "id": "1"}, {"id": "2"}]})
    )
    err = build(local_server.url_for(EVENT_PATH), tmp_path, capsys)
    assert f"{EVENT_PATH}/sessions?page%5Bsize%5D=0&include=" in err
    assert "data[1] is not a resource with a type and id" in err


def test_links_next_to_another_server_is_refused(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_event(local_server, jsonapi_response({"data": EVENT}))
    page = {"data": [], "links": {"next": "https://elsewhere.example/v1/sessions?page[number]=2"}}
    local_server.expect_request(f"{EVENT_PATH}/sessions").respond_with_response(
        jsonapi_response(page)
    )
    err = build(local_server.url_for(EVENT_PATH), tmp_path, capsys)
    assert "'links.next' points to another server (https://elsewhere.example); refused" in err


def test_links_next_loop_is_refused(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_event(local_server, jsonapi_response({"data": EVENT}))
    page = {"data": [], "links": {"next": f"{EVENT_PATH}/sessions?page[number]=1"}}
    local_server.expect_request(f"{EVENT_PATH}/sessions").respond_with_response(
        jsonapi_response(page)
    )
    err = build(local_server.url_for(EVENT_PATH), tmp_path, capsys)
    assert "loops back to a page already read" in err


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{EVENT_PATH}"


def test_a_server_that_never_answers_is_abandoned_within_the_timeout(
    silent_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    err = build(silent_server, tmp_path, capsys, "--timeout", "1")
    assert "the server did not answer within 1 s" in err
    assert time.monotonic() - started < 3


def test_fetch_from_a_silent_server_writes_nothing(
    silent_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fetch", silent_server, "-o", str(tmp_path / "s.zip"), "--timeout", "0.5"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "did not answer within 0.5 s" in err
    assert list(tmp_path.iterdir()) == []


def test_unavailable_is_retried_after_the_servers_retry_after(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = iter(
        [
            Response("busy", status=503, headers={"Retry-After": "1"}),
            jsonapi_response({"data": EVENT}),
        ]
    )
    local_server.expect_request(EVENT_PATH).respond_with_handler(lambda _: next(answers))
    local_server.expect_request(f"{EVENT_PATH}/sessions").respond_with_response(
        jsonapi_response({"data": []})
    )
    started = time.monotonic()
    code = main(["check", local_server.url_for(EVENT_PATH)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "0 public sessions" in out
    event_requests = [r for r, _ in local_server.log if r.path == EVENT_PATH]
    assert len(event_requests) == 2
    assert time.monotonic() - started >= 1.0


def test_too_many_requests_with_a_long_retry_after_gives_up(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = serve_event(
        local_server, Response("slow down", status=429, headers={"Retry-After": "600"})
    )
    err = build(url, tmp_path, capsys)
    assert "HTTP 429: the server asks to retry after 600 s; giving up" in err


def test_retries_stop_after_the_limit(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = serve_event(
        local_server, Response("bad gateway", status=502, headers={"Retry-After": "0"})
    )
    err = build(url, tmp_path, capsys)
    assert "HTTP 502: the server failed; try again later" in err
    assert len(local_server.log) == 4  # the first attempt and three retries


def test_missing_optional_collection_is_a_warning(
    local_server: HTTPServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_event(local_server, jsonapi_response({"data": EVENT}))
    local_server.expect_request(f"{EVENT_PATH}/sessions").respond_with_response(
        jsonapi_response({"data": []})
    )
    code = main(["check", local_server.url_for(EVENT_PATH)])
    _, err = capsys.readouterr()
    assert code == 0
    assert f"{EVENT_PATH}/sponsors: file: HTTP 404 Not Found" in err


def test_missing_sessions_collection_is_an_error(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = serve_event(local_server, jsonapi_response({"data": EVENT}))
    err = build(url, tmp_path, capsys)
    assert f"{EVENT_PATH}/sessions?page%5Bsize%5D=0" in err
    assert "HTTP 404 Not Found" in err


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.org/v1/sessions/3",
        "ftp://api.example.org/v1/events/x",
        "https:///events/x",
    ],
)
def test_a_url_that_is_not_an_event_url_is_a_usage_error(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["build", url, "-o", str(tmp_path / "site"), "--offline"])
    _, err = capsys.readouterr()
    if url.startswith("ftp:"):  # not a URL eventsite fetches: read as a (missing) path
        assert code == 1
        assert "no such file or folder" in err
        return
    assert code == 2
    assert "is not an event URL of an Open Event API" in err


def test_the_event_documents_errors_member_is_shown(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = {"errors": [{"status": "422", "title": "Invalid include", "detail": "social-links"}]}
    url = serve_event(local_server, Response(json.dumps(body), status=422))
    err = build(url, tmp_path, capsys)
    assert "HTTP 422 (422 - Invalid include - social-links)" in err
