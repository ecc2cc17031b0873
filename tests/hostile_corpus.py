"""Broken and hostile inputs, made at test time (no zip bombs or real data in the repository).

`export_files` writes a small valid export (invented data) with any file replaced; the
`*_payloads` lists are the XSS and injection corpus every text field gets in test_hostile_content.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

EVENT: dict[str, Any] = {
    "id": 7,
    "identifier": "hostile1",
    "name": "Hostile Input Conference",
    "timezone": "Europe/Ljubljana",
    "starts-at": "2026-03-28T09:00:00+01:00",
    "ends-at": "2026-03-30T18:00:00+02:00",
}


def session(sid: int, start: str | None, end: str | None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": sid,
        "title": f"Session number {sid}",
        "state": "accepted",
        "starts-at": start,
        "ends-at": end,
    }
    record.update(fields)
    return record


SESSIONS: list[dict[str, Any]] = [
    session(1, "2026-03-28T10:00:00+01:00", "2026-03-28T11:00:00+01:00"),
    session(2, "2026-03-28T11:30:00+01:00", "2026-03-28T12:00:00+01:00"),
]


def encode(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")


def export_files(**files: Any) -> dict[str, bytes]:
    """The files of a valid export with some replaced; a value of None drops the file."""
    merged: dict[str, Any] = {"event": EVENT, "sessions": SESSIONS}
    merged.update(files)
    return {name: encode(value) for name, value in merged.items() if value is not None}


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(
    path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], level: int = 6
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def many_member_zip(path: Path, count: int) -> Path:
    """A valid export plus `count` empty stored members, written directly (zipfile is slow)."""
    import struct

    files = export_files()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    start = path.read_bytes()
    directory_at, end_at = start.find(b"PK\x01\x02"), start.rfind(b"PK\x05\x06")
    locals_, central = [start[:directory_at]], [start[directory_at:end_at]]
    offset = directory_at
    for number in range(count):
        name = f"images/{number}.png".encode()
        locals_.append(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 33, 0, 0, 0, len(name), 0) + name
        )
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                0,
                0,
                33,
                0,
                0,
                0,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        offset += 30 + len(name)
    body, directory = b"".join(locals_), b"".join(central)
    total = len(files) + count
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, total, total, len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return path


def stored_zip(path: Path, members: list[tuple[bytes, bytes]]) -> Path:
    """A zip written byte by byte (stored, no compression): names zipfile refuses to write."""
    import struct
    import zlib

    body, directory = b"", b""
    for name, data in members:
        crc, size = zlib.crc32(data), len(data)
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 33, crc, size, size, len(name), 0
        )
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0, 0, 0, 33, crc, size, size, len(name), 0, 0, 0, 0, 0, len(body),
        ) + name  # fmt: skip
        body += header + name + data
    count = len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return path


def valid_members() -> list[tuple[str | zipfile.ZipInfo, bytes]]:
    return list(export_files().items())


# --- resource-limited runs -------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


# runs eventsite in a fresh interpreter that first caps itself, and records its own peak
# resident memory (VmHWM: the fork from a big pytest process would inflate ru_maxrss)
_LIMITED = """
import atexit, resource, runpy, sys
memory, cpu, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

def peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv = ["eventsite", *sys.argv[4:]]
runpy.run_module("eventsite", run_name="__main__", alter_sys=True)
"""


def run_limited(
    args: list[str], *, memory_mb: int = 768, seconds: int = 60, cwd: Path | None = None
) -> Run:
    """`eventsite ARGS` capped in address space (RLIMIT_AS) and CPU time, killed after
    `seconds` of wall time (subprocess.TimeoutExpired); reports its peak resident memory."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("EVENTSITE_DEBUG", None)
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "peak-kb"
        limits = [str(memory_mb * 2**20), str(seconds), str(report)]
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _LIMITED, *limits, *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=seconds,
            env=env,
            cwd=cwd,
            check=False,
        )
        elapsed = time.perf_counter() - started
        peak_kb = int(report.read_text()) if report.is_file() else 0
    return Run(done.returncode, done.stdout, done.stderr, elapsed, peak_kb / 1024)


