"""frab/pentabarf `schedule.xml` and c3voc `schedule.json`, the schedule exchange formats.

Both files are built from one neutral description (`FrabSchedule`), so they always agree, and
they validate against the c3voc XSD and JSON schema. Times are local to the event with their
UTC offset; durations are HH:MM. Ids in these formats must be positive integers: numeric ids
are kept, any other id gets a stable number derived from its hash. GUIDs are uuid5 of the event
key and the session id, so they are stable across builds and unique across events. Speakers
appear with their id and public name only. Output is deterministic (no clock, stable order).

Without a base URL, fields that must be http(s) URLs are left out of the XML; the JSON's
required session `url` is then the page path relative to `schedule.json` (the site root).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from xml.etree import ElementTree as ET

from eventsite import __version__, urls
from eventsite.model.entities import Event, Room, Session, Speaker, Track
from eventsite.model.schedule import DAY_START_HOUR, SLOT_MINUTES
from eventsite.render.schedule_text import paragraphs
from eventsite.render.view import SiteView

GENERATOR = "eventsite"
JSON_SCHEMA = "https://c3voc.de/schedule/schema.json"
NO_ROOM = "No room"  # the label the day grid shows too
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://eventsite.invalid/frab")
MAX_DURATION_MINUTES = 99 * 60 + 59  # the XSD allows two hour digits
MAX_EMPTY_DAYS = 366  # a broken end date must not produce thousands of empty days
FALLBACK_DATE = date(1970, 1, 1)  # an event with neither sessions nor dates
# the schema's own pattern, including its unanchored first alternative
_JSON_ZONE = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
# characters XML 1.0 cannot carry (also unencodable lone surrogates): the complement of its Char
# production, written out (compiles in 0.3 ms; the negated class took 4.5 ms at every start-up)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
PlainOf = Callable[[str], str]  # rich text -> plain text with paragraphs


@dataclass(frozen=True, slots=True)
class FrabPerson:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class FrabLink:
    type: str
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class FrabEvent:
    """One scheduled session, with every value both formats need."""

    id: int
    guid: str
    start: datetime
    end: datetime
    duration: str
    room: str
    slug: str
    url: str  # absolute with a base URL, else relative to the site root
    title: str
    subtitle: str
    track: str
    type: str
    language: str
    abstract: str
    description: str
    persons: list[FrabPerson]
    links: list[FrabLink]


@dataclass(slots=True)
class FrabDay:
    index: int
    date: date
    start: datetime
    end: datetime
    rooms: dict[str, list[FrabEvent]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FrabSchedule:
    version: str
    title: str
    acronym: str
    start: str
    end: str
    time_zone_name: str
    base_url: str  # "" unless an http(s) base URL was given
    event_url: str
    logo: str
    tracks: list[Track]
    rooms: dict[str, str]  # name -> guid, in order of first appearance
    days: list[FrabDay]


@dataclass(frozen=True, slots=True)
class _Numbering:
    """How sessions and speakers are named in the formats: acronym and integer ids."""

    acronym: str
    sessions: dict[str, int]
    speakers: dict[str, int]


def frab_xml(view: SiteView, cache: FrabCache | None = None) -> bytes:
    """The schedule in frab's `schedule.xml` format.

    With a `cache`, each event's XML is made once per content and spliced into the document.
    """
    schedule = cache.schedule(view) if cache else frab_schedule(view)
    return _spliced_xml(view, schedule, cache.xml_piece if cache else _xml_event_text)


def _spliced_xml(
    view: SiteView, schedule: FrabSchedule, event_text: Callable[[FrabEvent], bytes]
) -> bytes:
    """The document with each event's text (`event_text`) put where ElementTree would write it."""
    return _joined(_xml_pieces(view, schedule, event_text))


def _xml_pieces(
    view: SiteView, schedule: FrabSchedule, event_text: Callable[[FrabEvent], bytes]
) -> Iterator[bytes]:
    """`_spliced_xml` in pieces, each made when the one before is taken."""
    skeleton = _xml_document(view, schedule, _xml_slot)
    parts = skeleton.split(_XML_SLOT)
    del skeleton
    events = _events_in_order(schedule)
    if len(parts) != len(events) + 1:  # cannot happen: data text is escaped; be exact anyway
        yield _whole_xml(view, schedule)
        return
    yield from _interleaved(parts, map(event_text, events))


