"""Media benchmark: N speaker photos from a local HTTP server, cold cache then warm cache.

    python benchmarks/media_bench.py [--photos 300] [--size 800] [--workers 8]

Runs the real media stage (RemoteMedia + MediaResolver.prepare: download, check, resize,
encode) against a threaded HTTP server on 127.0.0.1 that sends ETag/Last-Modified and answers
conditional requests with 304. Prints wall and CPU time (the CPU time includes the server,
which runs in this process; on a busy machine it is the steadier number) and the server's
request counts for:

    cold     empty cache: every photo downloaded and resized
    warm     same cache: every photo revalidated (304), resized variants reused
    offline  same cache, --offline: no request at all
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsite.fetch.cache import MediaCache
from eventsite.fetch.policy import FetchPolicy
from eventsite.fetch.remote import RemoteMedia
from eventsite.issues import IssueLog
from eventsite.media import ImageRequest, MediaResolver
from eventsite.model.entities import MediaRef
from eventsite.sources.base import MediaStore

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


def make_photos(count: int, size: int) -> dict[str, bytes]:
    """Distinct photo-like JPEGs (gradient plus smooth noise: about the size of real photos)."""
    rng = random.Random(7)
    base = Image.linear_gradient("L").resize((size, size))
    photos = {}
    for n in range(count):
        noise = Image.effect_noise((size // 8, size // 8), 40 + n % 30).resize(
            (size, size), Image.Resampling.BICUBIC
        )
        tint = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        rgb = Image.merge("RGB", (base, noise, Image.new("L", (size, size), tint[n % 3])))
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=85)
        photos[f"/photos/{n}.jpg"] = buffer.getvalue()
    return photos


class PhotoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, photos: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), PhotoHandler)
        self.photos = photos
        self.etags = {path: f'"{hashlib.sha1(data).hexdigest()}"' for path, data in photos.items()}
        self.counts: Counter[int] = Counter()
        self.sent = 0
        self.lock = threading.Lock()

    def record(self, status: int, size: int) -> None:
        with self.lock:
            self.counts[status] += 1
            self.sent += size


class PhotoHandler(BaseHTTPRequestHandler):
    server: PhotoServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        data = self.server.photos.get(self.path)
        if data is None:
            self._send(404, b"not found", "text/plain")
            return
        etag = self.server.etags[self.path]
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, etag)
            return
        self._send(200, data, "image/jpeg", etag)

    def _send(self, status: int, body: bytes, content_type: str | None, etag: str = "") -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.record(status, len(body))

    def log_message(self, format: str, *args: object) -> None:
        pass


def run(label: str, server: PhotoServer, cache: Path, workers: int, offline: bool) -> None:
    server.counts.clear()
    server.sent = 0
    remote = RemoteMedia(MediaCache(cache), FetchPolicy(allow_private=True), offline=offline)
    issues = IssueLog()
    resolver = MediaResolver(MediaStore(), issues, remote, derived=remote.cache, workers=workers)
    host, port = server.server_address[:2]
    requests = [
        ImageRequest(MediaRef(f"http://{host}:{port}{path}", "speaker"), "speaker", str(n))
        for n, path in enumerate(server.photos)
    ]
    started, cpu_started = time.perf_counter(), time.process_time()
    resolver.prepare(requests)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # includes the server's threads (same process)
    problems = [str(i) for i in issues]
    counts = ", ".join(f"{status}: {n}" for status, n in sorted(server.counts.items())) or "none"
    print(
        f"{label:8} {seconds:7.2f} s wall {cpu:7.2f} s cpu  {len(requests) / seconds:7.1f} photos/s  "
        f"requests [{counts}]  sent {server.sent / 1e6:6.1f} MB  "
        f"site files {len(resolver.files)}  problems {len(problems)}"
    )
    if problems:
        print("  " + "\n  ".join(problems[:5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--size", type=int, default=800, help="photo width and height in px")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    photos = make_photos(args.photos, args.size)
    total = sum(len(p) for p in photos.values())
    print(
        f"{args.photos} photos of {args.size}x{args.size} px, {total / 1e6:.1f} MB, "
        f"{args.workers} workers"
    )
    server = PhotoServer(photos)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            cache = Path(folder) / "cache"
            run("cold", server, cache, args.workers, offline=False)
            run("warm", server, cache, args.workers, offline=False)
            run("offline", server, cache, args.workers, offline=True)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
