"""Benchmark eventsite builds as whole processes and write benchmarks/RESULTS.md.

    python benchmarks/run.py                 # FOSSASIASummit2016 + 500, 2,000, 10,000 sessions
    python benchmarks/run.py --stretch       # ... and 50,000 sessions
    python benchmarks/run.py --quick         # 2 runs each, no 10,000 (a smoke test)

Every figure is a fresh `python -m eventsite build` process (interpreter start included), run
several times; a cell shows the median and, in brackets, the fastest and slowest run. Timed
runs are not watched: peak memory comes from one more run of the clean builds (cold and warm),
whose processes (the main one and its render workers) are sampled every few milliseconds from
/proc (sampling a 2-core machine that the build keeps busy added 2-5 s to a 10,000-session
build). Scenarios:

- clean, cold cache: no output folder and empty caches: the media cache (`.eventsite-cache/`
  beside the output: downloaded and resized images, the file store) and the user cache folder
  (XDG_CACHE_HOME points at a folder of the benchmark: compiled templates);
- clean, warm cache: no output folder, the cache as the previous build left it;
- no-change rebuild: the same build again over the site it made;
- one-session edit in `serve`: the incremental rebuilder of `eventsite serve`
  (`eventsite.incremental.Rebuilder`), timed in-process from the edited `sessions` file, called
  as `serve` calls it: until the new site is in memory, which is when `serve` tells the
  browsers to reload (they are served from memory), and then until it is also written to disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVENTSITE_SHARED", REPO.parent / "shared"))
REAL_EXPORT = "FOSSASIASummit2016"
SIZES = (500, 2_000, 10_000)
STRETCH = 50_000
STRETCH_DATA_MB = 256
SEED = 1
SAMPLE_SECONDS = 0.004
SETTLE_SECONDS = 3.0  # after a build or setting trees aside: the kernel writes them back
PSS_EVERY = 2  # samples: a transient peak of the whole-schedule files lasts ~0.1 s

NOTES = """## What was profiled, and what changed

Profiled with pyinstrument and cProfile (whole builds in-process with `-j 1`, per stage, per
template and per task), `python -X importtime`, and micro-benchmarks of the kernel's file
operations on this VM, on FOSSASIASummit2016 and on synthetic exports of 2,000 and 10,000
sessions, before each change. In order of effect:

- **Creating files.** When this was measured a new inode cost 0.3–0.7 ms of kernel time (the
  runner's own deletions, see Session 13; ~30 µs on a disk that has freed no inodes for some
  minutes; a hard link 15 µs, overwriting 50 µs), and the site has 1,963 files (43,000 at
  10,000 sessions). Every file a build writes is now kept by content hash in the cache folder
  (`files/`) and hard-linked into the site; a clean build whose bytes were made before links
  instead of creating (FOSSASIASummit2016: kernel time 1.08 s → 0.2 s). Objects are never
  changed in place and are removed when no site links them. They were compared byte for byte
  before reuse (350 MB read back per 10,000-session build); now an object is reused on its
  size and a nanosecond mark derived from its SHA-256 in its modification time (a write
  through a link changes the time; the seconds stay the real ones, so rsync still sees
  changes), and a clean build prunes only the objects the same site's previous build linked
  (0.18 → ~0.01 s at 10,000 sessions).
- **Privacy audit** (0.9 s of a 2 s build at first): e-mail search from each `@`, private
  texts only in files holding one of their words; it streams: each file is scanned as it is
  made, in the process that made it, so the site is never read back (0.79 → 0.16 s CPU;
  10,000 sessions: largest process 1,036 → 386 MiB). Then, at 10,000 sessions: number runs
  found through a one-byte-per-character map of the text (`bytes.translate` and a regex over a
  literal alphabet instead of `\\d` over 350 MB), each window judged once; only private fields
  indexed before the fork (the full index of every address is made on the first finding);
  each VEVENT scanned once, not once per calendar holding it; an output JSON file parsed only
  when it can be a copy of an input document (index 0.6–1.1 → 0.2 s serial, scan 3.5–5.3 →
  1.5–2.0 s CPU; same findings, checked on ~1,000 planted leaks and by property tests).
- **Page rendering** (Jinja): a `{% fragment %}` tag renders repeated markup (session list
  items, speaker cards, header, footer) once per distinct input and records its inputs for
  `serve`; one reused nh3 cleaner and Markdown converter; a rich-text cache large enough for
  10,000 sessions. Per page: ~500 → ~325 µs (FOSSASIASummit2016), ~570 → ~310 µs (10,000).
  Then: the theme links with `|url`/`|srcset` filters (called directly, not through Jinja's
  `Context.call` with a derived context per call in loops), and templates compile with a code
  generator that escapes plain `str` output with markupsafe's C function (same text as Jinja's
  generator, a test compares): rendering all 17,600 pages 5.1 → 3.8 s CPU.
- **Load stage** at 10,000 sessions 4.4 → 1.3 s: a linear scan anchored at quotes decides
  whether a file can hold an over-long string (it walked every value of every big file),
  phone search is skipped for ASCII text with fewer than eight digits, redaction passes run
  only when their markers occur; then a cheaper first check for over-long strings (0.23 →
  0.045 s), ASCII text skips the mojibake search, media paths resolved with `os.path`: serial
  work before the fork ~3.0 → ~2.4 s.
