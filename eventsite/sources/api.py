"""Stage 1 for a live Open Event server: an event URL -> `RawExport`.

    read_api("https://api.eventyay.com/v1/events/ab12cd34", issues, ApiOptions())

fetches the event (with its social links and copyright), its sessions (with track, room,
session type and speakers included), speakers, tracks, rooms, sponsors and session types through
`client.ApiClient`, following `links.next` through every page, and hands the documents to
`jsonapi.unpack_documents`, so the rest of the pipeline sees the same records an export zip
gives. `eventsite fetch` saves the same documents as a snapshot.

A build writes nothing before every document has arrived, so a failing server leaves no
partial site. Every failure is a `SourceError` naming the URL and the problem. This module is
light; `requests` is imported only when a URL is actually fetched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from eventsite.errors import UsageError
from eventsite.issues import IssueLog
from eventsite.sources.auth import Credentials
from eventsite.sources.base import MediaStore, RawExport
from eventsite.sources.jsonapi import unpack_documents

if TYPE_CHECKING:
    from eventsite.sources.client import ApiClient

_EVENT_URL = re.compile(r"^(?P<root>.*?)(?:/v1)?/events/(?P<id>[^/?#]+)/?$")


@dataclass(frozen=True, slots=True)
class EventUrl:
    """An event's API URL split into the server's API root and the event URL."""

    root: str  # e.g. https://api.eventyay.com (log-in lives at {root}/auth/session)
    event: str  # e.g. https://api.eventyay.com/v1/events/ab12cd34

    @classmethod
    def parse(cls, url: str) -> EventUrl:
        parts = urlsplit(url.strip())
        match = _EVENT_URL.match(parts.path)
        if parts.scheme not in ("http", "https") or not parts.netloc or not match:
            raise UsageError(
                f"{url!r} is not an event URL of an Open Event API; expected one like "
                "https://api.eventyay.com/v1/events/IDENTIFIER"
            )
        if parts.query or parts.fragment:
            raise UsageError(f"{url!r}: give the event URL without a query or fragment")
        event_path = parts.path.rstrip("/")
        root = urlunsplit((parts.scheme, parts.netloc, match["root"], "", ""))
        return cls(root=root, event=urlunsplit((parts.scheme, parts.netloc, event_path, "", "")))


@dataclass(slots=True)
class ApiOptions:
    """How to talk to the API. `clients` keeps one client per URL, so a long `serve` reuses
    its session and token across rebuilds."""

    auth_scheme: str = "JWT"
    timeout: float = 30.0  # seconds to wait for the server to start answering
    retries: int = 3  # extra attempts after a 429/502/503/504 or a dropped connection
    backoff: float = 0.5  # first wait between attempts; doubles each time
    max_wait: float = 60.0  # longest Retry-After honoured; longer ones give up
    page_size: int = 0  # page[size] asked for; 0 asks for everything (not always honoured)
    environ: Mapping[str, str] | None = field(default=None, repr=False)  # default os.environ
    clients: dict[str, ApiClient] = field(default_factory=dict, repr=False)

    def client(self, url: str) -> ApiClient:
        target = EventUrl.parse(url)
        if target.event not in self.clients:
            from eventsite.sources.client import ApiClient

            env = os.environ if self.environ is None else self.environ
            self.clients[target.event] = ApiClient(target, self, Credentials.from_environment(env))
        return self.clients[target.event]


def read_api(url: str, issues: IssueLog, options: ApiOptions | None = None) -> RawExport:
    """Fetch an event from a live Open Event server as a `RawExport`."""
    client = (options or ApiOptions()).client(url)
    documents = client.snapshot(issues)
    files = client.document_urls()
    return RawExport(
        origin=client.target.event,
        documents=unpack_documents(documents, files),
        media=MediaStore(),
        files=files,
    )