def frab_json(view: SiteView, cache: FrabCache | None = None) -> bytes:
    """The schedule in the c3voc `schedule.json` format.

    With a `cache`, each event's JSON is made once per content and spliced into the document.
    """
    schedule = cache.schedule(view) if cache else frab_schedule(view)
    return _spliced_json(schedule, cache.json_piece if cache else _json_event_text)


def _spliced_json(schedule: FrabSchedule, event_text: Callable[[FrabEvent, str], bytes]) -> bytes:
    """The document with each event's text (`event_text`, at the indentation it is written at)
    put where `json.dumps` would write it."""
    return _joined(_json_pieces(schedule, event_text))


def _json_pieces(
    schedule: FrabSchedule, event_text: Callable[[FrabEvent, str], bytes]
) -> Iterator[bytes]:
    """`_spliced_json` in pieces, each made when the one before is taken."""
    skeleton = _json_text(_json_document(schedule, lambda item: _JSON_SLOT))
    parts = skeleton.split(_JSON_SLOT_TEXT)
    del skeleton
    events = _events_in_order(schedule)
    if len(parts) != len(events) + 1:  # some text of the data is the slot marker itself
        yield _whole_json(schedule)
        return
    pieces = (
        event_text(item, _indentation_before(part))
        for item, part in zip(events, parts[:-1], strict=True)
    )
    yield from _interleaved([part.encode("utf-8") for part in parts], pieces, b"\n")


def frab_files(view: SiteView) -> dict[str, bytes]:
    """Both formats from one schedule description, which a clean build then makes once."""
    return dict(frab_items(view))


def frab_items(view: SiteView) -> Iterator[tuple[str, bytes]]:
    """`frab_files` one at a time: the XML can be written and let go before the JSON is made."""
    schedule = frab_schedule(view)
    yield urls.FRAB_XML, _spliced_xml(view, schedule, _xml_event_text)
    made = _spliced_json(schedule, _json_event_text)
    del schedule  # not held while the JSON is written and audited (10,000 sessions: 22 MB)
    yield urls.FRAB_JSON, made