- **Media**: images already resized are taken from the cache on the main thread (the thread
  pool was slower than one thread for them: GIL contention; 4,000 photos 3.4 → 1.0 s); a
  use's smaller variants are resized from its largest and the format is chosen once at 1x
  (resizing −23 % CPU); Pillow is imported only when an image must be decoded. Cold builds:
  one cache file per resized image (not one per variant plus a JSON file), JPEG/PNG fully
  encoded only when WebP is not clearly smaller than a quick encoding of it (same output on
  all 1,739 real-export images), one resizing thread per core, images handed to the pool as
  they are read, templates compiled on a thread meanwhile (FOSSASIASummit2016 cold CPU
  4.30 → 3.71 s median).
- **Other files**: calendars, frab XML/JSON, search index, sitemap and change history are
  tasks shared by the two processes; frab events are written as text of their fixed shape
  (same bytes as ElementTree and `json.dumps`, tests compare; 2.0 → 1.2 s at 10,000 sessions);
  calendar TEXT escaped with `str.replace`, calendars made and written one at a time.
- **Memory** at 10,000 sessions (peak PSS of both processes ~525 → ~407 MiB in the
  session's own measurements): the parsed export is let go once the audit has indexed it (the
  model owns its strings; the audit keeps input documents marshalled); the C heap's free pages
  are handed back before the fork (`malloc_trim`; PSS at the fork 238 → 168 MiB); the
  whole-schedule files are made one after another in one process, so their transient memory
  does not pile up in both; the cyclic collector is paused while loading and what was made is
  frozen before the fork. Then (~415 → 332–362 MiB, `-j 1` 365 → 281 MiB, cold 509 → 336
  MiB): frab files and `changes.json` written into one growing buffer, calendars joined from
  UTF-8 VEVENTs, files over 1 MiB audited in parts cut after line breaks and calendars VEVENT
  by VEVENT keyed by hash, input documents for the copy check kept zlib-compressed, blocks of
  1 MiB and more unmapped when freed (glibc's rising mmap threshold kept them in the heap).
- **`serve` edits**: a save re-parses only the changed files, and in a big JSON array only
  the items whose bytes changed; unchanged records keep their normalised, redacted entities;
  fragment markup is kept between rebuilds while its recorded inputs are unchanged. An edit of
  some sessions' own fields (title, abstracts, links, …) patches them in place: no reload, no
  new graph or view, only pages that read what changed are made again, and the calendars, frab
  files, search index and `changes.json` are spliced (each file in one copy with all its
  changes). A page whose changed inputs only its fragments read (schedule, day, track, room,
  speaker pages; day grid cells are fragments) is spliced too: the fragments' new markup put
  where the page's last bytes had the old, instead of rendering it (10,000 sessions: render
  0.15–0.21 → 0.03 s; a changed file's unchanged tail compared block by block: 0.13 → 0.04 s).
  Speakers' biographies are patched the same way (a bio edit at 10,000 sessions 3.4 → 0.07 s).
  Browsers reload from memory before the files are written: the table gives both moments.
  Any other edit takes the whole incremental path.
- **This round** (10,000 sessions, warm: 8.27 → 7.29 s, CPU 13.1 → 12.4 s, peak PSS
  352 → 323 MiB): the interpreter's teardown skipped once a command is done (exit handlers still run; 0.4 s); an unchanged image
  file neither read nor hashed (its digest remembered by name and signature: media 1.07 →
  0.50 s under cProfile); the render worker forked once templates are loaded instead of after a
  first page of each template (0.57 s of serial rendering, the schedule page); media written
  after the fork from one buffer each process unmaps as it moves on (~0.5 s of serial writing);
  templates read attributes through the builtin `getattr` and call the `fragment` tag directly,
  contexts skip Jinja's ChainMap (pages 3.97 → ~2.55 s CPU); redaction skips fields without '@', '&', '%' or eight digits; the frab
  files, the schedule's calendar and the search index written, hashed and audited as they are
  made, each session's plain text worked out once for the three (their CPU 3.86 → 3.26 s).
- **Session 8**: the 50,000-session warm build had got slower (48 → 59 s) while 10,000 got
  faster: a per-process timeline showed the whole-schedule task taking 49.5 s at 50,000 against
  4.5 s at 10,000, and cProfile put 20 s of it in `bytearray.find`. The streamed privacy scan
  of the one-line search index (42 MB at 50,000) looked for the line's end from its start again
  at every chunk; it now remembers how far it has looked (whole-schedule task 49.5 → 27.4 s;
  warm build 58.7 → 46.4 s, peak 1,299 → 1,217 MiB in the benchmark). The search index now has one entry per
  line, so the audit scans it in 1 MB parts instead of holding it whole, and a build no longer
  keys or keeps the day grid's session boxes, which a build shows once each
  (`{% fragment ... once %}`); `serve` still keeps them. At 10,000 sessions, peak PSS read every
  20 ms: 328–340 → 290–291 MiB; CPU unchanged. A build that downloads nothing no longer
  imports `http.client`, `ssl` or `email` (`-X importtime`: 17.8 → 3.2 ms for the fetcher).
  Tried and taken out: making the privacy audit (and its thread that packs the input
  documents) before the media and the plan, so the packing overlaps them: the fork came
  0.3–0.4 s sooner, but the whole build took 0.4–0.5 s longer and 0.8 s more CPU (the plan's
  objects filled the holes the freed JSON left, so more of the heap is copied after the fork).
- **Session 9**: `serve` into a folder that holds the published site. Every edit that changes
  the pending revision (a retitle) took the whole incremental path, because every page carried
  the "changed" flag data inline: FOSSASIASummit2016 0.096 s, 10,000 sessions ~2.4 s per edit
  (in-process, seven edits each). That data is now one file, `changes-flag.js`, and the edit
  is patched in place: the revision is worked out again for the edited sessions only, and the
  changes page and the history files are made again (0.009 s and 0.15 s). The table's column
  "over a published site" times it (the site published before the edited session was first
  retitled). An edited data file is now compared with the last version by bytes, and only
  the changed span between the unchanged items at its start and its end is decoded and parsed
  (it was decoded whole: 23 MB at 10,000 sessions; the parse 52 → 12 ms; per-step medians of
  nine in-process edits: 0.19 → 0.09 s per edit, 0.22 → 0.14 s over a published site, on the
  same afternoon). A negative cache for failed downloads (~20–50 ms at FOSSASIASummit2016,
  whose one remote image cannot be reached from this VM) is not built: it would only make an
  offline benchmark faster and hide a recovered host from the next build.
- **Session 10**: the privacy audit packs the input documents (marshal + zlib) on its thread
  while the site is planned (media, view, history, pages), not after it: zlib lets go of the
  GIL, so the packing now runs beside the planning instead of the build waiting 0.22–0.27 s for
  it before the fork. At 10,000 sessions, in four sets of alternating pairs of whole processes
  against the round's first commit (medians), the fork came 0.17–0.38 s earlier in three
  (1.99 → 1.61, 1.96 → 1.58, 1.78 → 1.62 s) and at the same time in one taken while the VM was
  slow (15 s of CPU a build instead of 12.5); the whole warm build moved by −0.60, −0.17 and
  +0.08 s in the three sets that timed it: inside this VM's spread. Built, measured and taken
  out again: linking cached image variants from the file store by their recorded digests
  instead of reading and checking the cache entries. Asking the store whether it holds each of the 15,704 variants (a
  stat each) cost more than reading and hashing them: the media stage's best CPU of eight runs
  0.29 → 0.46 s at 10,000 sessions (reading and hashing the 63 MB is ~0.05 s of the 0.29 s; the
  rest is per entry: open, JSON header, objects). The export folder's media index makes one
  path object per folder, not per file (~10 ms).
- **Session 11** (a new VM, ~30 % faster than session 10's: the reference workload 0.26 s
  against 0.38 s): the media host is looked up before the HTTP client is imported, and once
  per fetch, so a photo host that does not resolve (offline, or gone) costs no import of
  `http.client`, `ssl` and `email` (~18 ms of CPU on a thread). FOSSASIASummit2016 warm, 15
  alternating pairs: 0.342 → 0.348 s median, CPU 0.513 → 0.521 s: no change this VM can
  show (its spread is ±20 ms). Measured and not built: WebP method 0 instead of 2 (the
  182 photos' encoding 0.86 → 0.65 s of CPU, but 22 % more bytes on every visitor's screen);
  the fragment tag's template analysis kept on disk (~10 ms per process); importing less
  before the fork (~5 ms of modules a default build never uses); Jinja's `Context.call`
  bypassed for plain functions (~1–2 % of the CPU at 10,000 sessions). Cold builds on this VM
  depend on the kernel more than on eventsite: creating a file cost 75 µs at the start of the
  session and 230–290 µs an hour later (the same 2,000-file test), and the same cold
  FOSSASIASummit2016 build took 1.62–1.65 s, then 2.0–3.2 s (kernel time 0.3 → 2.0 s).
- **Session 12**: a py-spy profile of both processes at 10,000 sessions showed the session
  list items made twice: by the process that renders pages from the head of the queue (day,
  speaker pages) and again by the one that joins after the whole-schedule files and took the
  tail (track and room pages). Pages are now taken in `render_order`, session pages last, so
  the late process renders session pages only, which show speaker cards and no list items
  (9,573 items fewer; 8 alternating pairs of whole processes: wall 5.26 → 5.11 s, CPU 9.17 →
  9.00 s, peak PSS 264–272 against 265–275 MiB). The whole-schedule files take the plain text
  of abstracts without first checking the sanitised HTML for visible text (a pass over every
  abstract that the plain text repeats; empty in exactly the same cases, a property test
  checks), ASCII text is split into search words by `str.translate` and `split` instead of a
  regex, and only runs of non-ASCII characters are checked for combining marks (8 pairs: wall
  5.18 → 5.11 s, CPU 9.02 → 8.83 s). Measured and not built: the audit's index and packed
  input made in a forked helper process while the export is normalised and its media resolved
  (the fork for rendering came 0.13–0.17 s sooner, the whole build was no faster: 5.40–5.63
  against 5.45–5.76 s, with more CPU, as session 8 found with a thread); orjson for the data
  files (the 23 MB sessions file 75 → 71 ms: making the objects costs, not parsing);
  Lanczos replaced by bicubic resizing (cold image CPU −7 %, softer photos); thumbnails
  resized from the photo's largest variant instead of the source (−0.03 s of CPU cold).
  Every run now also times the disk (`_file_creation_cost`, at its start and end), as the
  disk of this VM drifts more than its CPU: 236 µs per file in /tmp shortly before this
  session's run, 903–917 µs in the run's work folder (the CPU workload: 0.28 s, as in
  session 11), which is why its cold builds took 3.5 s against 2.8 s then.
- **Session 13**: that drift was the runner's own doing. `perf record` of the 2,000-file probe
  put 70 % of its kernel time in ext4's `recently_deleted()`: on a file system without a
  journal (this VM's), ext4 does not hand out an inode freed in the last 60 s (6 min while its
  inode table block is not written back), and allocating a new one checks each such inode it
  passes. The runner deleted the previous build's site and cache before each cold build, so
  every cold build's ~2,150 new files walked past the last one's freed inodes. Five cold
  FOSSASIASummit2016 builds in a row: 1.59–1.72 s (median 1.63 s, system CPU 0.26–0.35 s) when
  each moved the last one's trees aside, then 2.08, 2.60, 3.07, 3.36, 3.42 s (system CPU 0.87
  → 2.38 s) when each deleted them; the probe: 31 µs per file after six minutes without
  deletions, 600–900 µs within minutes of them. The runner now moves what it is done with into
  `discarded/` and deletes that after the last timing, and flushes the disk (`sync`) before
  each timed build; an organiser's first build on a fresh machine, or one that did not just
  delete thousands of files, sees the same. eventsite itself frees inodes where it replaces
  files: the first build over a published site rewrites every page that gains the menu's link
  to the changes page (17,699 renames over old files at 10,000 sessions, counted with strace),
  so the serve edits are now timed after all the builds, those over a published site last, and
  the disk probe at the end is taken before them (in this session's first run it read 941 µs
  per file after the 50,000-session edits, 27 µs at the start). On a tmpfs, where no disk is
  involved, the same cold build takes 1.52–1.64 s: what is left is CPU. Its media stage
  (1.13–1.18 s) resizes 185 images (1.74 s of CPU in one thread: 182 photos 1.49 s, the
  1600×900 banner 0.10 s, sponsor logos 0.11 s) on two threads that wait 0.37 s in total for
  the GIL (2.17 s of wall time inside them against 1.80 s of CPU), beside the audit's packing
  thread; the process uses 1.7 of the 2 cores. Even perfectly overlapped with rendering, the
  build's CPU (2.3–2.6 s) on two cores leaves ≥ 1.2 s: ≤ 1 s cold needs cheaper image
  encoding, i.e. fewer or worse photos (see WebP methods, session 11).
