"""The HTTP side of the API source: a `requests.Session` with timeouts, retries with backoff
(honouring Retry-After), paging, JWT authentication and one clear error per failure.

Tokens and passwords go only into the Authorization header and the log-in body; no message,
log line or snapshot ever contains them.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from eventsite import __version__
from eventsite.errors import SourceError
from eventsite.issues import IssueLog
from eventsite.sources.api import ApiOptions, EventUrl
from eventsite.sources.auth import ENV_EMAIL, ENV_PASSWORD, Credentials, TokenKeeper
from eventsite.sources.base import PRIVATE_FIELDS, max_json_bytes, too_big
from eventsite.sources.jsonapi import describe_errors

USER_AGENT = (
    f"eventsite/{__version__} (static site generator; +https://pypi.org/project/eventsite/)"
)
ACCEPT = "application/vnd.api+json"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_PAGES = 10_000
CHUNK = 1 << 16

# export file name -> (path below the event URL, include=); the event itself is fetched first
COLLECTIONS: dict[str, tuple[str, str | None]] = {
    "sessions": ("sessions", "track,microlocation,session-type,speakers"),
    "speakers": ("speakers", None),
    "tracks": ("tracks", None),
    "microlocations": ("microlocations", None),
    "sponsors": ("sponsors", None),
    "session_types": ("session-types", None),
}
EVENT_INCLUDE = "social-links,event-copyright"
REQUIRED = frozenset({"event", "sessions"})
# attributes never kept from the API: they are not shown and must not end up in a snapshot
PRIVATE_ATTRIBUTES = PRIVATE_FIELDS | {"complex-field-values", "is-email-overridden"}
log = logging.getLogger("eventsite.api")


class ApiClient:
    """A `requests.Session` with timeouts, retries, paging, authentication and clear errors."""

    def __init__(self, target: EventUrl, options: ApiOptions, credentials: Credentials) -> None:
        self.target = target
        self.options = options
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": ACCEPT})
        self.session.auth = _no_netrc  # proxies from the environment, but never ~/.netrc logins
        self.auth = TokenKeeper(credentials, options.auth_scheme, self._log_in)
        if credentials.any and not _is_private_channel_ok(target.event):
            log.warning(
                "warning: sending API credentials over plain http to %s; use https",
                urlsplit(target.event).netloc,
            )

    def close(self) -> None:
        self.session.close()

    def document_urls(self) -> dict[str, str]:
        """Where each document comes from, for messages."""
        urls = {"event": self.target.event}
        urls.update(
            {name: f"{self.target.event}/{path}" for name, (path, _) in COLLECTIONS.items()}
        )
        return urls

    def snapshot(self, issues: IssueLog) -> dict[str, Any]:
        """Every JSON:API document of the event, pages merged, private attributes removed."""
        event = self.get_document(self.target.event, {"include": EVENT_INCLUDE})
        if not isinstance(event.get("data"), Mapping):
            raise SourceError("expected a single event resource in 'data'", file=self.target.event)
        documents: dict[str, Any] = {"event": _strip_document(event, self.target.event)}
        for name, (path, include) in COLLECTIONS.items():
            url = f"{self.target.event}/{path}"
            try:
                documents[name] = _strip_document(self.collection(url, include), None)
            except _NotFound as exc:
                if name in REQUIRED:
                    raise
                issues.warn("api-missing", "file", None, f"{exc.message}; skipped", url)
        return documents

    def collection(self, url: str, include: str | None) -> dict[str, Any]:
        """A collection with all its pages, following `links.next` until there is none."""
        params: dict[str, str] | None = {"page[size]": str(self.options.page_size)}
        if include:
            params = {**(params or {}), "include": include}
        data: dict[tuple[str, str], Any] = {}
        included: dict[tuple[str, str], Any] = {}
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if len(seen) >= MAX_PAGES:
                raise SourceError(f"more than {MAX_PAGES} pages; giving up", file=url)
            seen.add(next_url)
            page = self.get_document(next_url, params)
            shown = _with_query(next_url, params)
            _merge(data, page.get("data"), "data", shown)
            _merge(included, page.get("included") or [], "included", shown)
            next_url, params = self._next_page(page, next_url, seen), None
        return {"data": list(data.values()), "included": list(included.values())}

    def _next_page(self, page: Mapping[str, Any], current: str, seen: set[str]) -> str | None:
        links = page.get("links")
        target = links.get("next") if isinstance(links, Mapping) else None
        if not isinstance(target, str) or not target:
            return None
        absolute = urljoin(current, target)
        if _origin(absolute) != _origin(current):
            raise SourceError(
                f"'links.next' points to another server ({_origin(absolute)}); refused",
                file=current,
            )
        if absolute in seen:
            raise SourceError("'links.next' loops back to a page already read", file=current)
        return absolute

    def get_document(self, url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        """GET one JSON:API document; every failure becomes a SourceError naming the URL."""
        shown = _with_query(url, params)
        response = self._send("GET", url, shown, params=params)
        document = _parse_json(response, shown)
        if not isinstance(document, dict) or "data" not in document:
            problem = "no 'data' member" if isinstance(document, dict) else "not a JSON object"
            raise SourceError(f"not a JSON:API document ({problem})", file=shown)
        return document

    def _send(
        self,
        method: str,
        url: str,
        shown: str,
        *,
        authorised: bool = True,
        retry_auth: bool = True,
        **kwargs: Any,
    ) -> _Response:
        for attempt in range(self.options.retries + 1):
            response = self._attempt(
                method, url, shown, self._headers(authorised, shown), attempt, **kwargs
            )
            if response is None:
                continue
            if response.status in RETRY_STATUSES and attempt < self.options.retries:
                self._wait(response, attempt, shown)
                continue
            refused = response.status == 401 and authorised and retry_auth
            if refused and self.auth.renew_after_refusal():
                return self._send(method, url, shown, retry_auth=False, **kwargs)
            if response.status == 404:
                raise _NotFound(self._http_problem(response, authorised), file=shown)
            if response.status >= 400:
                raise SourceError(self._http_problem(response, authorised), file=shown)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _headers(self, authorised: bool, shown: str) -> dict[str, str]:
        if not authorised:
            return {}
        try:
            return self.auth.headers()
        except SourceError as exc:
            if exc.file is None:
                exc.file = shown
            raise

    def _attempt(
        self,
        method: str,
        url: str,
        shown: str,
        headers: dict[str, str],
        attempt: int,
        **kwargs: Any,
    ) -> _Response | None:
        """One request; None means a dropped connection worth another attempt."""
        timeout = self.options.timeout
        try:
            with self.session.request(
                method,
                url,
                headers=headers,
                timeout=(min(timeout, 10.0), timeout),
                stream=True,
                allow_redirects=True,
                **kwargs,
            ) as raw:
                return _Response.read(raw, shown, deadline=time.monotonic() + 4 * timeout)
        except requests.exceptions.ConnectTimeout:
            raise SourceError(f"could not connect within {timeout:g} s", file=shown) from None
        except (requests.exceptions.ReadTimeout, _TooSlow):
            raise SourceError(
                f"the server did not answer within {timeout:g} s", file=shown
            ) from None
        except requests.exceptions.TooManyRedirects:
            raise SourceError("too many redirects", file=shown) from None
        except requests.exceptions.ConnectionError as exc:
            if attempt < self.options.retries:
                time.sleep(self.options.backoff * 2**attempt)
                return None
            raise SourceError(f"cannot connect: {_reason(exc)}", file=shown) from None
        except requests.exceptions.RequestException as exc:
            raise SourceError(f"request failed: {_reason(exc)}", file=shown) from None

    def _wait(self, response: _Response, attempt: int, shown: str) -> None:
        delay = _retry_after(response.headers.get("Retry-After"))
        if delay is None:
            delay = self.options.backoff * 2**attempt
        if delay > self.options.max_wait:
            raise SourceError(
                f"HTTP {response.status}: the server asks to retry after {delay:g} s; giving up",
                file=shown,
            )
        log.info("%s: HTTP %s, retrying in %.1f s", shown, response.status, delay)
        time.sleep(delay)

    def _http_problem(self, response: _Response, authorised: bool) -> str:
        status = response.status
        detail = _error_detail(response)
        if not authorised and status in (400, 401, 403):
            return (
                f"HTTP {status}: the log-in was refused; check {ENV_EMAIL} and {ENV_PASSWORD}"
                f"{detail}"
            )
        if status == 401:
            return f"HTTP 401 Unauthorized: {self.auth.describe_refusal()}{detail}"
        if status == 403:
            return f"HTTP 403 Forbidden: this account may not read the event{detail}"
        if status == 404:
            return f"HTTP 404 Not Found: no such event or resource on this server{detail}"
        if status >= 500:
            return f"HTTP {status}: the server failed{detail}; try again later"
        return f"HTTP {status}{detail}"

    def _log_in(self, email_address: str, password: str) -> str:
        url = f"{self.target.root}/auth/session"
        response = self._send(
            "POST",
            url,
            url,
            authorised=False,
            json={"email": email_address, "password": password},
        )
        body = _parse_json(response, url)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError("the log-in answer has no 'access_token'", file=url)
        return token


class _NotFound(SourceError):
    pass


class _TooSlow(Exception):
    pass


@dataclass(slots=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    content_type: str

    @classmethod
    def read(cls, raw: requests.Response, shown: str, deadline: float) -> _Response:
        parts: list[bytes] = []
        size = 0
        limit = max_json_bytes()
        for chunk in _chunks(raw):
            size += len(chunk)
            if size > limit:
                raise SourceError(f"the answer is {too_big(limit)}; refused", file=shown)
            if time.monotonic() > deadline:
                raise _TooSlow
            parts.append(chunk)
        content_type = raw.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return cls(raw.status_code, raw.headers, b"".join(parts), content_type)


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An auth hook that changes nothing; its presence stops requests from using ~/.netrc,
    whose Basic credentials would replace the JWT and go to whatever server the URL names."""
    return request


