"""Stage 5, media: turn media references into files of the site.

Images (local files of the export and remote URLs alike) are checked by their bytes with
Pillow and resized for the place they are shown (`eventsite.images`); the files get
content-hash names, never a name from the export or a server. Remote URLs go through a
`RemoteFetcher` when one is given; without one, or when a fetch fails, the templates show a
placeholder (initials for speakers). `prepare()` resolves all images of a build at once in a
bounded thread pool, so downloads and resizing overlap; issues are still recorded in the
order of the requests, so reports are deterministic.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from eventsite.fetch.policy import display_url
from eventsite.images import BadImage, Rendition, open_image, renditions
from eventsite.issues import IssueLog
from eventsite.model.entities import MediaRef
from eventsite.model.graph import EventGraph
from eventsite.progress import Progress, Task
from eventsite.sources.base import MediaStore
from eventsite.urls import media_path

AUDIO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"ID3", ".mp3"),
    (b"\xff\xfb", ".mp3"),
    (b"\xff\xf3", ".mp3"),
    (b"OggS", ".ogg"),
    (b"fLaC", ".flac"),
)
DEFAULT_WORKERS = 8  # downloads wait on the network: more of them than cores
# Pillow lets go of the GIL while it decodes, resizes and encodes, so resizing runs on every
# core; more resizing threads than cores only add switching (and CPU time)
_RESIZING = threading.BoundedSemaphore(
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a remote fetch gave: bytes, or why there are none."""

    data: bytes | None
    problem: str = ""


RemoteFetcher = Callable[[str], Fetched]  # thread-safe: called from the media thread pool


class DerivedStore(Protocol):
    """A cache of resized images, keyed by the SHA-256 of the source bytes and the role (see
    fetch.cache), which also remembers the SHA-256 of the bytes last seen at a place (a local
    file's name and signature): an unchanged file is then neither read nor hashed again."""

    def get_derived(self, digest: str, role: str) -> list[Rendition] | None: ...

    def put_derived(self, digest: str, role: str, renditions: list[Rendition]) -> None: ...

    def digest_at(self, place: str) -> str | None: ...

    def note_digest(self, place: str, digest: str) -> None: ...

    def save_places(self) -> None:
        """Keep the places noted since the last call for the next build (best effort)."""