def frab_pieces(
    view: SiteView, plain_of: PlainOf = paragraphs
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """`frab_items` with each file in pieces, made as they are taken: a writer that writes
    each piece as it comes never holds a whole file (10,000 sessions: 21 and 25 MB). Each
    file's pieces must be taken before the next file is."""
    schedule = frab_schedule(view, plain_of=plain_of)
    yield urls.FRAB_XML, _xml_pieces(view, schedule, _xml_event_text)
    pieces = _json_pieces(schedule, _json_event_text)
    del schedule  # held by the pieces until they are all made
    yield urls.FRAB_JSON, pieces


def _whole_xml(view: SiteView, schedule: FrabSchedule) -> bytes:
    return _xml_document(view, schedule, _xml_event)


def _whole_json(schedule: FrabSchedule) -> bytes:
    return _json_text(_json_document(schedule, _json_event)).encode("utf-8") + b"\n"


# --- per-event pieces kept between builds (`eventsite serve`) ---------------------------------

# placeholders where the events go: an element name no data can produce (text is escaped), and
# a string the data would have to contain exactly (checked: the document is then made whole)
_XML_SLOT = b"<eventsite-slot />"
_JSON_SLOT = "\x00eventsite-slot\x00"
_JSON_SLOT_TEXT = json.dumps(_JSON_SLOT)


_PATCHED = object()  # the session key of pieces made by `patch_event`


@dataclass(slots=True)
class _EventPieces:
    key: object
    event: FrabEvent
    xml: bytes | None = None
    json: tuple[str, bytes] | None = None  # (indentation, text)


class FrabCache:
    """Frab events and their XML/JSON text, reused while their session's content is unchanged.

    `session_key(session)` must change whenever the session or an entity it links to (track,
    room, type, speakers) changes; the numbering, event key and base URL are added here.
    """

    def __init__(self, session_key: Callable[[Session], object]) -> None:
        self.session_key = session_key
        self.reused = 0
        self._view: SiteView | None = None
        self._schedule: FrabSchedule | None = None
        self._pieces: dict[str, _EventPieces] = {}
        self._previous: dict[str, _EventPieces] = {}
        self._by_identity: dict[int, _EventPieces] = {}
        # `schedule_version`'s lines of the kept schedule's events, while `patch_event` edits it
        self._version_lines: dict[str, bytes] | None = None

    def schedule(self, view: SiteView) -> FrabSchedule:
        """`frab_schedule(view)`, made once per view (both files use it)."""
        if self._view is not view or self._schedule is None:
            self._previous, self._pieces, self.reused = self._pieces, {}, 0
            self._by_identity = {}
            self._schedule = frab_schedule(view, self)
            self._view = view
            self._version_lines = None
        return self._schedule

    def event(self, view: SiteView, session: Session, numbering: _Numbering) -> FrabEvent:
        key = (
            self.session_key(session),
            numbering.sessions[session.id],
            tuple(numbering.speakers[speaker.id] for speaker in session.speakers),
            numbering.acronym,
            view.event_key,
            view.base_url.url,
        )
        pieces = self._previous.get(session.id)
        if pieces is not None and pieces.key == key:
            self.reused += 1
        else:
            pieces = _EventPieces(key, _frab_event(view, session, numbering))
        self._pieces[session.id] = pieces
        self._by_identity[id(pieces.event)] = pieces
        return pieces.event

    def _by_event(self, item: FrabEvent) -> _EventPieces:
        pieces = self._by_identity.get(id(item))
        if pieces is None or pieces.event is not item:  # not made by `event`: not kept
            pieces = _EventPieces(None, item)
        return pieces

    def xml_piece(self, item: FrabEvent) -> bytes:
        pieces = self._by_event(item)
        if pieces.xml is None:
            pieces.xml = _xml_event_text(item)
        return pieces.xml

    def json_piece(self, item: FrabEvent, indentation: str) -> bytes:
        pieces = self._by_event(item)
        if pieces.json is None or pieces.json[0] != indentation:
            pieces.json = (indentation, _json_event_text(item, indentation))
        return pieces.json[1]

    def patch_event(self, view: SiteView, session: Session) -> list[Splice] | None:
        """The text changes that make the last files show `session` as it is now, if only its
        own fields changed since (`eventsite serve`); None when they cannot be worked out.

        The event's numbers come from its kept key; the version (which reads every title) is
        made again from the kept schedule with the new event in place."""
        pieces, schedule = self._pieces.get(session.id), self._schedule
        if pieces is None or pieces.xml is None or pieces.json is None or schedule is None:
            return None
        if not isinstance(pieces.key, tuple) or session.start is None:
            return None
        _, number, speaker_numbers, acronym, *_ = pieces.key
        numbering = _Numbering(
            acronym,
            {session.id: number},
            dict(zip((speaker.id for speaker in session.speakers), speaker_numbers, strict=True)),
        )
        item = _frab_event(view, session, numbering)
        if not _swap_event(schedule, pieces.event, item):
            return None
        lines = self._version_lines
        if lines is None:
            lines = self._version_lines = _version_lines(schedule.days)
        else:  # the event keeps its place: only its line changes
            lines[item.guid] = _version_line(item, item.room)
        count = sum(len(events) for day in schedule.days for events in day.rooms.values())
        version = _version_of(lines) if len(lines) == count else schedule_version(schedule.days)
        # its numbers stay for the next patch; a whole build remakes it (no session's key is
        # `_PATCHED`)
        new = _EventPieces((_PATCHED, *pieces.key[1:]), item, _xml_event_text(item))
        new.json = (pieces.json[0], _json_event_text(item, pieces.json[0]))
        splices = [
            (urls.FRAB_XML, pieces.xml, new.xml),
            (urls.FRAB_JSON, pieces.json[1], new.json[1]),
        ]
        if version != schedule.version:
            splices += [
                (urls.FRAB_XML, _xml_version(schedule.version), _xml_version(version)),
                (urls.FRAB_JSON, _json_version(schedule.version), _json_version(version)),
            ]
            self._schedule = dataclasses.replace(schedule, version=version)
        self._pieces[session.id] = new
        self._by_identity.pop(id(pieces.event), None)
        self._by_identity[id(item)] = new
        return splices


Splice = tuple[str, bytes, bytes]  # (output path, old text, new text)


def _swap_event(schedule: FrabSchedule, old: FrabEvent, new: FrabEvent) -> bool:
    for day in schedule.days:
        items = day.rooms.get(old.room)
        for index, item in enumerate(items or ()):
            if item is old:
                items[index] = new  # type: ignore[index]
                return True
    return False


def _xml_version(version: str) -> bytes:
    return f"<version>{version}</version>".encode()


def _json_version(version: str) -> bytes:
    return f'"version": "{version}"'.encode()


def _xml_document(
    view: SiteView, schedule: FrabSchedule, add_event: Callable[[ET.Element, FrabEvent], None]
) -> bytes:
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", {"name": GENERATOR, "version": __version__})
    if schedule.base_url:
        _text(root, "url", view.base_url.absolute(urls.FRAB_XML))
    _text(root, "version", schedule.version)
    _xml_conference(root, schedule)
    for day in schedule.days:
        _xml_day(root, day, schedule.rooms, add_event)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _json_document(
    schedule: FrabSchedule, event_value: Callable[[FrabEvent], object]
) -> dict[str, Any]:
    body: dict[str, Any] = {"version": schedule.version}
    if schedule.base_url:
        body["base_url"] = schedule.base_url
    body["conference"] = _json_conference(schedule, event_value)
    return {
        "$schema": JSON_SCHEMA,
        "generator": {"name": GENERATOR, "version": __version__},
        "schedule": body,
    }


def _json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def _events_in_order(schedule: FrabSchedule) -> list[FrabEvent]:
    """The events as both documents list them: by day, then room, then time."""
    return [item for day in schedule.days for items in day.rooms.values() for item in items]


def _interleave(parts: list[bytes], pieces: Iterable[bytes], end: bytes = b"") -> bytes:
    """`parts[0] + pieces[0] + parts[1] + ... + end`."""
    return _joined(_interleaved(parts, pieces, end))


def _interleaved(parts: list[bytes], pieces: Iterable[bytes], end: bytes = b"") -> Iterator[bytes]:
    """`parts[0], pieces[0], parts[1], ..., end`, each piece made when the one before is taken."""
    yield parts[0]
    for piece, part in zip(pieces, parts[1:], strict=True):
        yield piece
        yield part
    if end:
        yield end


def _joined(pieces: Iterable[bytes]) -> bytes:
    """The pieces written into one growing buffer as they are made and let go: no list of the
    pieces beside the document, and no copy of it (10,000 sessions: two 20 MB copies fewer)."""
    document = io.BytesIO()
    for piece in pieces:
        document.write(piece)
    return document.getvalue()  # the buffer itself, not a copy


def _indentation_before(text: str) -> str:
    """The spaces that start the last line of `text` (where a spliced value begins)."""
    return text[text.rfind("\n") + 1 :]


# --- the neutral description ------------------------------------------------------------------


def frab_schedule(
    view: SiteView, cache: FrabCache | None = None, plain_of: PlainOf = paragraphs
) -> FrabSchedule:
    event = view.event
    sessions = [session for day in view.days for session in day.sessions]
    numbering = _Numbering(
        acronym=conference_acronym(event, view.event_key),
        sessions=numeric_ids(s.id for s in sessions),
        speakers=numeric_ids(p.id for s in sessions for p in s.speakers),
    )
    days = _scheduled_days(view, numbering, cache, plain_of) or _empty_days(event)
    rooms = dict.fromkeys(room for day in days for room in day.rooms)
    base_url = view.base_url.url if _is_http(view.base_url.url) else ""
    logo = view.base_url.absolute(view.event_logo.path) if view.event_logo and base_url else ""
    return FrabSchedule(
        version=schedule_version(days),
        title=clean(event.name),
        acronym=numbering.acronym,
        start=_iso(event.start) if event.start else days[0].date.isoformat(),
        end=_iso(event.end) if event.end else days[-1].date.isoformat(),
        time_zone_name=event.tz_name,
        base_url=base_url,
        event_url=event.event_url if _is_http(event.event_url) else "",
        logo=logo,
        tracks=view.graph.tracks,
        rooms={room: room_guid(view.event_key, room) for room in rooms},
        days=days,
    )


def _scheduled_days(
    view: SiteView,
    numbering: _Numbering,
    cache: FrabCache | None = None,
    plain_of: PlainOf = paragraphs,
) -> list[FrabDay]:
    """The site's conference days, each with its rooms in the grid's column order."""
    days = []
    for day in view.days:
        frab_day = _frab_day(day.index, day.date, view.event.tz)
        for column in day.columns:
            frab_day.rooms.setdefault(_room_name(column.room), [])
        for session in day.sessions:
            if cache is None:
                item = _frab_event(view, session, numbering, plain_of)
            else:
                item = cache.event(view, session, numbering)
            frab_day.rooms.setdefault(item.room, []).append(item)
        days.append(frab_day)
    return days


def _empty_days(event: Event) -> list[FrabDay]:
    """Without scheduled sessions: the event's dates (the formats need at least one day)."""
    first = event.start or event.end
    last = event.end or event.start
    if first is None or last is None:
        return [_frab_day(1, FALLBACK_DATE, event.tz)]
    count = min(max((last.date() - first.date()).days + 1, 1), MAX_EMPTY_DAYS)
    return [_frab_day(i + 1, first.date() + timedelta(days=i), event.tz) for i in range(count)]


def _frab_day(index: int, day: date, tz: tzinfo) -> FrabDay:
    """A conference day runs from DAY_START_HOUR local time to the same hour the next day."""
    start = datetime.combine(day, time(DAY_START_HOUR), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(DAY_START_HOUR), tzinfo=tz)
    return FrabDay(index=index, date=day, start=start, end=end)


def _frab_event(
    view: SiteView, session: Session, numbering: _Numbering, plain_of: PlainOf = paragraphs
) -> FrabEvent:
    assert session.start is not None
    number = numbering.sessions[session.id]
    path = urls.session_path(session)
    abstract, description = _abstract_and_description(session, plain_of)
    return FrabEvent(
        id=number,
        guid=session_guid(view.event_key, session.id),
        start=session.start,
        end=session.end
        if session.end and session.end.timestamp() > session.start.timestamp()
        else session.start,
        duration=hhmm(session.duration_minutes),
        room=_room_name(session.room),
        slug=session_slug(numbering.acronym, number, session.title),
        url=view.base_url.absolute(path) or path,
        title=clean(session.title),
        subtitle=clean(session.subtitle.strip()),
        track=clean(session.track.name) if session.track else "",
        type=clean(session.session_type.name) if session.session_type else "",
        language=clean(session.language.strip()),
        abstract=abstract,
        description=description,
        persons=[_person(speaker, numbering.speakers) for speaker in session.speakers],
        links=_links(session),
    )


def _abstract_and_description(session: Session, plain_of: PlainOf = paragraphs) -> tuple[str, str]:
    """frab's abstract is the short text, its description the long one (if it differs);
    `plain_of` makes plain text with paragraphs of them."""
    short = clean(plain_of(session.short_abstract))
    long = clean(plain_of(session.long_abstract))
    abstract = short or long
    return abstract, long if long != abstract else ""


def _person(speaker: Speaker, speaker_ids: dict[str, int]) -> FrabPerson:
    return FrabPerson(id=speaker_ids[speaker.id], name=clean(speaker.name))


def _links(session: Session) -> list[FrabLink]:
    candidates = [
        ("slides", session.slides_url, "Slides"),
        ("media", session.video_url, "Video"),
        ("media", session.audio_url, "Audio"),
    ]
    return [FrabLink(kind, url, title) for kind, url, title in candidates if _is_http(url)]


def _room_name(room: Room | None) -> str:
    return clean(room.name) if room is not None and room.name else NO_ROOM


# --- identifiers --------------------------------------------------------------------------------


def session_guid(event_key: str, session_id: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event_key}/session/{session_id}"))


def room_guid(event_key: str, room_name: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{event_key}/room/{room_name}"))


def numeric_ids(ids: Iterable[str]) -> dict[str, int]:
    """Positive integer ids: numeric ids as they are, others a stable hash-derived number."""
    unique = sorted(set(ids))
    result = {i: int(i) for i in unique if i.isascii() and i.isdigit() and str(int(i)) == i}
    result = {i: n for i, n in result.items() if n > 0}
    used = set(result.values())
    for value in unique:
        if value in result:
            continue
        digest = hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()
        number = 1_000_000_000 + int(digest[:12], 16) % 1_000_000_000
        while number in used:
            number += 1
        result[value] = number
        used.add(number)
    return result


def conference_acronym(event: Event, event_key: str) -> str:
    """Lower-case ASCII letters, digits and `_`, at least 4 long (both schemas accept it)."""
    ascii_name = unicodedata.normalize("NFKD", event.name).encode("ascii", "ignore").decode()
    acronym = _NON_SLUG.sub("_", ascii_name.lower()).strip("_")[:40].strip("_")
    return acronym if len(acronym) >= 4 else f"event_{event_key}"


def session_slug(acronym: str, number: int, title: str) -> str:
    """`<acronym>-<id>-<title words>`, as frab makes them; matches both schemas' patterns."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = _NON_SLUG.sub("-", ascii_title.lower()).strip("-")[:50].strip("-")
    tail = f"{number}-{words}" if words else str(number)
    if len(tail) < 4:  # the XSD wants at least four characters after the acronym
        tail += "-session"
    return f"{acronym}-{tail}"


def schedule_version(days: list[FrabDay]) -> str:
    """Changes whenever a session's time, room or title does (apps compare it to update)."""
    digest = hashlib.sha1()
    for day in days:
        for room, events in day.rooms.items():
            for item in events:
                digest.update(_version_line(item, room))
    return digest.hexdigest()[:12]


def _version_lines(days: list[FrabDay]) -> dict[str, bytes]:
    """What `schedule_version` digests of each event, by its guid (one per session), in order."""
    return {
        item.guid: _version_line(item, room)
        for day in days
        for room, events in day.rooms.items()
        for item in events
    }


def _version_line(item: FrabEvent, room: str) -> bytes:
    return f"{item.guid}|{_iso(item.start)}|{item.duration}|{room}|{item.title}\n".encode()


def _version_of(lines: dict[str, bytes]) -> str:
    return hashlib.sha1(b"".join(lines.values())).hexdigest()[:12]


# --- small value helpers ----------------------------------------------------------------------


def hhmm(minutes: int) -> str:
    hours, rest = divmod(min(max(minutes, 0), MAX_DURATION_MINUTES), 60)
    return f"{hours:02d}:{rest:02d}"


def clean(value: str) -> str:
    """Text without characters XML cannot carry."""
    return _NOT_XML.sub("", value)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _is_http(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


# --- schedule.xml -------------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, value: str, attrib: dict[str, str] | None = None) -> None:
    ET.SubElement(parent, tag, attrib or {}).text = value


def _xml_conference(root: ET.Element, schedule: FrabSchedule) -> None:
    conference = ET.SubElement(root, "conference")
    _text(conference, "title", schedule.title)
    _text(conference, "acronym", schedule.acronym)
    _text(conference, "start", schedule.start)
    _text(conference, "end", schedule.end)
    _text(conference, "days", str(len(schedule.days)))
    _text(conference, "timeslot_duration", hhmm(SLOT_MINUTES))
    if schedule.base_url:
        _text(conference, "base_url", schedule.base_url)
    if schedule.logo:
        _text(conference, "logo", schedule.logo)
    if schedule.event_url:
        _text(conference, "url", schedule.event_url)
    if schedule.time_zone_name:
        _text(conference, "time_zone_name", schedule.time_zone_name)
    for track in schedule.tracks:
        attrib = {"name": clean(track.name)}
        if track.color:
            attrib["color"] = track.color
        _text(conference, "track", clean(track.name), attrib)


def _xml_day(
    root: ET.Element,
    day: FrabDay,
    guids: dict[str, str],
    add_event: Callable[[ET.Element, FrabEvent], None],
) -> None:
    element = ET.SubElement(
        root,
        "day",
        {
            "index": str(day.index),
            "date": day.date.isoformat(),
            "start": _iso(day.start),
            "end": _iso(day.end),
        },
    )
    for room, events in day.rooms.items():
        room_element = ET.SubElement(element, "room", {"name": room, "guid": guids[room]})
        for item in events:
            add_event(room_element, item)


def _xml_slot(parent: ET.Element, item: FrabEvent) -> None:
    ET.SubElement(parent, "eventsite-slot")


def _xml_event_text(item: FrabEvent) -> bytes:
    """One event's XML as `_xml_document` writes it (at its depth), without what follows it.

    The same text as `_xml_event` in a tree serialised by ElementTree (tests compare them),
    written directly: a tree of 20 elements per event costs five times as much.
    """
    pad = _XML_CHILD_PAD
    lines = [
        f'<event id="{item.id}" guid="{_xml_attribute(item.guid)}">',
        _xml_leaf(pad, "date", _iso(item.start)),
        _xml_leaf(pad, "start", item.start.strftime("%H:%M")),
        _xml_leaf(pad, "duration", item.duration),
        _xml_leaf(pad, "room", item.room),
        _xml_leaf(pad, "slug", item.slug),
    ]
    if _is_http(item.url):
        lines.append(_xml_leaf(pad, "url", item.url))
    lines.append(_xml_leaf(pad, "title", item.title))
    if item.subtitle:
        lines.append(_xml_leaf(pad, "subtitle", item.subtitle))
    lines += (_xml_leaf(pad, "track", item.track), _xml_leaf(pad, "type", item.type))
    if item.language:
        lines.append(_xml_leaf(pad, "language", item.language))
    lines.append(_xml_leaf(pad, "abstract", item.abstract))
    if item.description:
        lines.append(_xml_leaf(pad, "description", item.description))
    persons = [
        _xml_leaf(_XML_GRANDCHILD_PAD, "person", p.name, f' id="{p.id}"') for p in item.persons
    ]
    links = [
        _xml_leaf(
            _XML_GRANDCHILD_PAD,
            "link",
            link.title,
            f' href="{_xml_attribute(link.url)}" type="{_xml_attribute(link.type)}"',
        )
        for link in item.links
    ]
    lines += (_xml_parent(pad, "persons", persons), _xml_parent(pad, "links", links))
    lines.append(f"{_XML_EVENT_PAD}</event>")
    # the document's writer replaces what UTF-8 cannot carry by character references
    return "".join(lines).encode("utf-8", "xmlcharrefreplace")


_XML_EVENT_DEPTH = 3  # schedule > day > room > event
_XML_EVENT_PAD = "\n" + "  " * _XML_EVENT_DEPTH  # what ET.indent puts before a closing tag
_XML_CHILD_PAD = _XML_EVENT_PAD + "  "
_XML_GRANDCHILD_PAD = _XML_CHILD_PAD + "  "


def _xml_leaf(pad: str, tag: str, text: str, attributes: str = "") -> str:
    """An element without children as ElementTree writes it: empty text gives `<tag />`."""
    if not text:
        return f"{pad}<{tag}{attributes} />"
    return f"{pad}<{tag}{attributes}>{_xml_text(text)}</{tag}>"


def _xml_parent(pad: str, tag: str, children: list[str]) -> str:
    if not children:
        return f"{pad}<{tag} />"
    return f"{pad}<{tag}>{''.join(children)}{pad}</{tag}>"


def _xml_text(text: str) -> str:
    """Character data escaped as ElementTree escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _xml_attribute(text: str) -> str:
    """An attribute value escaped as ElementTree escapes it."""
    text = _xml_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def _xml_event(parent: ET.Element, item: FrabEvent) -> None:
    element = ET.SubElement(parent, "event", {"id": str(item.id), "guid": item.guid})
    _text(element, "date", _iso(item.start))
    _text(element, "start", item.start.strftime("%H:%M"))
    _text(element, "duration", item.duration)
    _text(element, "room", item.room)
    _text(element, "slug", item.slug)
    if _is_http(item.url):
        _text(element, "url", item.url)
    _text(element, "title", item.title)
    if item.subtitle:
        _text(element, "subtitle", item.subtitle)
    _text(element, "track", item.track)
    _text(element, "type", item.type)
    if item.language:
        _text(element, "language", item.language)
    _text(element, "abstract", item.abstract)
    if item.description:
        _text(element, "description", item.description)
    persons = ET.SubElement(element, "persons")
    for person in item.persons:
        _text(persons, "person", person.name, {"id": str(person.id)})
    links = ET.SubElement(element, "links")
    for link in item.links:
        _text(links, "link", link.title, {"href": link.url, "type": link.type})


# --- schedule.json ------------------------------------------------------------------------------


def _json_conference(
    schedule: FrabSchedule, event_value: Callable[[FrabEvent], object]
) -> dict[str, Any]:
    conference: dict[str, Any] = {
        "acronym": schedule.acronym,
        "title": schedule.title,
        "start": schedule.start,
        "end": schedule.end,
        "daysCount": len(schedule.days),
        "timeslot_duration": hhmm(SLOT_MINUTES),
    }
    if _JSON_ZONE.match(schedule.time_zone_name):
        conference["time_zone_name"] = schedule.time_zone_name
    if schedule.event_url:
        conference["url"] = schedule.event_url
    if schedule.logo:
        conference["logo"] = schedule.logo
    conference["tracks"] = [_json_track(track) for track in schedule.tracks]
    conference["rooms"] = [{"name": name, "guid": guid} for name, guid in schedule.rooms.items()]
    conference["days"] = [_json_day(day, event_value) for day in schedule.days]
    return conference


def _json_track(track: Track) -> dict[str, str]:
    item = {"name": clean(track.name)}
    if track.color:
        item["color"] = track.color
    return item


def _json_day(day: FrabDay, event_value: Callable[[FrabEvent], object]) -> dict[str, Any]:
    return {
        "index": day.index,
        "date": day.date.isoformat(),
        "day_start": _iso(day.start),
        "day_end": _iso(day.end),
        "rooms": {
            room: [event_value(item) for item in events] for room, events in day.rooms.items()
        },
    }


def _json_event_text(item: FrabEvent, indentation: str) -> bytes:
    """`json.dumps(_json_event(item), ensure_ascii=False, indent=2)` with every line after the
    first indented by `indentation` (tests compare them), written directly: the indenting
    encoder is pure Python and walks every value through generators."""
    pad = "\n" + indentation + "  "
    inner = pad + "  "
    fields = [
        f'"guid": {_json_string(item.guid)}',
        f'"id": {int(item.id)}',
        f'"date": {_json_string(_iso(item.start))}',
        f'"start": {_json_string(item.start.strftime("%H:%M"))}',
        f'"end": {_json_string(_iso(item.end))}',
        f'"duration": {_json_string(item.duration)}',
        f'"room": {_json_string(item.room)}',
        f'"slug": {_json_string(item.slug)}',
        f'"url": {_json_string(item.url)}',
        f'"title": {_json_string(item.title)}',
        f'"subtitle": {_json_string_or_null(item.subtitle)}',
        f'"track": {_json_string_or_null(item.track)}',
        f'"type": {_json_string(item.type)}',
        f'"language": {_json_string_or_null(item.language)}',
        f'"abstract": {_json_string_or_null(item.abstract)}',
        f'"description": {_json_string_or_null(item.description)}',
        '"persons": '
        + _json_objects(
            inner,
            [
                (f'"id": {int(p.id)}', f'"public_name": {_json_string(p.name)}')
                for p in item.persons
            ],
        ),
        '"links": '
        + _json_objects(
            inner,
            [
                (
                    f'"type": {_json_string(link.type)}',
                    f'"url": {_json_string(link.url)}',
                    f'"title": {_json_string(link.title)}',
                )
                for link in item.links
            ],
        ),
    ]
    text = "{" + pad + ("," + pad).join(fields) + "\n" + indentation + "}"
    return text.encode("utf-8")


def _json_objects(pad: str, objects: list[tuple[str, ...]]) -> str:
    """A JSON list of flat objects (their members already written) as `indent=2` lays it out."""
    if not objects:
        return "[]"
    member_pad = pad + "  "
    items = ["{" + member_pad + ("," + member_pad).join(o) + pad + "}" for o in objects]
    return "[" + pad + ("," + pad).join(items) + pad[:-2] + "]"


def _json_string_or_null(value: str) -> str:
    return _json_string(value) if value else "null"


_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # as dumps, C


def _json_event(item: FrabEvent) -> dict[str, Any]:
    return {
        "guid": item.guid,
        "id": item.id,
        "date": _iso(item.start),
        "start": item.start.strftime("%H:%M"),
        "end": _iso(item.end),
        "duration": item.duration,
        "room": item.room,
        "slug": item.slug,
        "url": item.url,
        "title": item.title,
        "subtitle": item.subtitle or None,
        "track": item.track or None,
        "type": item.type,
        "language": item.language or None,
        "abstract": item.abstract or None,
        "description": item.description or None,
        "persons": [{"id": p.id, "public_name": p.name} for p in item.persons],
        "links": [{"type": link.type, "url": link.url, "title": link.title} for link in item.links],
    }
