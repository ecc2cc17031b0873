"""The persistent media cache: downloaded bytes keyed by URL, plus their HTTP validators.

    <cache>/remote/<sha256(url)>.json   url, etag, last-modified, fresh-until, sha256, size
    <cache>/remote/<sha256(url)>.bin    the bytes, checked against the recorded sha256 on read
    <cache>/derived/<key>.pack          resized variants of some bytes for a role (images.py):
                                        a JSON line describing them, then their bytes
    <cache>/derived/places.json         the sha256 of the bytes last seen at a place (a local
                                        image's name and file signature: size, times, inode)

Entries are written atomically (temporary file + rename), so a build that is killed half-way
leaves either the old entry or the new one, and threads never see a partial file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import PIL

from eventsite.filestore import replace_file
from eventsite.images import PIPELINE_VERSION, Encoded, Rendition

if TYPE_CHECKING:  # the e-mail package is imported only when response headers are read
    from email.message import Message

DEFAULT_DIR_NAME = ".eventsite-cache"
PLACES_FILE = "places.json"
MAX_PLACES = 100_000  # beyond this, only the places of the last build are kept


@dataclass(frozen=True, slots=True)
class CacheEntry:
    url: str
    sha256: str
    size: int
    etag: str = ""
    last_modified: str = ""
    fresh_until: float = 0.0  # epoch seconds; before it the entry is used without asking

    def is_fresh(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.fresh_until


def default_cache_dir(output: Path) -> Path:
    """`.eventsite-cache/` beside the output folder."""
    return output.absolute().parent / DEFAULT_DIR_NAME


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


class MediaCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.remote = root / "remote"
        self.derived = root / "derived"
        self._derived_folder = str(self.derived)
        self.write_error = ""  # the first failed write: the cache is best effort, never fatal
        self._places: dict[str, str] | None = None  # read on first use
        self._noted: dict[str, str] = {}  # places seen since the last save

    def lookup(self, url: str) -> tuple[CacheEntry, bytes] | None:
        """The cached entry and bytes for `url`, or None when absent or damaged."""
        meta_path, body_path = self._paths(url)
        try:
            entry = CacheEntry(**json.loads(meta_path.read_text(encoding="utf-8")))
            body = body_path.read_bytes()
        except (OSError, ValueError, TypeError):
            return None
        if entry.url != url or hashlib.sha256(body).hexdigest() != entry.sha256:
            return None
        return entry, body

    def store(self, url: str, body: bytes, headers: Message) -> CacheEntry:
        entry = CacheEntry(
            url=url,
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            etag=headers.get("ETag", "") or "",
            last_modified=headers.get("Last-Modified", "") or "",
            fresh_until=fresh_until(headers),
        )
        meta_path, body_path = self._paths(url)
        self._write(body_path, body)
        self._write(meta_path, json.dumps(asdict(entry), indent=1).encode())
        return entry

    def refresh(self, entry: CacheEntry, headers: Message) -> CacheEntry:
        """Record a 304 answer: new validators or freshness if the server sent them."""
        updated = CacheEntry(
            url=entry.url,
            sha256=entry.sha256,
            size=entry.size,
            etag=headers.get("ETag", "") or entry.etag,
            last_modified=headers.get("Last-Modified", "") or entry.last_modified,
            fresh_until=fresh_until(headers),
        )
        if updated != entry:
            self._write(self._paths(entry.url)[0], json.dumps(asdict(updated), indent=1).encode())
        return updated

    def get_derived(self, digest: str, role: str) -> list[Rendition] | None:
        """Resized variants made by an earlier build from the bytes with this SHA-256, for the
        same role."""
        try:
            with open(self._derived_entry(digest, role), "rb") as entry:
                return _unpack(entry.read())
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put_derived(self, digest: str, role: str, renditions: list[Rendition]) -> None:
        # one file per entry, not one per variant: creating a file is what a cold build's
        # cache costs (0.3-0.7 ms of kernel time each on some disks)
        self._write(Path(self._derived_entry(digest, role)), _pack(renditions))

    def digest_at(self, place: str) -> str | None:
        """The SHA-256 of the bytes last seen at `place` (see `media.MediaResolver._place`)."""
        if self._places is None:
            self._places = self._read_places()
        return self._noted.get(place) or self._places.get(place)

    def note_digest(self, place: str, digest: str) -> None:
        self._noted[place] = digest

    def save_places(self) -> None:
        """Write the places noted since the last save, if any is new, with the earlier ones
        (all of them while there are fewer than MAX_PLACES)."""
        places = self._places if self._places is not None else self._read_places()
        noted, self._noted = self._noted, {}
        if all(places.get(place) == digest for place, digest in noted.items()):
            self._places = places
            return
        kept = places if len(places) + len(noted) <= MAX_PLACES else {}
        self._places = {**kept, **noted}
        text = json.dumps(self._places, sort_keys=True, separators=(",", ":"))
        self._write(self.derived / PLACES_FILE, text.encode())

    def _read_places(self) -> dict[str, str]:
        try:
            places = json.loads((self.derived / PLACES_FILE).read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(places, dict):
            return {}
        return {k: v for k, v in places.items() if isinstance(k, str) and isinstance(v, str)}

    def _derived_entry(self, digest: str, role: str) -> str:
        """The entry's file (a string: a large export looks up thousands)."""
        seed = f"{digest}|{role}|{PIPELINE_VERSION}|{PIL.__version__}"
        return os.path.join(
            self._derived_folder, f"{hashlib.sha256(seed.encode()).hexdigest()}.pack"
        )

    def _write(self, path: Path, data: bytes) -> None:
        try:
            replace_file(path, data)
        except OSError as exc:
            self.write_error = (
                self.write_error or f"cannot write the media cache {self.root}: {exc}"
            )

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = url_key(url)
        return self.remote / f"{key}.json", self.remote / f"{key}.bin"


