"""A content-addressed store of output files in the cache folder, hard-linked into sites.

Creating a file (a new inode) is the most expensive thing a build does on some disks: 0.3-0.7 ms
of kernel time each on this project's VMs, against about 15 µs for a hard link. The store keeps
one copy of every file a build wrote, named by a hash of its bytes, and the next build that
makes the same bytes links that copy into the new site instead of creating a file.

Objects are never changed once made: new bytes are a new object, so a site that links an
object never changes under its readers. An object's modification time is the second it was
made, with a nanosecond part derived from its hash (`_time_mark`); writing to it through a
site's link (an in-place edit of an output file) sets the clock's time instead, so an object is
reused only with its mark and the wanted size, else it is replaced (reading every object back
to compare its bytes cost 10,000 sessions ~1 s of CPU for 350 MB). The seconds stay real, so
deploys that compare size and time (rsync) still see every changed file. A file system that
cannot keep nanoseconds loses the mark: its objects are made again, never wrongly reused.

Objects that no site links any more (link count 1) are removed at the end of every build. After
a clean build these can only be objects that the previous build of the same site linked and
this one did not: each site's list of objects is kept beside the store (`files-sites/`), so
only those are looked at. After any other build, without such a list, and every
`FULL_SCAN_EVERY` clean builds (for sites deleted and never rebuilt), every object is.

When the store cannot link (another file system, no hard links), it switches itself off and
the writer creates files as before.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def write_file(target: Path | str, data: bytes) -> None:
    """Create (or truncate) `target` and write all of `data`."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_fully(fd, data)
    finally:
        os.close(fd)


def write_fully(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd` (a write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def replace_file(target: Path, data: bytes, *, mtime_ns: int | None = None) -> None:
    """Put `data` at `target` atomically: a reader sees the old file or the new one, never half
    of one. The temporary name is unique per process and thread (the media cache writes from
    threads, forked workers write into the same folders). `mtime_ns`: the file's modification
    time, set before it appears at `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        write_file(temporary, data)
        if mtime_ns is not None:
            os.utime(temporary, ns=(mtime_ns, mtime_ns))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class FileStore:
    """Output files by content hash, in one folder (`<cache>/files`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.enabled = True
        self.linked = 0  # files placed by linking an object made by an earlier build
        self.created = 0  # objects this process made
        self.placed = bytearray()  # the digests of the objects placed, DIGEST_SIZE bytes each

    def place(self, target: Path, data: bytes) -> bool:
        """Make `target` a link to the object holding `data`; False when the caller must write it.

        `target` must not exist.
        """
        if not self.enabled:
            return False
        digest = object_digest(data)
        obj = os.path.join(self.root, digest.hex())
        reused = _holds(obj, len(data), digest)

        def link() -> None:
            if not reused:
                self._make_object(obj, data, digest)
            os.link(obj, target)

        return self._linked(link, digest, reused)

    def adopt(self, target: str, size: int, digest: bytes) -> bool:
        """Make `target`, a file just written with `size` bytes whose `object_digest` is
        `digest`, a link to the object holding them: the object already made, else `target`
        itself becomes it. False when the store cannot take it (`target` is left as it is).

        For files written as they are made (`SiteWriter.write_chunks`), never held whole."""
        if not self.enabled:
            return False
        obj = os.path.join(self.root, digest.hex())
        reused = _holds(obj, size, digest)

        def link() -> None:
            if reused:
                _link_over(obj, target)
            else:
                self._adopt_object(obj, target, digest)

        return self._linked(link, digest, reused)

    def _linked(self, link: Callable[[], None], digest: bytes, reused: bool) -> bool:
        """Run `link` (a placement), counting it; False when it failed."""
        try:
            link()
        except (FileNotFoundError, FileExistsError):
            return False  # pruned by a build running at the same time; a leftover target
        except OSError as exc:
            if exc.errno != errno.EMLINK:  # too many links to this object: only it is affected
                self.enabled = False  # no hard links on this file system, or no cache folder
            return False
        self.placed += digest
        if reused:
            self.linked += 1
        else:
            self.created += 1
        return True

    def _adopt_object(self, obj: str, target: str, digest: bytes) -> None:
        made = time.time_ns() // 10**9 * 10**9 + _time_mark(digest)
        os.utime(target, ns=(made, made))
        temporary = f"{obj}.tmp-{os.getpid()}-{threading.get_ident()}"
        os.makedirs(self.root, exist_ok=True)
        try:
            os.link(target, temporary)
            os.replace(temporary, obj)  # never a half-written object: it is complete already
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def take_placed(self, digests: bytes) -> None:
        """Add what a forked worker placed (its `placed`) to this process's."""
        self.placed += digests

    def prune(self, site: Path | None = None, *, whole_site: bool = False) -> int:
        """Remove the objects no site links any more; returns how many.

        `site`: the output folder just finished; `whole_site`: every file of it was placed by
        this store in this build (a clean build), so the objects its previous build linked and
        this one did not are the only ones it can have let go of."""
        previous = self._site_objects(site) if site is not None else None
        current = _digests(self.placed)
        if previous is None or not whole_site or previous.builds >= FULL_SCAN_EVERY:
            candidates = self._unlinked_objects()
            builds = 0
        else:
            candidates = [os.path.join(self.root, d.hex()) for d in previous.digests - current]
            builds = previous.builds + 1
        removed = sum(_remove_if_unlinked(path) for path in candidates)
        if site is not None and (whole_site or previous is not None):
            listed = current if whole_site or previous is None else current | previous.digests
            self._keep_site_objects(site, listed, builds)
        return removed

    def _unlinked_objects(self) -> list[str]:
        """Paths of the objects no site links. The folder is read as a stream: a list of its
        entries (43,000 at 10,000 sessions) would take 38 MB at the end of the build."""
        found: list[str] = []
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):  # removed by a build running meanwhile
                        if entry.stat(follow_symlinks=False).st_nlink == 1:
                            found.append(entry.path)
        except OSError:
            pass
        return found

    def _site_file(self, site: Path) -> Path:
        key = hashlib.sha256(os.fsencode(site.absolute())).hexdigest()[:20]
        return self.root.with_name(f"{self.root.name}{_SITES_SUFFIX}") / key

    def _site_objects(self, site: Path) -> _SiteObjects | None:
        """The objects the last build of `site` linked, or None when not known."""
        try:
            data = self._site_file(site).read_bytes()
            header, digests = data.split(b"\n", 1)
            magic, builds = header.split(b" ")
            if magic != _SITE_MAGIC or len(digests) % DIGEST_SIZE:
                return None
            return _SiteObjects(int(builds), _digests(digests))
        except (OSError, ValueError):
            return None

    def _keep_site_objects(self, site: Path, digests: set[bytes], builds: int) -> None:
        if not self.enabled:
            return
        data = b"%s %d\n%s" % (_SITE_MAGIC, builds, b"".join(sorted(digests)))
        with contextlib.suppress(OSError):  # the next build looks at every object instead
            replace_file(self._site_file(site), data)

    def _make_object(self, obj: str, data: bytes, digest: bytes) -> None:
        # never a half-written object, even with two builds at once
        made = time.time_ns() // 10**9 * 10**9 + _time_mark(digest)
        replace_file(Path(obj), data, mtime_ns=made)