def _chunks(raw: requests.Response) -> Iterator[bytes]:
    """The body in chunks; a read timeout mid-body is a timeout, not a dropped connection."""
    try:
        yield from raw.iter_content(CHUNK)
    except requests.exceptions.ConnectionError as exc:
        if isinstance(exc.args[0] if exc.args else None, urllib3.exceptions.ReadTimeoutError):
            raise _TooSlow from None
        raise


def _parse_json(response: _Response, shown: str) -> Any:
    head = response.body[:512].lstrip().lower()
    if "html" in response.content_type or head.startswith((b"<!doctype", b"<html", b"<")):
        raise SourceError(
            f"the server answered with an HTML page (HTTP {response.status}), not JSON:API; "
            "is this the API address rather than the web site's?",
            file=shown,
        )
    try:
        return json.loads(response.body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError("the answer is not UTF-8 text", file=shown) from None
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"the answer is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            file=shown,
        ) from None
    except RecursionError:
        raise SourceError("the answer's JSON is nested too deeply", file=shown) from None


def _error_detail(response: _Response) -> str:
    try:
        body = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return ""
    if isinstance(body, dict) and body.get("errors"):
        return f" ({describe_errors(body['errors'])})"
    return ""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _merge(into: dict[tuple[str, str], Any], items: Any, member: str, shown: str) -> None:
    if not isinstance(items, list):
        raise SourceError(f"'{member}' of a collection page must be a list", file=shown)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or "type" not in item or "id" not in item:
            raise SourceError(f"{member}[{i}] is not a resource with a type and id", file=shown)
        into.setdefault((str(item["type"]), str(item["id"])), item)