class MemoryDerivedStore:
    """Resized images kept in memory, for a long-lived process (`serve`) without a cache folder:
    a rebuild after an edit then resizes nothing it resized before."""

    def __init__(self) -> None:
        self._renditions: dict[tuple[str, str], list[Rendition]] = {}
        self._places: dict[str, str] = {}
        self._lock = threading.Lock()

    def get_derived(self, digest: str, role: str) -> list[Rendition] | None:
        with self._lock:
            return self._renditions.get((digest, role))

    def put_derived(self, digest: str, role: str, renditions: list[Rendition]) -> None:
        with self._lock:
            self._renditions[(digest, role)] = renditions

    def digest_at(self, place: str) -> str | None:
        return self._places.get(place)

    def note_digest(self, place: str, digest: str) -> None:
        self._places[place] = digest

    def save_places(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Source:
    """One file of an image's srcset."""

    path: str
    density: float


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # output path (the 1x variant for images)
    width: int | None = None  # CSS pixels
    height: int | None = None
    sources: tuple[Source, ...] = ()  # every density, 1x first; empty for audio
    thumbnail: Asset | None = None  # a smaller use of the same image (speaker cards)

    @property
    def srcset(self) -> tuple[tuple[str, float], ...]:
        return tuple((s.path, s.density) for s in self.sources) if len(self.sources) > 1 else ()


@dataclass(frozen=True, slots=True)
class ImageRequest:
    ref: MediaRef
    entity: str
    entity_id: str


@dataclass(slots=True)
class _Outcome:
    asset: Asset | None
    files: dict[str, bytes]
    problem: str = ""
    kind: str = ""
    warn: bool = True


@dataclass(slots=True)
class _Started:
    """An image that needs a thread (download or resize): its memo key and any bytes read."""

    key: Hashable | None
    data: bytes | None
    digest: str = ""  # the SHA-256 of `data`, when the resized-image cache was asked already


def sniff_audio(data: bytes) -> str | None:
    for signature, extension in AUDIO_SIGNATURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return ".wav"
    return None


def image_requests(graph: EventGraph) -> list[ImageRequest]:
    """Every image the site shows, in a stable order (the order `build_view` asks for them)."""
    event = graph.event
    wanted: list[tuple[MediaRef | None, str, str]] = [
        (event.logo, "event", event.id),
        (event.banner, "event", event.id),
        (event.copyright.logo if event.copyright else None, "event", event.id),
    ]
    wanted += [(speaker.photo, "speaker", speaker.id) for speaker in graph.speakers]
    wanted += [(sponsor.logo, "sponsor", sponsor.id) for sponsor in graph.sponsors]
    return [ImageRequest(ref, kind, ident) for ref, kind, ident in wanted if ref is not None]


@dataclass(slots=True)
class MediaResolver:
    """Resolves media references once each and collects the files to write."""

    store: MediaStore
    issues: IssueLog
    fetch_remote: RemoteFetcher | None = None
    resize: bool = True  # False: only check the bytes (used by `eventsite check`)
    derived: DerivedStore | None = None
    workers: int = DEFAULT_WORKERS
    memo: MediaMemo | None = None  # `serve`: outcomes of unchanged files from the last build
    files: dict[str, bytes] = field(default_factory=dict)
    _done: dict[tuple[str, str], Asset | None] = field(default_factory=dict)

    def prepare(self, requests: Sequence[ImageRequest], progress: Progress | None = None) -> None:
        """Resolve many images at once. Images already resized by an earlier build are taken
        from the cache on this thread (that is quick Python work, which threads would only
        slow down by contending for the GIL: 1.7 s vs 3.4 s with 4 threads for 4,000 photos);
        downloads and resizing run in a thread pool, where they overlap, each handed over as
        soon as this thread finds it is needed (the pool starts while the rest are read)."""
        first: dict[tuple[str, str], ImageRequest] = {}
        for request in requests:
            first.setdefault(_image_key(request.ref), request)
        todo = [r for key, r in first.items() if key not in self._done]
        task = (progress or Progress()).task("images", len(todo))
        outcomes: list[_Outcome | Future[_Outcome]] = []
        with task, ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            for request in todo:
                outcome = self._quick_outcome(request.ref)
                if isinstance(outcome, _Started):
                    outcomes.append(pool.submit(self._pooled_outcome, request.ref, outcome, task))
                else:
                    outcomes.append(outcome)
                    task.advance()
        for request, outcome in zip(todo, outcomes, strict=True):
            self._record(request, outcome if isinstance(outcome, _Outcome) else outcome.result())
        if self.derived is not None and self.resize:
            self.derived.save_places()

    def _pooled_outcome(self, ref: MediaRef, started: _Started, task: Task) -> _Outcome:
        try:
            return self._slow_outcome(ref, started)
        finally:
            task.advance()

    def _quick_outcome(self, ref: MediaRef) -> _Outcome | _Started:
        """The outcome when it needs neither resizing nor the network, else what was read."""
        cacheable = self.resize and self.derived is not None
        signed = self._signed(ref) if self.memo is not None or cacheable else None
        key = self._memo_key(ref, signed)
        remembered = self.memo.get(key) if self.memo is not None and key is not None else None
        if remembered is not None:
            return remembered
        if ref.is_remote or self.derived is None or not cacheable:
            return _Started(key, None)
        place = None if signed is None else f"{signed[0]}\0{signed[1]!r}"
        known = self.derived.digest_at(place) if place is not None else None
        cached = self.derived.get_derived(known, ref.role) if known is not None else None
        if cached is not None:  # the file is unchanged since it was read: not read again
            return self._remember(key, _asset_from(cached))
        data, failure = self._load_image(ref)
        if data is None:
            return self._remember(key, failure)
        digest = hashlib.sha256(data).hexdigest()
        if place is not None:
            self.derived.note_digest(place, digest)
        cached = self.derived.get_derived(digest, ref.role)
        if cached is None:
            return _Started(key, data, digest)
        return self._remember(key, _asset_from(cached))

    def _slow_outcome(self, ref: MediaRef, started: _Started) -> _Outcome:
        """Download, check and resize one image; runs in worker threads, so it logs nothing."""
        return self._remember(started.key, self._fresh_outcome(ref, started))

    def _remember(self, key: Hashable | None, outcome: _Outcome) -> _Outcome:
        if self.memo is not None and key is not None:
            self.memo.put(key, outcome)
        return outcome

    def image(self, ref: MediaRef | None, entity: str, entity_id: str) -> Asset | None:
        if ref is None:
            return None
        key = _image_key(ref)
        if key not in self._done:
            request = ImageRequest(ref, entity, entity_id)
            outcome = self._quick_outcome(ref)
            if isinstance(outcome, _Started):
                outcome = self._slow_outcome(ref, outcome)
            self._record(request, outcome)
        return self._done[key]

    def audio(self, value: str, entity: str, entity_id: str) -> Asset | None:
        if not value or value.lower().startswith(("http://", "https://")):
            return None
        key = (value, "audio")
        if key not in self._done:
            self._done[key] = self._resolve_audio(MediaRef(value, "audio"), entity, entity_id)
        return self._done[key]

    def _record(self, request: ImageRequest, outcome: _Outcome) -> None:
        self._done[_image_key(request.ref)] = outcome.asset
        self.files.update(outcome.files)
        if outcome.problem:
            log = self.issues.warn if outcome.warn else self.issues.info
            log(outcome.kind, request.entity, request.entity_id, outcome.problem)

    def _signed(self, ref: MediaRef) -> tuple[str, Hashable] | None:
        """The local file a reference names and its signature (None: remote or not known)."""
        if ref.is_remote:
            return None
        real = self.store.find(ref.value)
        signature = self.store.signature(real) if real is not None else None
        return None if real is None or signature is None else (real, signature)

    def _memo_key(self, ref: MediaRef, signed: tuple[str, Hashable] | None) -> Hashable | None:
        """Local files only: the reference, the file it names and that file's signature."""
        if self.memo is None or signed is None:
            return None
        return (ref.value, ref.role, *signed, self.resize)

    def _fresh_outcome(self, ref: MediaRef, started: _Started) -> _Outcome:
        data = started.data
        if data is None:
            data, failure = self._load_image(ref)
            if data is None:
                return failure
        try:
            if not self.resize:
                width, height = open_image(data).size
                return _Outcome(Asset(_hashed_path(data, ".img"), width, height), {})
            made = self._renditions(data, ref.role, started.digest)
        except BadImage as exc:
            return _Outcome(None, {}, f"{_shown(ref)} {exc}; placeholder used", "bad-media")
        return _asset_from(made)

    def _load_image(self, ref: MediaRef) -> tuple[bytes | None, _Outcome]:
        if ref.is_remote:
            if self.fetch_remote is None:
                note = f"{_shown(ref)} not downloaded (offline)"
                return None, _Outcome(None, {}, note, "remote-media", warn=False)
            fetched = self.fetch_remote(ref.value)
            if fetched.data is None:
                problem = f"{_shown(ref)}: {fetched.problem}; placeholder used"
                return None, _Outcome(None, {}, problem, "remote-media")
            return fetched.data, _Outcome(None, {})
        real = self.store.find(ref.value)
        if real is None:
            return None, _Outcome(None, {}, f"{ref.value!r} is not in the export", "missing-media")
        return self.store.read(real), _Outcome(None, {})

    def _renditions(self, data: bytes, role: str, digest: str = "") -> list[Rendition]:
        """Resized by an earlier build, or now; `digest`: the cache was asked already."""
        if self.derived is None:
            with _RESIZING:
                return renditions(data, role)
        looked_up = bool(digest)
        digest = digest or hashlib.sha256(data).hexdigest()
        cached = None if looked_up else self.derived.get_derived(digest, role)
        if cached is not None:
            return cached
        with _RESIZING:
            made = renditions(data, role)
        self.derived.put_derived(digest, role, made)
        return made

    def _resolve_audio(self, ref: MediaRef, entity: str, entity_id: str) -> Asset | None:
        real = self.store.find(ref.value)
        if real is None:
            self.issues.warn(
                "missing-media", entity, entity_id, f"{ref.value!r} is not in the export"
            )
            return None
        data = self.store.read(real)
        extension = sniff_audio(data)
        if extension is None:
            self.issues.warn(
                "bad-media", entity, entity_id, f"{ref.value!r} is not a supported audio file"
            )
            return None
        path = _hashed_path(data, extension)
        self.files[path] = data
        return Asset(path)


class MediaMemo:
    """Image outcomes kept between the builds of one long-lived process (`serve`): an image
    whose file has the same signature (size, modification time, inode) is not read, hashed
    or looked up again. Entries not used by a build are dropped after it."""

    def __init__(self) -> None:
        self._previous: dict[Hashable, _Outcome] = {}
        self._current: dict[Hashable, _Outcome] = {}
        self._lock = threading.Lock()

    def next_build(self) -> None:
        with self._lock:
            self._previous, self._current = self._current, {}

    def get(self, key: Hashable) -> _Outcome | None:
        with self._lock:
            found = self._current.get(key) or self._previous.get(key)
            if found is not None:
                self._current[key] = found
            return found

    def put(self, key: Hashable, outcome: _Outcome) -> None:
        with self._lock:
            self._current[key] = outcome


def _image_key(ref: MediaRef) -> tuple[str, str]:
    return ref.value, f"image:{ref.role}"


def _shown(ref: MediaRef) -> str:
    """The reference as it may appear in a message (remote URLs without query or credentials)."""
    if not ref.is_remote:
        return repr(ref.value)
    return display_url(ref.value if not ref.value.startswith("//") else "https:" + ref.value)


def _hashed_path(data: bytes, extension: str, digest: str = "") -> str:
    """The content-hash name of `data`; `digest`: its SHA-256 when known already."""
    return media_path((digest or hashlib.sha256(data).hexdigest())[:20], extension)


def _asset_from(made: list[Rendition]) -> _Outcome:
    """The asset of the first use (with the second as thumbnail) and every variant's file."""
    files: dict[str, bytes] = {}
    assets: list[Asset] = []
    for rendition in made:
        sources = []
        for variant in rendition.variants:
            path = _hashed_path(variant.data, variant.extension, variant.digest)
            files[path] = variant.data
            sources.append(Source(path, variant.density))
        assets.append(Asset(sources[0].path, rendition.width, rendition.height, tuple(sources)))
    main = assets[0]
    if len(assets) > 1:
        main = Asset(main.path, main.width, main.height, main.sources, thumbnail=assets[1])
    return _Outcome(main, files)
