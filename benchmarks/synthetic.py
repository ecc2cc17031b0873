"""Synthetic Open Event exports of any size, for benchmarks (deterministic for a given seed).

    python benchmarks/synthetic.py 10000 /tmp/synthetic-10000 --seed 1

or, as a module: `generate(Path("out"), sessions=2000, seed=1)`.

The export is a legacy kebab-case folder (the layout the real exports use) whose proportions
follow the real FOSSASIA exports, scaled up: about 0.8 speakers per session, 1-3 speakers per
session, tracks and rooms growing with the square root of N and days growing with N, HTML
abstracts of 80-300 words, a few per cent non-public sessions, speakers with private fields
(e-mail, phone) that must never be published, and local JPEG photos for half the speakers.
Every text is generated from our own word list; nothing is copied from a real export.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE_NAME = "Europe/Berlin"
FIRST_DAY = datetime(2030, 5, 6, tzinfo=ZoneInfo(ZONE_NAME))
DAY_START_MINUTES = 9 * 60
DAY_END_MINUTES = 18 * 60 + 30
LENGTHS = (15, 30, 30, 30, 45, 45, 60, 90)
BREAK_MINUTES = (0, 5, 10, 15)
NON_PUBLIC_STATES = ("pending", "rejected", "draft")
PHOTO_SIZE = 300


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WORDS = _split(
    "system data network service release project team build cache query index schedule "
    "memory thread process kernel driver compiler parser runtime module package library "
    "interface protocol server client browser device sensor robot model training pipeline "
    "storage database cluster container deployment pattern migration upgrade community "
    "maintainer contributor review test coverage benchmark profile latency throughput budget "
    "design layout colour font image video audio stream message event queue worker scheduler "
    "language syntax type function closure object record field value state error warning "
    "security privacy licence policy standard format archive export import backup mirror "
    "hardware board firmware battery radio antenna circuit signal power energy climate city "
    "school student teacher course lesson workshop tutorial example story lesson experience "
    "open free small fast simple careful robust portable readable useful practical modern "
    "shared local remote global private public stable early late quiet honest gentle clear "
    "builds ships measures improves explains shows compares replaces removes keeps adds finds "
    "learns teaches maintains reviews tests debugs profiles documents translates packages "
    "across through between without beyond toward inside around before after during "
)
FIRST_NAMES = _split(
    "Ada Ben Cleo Dov Elin Farid Gala Hugo Iris Joel Kira Lars Mina Nils Omar Pia Quinn Rafa "
    "Sana Tomas Uma Vera Wim Xena Yuri Zoe Aino Bruno Chiara Dmitri Esra Femi Gita Hiro Ines "
    "Jonas Kemal Lucia Mateo Noor Olek Paula Rhea Sven Tara Ugo Vikram Wanda Yael Zeno"
)
LAST_NAMES = _split(
    "Abara Berg Castell Dunmore Eklund Fontaine Garvey Holm Ibarra Jansen Kowal Lindqvist "
    "Moreau Nakata Ortega Petrov Quist Rahman Sato Tanaka Urquhart Varga Weller Xu Yilmaz "
    "Zieliński Achterberg Brennan Costa Dahl Engel Ferreira Grünwald Haddad Ito Jovanović"
)
ORGANISATIONS = (
    "Lumen Labs",
    "Northwind Systems",
    "Open Orchard",
    "Tidepool Software",
    "Quartz Collective",
    "Harbour Data",
    "Copperfield Institute",
    "Bluebell University",
    "Self-employed",
)
TRACK_TOPICS = (
    "Web", "Data", "Systems", "Security", "Community", "Hardware", "Science", "Design",
    "Education", "Cloud", "Languages", "Mobile", "Databases", "Testing", "Accessibility",
)  # fmt: skip
SESSION_TYPES = ("Talk", "Lightning talk", "Workshop", "Keynote", "Panel", "Birds of a feather")


@dataclass(frozen=True, slots=True)
class Shape:
    """How big each part of an event of `sessions` sessions is."""

    sessions: int
    speakers: int
    tracks: int
    rooms: int
    days: int
    sponsors: int

    @classmethod
    def for_sessions(cls, sessions: int) -> Shape:
        days = max(1, math.ceil(math.sqrt(sessions) / 8))
        return cls(
            sessions=sessions,
            speakers=max(1, round(sessions * 0.8)),
            tracks=max(3, round(0.8 * math.sqrt(sessions))),
            rooms=max(2, math.ceil(sessions / (days * 12))),
            days=days,
            sponsors=10 + sessions // 1000,
        )


@dataclass(frozen=True, slots=True)
class Generated:
    path: Path
    shape: Shape
    public_sessions: int
    photos: int


def generate(out: Path, sessions: int, seed: int = 0, *, photos: bool = True) -> Generated:
    """Write a synthetic export of `sessions` sessions into the folder `out` (created)."""
    shape = Shape.for_sessions(sessions)
    rnd = random.Random(seed * 1_000_003 + sessions)
    out.mkdir(parents=True, exist_ok=True)
    tracks = _tracks(shape, rnd)
    rooms = _rooms(shape)
    types = [{"id": i + 1, "name": name} for i, name in enumerate(SESSION_TYPES)]
    speakers = _speakers(shape, rnd)
    session_records = _sessions(shape, rnd, tracks, rooms, types, speakers)
    photo_count = _attach_photos(out, speakers, rnd) if photos else 0
    _write(out / "event", _event(shape, rnd))
    _write(out / "tracks", tracks)
    _write(out / "microlocations", rooms)
    _write(out / "session_types", types)
    _write(out / "speakers", speakers)
    _write(out / "sessions", session_records)
    _write(out / "sponsors", _sponsors(shape, rnd))
    public = sum(1 for s in session_records if s["state"] in ("accepted", "confirmed"))
    return Generated(out, shape, public, photo_count)


def _write(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _sentence(rnd: random.Random, low: int = 6, high: int = 18) -> str:
    words = rnd.choices(WORDS, k=rnd.randint(low, high))
    return " ".join(words).capitalize() + "."


def _title(rnd: random.Random) -> str:
    return " ".join(rnd.choices(WORDS, k=rnd.randint(3, 9))).capitalize()


def _abstract(rnd: random.Random, words: int) -> str:
    """HTML of exactly `words` words: paragraphs, some emphasis, a link, sometimes a list."""
    sentences: list[list[str]] = []
    left = words
    while left > 0:
        count = min(rnd.randint(6, 18), left)
        sentences.append(rnd.choices(WORDS, k=count))
        left -= count
    blocks: list[str] = []
    while sentences:
        size = rnd.randint(2, 5)
        group, sentences = sentences[:size], sentences[size:]
        if rnd.random() < 0.1 and len(group) > 1:
            items = "".join(f"<li>{' '.join(words_).capitalize()}</li>" for words_ in group)
            blocks.append(f"<ul>{items}</ul>")
            continue
        text = " ".join(" ".join(words_).capitalize() + "." for words_ in group)
        if rnd.random() < 0.3:
            word = rnd.choice(WORDS)
            text = text.replace(f" {word} ", f" <strong>{word}</strong> ", 1)
        if rnd.random() < 0.15:
            word = text.rsplit(" ", 1)[-1].rstrip(".")
            link = f'<a href="https://example.org/{rnd.choice(WORDS)}">{word}</a>'
            text = text[: -len(word) - 1] + link + "."
        blocks.append(f"<p>{text}</p>")
    return "\n".join(blocks)


def _event(shape: Shape, rnd: random.Random) -> dict[str, object]:
    end = FIRST_DAY + timedelta(days=shape.days - 1)
    return {
        "id": 1,
        "identifier": f"synthetic{shape.sessions}",
        "name": f"Synthetic Conference {shape.sessions}",
        "timezone": ZONE_NAME,
        "starts-at": FIRST_DAY.replace(hour=9).isoformat(),
        "ends-at": end.replace(hour=18, minute=30).isoformat(),
        "description": _abstract(rnd, 60),
        "organizer-name": "Synthetic Events Association",
        "organizer-description": _abstract(rnd, 40),
        "location-name": "Exhibition Centre, Hall 3",
        "email": "orga@synthetic.invalid",
        "code-of-conduct": _abstract(rnd, 80),
        "social-links": [{"id": 1, "name": "Website", "link": "https://example.org/"}],
        "event-copyright": {"holder": "Synthetic Events Association", "licence": "CC BY 4.0"},
    }


def _tracks(shape: Shape, rnd: random.Random) -> list[dict[str, object]]:
    tracks = []
    for index in range(shape.tracks):
        topic = TRACK_TOPICS[index % len(TRACK_TOPICS)]
        round_ = index // len(TRACK_TOPICS)
        tracks.append(
            {
                "id": index + 1,
                "name": topic if round_ == 0 else f"{topic} {round_ + 1}",
                "color": f"#{rnd.randrange(0x1000000):06x}",
                "font-color": "#ffffff",
                "description": _sentence(rnd),
            }
        )
    return tracks


def _rooms(shape: Shape) -> list[dict[str, object]]:
    return [
        {"id": i + 1, "name": f"Room {i + 1:03d}", "floor": i // 10, "position": i}
        for i in range(shape.rooms)
    ]


def _speakers(shape: Shape, rnd: random.Random) -> list[dict[str, object]]:
    speakers = []
    for index in range(shape.speakers):
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        sid = index + 1
        speakers.append(
            {
                "id": sid,
                "name": f"{first} {last}",
                "email": f"speaker{sid}@mail.synthetic.invalid",
                "mobile": f"+49 170 {sid:07d}",
                "photo-url": "",
                "short-biography": _sentence(rnd),
                "long-biography": _abstract(rnd, rnd.randint(30, 120)) if sid % 3 else "",
                "organisation": rnd.choice(ORGANISATIONS),
                "position": rnd.choice(("Engineer", "Researcher", "Maintainer", "Student", "")),
                "country": rnd.choice(("Germany", "India", "Brazil", "Kenya", "Japan", "")),
                "city": "",
                "website": f"https://example.org/~{sid}" if sid % 2 else "",
                "twitter": f"https://twitter.com/speaker{sid}" if sid % 5 == 0 else "",
                "github": f"https://github.com/speaker{sid}" if sid % 4 == 0 else "",
                "is-featured": sid <= 5,
                "sessions": [],
            }
        )
    return speakers


def _speaker_count(rnd: random.Random) -> int:
    return rnd.choices((1, 2, 3), weights=(70, 22, 8))[0]


def _sessions(
    shape: Shape,
    rnd: random.Random,
    tracks: list[dict[str, object]],
    rooms: list[dict[str, object]],
    types: list[dict[str, object]],
    speakers: list[dict[str, object]],
) -> list[dict[str, object]]:
    slots = _slots(shape, rnd)
    # every speaker gets a session first (in a shuffled order), then extra ones at random
    order = list(range(len(speakers)))
    rnd.shuffle(order)
    records = []
    for index, (room_index, start, minutes) in enumerate(slots):
        sid = index + 1
        count = _speaker_count(rnd)
        chosen = {order[index % len(order)]}
        while len(chosen) < min(count, len(speakers)):
            chosen.add(rnd.randrange(len(speakers)))
        people = [speakers[i] for i in sorted(chosen)]
        track = rnd.choice(tracks)
        session_type = types[0] if minutes <= 45 else rnd.choice(types)
        state = "accepted" if rnd.random() >= 0.04 else rnd.choice(NON_PUBLIC_STATES)
        title = _title(rnd)
        record = {
            "id": sid,
            "title": title,
            "subtitle": "",
            "state": state,
            "starts-at": start.isoformat(),
            "ends-at": (start + timedelta(minutes=minutes)).isoformat(),
            "short-abstract": _sentence(rnd),
            "long-abstract": _abstract(rnd, rnd.randint(80, 300)),
            "comments": "private reviewer note",
            "language": "English",
            "level": rnd.choice(("Beginner", "Intermediate", "Advanced", "")),
            "slides-url": f"https://example.org/slides/{sid}" if sid % 4 == 0 else None,
            "video-url": f"https://example.org/video/{sid}" if sid % 6 == 0 else None,
            "audio-url": None,
            "signup-url": None,
            "track": {"id": track["id"], "name": track["name"]},
            "microlocation": {"id": rooms[room_index]["id"], "name": rooms[room_index]["name"]},
            "session-type": {"id": session_type["id"], "name": session_type["name"]},
            "speakers": [
                {"id": p["id"], "name": p["name"], "organisation": p["organisation"]}
                for p in people
            ],
        }
        records.append(record)
        for person in people:
            person["sessions"].append({"id": sid, "title": title})  # type: ignore[union-attr]
    rnd.shuffle(records)  # exports are not in schedule order
    return records


def _slots(shape: Shape, rnd: random.Random) -> list[tuple[int, datetime, int]]:
    """(room index, start, minutes) for `shape.sessions` sessions, filling rooms day by day."""
    per_day = math.ceil(shape.sessions / shape.days)
    slots: list[tuple[int, datetime, int]] = []
    for day in range(shape.days):
        wanted = min(per_day, shape.sessions - len(slots))
        base = FIRST_DAY + timedelta(days=day)
        clocks = [DAY_START_MINUTES] * shape.rooms
        room = 0
        placed = 0
        while placed < wanted:
            minutes = rnd.choice(LENGTHS)
            if clocks[room] + minutes > DAY_END_MINUTES:
                clocks[room] = DAY_START_MINUTES  # room is full: double-book from the morning
            start = base + timedelta(minutes=clocks[room])
            slots.append((room, start, minutes))
            clocks[room] += minutes + rnd.choice(BREAK_MINUTES)
            placed += 1
            room = (room + 1) % shape.rooms
    return slots


def _attach_photos(out: Path, speakers: list[dict[str, object]], rnd: random.Random) -> int:
    """Give every second speaker a local JPEG photo (a distinct image each)."""
    folder = out / "images" / "speakers"
    count = 0
    for speaker in speakers:
        sid = int(speaker["id"])  # type: ignore[call-overload]
        if sid % 2:
            continue
        name = f"speaker_{sid}.jpg"
        speaker["photo-url"] = f"/images/speakers/{name}"
        folder.mkdir(parents=True, exist_ok=True)
        _photo(folder / name, rnd.getrandbits(32))
        count += 1
    return count


def _photo(path: Path, seed: int) -> None:
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    background = tuple(rnd.randrange(40, 220) for _ in range(3))
    image = Image.new("RGB", (PHOTO_SIZE, PHOTO_SIZE), background)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rnd.randrange(PHOTO_SIZE), rnd.randrange(PHOTO_SIZE)
        r = rnd.randrange(15, 90)
        fill = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)  # type: ignore[arg-type]
    # Pillow's own noise is not seedable; grain from our generator keeps the bytes reproducible
    noise = Image.frombytes("L", image.size, rnd.randbytes(PHOTO_SIZE * PHOTO_SIZE)).convert("RGB")
    image = Image.blend(image, noise, 0.15).filter(ImageFilter.SMOOTH)
    image.save(path, "JPEG", quality=85)


def _sponsors(shape: Shape, rnd: random.Random) -> list[dict[str, object]]:
    levels = ("Platinum", "Gold", "Silver", "Community")
    return [
        {
            "id": i + 1,
            "name": f"{rnd.choice(WORDS).capitalize()} {rnd.choice(('GmbH', 'Ltd', 'Inc'))}",
            "url": f"https://example.org/sponsor/{i + 1}",
            "type": levels[min(i // 3, 3)],
            "level": min(i // 3, 3) + 1,
            "logo-url": "",
        }
        for i in range(shape.sponsors)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sessions", type=int, help="number of sessions")
    parser.add_argument("output", type=Path, help="export folder to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-photos", action="store_true", help="no speaker photos at all")
    args = parser.parse_args()
    made = generate(args.output, args.sessions, args.seed, photos=not args.no_photos)
    print(f"{made.path}: {made.shape} ({made.public_sessions} public, {made.photos} photos)")


if __name__ == "__main__":
    main()