def _strip_document(document: Mapping[str, Any], self_url: str | None) -> dict[str, Any]:
    """Keep what a snapshot needs: data, included and (for the event) where it came from."""
    result: dict[str, Any] = {"data": _strip_resources(document["data"])}
    if document.get("included"):
        result["included"] = _strip_resources(document["included"])
    if self_url:
        result["links"] = {"self": self_url}
    return result


def _strip_resources(value: Any) -> Any:
    if isinstance(value, list):
        return [_strip_resources(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    resource = {k: v for k, v in value.items() if k not in ("links", "meta")}
    attributes = resource.get("attributes")
    if isinstance(attributes, Mapping):
        resource["attributes"] = {
            k: v for k, v in attributes.items() if k not in PRIVATE_ATTRIBUTES
        }
    relationships = resource.get("relationships")
    if isinstance(relationships, Mapping):
        resource["relationships"] = {
            name: {"data": rel["data"]}
            for name, rel in relationships.items()
            if isinstance(rel, Mapping) and "data" in rel
        }
    return resource


def _with_query(url: str, params: Mapping[str, str] | None) -> str:
    if not params:
        return url
    return requests.Request("GET", url, params=dict(params)).prepare().url or url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _is_private_channel_ok(url: str) -> bool:
    """https, or plain http to this machine, keeps a token off the wire."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reason(exc: BaseException) -> str:
    """A short cause for a connection error, without the noise urllib3 wraps around it."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    match = re.search(r"\[Errno -?\d+\] ([^')\]]+)", text)
    return match.group(1) if match else type(exc).__name__