# --- the XSS and injection corpus ------------------------------------------------------------

# every payload that runs sets window.__xss or opens a dialog; the browser test checks both
MARKUP_PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=2;alert(2)">',
    '<svg onload="window.__xss=3;alert(3)"><circle r=5 /></svg>',
    '"><script>window.__xss=4</script>',
    "'><img src=x onerror=window.__xss=5>",
    '<a href="javascript:window.__xss=6;alert(6)">click me</a>',
    '<a href="  JaVaScRiPt:window.__xss=7">mixed case</a>',
    '<a href="jav&#x09;ascript:window.__xss=8">entity tab</a>',
    '<div style="background:url(javascript:alert(9));width:expression(alert(9))">css</div>',
    "<<script>script>window.__xss=10<</script>/script>",
    '<iframe srcdoc="<script>parent.__xss=11</script>"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=12>",
    "</textarea></title></style><script>window.__xss=13</script>",
    '<!--<img src="--><img src=x onerror=window.__xss=14//">',
    '<object data="javascript:window.__xss=15"></object><embed src="javascript:alert(15)">',
    '<form action="javascript:window.__xss=16"><button formaction="javascript:alert(16)">go</button></form>',
    '<base href="javascript:alert(17)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=18">',
    "<style>@import 'javascript:alert(19)';body{background:red}</style>",
    "<details open ontoggle=window.__xss=20>x</details>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    "<img src=x:alert(21) onerror=eval(src)>",
    "<scr<script>ipt>window.__xss=22</scr</script>ipt>",
    "{{ 7*7 }}{% raw %}${7*7}",
    "</script><script>window.__xss=23</script>",
]
URL_PAYLOADS = [
    "javascript:window.__xss=30;alert(30)",
    " javascript:alert(31)",
    "JAVASCRIPT:alert(32)",
    "java\tscript:alert(33)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(34)",
    'https://example.org/" onmouseover="window.__xss=35',
    "https://example.org/'><script>window.__xss=36</script>",
    "//example.org/%22%3E%3Cscript%3Ealert(37)%3C/script%3E",
]
COLOR_PAYLOADS = [
    "red;}</style><script>window.__xss=40</script>",
    "#fff;background:url(javascript:alert(41))",
    "expression(alert(42))",
    "#12345g",
    '#abc" onmouseover="window.__xss=43',
]
# lines that would add calendar properties or XML elements if not escaped
ICAL_INJECTION = "Talk\r\nATTACH:https://evil.example/x\r\nX-INJECTED:1\nEND:VEVENT"
XML_INJECTION = "Talk]]></title><evil>1</evil><![CDATA[<title>"


