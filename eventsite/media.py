"""Stage 5, media: turn media references into files of the site.

Local files from the export are copied under content-hash names (never the export's own file
names); the type is decided by the bytes, not the name. Remote URLs go through a `RemoteFetcher`
when one is given; without one they get the placeholder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from eventsite.issues import IssueLog
from eventsite.model.entities import MediaRef
from eventsite.sources.base import MediaStore
from eventsite.urls import media_path

IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
)
AUDIO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"ID3", ".mp3"),
    (b"\xff\xfb", ".mp3"),
    (b"\xff\xf3", ".mp3"),
    (b"OggS", ".ogg"),
    (b"fLaC", ".flac"),
)

RemoteFetcher = Callable[[str, str], bytes | None]  # (url, role) -> bytes, or None if refused


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # output path
    width: int | None = None
    height: int | None = None


def sniff_image(data: bytes) -> str | None:
    """File extension for image bytes, or None when the bytes are not a supported image."""
    for signature, extension in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


def sniff_audio(data: bytes) -> str | None:
    for signature, extension in AUDIO_SIGNATURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return ".wav"
    return None


@dataclass(slots=True)
class MediaResolver:
    """Resolves media references once each and collects the files to write."""

    store: MediaStore
    issues: IssueLog
    fetch_remote: RemoteFetcher | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    _done: dict[tuple[str, str], Asset | None] = field(default_factory=dict)

    def image(self, ref: MediaRef | None, entity: str, entity_id: str) -> Asset | None:
        if ref is None:
            return None
        key = (ref.value, "image")
        if key not in self._done:
            self._done[key] = self._resolve(ref, entity, entity_id, sniff_image)
        return self._done[key]

    def audio(self, value: str, entity: str, entity_id: str) -> Asset | None:
        if not value or value.lower().startswith(("http://", "https://")):
            return None
        key = (value, "audio")
        if key not in self._done:
            self._done[key] = self._resolve(
                MediaRef(value, "audio"), entity, entity_id, sniff_audio
            )
        return self._done[key]

    def _resolve(
        self,
        ref: MediaRef,
        entity: str,
        entity_id: str,
        sniff: Callable[[bytes], str | None],
    ) -> Asset | None:
        data = self._load(ref, entity, entity_id)
        if data is None:
            return None
        extension = sniff(data)
        if extension is None:
            self.issues.warn(
                "bad-media", entity, entity_id, f"{ref.value!r} is not a supported {ref.role} file"
            )
            return None
        digest = hashlib.sha256(data).hexdigest()[:20]
        path = media_path(digest, extension)
        self.files[path] = data
        width, height = image_size(data) if sniff is sniff_image else (None, None)
        return Asset(path, width, height)

    def _load(self, ref: MediaRef, entity: str, entity_id: str) -> bytes | None:
        if ref.is_remote:
            if self.fetch_remote is None:
                self.issues.info(
                    "remote-media", entity, entity_id, f"{ref.value} not downloaded (offline)"
                )
                return None
            return self.fetch_remote(ref.value, ref.role)
        real = self.store.find(ref.value)
        if real is None:
            self.issues.warn(
                "missing-media", entity, entity_id, f"{ref.value!r} is not in the export"
            )
            return None
        return self.store.read(real)


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Pixel size of an image, from its header."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None, None
