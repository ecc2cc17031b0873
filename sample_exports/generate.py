"""Write the bundled sample export `devconf-2026/` (an invented event; every text is ours).

Run `python sample_exports/generate.py` after changing it; the output is deterministic and
committed, so the package never needs Pillow at build time to produce the sample.

The export is legacy kebab-case (the format open-event-wsgen consumed) and deliberately carries
a few quirks of real exports: media paths with and without a leading slash, ids as strings in
embedded objects, a session without a room, one without a time, private speaker fields, sessions
that are not public, and hostile HTML in one abstract.
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "devconf-2026"
ZONE = ZoneInfo("Europe/Ljubljana")
DAYS = ("2026-06-11", "2026-06-12")

TRACKS = [
    (1, "Web Platform", "#1F6FEB", "#FFFFFF"),
    (2, "Data & Machine Learning", "#8250DF", "#FFFFFF"),
    (3, "Infrastructure", "#BF8700", "#000000"),
    (4, "Security", "#CF222E", "#FFFFFF"),
    (5, "Community", "#2DA44E", "#FFFFFF"),
]
ROOMS = [(1, "Main Hall", 0), (2, "Room Lipa", 1), (3, "Room Hrast", 1), (4, "Workshop Loft", 2)]
SESSION_TYPES = [(1, "Talk", "00:30"), (2, "Keynote", "00:45"), (3, "Workshop", "01:30")]

TOPICS = [
    ("Shipping fewer bytes: a year of trimming our front end", 1),
    ("Container queries in practice", 1),
    ("Accessible date pickers are hard, here is why", 1),
    ("Progressive enhancement for busy teams", 1),
    ("View transitions without a framework", 1),
    ("The web performance budget nobody reads", 1),
    ("Forecasting bike-share demand with boring models", 2),
    ("Feature stores: when you need one and when you do not", 2),
    ("Evaluating small language models on your own data", 2),
    ("Data contracts between teams", 2),
    ("Column stores explained with a deck of cards", 2),
    ("Reproducible notebooks in continuous integration", 2),
    ("Running Postgres on small machines", 3),
    ("Blue-green deploys for stateful services", 3),
    ("What we learned from 400 flaky tests", 3),
    ("Observability on a shoestring", 3),
    ("Kubernetes is optional", 3),
    ("Package mirrors for air-gapped networks", 3),
    ("Threat modelling for product teams", 4),
    ("Supply-chain security for a five-person project", 4),
    ("Passkeys: the migration story", 4),
    ("Secrets in CI logs and how they get there", 4),
    ("Fuzzing parsers you did not write", 4),
    ("Mentoring first-time contributors", 5),
    ("Running a meetup for ten years", 5),
    ("Writing documentation people finish reading", 5),
    ("Sustainable funding for open source maintainers", 5),
    ("Inclusive event planning checklists", 5),
    ("Translating a project into twelve languages", 5),
    ("Release notes as a product", 5),
]
WORKSHOPS = [
    ("Workshop: build a static site generator in an afternoon", 1),
    ("Workshop: hands-on query planning", 2),
    ("Workshop: writing your first fuzz target", 4),
    ("Workshop: first contributions, step by step", 5),
]
KEYNOTES = ["Opening keynote: software for the next hundred years", "Closing keynote: small tools"]
FIRST = [
    "Ana",
    "Bor",
    "Cene",
    "Dara",
    "Eva",
    "Filip",
    "Greta",
    "Hana",
    "Ivo",
    "Jana",
    "Kai",
    "Lea",
    "Miha",
    "Nika",
    "Oto",
    "Pia",
    "Rok",
    "Sara",
    "Tine",
    "Una",
    "Vid",
    "Zala",
    "Ajda",
    "Luka",
    "Maja",
    "Nejc",
    "Tara",
    "Jaka",
    "Ema",
    "Gal",
]
LAST = [
    "Kovač",
    "Novak",
    "Horvat",
    "Zupan",
    "Potočnik",
    "Kralj",
    "Vidmar",
    "Golob",
    "Turk",
    "Bizjak",
    "Kos",
    "Zajc",
    "Hribar",
    "Mlakar",
    "Rozman",
]
ORGS = ["Lipa Labs", "Riverbank Software", "Open Harbour", "Kestrel Data", "Sunny Side Infra"]


def local(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZONE)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def write_json(name: str, value: object) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    (OUT / name).write_text(text, encoding="utf-8")


def avatar(path: Path, seed: int, initials: str) -> None:
    rnd = random.Random(seed)
    image = Image.new("RGB", (240, 240), tuple(rnd.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rnd.randrange(240), rnd.randrange(240)
        radius = rnd.randrange(20, 70)
        fill = tuple(rnd.randrange(100, 255) for _ in range(3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    draw.text((100, 110), initials, fill=(20, 20, 20))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def logo(path: Path, label: str, colour: tuple[int, int, int]) -> None:
    image = Image.new("RGB", (320, 120), colour)
    ImageDraw.Draw(image).text((20, 50), label, fill=(255, 255, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def make_speakers(rnd: random.Random) -> list[dict]:
    speakers = []
    for index in range(30):
        sid = index + 1
        first, last = FIRST[index], LAST[index % len(LAST)]
        name = f"{first} {last}"
        filename = f"{first}{last}_{sid}.png".replace("č", "c").replace("ž", "z")
        has_photo = sid % 7 != 0  # a few speakers sent no photo
        if has_photo and sid != 12:
            avatar(OUT / "images" / "speakers" / filename, sid, first[0] + last[0])
        photo = ""
        if has_photo:
            # real exports mix "/images/..." and "images/..."; speaker 12's file is missing
            photo = f"/images/speakers/{filename}" if sid % 2 else f"images/speakers/{filename}"
        org = ORGS[index % len(ORGS)]
        speakers.append(
            {
                "id": sid,
                "name": name,
                "email": f"{first.lower()}.{sid}@mail.devconf.invalid",
                "mobile": f"+386 40 {100000 + sid * 3571:06d}",
                "photo-url": photo,
                "short-biography": f"{first} works on {rnd.choice(['tooling', 'data', 'infrastructure', 'the web', 'community'])} at {org}.",
                "long-biography": (
                    f"<p>{first} has spent {rnd.randrange(3, 20)} years building software "
                    f"and now leads a small team at <strong>{org}</strong>.</p>"
                    f"<p>Outside work: {rnd.choice(['climbing', 'choir', 'sourdough', 'cycling', 'chess'])}.</p>"
                    if sid % 3
                    else ""
                ),
                "organisation": org,
                "position": rnd.choice(["Engineer", "Staff Engineer", "Researcher", "Maintainer"]),
                "country": "Slovenia" if sid % 4 else "Croatia",
                "city": "Ljubljana" if sid % 4 else "Zagreb",
                "website": f"https://{first.lower()}.example.org/" if sid % 2 else "",
                "twitter": f"https://twitter.com/{first.lower()}{sid}" if sid % 3 == 0 else "",
                "github": f"github.com/{first.lower()}{last[:3].lower()}" if sid % 4 == 1 else "",
                "linkedin": "",
                "is-featured": sid in (1, 2),
                "heard-from": "a friend",
                "sessions": [],
            }
        )
    return speakers


def slot_plan() -> list[tuple[str, str, str, int]]:
    """(day, start, end, room id) for the regular talk slots."""
    slots = []
    times = [("10:00", "10:30"), ("10:40", "11:10"), ("11:20", "11:50"), ("13:30", "14:00")]
    times += [("14:10", "14:40"), ("15:10", "15:40")]
    for day in DAYS:
        for start, end in times:
            for room in (1, 2, 3):
                slots.append((day, start, end, room))
    return slots


def abstract(rnd: random.Random, title: str, index: int) -> str:
    hook = title.split(":")[0].lower()
    if index % 3 == 0:
        # plain text with blank lines: rendered as Markdown paragraphs
        return (
            f"We look at {hook} from the point of view of a team that ships every week.\n\n"
            f"Expect {rnd.randrange(3, 8)} concrete lessons, one diagram and no slides full of logos."
        )
    return (
        f"<p>A practical session on <em>{hook}</em>.</p>"
        f'<ul><li>what worked</li><li>what did not</li></ul><p style="color:red">'
        f"Bring questions.</p>"
    )


def session(sid: int, title: str, start: datetime | None, end: datetime | None, **extra) -> dict:
    record = {
        "id": sid,
        "title": title,
        "subtitle": "",
        "state": "accepted",
        "starts-at": iso(start) if start else None,
        "ends-at": iso(end) if end else None,
        "short-abstract": "",
        "long-abstract": "",
        "language": "English",
        "level": "",
        "slides-url": "",
        "video-url": "",
        "audio-url": "",
        "signup-url": "",
        "track": None,
        "microlocation": None,
        "session-type": None,
        "speakers": [],
    }
    record.update(extra)
    return record


def embedded_track(track_id: int) -> dict:
    _, name, colour, font = TRACKS[track_id - 1]
    return {"id": track_id, "name": name, "color": colour, "font-color": font}


def embedded_room(room_id: int) -> dict:
    # like PyCon17, embedded ids are strings while the microlocations file has ints
    return {"id": str(room_id), "name": ROOMS[room_id - 1][1]}


def embedded_type(type_id: int) -> dict:
    _, name, length = SESSION_TYPES[type_id - 1]
    return {"id": type_id, "name": name, "length": length}


def make_sessions(rnd: random.Random, speakers: list[dict]) -> list[dict]:
    sessions: list[dict] = []
    sid = 100
    for day_index, day in enumerate(DAYS):
        sid += 1
        start, end = local(day, "09:00"), local(day, "09:45")
        sessions.append(
            session(
                sid,
                KEYNOTES[day_index],
                start,
                end,
                **{
                    "track": embedded_track(5),
                    "microlocation": embedded_room(1),
                    "session-type": embedded_type(2),
                    "long-abstract": "<p>Our keynote speaker opens the day.</p>",
                    "video-url": "https://video.example.org/devconf-2026/keynote-" + day,
                },
            )
        )
    for (day, start, end, room), (title, track) in zip(slot_plan(), TOPICS, strict=False):
        sid += 1
        sessions.append(
            session(
                sid,
                title,
                local(day, start),
                local(day, end),
                **{
                    "track": embedded_track(track),
                    "microlocation": embedded_room(room),
                    "session-type": embedded_type(1),
                    "long-abstract": abstract(rnd, title, sid),
                    "level": rnd.choice(["Beginner", "Intermediate", "Advanced"]),
                    "slides-url": f"https://slides.example.org/{sid}" if sid % 4 == 0 else "",
                },
            )
        )
    for index, (title, track) in enumerate(WORKSHOPS):
        sid += 1
        day = DAYS[index % 2]
        start = local(day, "10:00" if index < 2 else "13:30")
        sessions.append(
            session(
                sid,
                title,
                start,
                start + timedelta(minutes=90),
                **{
                    "track": embedded_track(track),
                    "microlocation": embedded_room(4),
                    "session-type": embedded_type(3),
                    "long-abstract": abstract(rnd, title, sid),
                    "signup-url": f"https://tickets.example.org/workshop/{sid}",
                },
            )
        )
    sid += 1
    # an evening social that runs past midnight: it still belongs to the first day
    sessions.append(
        session(
            sid,
            "Community evening on the river",
            local(DAYS[0], "20:00"),
            local(DAYS[0], "20:00") + timedelta(hours=4, minutes=30),
            **{
                "track": embedded_track(5),
                "long-abstract": "Boat leaves from the pier next to the venue. No room.",
            },
        )
    )
    sid += 1
    sessions.append(
        session(
            sid,
            "Lightning talks (times announced on site)",
            None,
            None,
            **{
                "track": embedded_track(5),
                "long-abstract": "Sign up at the registration desk.",
            },
        )
    )
    sid += 1
    sessions.append(
        session(
            sid,
            "Untrusted markup in an abstract",
            local(DAYS[1], "15:50"),
            local(DAYS[1], "16:20"),
            **{
                "track": embedded_track(4),
                "microlocation": embedded_room(2),
                "session-type": embedded_type(1),
                "long-abstract": (
                    "<p>Abstracts are HTML from strangers.<script>alert(1)</script></p>"
                    '<p><img src="x" onerror="alert(1)"> <a href="javascript:alert(1)">'
                    "a link that must lose its script</a> and a "
                    '<a href="https://owasp.org/">safe link</a>. Tom &amp; Jerry &lt;3</p>'
                ),
            },
        )
    )
    for state, title in (
        ("pending", "A pending proposal nobody should see"),
        ("rejected", "A rejected proposal nobody should see"),
        ("draft", "A draft nobody should see"),
    ):
        sid += 1
        sessions.append(
            session(
                sid,
                title,
                local(DAYS[1], "16:30"),
                local(DAYS[1], "17:00"),
                state=state,
                microlocation=embedded_room(3),
            )
        )
    assign_speakers(rnd, sessions, speakers)
    return sessions


def assign_speakers(rnd: random.Random, sessions: list[dict], speakers: list[dict]) -> None:
    pool = list(range(len(speakers)))
    for index, record in enumerate(sessions):
        if record["title"].startswith(("Community evening", "Lightning")):
            continue
        chosen = [pool[index % len(pool)]]
        if index % 5 == 0:
            chosen.append(pool[(index * 7 + 3) % len(pool)])
        for pick in dict.fromkeys(chosen):
            speaker = speakers[pick]
            record["speakers"].append(
                {
                    "id": speaker["id"],
                    "name": speaker["name"],
                    "organisation": speaker["organisation"],
                }
            )
            speaker["sessions"].append({"id": record["id"], "title": record["title"]})
    rnd.shuffle(sessions)  # exports are not sorted


def make_event() -> dict:
    logo(OUT / "images" / "logo.png", "DevConf 2026", (31, 111, 235))
    return {
        "id": 42,
        "identifier": "dc26ljub",
        "name": "DevConf Ljubljana 2026",
        "starts-at": iso(local(DAYS[0], "09:00")),
        "ends-at": iso(local(DAYS[1], "18:00")),
        "timezone": "Europe/Ljubljana",
        "location-name": "Riverside Congress Centre, Ljubljana",
        "latitude": 46.0511,
        "longitude": 14.5051,
        "description": (
            "<p>Two days of talks and workshops about building and running software, "
            "organised by volunteers.</p><p>Tickets include lunch and the community evening.</p>"
        ),
        "code-of-conduct": (
            "<p>Everyone deserves a harassment-free conference. Be kind, listen, and report "
            "problems to any organiser wearing a yellow badge.</p>"
        ),
        "organizer-name": "DevConf Association",
        "organizer-description": "A volunteer association that runs developer events.",
        "email": "board@devconf.invalid",
        "external-event-url": "https://devconf.example.org/",
        "ticket-url": "https://tickets.example.org/devconf-2026",
        "logo-url": "/images/logo.png",
        "original-image-url": "",
        "social-links": [
            {"id": 1, "name": "Mastodon", "link": "https://social.example.org/@devconf"},
            {"id": 2, "name": "GitHub", "link": "https://github.com/devconf-example"},
            {"id": 3, "name": "Blog", "link": "javascript:alert(1)"},
        ],
        "event-copyright": {
            "holder": "DevConf Association",
            "holder-url": "https://devconf.example.org/",
            "licence": "CC BY-SA 4.0",
            "licence-url": "https://creativecommons.org/licenses/by-sa/4.0/",
            "year": 2026,
            "logo-url": None,
        },
        "state": "Published",
    }


def make_sponsors() -> list[dict]:
    sponsors = []
    entries = [
        ("Lipa Labs", "1", "Gold"),
        ("Riverbank Software", "1", "Gold"),
        ("Open Harbour", "2", "Silver"),
        ("Kestrel Data", "2", "Silver"),
        ("Sunny Side Infra", "3", "Community"),
        ("The Local Hackerspace", "3", "Community"),
    ]
    for index, (name, level, tier) in enumerate(entries, start=1):
        filename = name.replace(" ", "") + f"_{index}.png"
        colour = (40 + index * 30, 90, 160 - index * 15)
        logo(OUT / "images" / "sponsors" / filename, name, colour)
        sponsors.append(
            {
                "id": index,
                "name": name,
                "url": f"https://{name.split()[0].lower()}.example.org/",
                "description": f"{name} supports DevConf.",
                "type": tier,
                "level": level,
                "logo-url": f"/images/sponsors/{filename}",
            }
        )
    return sponsors


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    rnd = random.Random(2026)
    speakers = make_speakers(rnd)
    sessions = make_sessions(rnd, speakers)
    write_json("event", make_event())
    write_json("sessions", sessions)
    write_json("speakers", speakers)
    write_json(
        "tracks",
        [
            {"id": i, "name": n, "color": c, "font-color": f, "description": f"Talks on {n}."}
            for i, n, c, f in TRACKS
        ],
    )
    write_json(
        "microlocations",
        [{"id": i, "name": n, "floor": floor, "room": None} for i, n, floor in ROOMS],
    )
    write_json(
        "session_types",
        [{"id": i, "name": n, "length": length} for i, n, length in SESSION_TYPES],
    )
    write_json("sponsors", make_sponsors())
    public = sum(s["state"] in ("accepted", "confirmed") for s in sessions)
    print(f"wrote {OUT}: {len(sessions)} sessions ({public} public), {len(speakers)} speakers")


if __name__ == "__main__":
    main()
