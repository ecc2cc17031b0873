"""`RemoteMedia`: the fetcher the media stage calls for remote URLs, safe from many threads.

Each URL is fetched at most once per build. A cached copy is used without asking while it is
fresh (Cache-Control max-age / Expires), otherwise revalidated with its ETag/Last-Modified,
so a rebuild with a warm cache downloads nothing that did not change. Offline, only the cache
is used. Every failure becomes a `Fetched` with a reason; nothing here raises into the build.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from eventsite.fetch.cache import CacheEntry, MediaCache, default_cache_dir
from eventsite.fetch.policy import (
    FetchFailed,
    FetchPolicy,
    FetchRefused,
    Resolver,
    check_url,
    system_resolver,
)
from eventsite.images import BadImage, identify
from eventsite.media import Fetched

if TYPE_CHECKING:  # the HTTP client (http.client, ssl) is imported when something is fetched
    from eventsite.fetch.client import Response, Validators


@dataclass(slots=True)
class FetchStats:
    downloaded: int = 0  # full transfers (HTTP 200)
    revalidated: int = 0  # HTTP 304: the cached copy is still current
    fresh: int = 0  # cached copy used without asking the server
    offline: int = 0  # cached copy used because of --offline
    stale: int = 0  # cached copy used because the server could not be reached
    failed: int = 0  # placeholder used
    bytes: int = 0  # bytes downloaded

    @property
    def requested(self) -> int:
        return (
            self.downloaded
            + self.revalidated
            + self.fresh
            + self.offline
            + self.stale
            + self.failed
        )

    def summary(self) -> str:
        cached = self.revalidated + self.fresh + self.offline + self.stale
        text = (
            f"media: {self.downloaded} downloaded ({self.bytes / 1e6:.1f} MB), {cached} from cache"
        )
        return text + (f", {self.failed} failed" if self.failed else "")


@dataclass(slots=True)
class RemoteMedia:
    """Fetches remote media for one build through `policy`, `cache` and (unless offline) HTTP."""

    cache: MediaCache
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    offline: bool = False
    resolver: Resolver = system_resolver
    stats: FetchStats = field(default_factory=FetchStats)
    _results: dict[str, Fetched] = field(default_factory=dict)
    _url_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_output(
        cls,
        output: Path,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        allow_private: bool = False,
    ) -> RemoteMedia:
        """The fetcher the CLI uses: cache beside the output unless `cache_dir` is given."""
        cache = MediaCache(cache_dir or default_cache_dir(output))
        return cls(cache, FetchPolicy(allow_private=allow_private), offline=offline)

    def __call__(self, url: str) -> Fetched:
        url = "https:" + url if url.startswith("//") else url
        with self._lock:
            url_lock = self._url_locks.setdefault(url, threading.Lock())
        with url_lock:
            if url not in self._results:
                self._results[url] = self._fetch_once(url)
            return self._results[url]

    def _fetch_once(self, url: str) -> Fetched:
        cached = self.cache.lookup(url)
        if self.offline:
            return self._offline(cached)
        if cached is not None and cached[0].is_fresh():
            self._count("fresh")
            return Fetched(cached[1])
        try:
            resolver = self._resolved_first(url)
            # only now: a host that does not resolve (long gone, or offline) costs no import
            # of the HTTP client (http.client, ssl, email: ~18 ms)
            from eventsite.fetch.client import fetch

            response = fetch(
                url,
                self.policy,
                validators=_validators(cached[0]) if cached else None,
                spend=self._spend,
                resolver=resolver,
            )
            return self._accept(url, response, cached)
        except FetchRefused as exc:
            return self._failed(f"refused: {exc}")
        except (FetchFailed, BadImage) as exc:
            if cached is not None:
                self._count("stale")
                return Fetched(cached[1])
            return self._failed(str(exc))

    def _resolved_first(self, url: str) -> Resolver:
        """The build's resolver, with the host of `url` looked up already (FetchFailed when
        the lookup fails); every connection of the fetch to that host takes that answer."""
        _scheme, host, port = check_url(url)
        addresses = self.resolver(host, port)

        def resolver(other_host: str, other_port: int) -> list[str]:
            if (other_host, other_port) == (host, port):
                return addresses
            return self.resolver(other_host, other_port)

        return resolver

    def _accept(
        self, url: str, response: Response, cached: tuple[CacheEntry, bytes] | None
    ) -> Fetched:
        if response.status == 304:
            if cached is None:
                raise FetchFailed("HTTP 304 for a request without validators")
            self.cache.refresh(cached[0], response.headers)
            self._count("revalidated")
            return Fetched(cached[1])
        identify(response.body, self.policy.max_pixels)  # the bytes decide, not the headers
        self.cache.store(url, response.body, response.headers)
        self._count("downloaded")
        return Fetched(response.body)

    def _offline(self, cached: tuple[CacheEntry, bytes] | None) -> Fetched:
        if cached is None:
            return self._failed("not in the media cache (--offline)")
        self._count("offline")
        return Fetched(cached[1])

    def _failed(self, problem: str) -> Fetched:
        self._count("failed")
        return Fetched(None, problem)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def _spend(self, size: int) -> None:
        """Charge downloaded bytes to the build's budget; refuse once it is used up."""
        with self._lock:
            if self.stats.bytes + size > self.policy.budget_bytes:
                raise FetchRefused(
                    f"the media budget of {self.policy.budget_bytes:,} bytes per build is used up"
                )
            self.stats.bytes += size


def _validators(entry: CacheEntry) -> Validators | None:
    from eventsite.fetch.client import Validators

    if not entry.etag and not entry.last_modified:
        return None
    return Validators(entry.etag, entry.last_modified)
