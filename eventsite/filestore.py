"""A content-addressed store of output files in the cache folder, hard-linked into sites.

Creating a file (a new inode) is the most expensive thing a build does on some disks: 0.3-0.7 ms
of kernel time each on this project's VMs, against about 15 µs for a hard link. The store keeps
one copy of every file a build wrote, named by a hash of its bytes, and the next build that
makes the same bytes links that copy into the new site instead of creating a file.

Objects are never changed once made: new bytes are a new object, so a site that links an
object never changes under its readers. Every object is made with one fixed modification time
(`OBJECT_MTIME_NS`); writing to it through a site's link (an in-place edit of an output file)
sets its modification time to the clock's, so before linking, an object is reused only with
that exact time and the wanted size, else it is replaced. (Reading every object back to compare
its bytes cost 10,000 sessions ~1 s of CPU for 350 MB.) Objects that no site links any more (link count 1) are removed
at the end of every build. When the store cannot link (another file system, no hard links),
it switches itself off and the writer creates files as before.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import threading
from pathlib import Path


def write_file(target: Path | str, data: bytes) -> None:
    """Create (or truncate) `target` and write all of `data`."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


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

    def place(self, target: Path, data: bytes) -> bool:
        """Make `target` a link to the object holding `data`; False when the caller must write it.

        `target` must not exist.
        """
        if not self.enabled:
            return False
        obj = os.path.join(self.root, object_name(data))
        reused = _holds(obj, len(data))
        try:
            if not reused:
                self._make_object(obj, data)
            os.link(obj, target)
        except (FileNotFoundError, FileExistsError):
            return False  # pruned by a build running at the same time; a leftover target
        except OSError as exc:
            if exc.errno != errno.EMLINK:  # too many links to this object: only it is affected
                self.enabled = False  # no hard links on this file system, or no cache folder
            return False
        if reused:
            self.linked += 1
        else:
            self.created += 1
        return True

    def prune(self) -> int:
        """Remove the objects no site links any more; returns how many."""
        removed = 0
        for path in self._unlinked_objects():
            try:
                os.unlink(path)
                removed += 1
            except OSError:
                continue  # removed by a build running at the same time, or not ours to remove
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

    def _make_object(self, obj: str, data: bytes) -> None:
        # never a half-written object, even with two builds at once
        replace_file(Path(obj), data, mtime_ns=OBJECT_MTIME_NS)


# 1980-01-01 UTC (the zip epoch): a time no write through a link leaves on a file
OBJECT_MTIME_NS = 315_532_800 * 10**9


def object_name(data: bytes) -> str:
    """The object's file name: 40 hex digits of a hash of its bytes (SHA-256: the fastest
    hashlib offers on CPUs with SHA instructions, about twice blake2b's speed)."""
    return hashlib.sha256(data).hexdigest()[:40]


def _holds(obj: str, size: int) -> bool:
    """Whether the object exists unchanged since it was made: of the wanted size and with the
    modification time it was made with (an edit through a site's link changes that)."""
    try:
        info = os.stat(obj, follow_symlinks=False)
    except OSError:
        return False
    return (
        stat.S_ISREG(info.st_mode) and info.st_size == size and info.st_mtime_ns == OBJECT_MTIME_NS
    )