def xss_export() -> dict[str, bytes]:
    """An export with a payload in every text field, attribute and URL that reaches output."""
    markup = MARKUP_PAYLOADS
    urls = URL_PAYLOADS
    colors = COLOR_PAYLOADS

    def pick(items: list[str], index: int) -> str:
        return items[index % len(items)]

    event = {
        **EVENT,
        "name": "Hostile <script>window.__xss=100</script> Conf",
        "description": "\n".join(markup),
        "code-of-conduct": "\n".join(reversed(markup)),
        "location-name": pick(markup, 1),
        "organizer-name": pick(markup, 2),
        "organizer-description": pick(markup, 3),
        "external-event-url": pick(urls, 0),
        "ticket-url": pick(urls, 1),
        "logo-url": pick(urls, 2),
        "original-image-url": pick(urls, 4),
        "social-links": [
            {"id": i, "name": pick(markup, i), "link": url} for i, url in enumerate(urls)
        ],
        "event-copyright": {
            "holder": pick(markup, 5),
            "holder-url": pick(urls, 5),
            "licence": pick(markup, 6),
            "licence-url": pick(urls, 6),
            "year": pick(markup, 7),
        },
    }
    tracks = [
        {"id": i + 1, "name": pick(markup, i), "color": color, "font-color": pick(colors, i + 1)}
        for i, color in enumerate(colors)
    ]
    rooms = [
        {"id": i + 1, "name": pick(markup, i + 3), "floor": pick(markup, i + 4)} for i in range(4)
    ]
    types = [{"id": i + 1, "name": pick(markup, i + 5)} for i in range(3)]
    speakers = [
        {
            "id": i + 1,
            "name": f"Speaker {i} {pick(markup, i)}",
            "short-biography": pick(markup, i + 1),
            "long-biography": pick(markup, i + 2) + "\n\n" + pick(markup, i + 3),
            "organisation": pick(markup, i + 4),
            "position": pick(markup, i + 5),
            "country": pick(markup, i + 6),
            "city": pick(markup, i + 7),
            "website": pick(urls, i),
            "twitter": pick(urls, i + 1),
            "github": pick(urls, i + 2),
            "linkedin": pick(urls, i + 3),
            "facebook": pick(urls, i + 4),
            "photo-url": pick(urls, i + 5),
            "sessions": [{"id": i + 1}],
        }
        for i in range(len(markup))
    ]
    sessions = []
    for i, payload in enumerate(markup):
        start = f"2026-03-28T{9 + i % 9:02d}:00:00+01:00"
        end = f"2026-03-28T{9 + i % 9:02d}:45:00+01:00"
        sessions.append(
            session(
                i + 1,
                start,
                end,
                title=f"S{i} {payload}",
                subtitle=pick(markup, i + 1),
                **{
                    "short-abstract": pick(markup, i + 2),
                    "long-abstract": payload + "\n\n" + pick(markup, i + 3),
                    "language": pick(markup, i + 4),
                    "level": pick(markup, i + 5),
                    "slides-url": pick(urls, i),
                    "video-url": pick(urls, i + 1),
                    "audio-url": pick(urls, i + 2),
                    "signup-url": pick(urls, i + 3),
                    "track": {"id": i % len(tracks) + 1, "name": tracks[i % len(tracks)]["name"]},
                    "microlocation": {"id": i % 4 + 1, "name": rooms[i % 4]["name"]},
                    "session-type": {"id": i % 3 + 1, "name": types[i % 3]["name"]},
                    "speakers": [{"id": i + 1, "name": speakers[i]["name"]}],
                },
            )
        )
    sessions.append(
        session(900, "2026-03-29T10:00:00+02:00", "2026-03-29T10:30:00+02:00", title=ICAL_INJECTION)
    )
    sessions.append(
        session(901, "2026-03-29T11:00:00+02:00", "2026-03-29T11:30:00+02:00", title=XML_INJECTION)
    )
    sponsors = [
        {
            "id": i + 1,
            "name": pick(markup, i),
            "url": pick(urls, i),
            "description": pick(markup, i + 1),
            "type": pick(markup, i + 2),
            "level": "1",
            "logo-url": pick(urls, i + 3),
        }
        for i in range(3)
    ]
    return export_files(
        event=event,
        sessions=sessions,
        speakers=speakers,
        tracks=tracks,
        microlocations=rooms,
        session_types=types,
        sponsors=sponsors,
    )


def xss_site(root: Path) -> Path:
    """The XSS export built twice into one site: first with plain titles and other times, then
    with the payloads, so the change history (page, feed, JSON, flag data) carries them too."""
    from eventsite.build import BuildOptions, build

    files = xss_export()
    sessions = json.loads(files["sessions"])
    before = [
        {**record, "title": f"Draft {record['id']}", "starts-at": "2026-03-30T09:00:00+02:00"}
        for record in sessions
    ]
    first = write_folder(root / "before", {**files, "sessions": encode(before)})
    second = write_folder(root / "export", files)
    out = root / "site"
    build(BuildOptions(source=str(first), output=out, base_url="https://example.org/x/"))
    build(BuildOptions(source=str(second), output=out, base_url="https://example.org/x/"))
    return out


# inline scripts written verbatim in the theme's templates (no data from the export in them)
THEME_INLINE_SCRIPTS = {
    match.strip()
    for template in (REPO / "themes" / "default" / "templates").rglob("*.html")
    for match in re.findall(r"<script>(.*?)</script>", template.read_text(encoding="utf-8"), re.S)
    if "{{" not in match and "{%" not in match
}
