"""Raw JSON documents (any legacy key style, per record) -> typed entities.

Every field is read through `values.get`, which tries the kebab-case and snake_case spelling
of each alias, so files that mix key styles read the same. Nothing here raises on bad values:
a value of the wrong type reads as missing, and problems go to the `IssueLog`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo
from functools import partial
from typing import Any

from eventsite.errors import SourceError
from eventsite.issues import IssueLog
from eventsite.model import timezones
from eventsite.model.entities import (
    Copyright,
    Event,
    EventData,
    MediaRef,
    Room,
    Session,
    SessionType,
    SocialLink,
    Speaker,
    Sponsor,
    Track,
)
from eventsite.model.values import (
    color,
    get,
    ident,
    integer,
    number,
    profile_url,
    records,
    safe_url,
    text,
)

# makes the entity of one record: (document, index, record, context, make) -> make() or an
# equal entity; `context` is what else `make` reads. `eventsite serve` reuses unchanged records'.
RecordMaker = Callable[[str, int, Mapping[str, Any], tuple[object, ...], Callable[[], Any]], Any]

SPEAKER_PROFILES = ("website", "twitter", "github", "linkedin", "facebook", "instagram", "mastodon")


def normalise(
    documents: Mapping[str, Any],
    issues: IssueLog,
    files: Mapping[str, str] | None = None,
    *,
    strict: bool = False,
    maker: RecordMaker | None = None,
) -> EventData:
    """Turn the parsed documents of one export into typed, unlinked entities."""
    files = files or {}
    raw_event = documents.get("event")
    if not isinstance(raw_event, Mapping):
        raise SourceError("expected a JSON object describing the event", file=files.get("event"))
    event = normalise_event(raw_event, documents.get("sessions"), issues, files.get("event"))
    if strict and not event.tz_name:
        raise SourceError(
            f"unknown time zone {text(get(raw_event, 'timezone'))!r}", file=files.get("event")
        )
    make = maker or _make
    zone, file = event.tz, files.get("sessions")

    def each(name: str) -> list[tuple[int, Mapping[str, Any]]]:
        return list(enumerate(_list(documents, name, issues, files)))

    return EventData(
        event=event,
        sessions=[
            make("sessions", i, r, (zone, file), partial(normalise_session, r, zone, issues, file))
            for i, r in each("sessions")
        ],
        speakers=[
            make("speakers", i, r, (), partial(normalise_speaker, r)) for i, r in each("speakers")
        ],
        tracks=[
            make("tracks", i, r, (i,), partial(normalise_track, r, i)) for i, r in each("tracks")
        ],
        rooms=[
            make("microlocations", i, r, (i,), partial(normalise_room, r, i))
            for i, r in each("microlocations")
        ],
        session_types=[
            make("session_types", i, r, (), partial(normalise_session_type, r))
            for i, r in each("session_types")
        ],
        sponsors=[
            make("sponsors", i, r, (), partial(normalise_sponsor, r)) for i, r in each("sponsors")
        ],
    )


def _make(
    name: str, index: int, record: Mapping[str, Any], context: tuple[object, ...], make: Any
) -> Any:
    return make()


def _list(
    documents: Mapping[str, Any], name: str, issues: IssueLog, files: Mapping[str, str]
) -> list[Mapping[str, Any]]:
    value = documents.get(name)
    if value is None:
        return []
    items = records(value)
    skipped = len(value) - len(items) if isinstance(value, list) else 1
    if skipped:
        issues.warn(
            "bad-record", name, None, f"{skipped} item(s) are not objects; skipped", files.get(name)
        )
    return items


def normalise_event(
    record: Mapping[str, Any], sessions: Any, issues: IssueLog, file: str | None
) -> Event:
    tz, tz_name = _event_zone(record, sessions, issues, file)
    copyright_raw = get(record, "event-copyright", "copyright")
    return Event(
        id=ident(get(record, "id")) or "",
        identifier=text(get(record, "identifier")),
        name=text(get(record, "name")) or "Untitled event",
        tz=tz,
        tz_name=tz_name,
        start=timezones.parse_timestamp(get(record, "starts-at", "start-time"), tz),
        end=timezones.parse_timestamp(get(record, "ends-at", "end-time"), tz),
        description=text(get(record, "description")),
        code_of_conduct=text(get(record, "code-of-conduct")),
        organizer_name=text(get(record, "organizer-name", "owner-name")),
        organizer_description=text(get(record, "organizer-description", "owner-description")),
        location_name=text(get(record, "location-name", "searchable-location-name")),
        latitude=number(get(record, "latitude")),
        longitude=number(get(record, "longitude")),
        event_url=safe_url(get(record, "external-event-url", "event-url")),
        ticket_url=safe_url(get(record, "ticket-url")),
        logo=_media(get(record, "logo-url", "logo"), "logo"),
        banner=_media(
            get(record, "original-image-url", "background-image", "large-image-url", "large"),
            "banner",
        ),
        social_links=_social_links(get(record, "social-links")),
        copyright=_copyright(copyright_raw) if isinstance(copyright_raw, Mapping) else None,
    )


def _event_zone(
    record: Mapping[str, Any], sessions: Any, issues: IssueLog, file: str | None
) -> tuple[tzinfo, str]:
    raw = text(get(record, "timezone"))
    name, mapped = timezones.resolve_zone(raw) if raw else (None, False)
    if name:
        if mapped:
            issues.info("timezone", "event", None, f"time zone {raw!r} read as {name!r}", file)
        return timezones.zone(name), name
    samples = [get(record, "starts-at", "start-time")]
    samples += [get(s, "starts-at", "start-time") for s in records(sessions)[:50]]
    fallback = next((z for z in map(timezones.offset_zone, samples) if z is not None), None)
    what = f"unknown time zone {raw!r}" if raw else "no time zone"
    shown = str(fallback) if fallback else "UTC"
    issues.warn("timezone", "event", None, f"{what}; using the timestamps' offset ({shown})", file)
    return fallback or timezones.zone("UTC"), ""


def normalise_session(
    record: Mapping[str, Any], tz: tzinfo, issues: IssueLog, file: str | None
) -> Session:
    session_id = ident(get(record, "id")) or ""
    session = Session(
        id=session_id,
        title=text(get(record, "title")),
        state=text(get(record, "state")).casefold(),
        start=timezones.parse_timestamp(get(record, "starts-at", "start-time"), tz),
        end=timezones.parse_timestamp(get(record, "ends-at", "end-time"), tz),
        subtitle=text(get(record, "subtitle")),
        short_abstract=text(get(record, "short-abstract")),
        long_abstract=text(get(record, "long-abstract", "description")),
        language=text(get(record, "language")),
        level=text(get(record, "level")),
        slides_url=safe_url(get(record, "slides-url", "slides")),
        video_url=safe_url(get(record, "video-url", "video")),
        audio_url=text(get(record, "audio-url", "audio")),
        signup_url=safe_url(get(record, "signup-url")),
        track_ref=_ref(record, "track"),
        room_ref=_ref(record, "microlocation"),
        type_ref=_ref(record, "session-type"),
        speaker_refs=[
            (sid, text(get(s, "name")))
            for s in records(get(record, "speakers"))
            if (sid := ident(get(s, "id"))) is not None
        ],
    )
    raw_start = get(record, "starts-at", "start-time")
    if raw_start is not None and session.start is None:
        issues.warn("bad-time", "session", session_id, f"unreadable start time {raw_start!r}", file)
    if get(record, "deleted-at") is not None:
        session.state = "deleted"
    return session


def _ref(record: Mapping[str, Any], name: str) -> tuple[str, str] | None:
    """An embedded relation: `{id, name}` dict, or a bare `name_id` foreign key."""
    value = get(record, name)
    if isinstance(value, Mapping):
        ref_id = ident(get(value, "id"))
        return (ref_id or "", text(get(value, "name"))) if ref_id or get(value, "name") else None
    fk = ident(get(record, f"{name}-id"))
    return (fk, "") if fk else None


def normalise_speaker(record: Mapping[str, Any]) -> Speaker:
    return Speaker(
        id=ident(get(record, "id")) or "",
        name=text(get(record, "name")),
        photo=_media(get(record, "photo-url", "photo", "original-image-url"), "speaker"),
        short_bio=text(get(record, "short-biography")),
        long_bio=text(get(record, "long-biography")),
        organisation=text(get(record, "organisation", "organization")),
        position=text(get(record, "position")),
        country=_country(get(record, "country")),
        city=text(get(record, "city")),
        links=[
            SocialLink(kind.capitalize() if kind != "github" else "GitHub", url)
            for kind in SPEAKER_PROFILES
            if (url := profile_url(kind, get(record, kind)))
        ],
        featured=get(record, "is-featured", "featured") is True,
        session_ids=[sid for s in records(get(record, "sessions")) if (sid := ident(get(s, "id")))],
    )


def _country(value: Any) -> str:
    country = text(value)
    return "" if country.casefold() in ("not available", "n/a", "none", "-") else country


def normalise_track(record: Mapping[str, Any], index: int) -> Track:
    return Track(
        id=ident(get(record, "id")) or "",
        name=text(get(record, "name")),
        color=color(get(record, "color")),
        font_color=color(get(record, "font-color")),
        description=text(get(record, "description")),
        position=integer(get(record, "position"), index),
    )


def normalise_room(record: Mapping[str, Any], index: int) -> Room:
    floor = get(record, "floor")
    return Room(
        id=ident(get(record, "id")) or "",
        name=text(get(record, "name")),
        floor=text(floor),
        position=integer(get(record, "position"), index),
    )


def normalise_session_type(record: Mapping[str, Any]) -> SessionType:
    return SessionType(id=ident(get(record, "id")) or "", name=text(get(record, "name")))


def normalise_sponsor(record: Mapping[str, Any]) -> Sponsor:
    return Sponsor(
        id=ident(get(record, "id")) or "",
        name=text(get(record, "name")),
        url=safe_url(get(record, "url")),
        description=text(get(record, "description")),
        tier=text(get(record, "type", "sponsor-type")),
        level=integer(get(record, "level"), 0),
        logo=_media(get(record, "logo-url", "logo"), "sponsor"),
    )


def _media(value: Any, role: str) -> MediaRef | None:
    path = text(value)
    return MediaRef(path, role) if path else None


def _social_links(value: Any) -> list[SocialLink]:
    links = []
    for item in records(value):
        url = safe_url(get(item, "link", "url"))
        name = text(get(item, "name"))
        if url and name:
            links.append(SocialLink(name, url))
    return links


def _copyright(record: Mapping[str, Any]) -> Copyright | None:
    result = Copyright(
        holder=text(get(record, "holder")),
        holder_url=safe_url(get(record, "holder-url")),
        licence=text(get(record, "licence", "license")),
        licence_url=safe_url(get(record, "licence-url", "license-url")),
        year=text(get(record, "year")),
        logo=_media(get(record, "logo-url", "logo"), "copyright"),
    )
    return result if result.holder or result.licence else None