- **Start-up**: bytecode compiled before timing, as `pip install` does (PYTHONDONTWRITEBYTECODE
  is set on these machines, which made every benchmarked process compile every module);
  an XML character class that took 4.5 ms to compile is written as its complement.

Where the time goes now, and why targets are missed (session 11, timeline of one
whole-process FOSSASIASummit2016 warm build, instrumented): imports are done at ~80 ms
(`import eventsite.cli, eventsite.build` alone: 80 ms; of it, defining 62 dataclasses 20 ms,
half of that compiling their generated methods), the export is loaded at ~110 ms, its 187
images resolved from the cache by ~140 ms, the process forks at ~175 ms and ends at ~350 ms:
one process makes the whole-schedule files (~116 ms) and then pages, the other renders pages
(~160 ms). The same build run again in the same process takes 0.24 s: ~0.1 s of every build
is the interpreter, the imports and what each process makes once (templates loaded, the
Markdown converter and the rich text it has made, regular expressions, the fragments'
template analysis). The 0.25 s target
would need everything after the imports in ~0.16 s, i.e. a render cache kept on disk and keyed
by each page's recorded inputs, which is not built: a clean build would then time reading a
cache, not building a site. A cold build adds Pillow work for 182 photos into 4 variants each
(CPU of each step over the photos: decoding at a reduced scale 0.19 s, cropping and resizing
0.30 s, the smaller variants 0.21 s, WebP encoding 0.86 s, the classic format ~0.1 s) and
~2,150 new files (~30 µs each on this disk: see Session 13), so ≤ 1 s cold cannot be met
on two cores at this image quality. At 10,000 sessions (~8.5 s CPU on this VM) the build
reports load 0.51 s and plan and media 0.52 s (the audit's index of private fields ~0.18 s,
reading 3,917 cached images ~0.3 s, view, history and plan ~0.1 s), forks at ~1.3 s; after it, the whole-schedule files with their audit take
~3.1 s in one process while the other renders pages (~3.6 s; the first one renders the
session pages at the tail of the queue after it), both link 43,000 files and audit what they
made, and they end within ~0.05 s of each other: 4.9–5.3 s in the alternating runs of
session 12, around the 5 s target.
Of the media stage, reading and checking the 3,926 cached entries is mostly per-entry work,
not bytes (see Session 10). Keeping sanitised text between
builds in the cache folder was tried in an earlier round: ~0.5 s less wall time at 10,000
sessions, but ~25 MiB more at the peak (both processes copy the shared texts as they read
them), so it was taken out.
Peak memory at 10,000 sessions is set as the whole-schedule files end (they hold ~40 MB at
their peak: the frab schedule, each session's plain text, the calendars' VEVENTs) while the
other process renders pages. The processes share ~130 MB at the fork and each ends up with a
private copy of nearly all of it (about 30 MB stay shared), because every object a page reads
has its reference count written, and every page of the shared heap holds such objects.
A one-session edit in `serve` at 10,000 sessions (per-step medians of nine in-process edits,
session 9: 0.09 s per edit): 8–12 ms parsing the changed span of the sessions file, then
splicing the whole-schedule files, finding the pages that read the edited session among 17,600
page records and 44,600 kept fragments (20–30 ms) and making them again; the first edit after
a build is the slowest. The changed files are on disk ~0.08 s after the browsers reload.

