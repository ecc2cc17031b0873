"""Test tool: a real local HTTP server answering like the Open Event API (JSON:API, paging, JWT).

It serves a `JsonApiEvent` (see `jsonapi_convert`) on pytest-httpserver bound to 127.0.0.1:

    GET  /v1/events/{id}?include=social-links,event-copyright
    GET  /v1/events/{id}/{collection}?include=...&page[number]=N
    POST /auth/session   {"email", "password"} -> {"access_token": <JWT>}

Paging ignores `page[size]` (the client must follow `links.next`), and the pages' `links.next`
are relative or absolute. With `token` or `users` set, requests without a valid
`Authorization: <scheme> <JWT>` get a 401, as the real server answers for unpublished events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

import pytest
from jsonapi_convert import JsonApiEvent, convert_export
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SECRET = b"test-secret-not-used-anywhere-else"
COLLECTION_PATH = re.compile(r"^/v1/events/(?P<event>[^/]+)(?:/(?P<collection>[a-z-]+))?/?$")
PATH_TO_FILE = {
    "sessions": "sessions",
    "speakers": "speakers",
    "tracks": "tracks",
    "microlocations": "microlocations",
    "sponsors": "sponsors",
    "session-types": "session_types",
}


def make_jwt(exp: float, identity: int = 1) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = part({"alg": "HS256", "typ": "JWT"})
    body = part({"identity": identity, "exp": int(exp), "iat": int(time.time())})
    signature = hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def jsonapi_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/vnd.api+json")


def error_response(status: int, title: str) -> Response:
    return jsonapi_response({"errors": [{"status": str(status), "title": title}]}, status)


@dataclass
class OpenEventApi:
    """Serves one event; knobs for paging, link style and authentication."""

    event: JsonApiEvent
    event_id: str
    page_size: int = 7
    absolute_next: bool = False
    token: str | None = None  # a token the server accepts besides those it issues
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> password
    token_lifetime: float = 3600.0
    scheme: str = "JWT"
    issued: list[str] = field(default_factory=list)
    logins: int = 0

    def install(self, server: HTTPServer) -> str:
        """Register the handlers; returns the event URL."""
        server.expect_request(COLLECTION_PATH, method="GET").respond_with_handler(self.handle)
        server.expect_request("/auth/session", method="POST").respond_with_handler(self.log_in)
        return server.url_for(f"/v1/events/{self.event_id}")

    @property
    def protected(self) -> bool:
        return self.token is not None or bool(self.users)

    def authorised(self, request: Request) -> bool:
        if not self.protected:
            return True
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.scheme or not token:
            return False
        if token != self.token and token not in self.issued:
            return False
        return _expiry(token) > time.time()

    def log_in(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        if not body.get("email") or not body.get("password"):
            return jsonapi_response({"error": "missing email or password"}, 400)
        if self.users.get(body["email"]) != body["password"]:
            return jsonapi_response({"error": "Authentication failed"}, 401)
        self.logins += 1
        token = make_jwt(time.time() + self.token_lifetime, identity=self.logins)
        self.issued.append(token)
        return Response(json.dumps({"access_token": token}), content_type="application/json")

    def handle(self, request: Request) -> Response:
        match = COLLECTION_PATH.match(request.path)
        assert match is not None
        if match["event"] != self.event_id:
            return error_response(404, "Event not found")
        if not self.authorised(request):
            return error_response(401, "Authorization Required")
        includes = [n for n in request.args.get("include", "").split(",") if n]
        if match["collection"] is None:
            return self.event_document(includes)
        name = PATH_TO_FILE.get(match["collection"])
        if name is None or name not in self.event.collections:
            return error_response(404, "Object not found")
        return self.page(request, self.event.collections[name], includes)

    def event_document(self, includes: list[str]) -> Response:
        document = dict(self.event.event)
        if not includes:
            document.pop("included", None)
        return jsonapi_response(document)

    def page(self, request: Request, items: list[dict[str, Any]], includes: list[str]) -> Response:
        number = int(request.args.get("page[number]", "1"))
        start = (number - 1) * self.page_size
        chunk = items[start : start + self.page_size]
        document: dict[str, Any] = {
            "data": chunk,
            "meta": {"count": len(items)},
            "jsonapi": {"version": "1.0"},
            "links": {"self": request.full_path},
        }
        if includes:
            document["included"] = self.event.included_for(chunk, includes)
        if start + self.page_size < len(items):
            query = {k: v for k, v in request.args.items() if k != "page[number]"}
            query["page[number]"] = str(number + 1)
            path = f"{request.path}?{urlencode(query)}"
            document["links"]["next"] = (
                (request.host_url.rstrip("/") + path) if self.absolute_next else path
            )
        return jsonapi_response(document)


def _expiry(token: str) -> float:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])


@pytest.fixture(scope="session")
def _running_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def local_server(_running_server: HTTPServer) -> Iterator[HTTPServer]:
    """The HTTP server on 127.0.0.1, with no handlers and an empty log for each test (import
    this fixture and `_running_server` into a test module)."""
    _running_server.clear()
    _running_server.no_handler_status_code = 404  # an unknown path: 404, as on a real server
    yield _running_server
    _running_server.clear()


@cache
def converted(export: str) -> JsonApiEvent:
    from conftest import REAL_EXPORTS

    return convert_export(REAL_EXPORTS / export)


def serve_export(server: HTTPServer, export: str, **knobs: Any) -> tuple[str, OpenEventApi]:
    """Serve a real export as JSON:API; returns (event URL, the API object for assertions)."""
    api = OpenEventApi(converted(export), event_id=knobs.pop("event_id", "ab12cd34"), **knobs)
    return api.install(server), api