def _pack(renditions: list[Rendition]) -> bytes:
    """A derived entry: one JSON line (each variant's size and sha256), then the variants'
    bytes in that order."""
    meta = [
        {
            "use": rendition.use,
            "width": rendition.width,
            "height": rendition.height,
            "variants": [
                {
                    "sha256": hashlib.sha256(variant.data).hexdigest(),
                    "size": len(variant.data),
                    "extension": variant.extension,
                    "width": variant.width,
                    "height": variant.height,
                    "density": variant.density,
                }
                for variant in rendition.variants
            ],
        }
        for rendition in renditions
    ]
    header = json.dumps(meta, separators=(",", ":")).encode()
    return b"\n".join([header, *(v.data for r in renditions for v in r.variants)])


def _unpack(packed: bytes) -> list[Rendition]:
    """The renditions of a derived entry; KeyError/ValueError/TypeError when damaged."""
    end = packed.index(b"\n")
    offset = end + 1
    renditions = []
    for item in json.loads(packed[:end]):
        variants = []
        for raw in item["variants"]:
            data = packed[offset : offset + raw["size"]]
            offset += raw["size"] + 1
            digest = hashlib.sha256(data).hexdigest()
            if digest != raw["sha256"]:
                raise ValueError("damaged cache file")
            variants.append(
                Encoded(data, raw["extension"], raw["width"], raw["height"], raw["density"], digest)
            )
        renditions.append(
            Rendition(str(item["use"]), int(item["width"]), int(item["height"]), tuple(variants))
        )
    if offset != len(packed) + 1:
        raise ValueError("damaged cache file")
    return renditions


def fresh_until(headers: Message, now: float | None = None) -> float:
    """Until when a response may be reused without asking (Cache-Control max-age, Expires)."""
    now = time.time() if now is None else now
    directives = [d.strip().lower() for d in (headers.get("Cache-Control") or "").split(",")]
    if "no-cache" in directives or "no-store" in directives:
        return 0.0
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age" and value.strip().isdigit():
            return now + int(value)
    expires = headers.get("Expires")
    if expires:
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(expires).timestamp()
        except (TypeError, ValueError, IndexError):
            return 0.0
    return 0.0
