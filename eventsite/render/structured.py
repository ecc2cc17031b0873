"""schema.org JSON-LD for the landing, session and speaker pages (Event, Person, Place).

URLs in JSON-LD must be absolute, so `url`, `image` and links between the objects appear only
when the site has a base URL. The JSON is made safe to embed in a <script> element.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup

from eventsite import urls
from eventsite.media import Asset
from eventsite.model.entities import Event, Session, Speaker
from eventsite.render.filters import plain
from eventsite.render.view import SiteView

CONTEXT = "https://schema.org"
DESCRIPTION_LIMIT = 300
OFFLINE = "https://schema.org/OfflineEventAttendanceMode"
SCHEDULED = "https://schema.org/EventScheduled"
# json.dumps with options builds an encoder per call; this is the encoder it would build
_ENCODER = json.JSONEncoder(ensure_ascii=False, indent=None)


def script(data: dict[str, Any]) -> Markup:
    """A `<script type="application/ld+json">` element holding `data`."""
    text = _ENCODER.encode({"@context": CONTEXT, **data})
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return Markup(f'<script type="application/ld+json">{text}</script>')


def event_data(view: SiteView) -> dict[str, Any]:
    """The conference as a schema.org Event."""
    event = view.event
    data: dict[str, Any] = {"@type": "Event", "name": event.name}
    _add_times(data, event.start, event.end)
    data["eventStatus"] = SCHEDULED
    data["eventAttendanceMode"] = OFFLINE
    _add(data, "description", plain(event.description, DESCRIPTION_LIMIT))
    _add(data, "location", place(event))
    _add(data, "url", view.base_url.absolute(urls.INDEX))
    _add(data, "image", _absolute(view, view.event_logo))
    if event.organizer_name:
        data["organizer"] = {"@type": "Organization", "name": event.organizer_name}
        _add(data["organizer"], "url", event.event_url)
    return data


def session_data(view: SiteView, session: Session) -> dict[str, Any]:
    """A session as a schema.org Event that is part of the conference."""
    data: dict[str, Any] = {"@type": "Event", "name": session.title}
    _add_times(data, session.start, session.end)
    data["eventStatus"] = SCHEDULED
    data["eventAttendanceMode"] = OFFLINE
    _add(data, "description", plain(session.abstract, DESCRIPTION_LIMIT))
    location = place(view.event)
    if session.room is not None:
        location = {"@type": "Place", "name": session.room.name}
        _add(location, "address", view.event.location_name)
    _add(data, "location", location)
    _add(data, "inLanguage", session.language)
    _add(data, "url", view.base_url.absolute(urls.session_path(session)))
    performers = [person_summary(view, speaker) for speaker in session.speakers]
    _add(data, "performer", performers)
    super_event = {"@type": "Event", "name": view.event.name}
    _add(super_event, "url", view.base_url.absolute(urls.INDEX))
    data["superEvent"] = super_event
    return data


def speaker_data(view: SiteView, speaker: Speaker) -> dict[str, Any]:
    """A speaker as a schema.org Person."""
    data = person_summary(view, speaker)
    _add(data, "jobTitle", speaker.position)
    if speaker.organisation:
        data["worksFor"] = {"@type": "Organization", "name": speaker.organisation}
    _add(data, "description", plain(speaker.bio, DESCRIPTION_LIMIT))
    _add(data, "image", _absolute(view, view.photos.get(speaker.id)))
    _add(data, "sameAs", [link.url for link in speaker.links])
    return data


def person_summary(view: SiteView, speaker: Speaker) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "Person", "name": speaker.name}
    _add(data, "url", view.base_url.absolute(urls.speaker_path(speaker)))
    return data


def place(event: Event) -> dict[str, Any] | None:
    if not event.location_name:
        return None
    data: dict[str, Any] = {"@type": "Place", "name": event.location_name}
    data["address"] = event.location_name
    if event.latitude is not None and event.longitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": event.latitude,
            "longitude": event.longitude,
        }
    return data


def _add_times(data: dict[str, Any], start: datetime | None, end: datetime | None) -> None:
    _add(data, "startDate", start.isoformat() if start else "")
    _add(data, "endDate", end.isoformat() if end and start and end >= start else "")


def _absolute(view: SiteView, asset: Asset | None) -> str:
    return view.base_url.absolute(asset.path) if asset else ""


def _add(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` only when `value` says something (no empty strings, lists or None)."""
    if value:
        data[key] = value


def install(env: Any, view: SiteView) -> None:
    """Template globals: `jsonld_event()`, `jsonld_session(s)`, `jsonld_speaker(sp)`."""
    env.globals.update(
        jsonld_event=lambda: script(event_data(view)),
        jsonld_session=lambda session: script(session_data(view, session)),
        jsonld_speaker=lambda speaker: script(speaker_data(view, speaker)),
    )