Peak memory: the PSS sum splits pages shared between the main process and its forked worker
(copy-on-write), so it is the memory the build really holds; the RSS sum (in brackets) counts
shared pages twice. PSS is read every ~10 ms, RSS every 4 ms, in one more clean build that is
not timed (the sampler competes with the build for the two cores). The target row uses the warm
build, like the time target; a cold build also holds Pillow's buffers.

The 50,000-session stretch (`--stretch`) runs once per build figure. Its `sessions` file is 119 MB,
over the 64 MB that eventsite reads by default (a guard against oversized and hostile input;
the largest real export's is under 2 MB), so the runner raises the cap for it with
`EVENTSITE_MAX_DATA_MB`, as an organiser of such an event would.
"""

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


@dataclass(slots=True)
class Timing:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system, all processes
    peak_rss: list[int] = field(default_factory=list)  # bytes, summed over the process tree
    peak_pss: list[int] = field(default_factory=list)  # the same with shared pages split

    def cell(self) -> str:
        if not self.seconds:
            return "–"
        low, high = min(self.seconds), max(self.seconds)
        if not self.cpu:  # timed in-process: no separate CPU figure
            return f"{self.median:.3f} s ({low:.3f}–{high:.3f})"
        return (
            f"{self.median:.3f} s ({low:.3f}–{high:.3f}; CPU {statistics.median(self.cpu):.2f} s)"
        )

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(slots=True)
class Result:
    name: str
    sessions: int
    export: Path
    edit_runs: int
    cold: Timing = field(default_factory=Timing)
    warm: Timing = field(default_factory=Timing)
    rebuild: Timing = field(default_factory=Timing)
    edit: Timing = field(default_factory=Timing)  # until browsers reload
    edit_on_disk: Timing = field(default_factory=Timing)  # until the files are written too
    # the same edits in a folder holding a published site: each one changes the pending revision
    edit_published: Timing = field(default_factory=Timing)
    edit_note: str = ""
    pages: int = 0
    files: int = 0
    bytes: int = 0
    schedule_gzip: int = 0


def main() -> None:
    args = _parse_args()
    _compile_bytecode()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(work)
    sizes = [s for s in SIZES if not (args.quick and s > 2_000)]
    if args.stretch:
        sizes.append(STRETCH)
    speeds = [_vm_speed(work, args.runs)]  # again at the end: the VM's speed drifts
    startup = _startup_times(args.runs)
    results = []
    real = SHARED / "real_exports" / REAL_EXPORT
    if real.is_dir():
        results.append(_bench(REAL_EXPORT, real, work, args.runs, sessions=0))
    failures: list[str] = []
    for size in sizes:
        export = _synthetic(work, size)
        runs = args.runs if size < 10_000 else max(2, args.runs // 2)
        if size >= STRETCH:
            runs = 1  # minutes per build; the point is the growth curve
            # its `sessions` file (119 MB) is over eventsite's default 64 MB cap
            os.environ["EVENTSITE_MAX_DATA_MB"] = str(STRETCH_DATA_MB)
        try:
            name = f"synthetic {size:,}"
            # a cold stretch build takes minutes: its memory is sampled warm only
            results.append(
                _bench(name, export, work, runs, sessions=size, cold_memory=size < STRETCH)
            )
        except SystemExit as failed:  # a size eventsite refuses is a result, not a crash
            failures.append(f"synthetic {size:,}: the build failed: {_last_line(str(failed))}")
            print(failures[-1], flush=True)
    speeds.append(_vm_speed(work, args.runs))  # before the edits, which free inodes
    _serve_edits(results, work)
    report = _markdown(results, startup, args, failures, speeds)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    _empty_discarded(work)


EDIT_RUNS = 5
LEFTOVERS = ("site", "serve-site", "edited-export", "cache", ".eventsite-cache", "file-probe")
DISCARDED = "discarded"


def _clear_leftovers(work: Path) -> None:
    """Set aside the sites and caches of an interrupted earlier run (see `_set_aside`)."""
    for name in LEFTOVERS:
        _set_aside(work / name, work)
    _settle()


def _set_aside(path: Path, work: Path) -> None:
    """Move a tree the runner is done with into `work/discarded`, which is deleted only after
    the last timing (`_empty_discarded`).

    Deleting it would slow the builds that follow: ext4 without a journal (the disk of this
    project's VMs) does not reuse an inode within 60 s of freeing it (6 min while its inode
    table block is not yet written back), and it checks each such inode it passes every time
    it allocates one. A cold build right after deleting the previous one's site and cache
    (~2,150 files at FOSSASIASummit2016) paid 600-900 µs for each new file, ~30 µs otherwise:
    that was the "drift" of this disk in the earlier runs.
    """
    if not os.path.lexists(path):
        return
    discarded = work / DISCARDED
    discarded.mkdir(exist_ok=True)
    path.rename(discarded / f"{time.time_ns()}-{path.name}")


def _empty_discarded(work: Path) -> None:
    shutil.rmtree(work / DISCARDED, ignore_errors=True)


def _settle() -> None:
    os.sync()
    time.sleep(SETTLE_SECONDS)


def _compile_bytecode() -> None:
    """Compile eventsite's modules, as `pip install` does: with PYTHONDONTWRITEBYTECODE set
    (it is on this project's machines) a build run from the repository would otherwise compile
    every module from source in every process, about 60 ms that no installed copy pays."""
    import compileall

    compileall.compile_dir(REPO / "eventsite", quiet=1)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--stretch", action="store_true", help="add 50,000 sessions")
    parser.add_argument("--quick", action="store_true", help="2 runs, no 10,000 sessions")
    parser.add_argument("--work", type=Path, default=Path("/tmp/eventsite-bench"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.runs = 2
    return args


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env["XDG_CACHE_HOME"] = str(cache)
    env.pop("EVENTSITE_JOBS", None)
    return env


def _synthetic(work: Path, size: int) -> Path:
    from synthetic import generate

    export = work / f"synthetic-{size}-seed{SEED}"
    done = export / ".complete"
    if not done.is_file():
        _set_aside(export, work)
        started = time.perf_counter()
        generate(export, size, SEED)
        done.write_text("ok\n")
        print(f"generated {export} in {time.perf_counter() - started:.1f} s", flush=True)
    return export


def _bench(
    name: str, export: Path, work: Path, runs: int, sessions: int, *, cold_memory: bool = True
) -> Result:
    """Time one export; `cold_memory`: also sample a cold build's memory (one more cold run)."""
    # edits are cheap: always as many as the smaller exports' runs (a median of two is a mean)
    edit_runs = max(runs, EDIT_RUNS)
    result = Result(name=name, sessions=sessions, export=export, edit_runs=edit_runs)
    out = work / "site"
    cache = work / "cache"
    command = [sys.executable, "-m", "eventsite", "build", str(export), "-o", str(out), "-q"]
    media_cache = work / ".eventsite-cache"  # eventsite's default: beside the output folder
    for run in range(runs + cold_memory):  # a last run that samples memory
        for made in (cache, media_cache, out):
            _set_aside(made, work)
        _measure(command, _env(cache), result.cold, sampled=run == runs)
    for run in range(runs + 1):
        _set_aside(out, work)
        _measure(command, _env(cache), result.warm, sampled=run == runs)
    for _ in range(runs):
        _measure(command, _env(cache), result.rebuild)
    _describe_site(out, result)
    if not sessions:
        result.sessions = _public_sessions(out)
    print(
        f"{name}: cold {result.cold.cell()}, warm {result.warm.cell()}, "
        f"rebuild {result.rebuild.cell()}",
        flush=True,
    )
    return result


def _serve_edits(results: list[Result], work: Path) -> None:
    """Time the serve edits of every export once all builds are timed, and the edits over a
    published site after all the others: the first build over a published site rewrites every
    page that gains the menu's link to the changes page (17,600 at 10,000 sessions), which
    frees as many inodes and would slow the next builds' new files (see `_set_aside`)."""
    for result in results:
        result.edit_note = _edit_in_serve(
            result.export, work, result.edit_runs, result.edit, result.edit_on_disk
        )
    for result in results:
        if not result.edit_note:
            timing = result.edit_published
            _edit_in_serve(result.export, work, result.edit_runs, timing, Timing(), published=True)
        print(
            f"{result.name}: edit {result.edit_note or result.edit.cell()}, "
            f"edit over a published site {result.edit_published.cell()}",
            flush=True,
        )


def _measure(
    command: list[str], env: dict[str, str], timing: Timing, *, sampled: bool = False
) -> None:
    """Run `command`; record its wall and CPU time, or with `sampled` only its peak memory."""
    os.sync()  # what earlier runs wrote is not written back while this one is timed
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = _RssSampler(process.pid)
    if sampled:
        sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if sampled:
        sampler.stop()
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    if sampled:
        timing.peak_rss.append(sampler.peak)
        timing.peak_pss.append(sampler.peak_pss)
        return
    timing.seconds.append(elapsed)
    timing.cpu.append(usage.ru_utime + usage.ru_stime)  # includes the workers it waited for


class _RssSampler(threading.Thread):
    """Peaks of the summed RSS and PSS of a process and its children, read from /proc.

    RSS counts a page shared by the main process and a forked worker (copy-on-write) once per
    process; PSS splits it between them, so the PSS sum is the memory the build really holds.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.peak_pss = 0
        self.running = True

    def run(self) -> None:
        samples = 0
        while self.running:
            # PSS makes the kernel walk the page tables: read it every other sample only, or
            # the sampler itself slows a large build down (every sample: +30 % wall time at
            # 10,000; only the memory runs are sampled). Every tenth sample missed peaks:
            # 289-338 MiB for the same 10,000-session build, 328-340 when read every 20 ms.
            with_pss = samples % PSS_EVERY == 0
            rss, pss = _tree_memory(self.pid, with_pss)
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            samples += 1
            time.sleep(SAMPLE_SECONDS)

    def stop(self) -> None:
        self.running = False
        self.join()


def _tree_memory(root: int, with_pss: bool = True) -> tuple[int, int]:
    """(RSS, PSS) in bytes, each summed over the process and its descendants (PSS 0 unless
    `with_pss`)."""
    rss = pss = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text() if with_pss else ""
        except OSError:
            continue
        if "Z (zombie)" in status:
            continue
        rss += _kib_field(status, "VmRSS:")
        pss += _kib_field(rollup, "Pss:")
        pending.extend(int(child) for child in children)
    return rss, pss


def _kib_field(text: str, name: str) -> int:
    for line in text.splitlines():
        if line.startswith(name):
            return int(line.split()[1]) * 1024
    return 0


def _describe_site(out: Path, result: Result) -> None:
    files = [p for p in out.rglob("*") if p.is_file() and p.name != ".eventsite-site"]
    result.files = len(files)
    result.pages = sum(1 for p in files if p.suffix == ".html")
    result.bytes = sum(p.stat().st_size for p in files)
    schedule = out / "schedule" / "index.html"
    if schedule.is_file():
        result.schedule_gzip = len(gzip.compress(schedule.read_bytes(), compresslevel=6))


def _public_sessions(out: Path) -> int:
    return sum(1 for _ in (out / "sessions").glob("*.html"))


def _edit_in_serve(
    export: Path, work: Path, runs: int, timing: Timing, on_disk: Timing, *, published: bool = False
) -> str:
    """Time the rebuild after a one-session edit through the serve engine, when it exists:
    until `serve` would reload the browsers, and until the changed files are on disk.

    `published`: serve into a folder that holds the site as published before the edited
    session was first retitled, so that every edit changes the revision the preview shows."""
    rebuilder = _rebuilder_factory()
    if rebuilder is None:
        return "pending (issue 5)"
    copy = work / "edited-export"
    site = work / "serve-site"
    for made in (copy, site):
        _set_aside(made, work)
    shutil.copytree(export, copy)
    sessions_file = copy / "sessions"
    original = sessions_file.read_text(encoding="utf-8")
    if published:
        sessions_file.write_text(original.replace('"title": "', '"title": "Published ', 1))
        rebuilder(copy, site).build_all()
        sessions_file.write_text(original)
    engine = rebuilder(copy, site)
    engine.build_all()
    _settle()  # the build just replaced a site: let the disk catch up before timing edits
    for run in range(runs):
        marker = f"Edited title {run}"
        sessions_file.write_text(original.replace('"title": "', f'"title": "{marker} ', 1))
        started = time.perf_counter()
        engine.rebuild([sessions_file], defer_writes=True)  # `serve` reloads browsers here
        timing.seconds.append(time.perf_counter() - started)
        engine.flush()
        on_disk.seconds.append(time.perf_counter() - started)
    del engine
    for made in (copy, site):  # not left for the next export's builds
        _set_aside(made, work)
    return ""


def _rebuilder_factory() -> Callable[[Path, Path], object] | None:
    try:
        from eventsite.build import BuildOptions
        from eventsite.incremental import Rebuilder
    except ImportError:
        return None

    def make(source: Path, output: Path) -> object:
        return Rebuilder(BuildOptions(source=str(source), output=output))

    return make


# A fixed pure-Python workload (JSON, a regular expression, dicts and strings): how fast this VM
# runs Python during the run, so that runs of other days can be compared (this project's VMs
# differ by 10-20 % from one afternoon to the next, for the same code)
REFERENCE_CODE = """\
import json, re
data = [{"id": i, "title": f"Session {i}", "words": [f"w{j}" for j in range(20)]}
        for i in range(4000)]
total = 0
for _ in range(8):
    text = json.dumps(data)
    total += len(json.loads(text)) + len(re.findall(r"\\w+", text))
    total += sum(len(item["title"]) for item in data for _ in item["words"])
"""


FILE_PROBE_COUNT = 2_000
FILE_PROBE_BYTES = b"x" * 4096


def _file_creation_cost(work: Path) -> float:
    """Microseconds to create, write and close one small file in a new folder of `work` (the
    median of three rounds of FILE_PROBE_COUNT): what the disk charges for each new file of a
    cold build as the builds find it (see `_set_aside` for what makes it drift)."""
    rounds = []
    folder = work / "file-probe"
    for _ in range(3):
        _set_aside(folder, work)
        folder.mkdir()
        started = time.perf_counter()
        for number in range(FILE_PROBE_COUNT):
            (folder / f"{number}.html").write_bytes(FILE_PROBE_BYTES)
        rounds.append((time.perf_counter() - started) / FILE_PROBE_COUNT * 1e6)
    _set_aside(folder, work)
    return statistics.median(rounds)


def _vm_speed(work: Path, runs: int) -> tuple[Timing, float]:
    """The time of REFERENCE_CODE and the disk's cost per new file, for RESULTS.md."""
    return _reference_time(runs), _file_creation_cost(work)


def _reference_time(runs: int) -> Timing:
    timing = Timing()
    for _ in range(max(runs, 5)):
        _measure([sys.executable, "-c", REFERENCE_CODE], dict(os.environ), timing)
    return timing


def _startup_times(runs: int) -> dict[str, Timing]:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "eventsite --version": [sys.executable, "-m", "eventsite", "--version"],
    }
    times: dict[str, Timing] = {}
    for label, command in commands.items():
        timing = Timing()
        for _ in range(max(runs, 5)):
            _measure(command, _env(Path("/tmp/eventsite-bench-cache")), timing)
        times[label] = timing
    return times


def _machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{model}, {cores} cores, {memory:.0f} GiB RAM; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; load average at the end "
        f"{load}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


def _mb(value: int) -> str:
    return f"{value / 1e6:.1f} MB"


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else text


def _markdown(
    results: list[Result],
    startup: dict[str, Timing],
    args: argparse.Namespace,
    failures: list[str] | None = None,
    speeds: list[tuple[Timing, float]] | None = None,
) -> str:
    lines = [
        "# Build benchmarks",
        "",
        f"Produced by `python benchmarks/run.py{' --stretch' if args.stretch else ''}` "
        f"({args.runs} runs per figure, 10,000+ sessions: {max(2, args.runs // 2)}, serve edits: "
        f"at least {EDIT_RUNS}; median wall "
        "time, fastest–slowest in brackets, then the median CPU time (user + system of the "
        "build and its workers); whole processes, interpreter start included).",
        "",
        f"Machine: {_machine()}.",
        "",
        "| export | public sessions | pages | files | output | clean, cold cache "
        "| clean, warm cache | no-change rebuild | one-session edit in serve: reloaded; on disk "
        "| the same edit over a published site: reloaded "
        "| peak memory, clean warm: PSS (RSS sum) | peak memory, clean cold: PSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        edit = r.edit.cell() if r.edit.seconds else r.edit_note
        if r.edit_on_disk.seconds:
            edit += f"; {r.edit_on_disk.median:.3f} s"
        cold = f"{max(r.cold.peak_pss) / 2**20:.0f} MiB" if r.cold.peak_pss else "–"
        lines.append(
            f"| {r.name} | {r.sessions:,} | {r.pages:,} | {r.files:,} | {_mb(r.bytes)} "
            f"| {r.cold.cell()} | {r.warm.cell()} | {r.rebuild.cell()} | {edit} "
            f"| {r.edit_published.cell()} "
            f"| {max(r.warm.peak_pss) / 2**20:.0f} MiB ({max(r.warm.peak_rss) / 2**20:.0f} MiB) "
            f"| {cold} |"
        )
    lines += [f"\nNot measured: {failure}." for failure in failures or []]
    lines += ["", "Start-up: " + "; ".join(f"`{k}` {v.cell()}" for k, v in startup.items())]
    if speeds:
        lines += [
            "",
            "Speed of this VM (`REFERENCE_CODE` in run.py, a fixed pure-Python workload; compare "
            "runs of other days by it): at the start "
            + ", at the end ".join(timing.cell() for timing, _ in speeds),
            "",
            f"Speed of this VM's disk (`_file_creation_cost`: {FILE_PROBE_COUNT:,} files of "
            f"{len(FILE_PROBE_BYTES):,} bytes created in the work folder): at the start "
            + " µs per file, at the end ".join(f"{cost:.0f}" for _, cost in speeds)
            + " µs per file",
        ]
    lines += ["", *_growth(results), "", *_targets(results, startup), "", NOTES]
    return "\n".join(lines)


def _growth(results: list[Result]) -> list[str]:
    synthetic = [r for r in results if r.name.startswith("synthetic")]
    if len(synthetic) < 2:
        return []
    cells = ", ".join(
        f"{r.sessions:,}: {r.warm.median / r.sessions * 1000:.2f} s" for r in synthetic
    )
    return [f"Growth (clean warm build, seconds per 1,000 sessions): {cells}."]


def _targets(results: list[Result], startup: dict[str, Timing]) -> list[str]:
    by_name = {r.name: r for r in results}
    rows: list[tuple[str, str, float | None, float | None]] = []
    real = by_name.get(REAL_EXPORT)
    if real:
        rows += [
            (f"{REAL_EXPORT} clean build, warm cache", "≤ 0.25 s", real.warm.median, 0.25),
            (f"{REAL_EXPORT} clean build, cold cache", "≤ 1.0 s", real.cold.median, 1.0),
            (
                f"{REAL_EXPORT} one-session edit in serve, rebuilt and reloaded",
                "≤ 0.05 s",
                real.edit.median if real.edit.seconds else None,
                0.05,
            ),
            (
                f"{REAL_EXPORT} the same edit over a published site, rebuilt and reloaded",
                "≤ 0.05 s",
                real.edit_published.median if real.edit_published.seconds else None,
                0.05,
            ),
            (
                f"{REAL_EXPORT} one-session edit in serve, also written to disk",
                "(no target)",
                real.edit_on_disk.median if real.edit_on_disk.seconds else None,
                None,
            ),
            (
                f"{REAL_EXPORT} schedule page, gzip",
                "≤ 150 KB",
                real.schedule_gzip / 1000,
                150,
            ),
        ]
    big = by_name.get("synthetic 10,000")
    if big:
        peak = max(big.warm.peak_pss) / 1e6  # the target is in MB, not MiB
        rows += [
            ("10,000 sessions clean build, warm cache", "≤ 5 s", big.warm.median, 5.0),
            ("10,000 sessions peak memory, clean warm build, PSS (MB)", "≤ 300 MB", peak, 300),
            (
                "10,000 sessions one-session edit in serve, rebuilt and reloaded",
                "≤ 0.2 s",
                big.edit.median if big.edit.seconds else None,
                0.2,
            ),
            (
                "10,000 sessions the same edit over a published site, rebuilt and reloaded",
                "≤ 0.2 s",
                big.edit_published.median if big.edit_published.seconds else None,
                0.2,
            ),
            (
                "10,000 sessions one-session edit in serve, also written to disk",
                "(no target)",
                big.edit_on_disk.median if big.edit_on_disk.seconds else None,
                None,
            ),
        ]
    version = startup["eventsite --version"].median
    rows.append(("`eventsite --version`", "< 0.1 s", version, 0.1))
    lines = ["| target | wanted | measured | met |", "|---|---|---:|---|"]
    for label, wanted, measured, limit in rows:
        if measured is None:
            lines.append(f"| {label} | {wanted} | pending (issue 5) | – |")
        elif limit is None:
            lines.append(f"| {label} | {wanted} | {measured:.3f} | – |")
        else:
            lines.append(
                f"| {label} | {wanted} | {measured:.3f} | {'yes' if measured <= limit else 'NO'} |"
            )
    return lines


if __name__ == "__main__":
    main()
