"""iCalendar (RFC 5545) files: the whole schedule and one calendar per session, track and room.

Written by hand with the standard library: CRLF line endings, lines folded at 75 octets without
splitting a UTF-8 character, TEXT values escaped. Times are UTC instants (`...Z`), so no
VTIMEZONE is needed and every client shows the same moment. Nothing depends on the clock:
DTSTAMP comes from the event's data, so two builds of one export are byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache

from eventsite import __version__, urls
from eventsite.model.entities import Session
from eventsite.render.schedule_text import paragraphs
from eventsite.render.view import SiteView

CRLF = "\r\n"
FOLD_OCTETS = 75
PRODID = f"-//eventsite//eventsite {__version__}//EN"
UID_DOMAIN = "eventsite"
# DTSTAMP of an event that has neither a scheduled session nor a start date
FALLBACK_STAMP = datetime(1970, 1, 1, tzinfo=UTC)
# TEXT may hold no control characters but HTAB (RFC 5545 3.3.11); lone surrogates cannot be UTF-8;
# line breaks are escaped, not dropped
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
# `\` first: the others add backslashes
_TEXT_ESCAPES = (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n"))


def calendar_files(
    view: SiteView,
    render_event: Callable[[SiteView, Session, datetime], bytes] | None = None,
    kept: CalendarMemo | None = None,
) -> dict[str, bytes]:
    """`schedule.ics` plus a calendar per scheduled session and per track and room page.

    `render_event` replaces `vevent` (UTF-8 encoded) and `kept` holds the calendars of the call before: `eventsite
    serve` reuses the VEVENTs of unchanged sessions and the calendars made of the same ones.
    """
    return dict(calendar_items(view, render_event, kept))


def calendar_items(
    view: SiteView,
    render_event: Callable[[SiteView, Session, datetime], bytes] | None = None,
    kept: CalendarMemo | None = None,
) -> Iterator[tuple[str, bytes]]:
    """The files of `calendar_files` one at a time, so that each can be written and let go
    before the next is made (10,000 sessions: 70 MB of calendars)."""
    for path, made in calendar_pieces(view, render_event, kept, whole_schedule=True):
        yield path, made if isinstance(made, bytes) else b"".join(made)


def calendar_pieces(
    view: SiteView,
    render_event: Callable[[SiteView, Session, datetime], bytes] | None = None,
    kept: CalendarMemo | None = None,
    *,
    whole_schedule: bool = False,
) -> Iterator[tuple[str, bytes | list[bytes]]]:
    """`calendar_items`, the schedule's calendar (10,000 sessions: 17 MB) as the list of its
    pieces unless `whole_schedule` (or `kept`): a writer that writes them one by one never
    joins them."""
    stamp = calendar_stamp(view)
    sessions = scheduled_sessions(view)
    # each VEVENT is rendered once and shared by every calendar that lists the session; as
    # UTF-8, which calendars are joined from: no whole calendar as text, then encoded (10,000
    # sessions: the schedule's is 17 MB, 34 MB as text, and the VEVENTs as text as much again)
    render_event = render_event or _encoded_vevent
    events = {session.id: render_event(view, session, stamp) for session in sessions}

    header = _HeaderMaker(view)

    made: dict[tuple[str, ...], bytes] = {}

    def calendar_for(name: str, members: Iterable[Session]) -> bytes:
        blocks = [events[s.id] for s in members if s.id in events]  # unscheduled: none
        title = f"{name} · {view.event.name}" if name else view.event.name
        if kept is None:
            return _calendar_bytes(header(title), blocks)
        key = (header.fixed, title, *blocks)  # unchanged blocks are the same objects: cheap
        found = kept.get(key)
        if found is None:
            found = _calendar_bytes(header(title), blocks)
        made[key] = found
        return found

    if kept is None and not whole_schedule:
        blocks = [events[s.id] for s in sessions if s.id in events]
        yield urls.ICAL, [header(view.event.name).encode("utf-8"), *blocks, _CALENDAR_END]
        del blocks
    else:
        yield urls.ICAL, calendar_for("", sessions)
    for session in sessions:
        yield urls.session_ical_path(session), calendar_for(session.title, [session])
    for track in view.graph.tracks:
        yield urls.track_ical_path(track), calendar_for(track.name, track.sessions)
    for room in view.graph.rooms:
        yield urls.room_ical_path(room), calendar_for(room.name, room.sessions)
    if kept is not None:
        kept.clear()
        kept.update(made)


CalendarMemo = dict[tuple[str | bytes, ...], bytes]  # header, title and VEVENTs -> calendar
_CALENDAR_END = ("END:VCALENDAR" + CRLF).encode()


def _calendar_bytes(header: str, blocks: list[bytes]) -> bytes:
    return b"".join([header.encode("utf-8"), *blocks, _CALENDAR_END])


def scheduled_sessions(view: SiteView) -> list[Session]:
    """Public sessions with a start time, in schedule order."""
    return [session for day in view.days for session in day.sessions]


def calendar_stamp(view: SiteView) -> datetime:
    """A DTSTAMP derived from the data: the latest session start, else the event start."""
    starts = [s.start for s in scheduled_sessions(view) if s.start is not None]
    if starts:
        return max(starts)
    return view.event.start or FALLBACK_STAMP


def calendar(view: SiteView, name: str, events: Iterable[str | bytes]) -> bytes:
    """One VCALENDAR around already rendered VEVENT blocks (text or UTF-8)."""
    blocks = [event.encode("utf-8") if isinstance(event, str) else event for event in events]
    return _calendar_bytes(_HeaderMaker(view)(name), blocks)


class _HeaderMaker:
    """A VCALENDAR's opening lines; only the name differs between one site's calendars."""

    def __init__(self, view: SiteView) -> None:
        start = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{escape_text(PRODID)}"]
        start += ["CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
        end = [f"X-WR-TIMEZONE:{escape_text(view.event.tz_name)}"] if view.event.tz_name else []
        self._start = "".join(fold(line) + CRLF for line in start)
        self._end = "".join(fold(line) + CRLF for line in end)
        self.fixed = self._start + self._end

    def __call__(self, name: str) -> str:
        return self._start + fold(f"X-WR-CALNAME:{escape_text(name)}") + CRLF + self._end


def vevent(
    view: SiteView, session: Session, stamp: datetime, plain_of: Callable[[str], str] = paragraphs
) -> str:
    """One scheduled session's VEVENT: folded content lines, each ending in CRLF; `plain_of`
    makes plain text with paragraphs of rich text."""
    if session.start is None:
        raise ValueError(f"session {session.id} has no start time")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(session_uid(view, session))}",
        f"DTSTAMP:{utc_instant(stamp)}",
        f"DTSTART:{utc_instant(session.start)}",
    ]
    if session.end is not None and session.end.timestamp() > session.start.timestamp():
        lines.append(f"DTEND:{utc_instant(session.end)}")
    lines.append(f"SUMMARY:{escape_text(session.title)}")
    if session.room is not None:
        lines.append(f"LOCATION:{escape_text(session.room.name)}")
    description = session_description(session, plain_of)
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if session.track is not None:
        lines.append(f"CATEGORIES:{escape_text(session.track.name)}")
    link = view.base_url.absolute(urls.session_path(session))
    if link:
        lines.append(f"URL:{link}")
    lines.append("END:VEVENT")
    return "".join(fold(line) + CRLF for line in lines)


def _encoded_vevent(view: SiteView, session: Session, stamp: datetime) -> bytes:
    return vevent(view, session, stamp).encode("utf-8")


def encoded_vevents(
    plain_of: Callable[[str], str],
) -> Callable[[SiteView, Session, datetime], bytes]:
    """A `render_event` for `calendar_pieces`: UTF-8 VEVENTs whose plain text `plain_of` makes."""

    def render(view: SiteView, session: Session, stamp: datetime) -> bytes:
        return vevent(view, session, stamp, plain_of).encode("utf-8")

    return render


def session_uid(view: SiteView, session: Session) -> str:
    """Stable across builds and unique across events: `<session id>-<event key>@eventsite`."""
    return f"{session.id}-{view.event_key}@{UID_DOMAIN}"


def session_description(session: Session, plain_of: Callable[[str], str] = paragraphs) -> str:
    """Subtitle, speakers and the plain-text abstract, separated by blank lines."""
    parts = [session.subtitle.strip()]
    names = [speaker.name for speaker in session.speakers if speaker.name]
    if names:
        label = "Speaker" if len(names) == 1 else "Speakers"
        parts.append(f"{label}: {', '.join(names)}")
    parts.append(plain_of(session.abstract))
    return "\n\n".join(part for part in parts if part)


@lru_cache(maxsize=8192)  # sessions share their start and end times
def utc_instant(moment: datetime) -> str:
    """A DATE-TIME in UTC form, e.g. 20260611T070000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    r"""A TEXT value: `\`, `;` and `,` escaped, newlines as `\n`, other controls dropped."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _NOT_TEXT.search(value):
        value = _NOT_TEXT.sub("", value)
    # str.replace, not a regex per line: a calendar of 10,000 sessions escapes 60,000 values
    for special, escaped in _TEXT_ESCAPES:
        if special in value:
            value = value.replace(special, escaped)
    return value


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, never inside a UTF-8 character."""
    if len(line) <= FOLD_OCTETS // 4:  # short enough whatever its characters
        return line
    if line.isascii():  # a character an octet: cut by slicing (a long description, 20 cuts)
        if len(line) <= FOLD_OCTETS:
            return line
        rest = range(FOLD_OCTETS, len(line), FOLD_OCTETS - 1)
        return _FOLD_BREAK.join(
            [line[:FOLD_OCTETS], *(line[i : i + FOLD_OCTETS - 1] for i in rest)]
        )
    return _fold_utf8(line)


_FOLD_BREAK = CRLF + " "


def _fold_utf8(line: str) -> str:
    """`fold` of any line: cut between UTF-8 characters."""
    data = line.encode("utf-8")
    if len(data) <= FOLD_OCTETS:
        return line
    chunks: list[bytes] = []
    start, limit = 0, FOLD_OCTETS
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: the character starts earlier
            cut -= 1
        chunks.append(data[start:cut])
        # continuation lines start with a space, which counts towards their 75 octets
        start, limit = cut, FOLD_OCTETS - 1
    chunks.append(data[start:])
    return _FOLD_BREAK.join(chunk.decode("utf-8") for chunk in chunks)