def _link_over(obj: str, target: str) -> None:
    """Replace `target` by a link to `obj`; on failure `target` is left as it was."""
    temporary = f"{target}.link-{os.getpid()}-{threading.get_ident()}"
    os.link(obj, temporary)
    try:
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _time_mark(digest: bytes) -> int:
    """The nanoseconds of an object's modification time, from its hash: never 0 (what a file
    system without nanoseconds keeps), and not what a write at a random moment leaves."""
    return 1 + int.from_bytes(digest[:4], "big") % (10**9 - 1)


DIGEST_SIZE = 20
FULL_SCAN_EVERY = 16  # clean builds between two looks at every object
_SITES_SUFFIX = "-sites"  # beside the store's folder: <cache>/files-sites/<key of a site>
_SITE_MAGIC = b"eventsite-site-objects-1"


@dataclass(frozen=True, slots=True)
class _SiteObjects:
    builds: int  # clean builds since every object was looked at
    digests: set[bytes]


def object_digest(data: bytes) -> bytes:
    """What names the object holding `data` (in hex): the first DIGEST_SIZE bytes of its SHA-256
    (the fastest hash hashlib offers on CPUs with SHA instructions, twice blake2b's speed)."""
    return hashlib.sha256(data).digest()[:DIGEST_SIZE]


def _digests(packed: bytes | bytearray) -> set[bytes]:
    return {bytes(packed[i : i + DIGEST_SIZE]) for i in range(0, len(packed), DIGEST_SIZE)}


def _remove_if_unlinked(path: str) -> bool:
    try:
        if os.lstat(path).st_nlink != 1:
            return False
        os.unlink(path)
    except OSError:  # removed by a build running at the same time, or not ours to remove
        return False
    return True


def _holds(obj: str, size: int, digest: bytes) -> bool:
    """Whether the object exists unchanged since it was made: of the wanted size and with the
    time mark it was made with (an edit through a site's link changes that)."""
    try:
        info = os.stat(obj, follow_symlinks=False)
    except OSError:
        return False
    return (
        stat.S_ISREG(info.st_mode)
        and info.st_size == size
        and info.st_mtime_ns % 10**9 == _time_mark(digest)
    )
