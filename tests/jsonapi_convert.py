"""Test tool: turn a legacy Open Event export into the JSON:API documents a live server sends.

No real JSON:API dump exists, so the API tests serve documents derived from real legacy exports
the way open-event-server would answer (`app/api/schema/*.py`, marshmallow-jsonapi with
`inflect = dasherize`):

- every attribute name dasherized, legacy snake_case names mapped to the current ones
  (`start_time` -> `starts-at`, `photo` -> `photo-url`, `organizer_name` -> `owner-name`...);
- ids are strings; embedded relations become `relationships` linkage, and the related
  resources go once into `included` (from the entity file when it has the id, else from the
  embedded object);
- timestamps are UTC (`timestamptz` columns), naive ones read in the event's zone first; the
  event's `timezone` is an IANA name (the server validates it).

The legacy files are parsed leniently (`strict=False`) since real exports hold raw control
characters; nothing from `eventsite` is used, so the tests do not check the code with itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eventsite.sources.jsonapi import RESOURCE_TYPES

# legacy key (dasherized) -> JSON:API attribute of the current server
RENAMES = {
    "start-time": "starts-at",
    "end-time": "ends-at",
    "photo": "photo-url",
    "logo": "logo-url",
    "background-image": "original-image-url",
    "thumbnail": "thumbnail-image-url",
    "small": "small-image-url",
    "icon": "icon-image-url",
    "large": "large-image-url",
    "slides": "slides-url",
    "video": "video-url",
    "audio": "audio-url",
    "organizer-name": "owner-name",
    "organizer-description": "owner-description",
    "featured": "is-featured",
    "event-url": "external-event-url",
    "holder-url": "holder-url",
    "sponsor-type": "type",
}
TIMESTAMPS = {"starts-at", "ends-at", "created-at", "submitted-at", "deleted-at"}
# legacy keys that are relations or nested lists, handled separately
RELATIONS = {"track", "microlocation", "session-type", "speakers", "sessions"}
ZONES = {  # the non-IANA names real exports use, as the server would have stored them
    "US / Pacific": "America/Los_Angeles",
    "US / Eastern": "America/New_York",
    "Hawaii-Aleutian": "Pacific/Honolulu",
}
# the export's list files and their JSON:API resource types (the event is a single resource)
FILES = {name: kind for name, kind in RESOURCE_TYPES.items() if name != "event"}


@dataclass
class JsonApiEvent:
    """An event as a server holds it: the event document and one resource list per collection."""

    event: dict[str, Any]
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (type, id) -> resource, for `include=`
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def included_for(self, items: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
        """The `included` member for `items` asked with `include=names`."""
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for item in items:
            for name in names:
                linkage = item.get("relationships", {}).get(name, {}).get("data")
                for link in linkage if isinstance(linkage, list) else [linkage]:
                    if link is None:
                        continue
                    key = (link["type"], link["id"])
                    if key in self.resources:
                        seen.setdefault(key, self.resources[key])
        return list(seen.values())


def load_legacy(folder: Path) -> dict[str, Any]:
    documents: dict[str, Any] = {}
    for name in ("event", *FILES):
        path = folder / name
        if path.is_file():
            try:
                documents[name] = json.loads(path.read_text("utf-8"), strict=False)
            except json.JSONDecodeError:
                continue  # a broken optional file is skipped, as eventsite does
    return documents


def convert_export(folder: Path) -> JsonApiEvent:
    documents = load_legacy(folder)
    legacy_event = documents["event"]
    zone_name, tz = _event_zone(legacy_event, documents.get("sessions") or [])
    converter = _Converter(tz, {name: documents.get(name) or [] for name in FILES})
    event_resource, event_included = converter.event(legacy_event, zone_name)
    converted = JsonApiEvent(
        event={"data": event_resource, "included": event_included, "jsonapi": {"version": "1.0"}}
    )
    for name, kind in FILES.items():
        items = [converter.resource(r, kind) for r in documents.get(name) or [] if _has_id(r)]
        if name in documents:
            converted.collections[name] = items
    converted.resources.update(converter.related)
    for name in FILES:
        for item in converted.collections.get(name, []):
            converted.resources.setdefault((item["type"], item["id"]), item)
    return converted


def _norm(name: Any) -> str:
    return re.sub(r"[\s\u2010-\u2015-]+", " ", str(name or "")).strip().casefold()


def dasherize(key: str) -> str:
    return key.replace("_", "-")


def _has_id(record: Any) -> bool:
    return isinstance(record, dict) and record.get("id") not in (None, "")


def _event_zone(event: dict[str, Any], sessions: list[Any]) -> tuple[str, tzinfo]:
    raw = str(event.get("timezone") or "").strip()
    name = ZONES.get(raw, raw)
    try:
        return name, (UTC if name == "UTC" else ZoneInfo(name))
    except (ValueError, KeyError):
        pass
    # no usable zone: the server would hold a fixed offset as Etc/GMT±N
    for record in [event, *sessions]:
        value = record.get("starts-at") or record.get("start_time") or ""
        parsed = datetime.fromisoformat(value) if value else None
        if parsed and parsed.utcoffset() is not None:
            hours = int(parsed.utcoffset() / timedelta(hours=1))
            return f"Etc/GMT{-hours:+d}", timezone(timedelta(hours=hours))
    return "UTC", UTC


class _Converter:
    def __init__(self, tz: tzinfo, files: dict[str, list[Any]]) -> None:
        self.tz = tz
        self.by_id = {
            kind: {str(r["id"]): r for r in files[name] if _has_id(r)}
            for name, kind in FILES.items()
        }
        self.related: dict[tuple[str, str], dict[str, Any]] = {}

    def event(self, record: dict[str, Any], zone_name: str) -> tuple[dict[str, Any], list[Any]]:
        resource = self.resource(record, "event")
        resource["attributes"]["timezone"] = zone_name
        included = []
        links = record.get("social-links") or record.get("social_links") or []
        social = []
        for index, link in enumerate(x for x in links if isinstance(x, dict)):
            ident = str(link.get("id") or f"s{index + 1}")
            attributes = {"name": link.get("name"), "link": link.get("link"), "identifier": ident}
            social.append({"type": "social-link", "id": ident})
            included.append({"type": "social-link", "id": ident, "attributes": attributes})
        resource["relationships"]["social-links"] = {"data": social}
        rights = record.get("event-copyright") or record.get("copyright")
        if isinstance(rights, dict):
            linkage = {"type": "event-copyright", "id": resource["id"]}
            resource["relationships"]["event-copyright"] = {"data": linkage}
            included.append({**linkage, "attributes": self.attributes(rights)})
        for key in ("social-links", "social_links", "event-copyright", "copyright"):
            resource["attributes"].pop(dasherize(key), None)
        return resource, included

    def resource(self, record: dict[str, Any], kind: str) -> dict[str, Any]:
        relationships: dict[str, Any] = {}
        for key, value in record.items():
            name = dasherize(key)
            if name in RELATIONS:
                relationships[name] = {"data": self.linkage(name, value)}
        resource = {
            "type": kind,
            "id": str(record["id"]),
            "attributes": self.attributes(record),
            "relationships": {k: v for k, v in relationships.items() if v["data"] != []},
            "links": {"self": f"/v1/{kind}s/{record['id']}"},
        }
        return resource

    def attributes(self, record: dict[str, Any]) -> dict[str, Any]:
        attributes = {}
        for key, value in record.items():
            name = RENAMES.get(dasherize(key), dasherize(key))
            if name in RELATIONS or name in ("id", "social-links", "event-copyright"):
                continue
            attributes[name] = self.timestamp(value) if name in TIMESTAMPS else value
        return attributes

    def linkage(self, name: str, value: Any) -> Any:
        kind = {"speakers": "speaker", "sessions": "session"}.get(name, name)
        if isinstance(value, list):
            return [link for item in value if (link := self.link(kind, item)) is not None]
        return self.link(kind, value)

    def link(self, kind: str, embedded: Any) -> dict[str, str] | None:
        if not isinstance(embedded, dict) or embedded.get("id") in (None, ""):
            return None
        ident = self.by_name_if_renamed(kind, str(embedded["id"]).strip(), embedded.get("name"))
        key = (kind, ident)
        if key not in self.related and kind != "session":
            source = self.by_id.get(kind, {}).get(ident, embedded)
            self.related[key] = {
                "type": kind,
                "id": ident,
                "attributes": self.attributes(source),
            }
        return {"type": kind, "id": ident}

    def by_name_if_renamed(self, kind: str, ident: str, name: Any) -> str:
        """Real exports embed names that disagree with the entity file for the same id (a
        renamed track, an id reused for two rooms). A server's data has no such conflict; the
        embedded name is what the session showed, so link to the entity that carries it."""
        entities = self.by_id.get(kind, {})
        if not isinstance(name, str) or ident not in entities or kind in ("speaker", "session"):
            return ident
        if _norm(entities[ident].get("name")) == _norm(name):
            return ident
        named = [i for i, r in entities.items() if _norm(r.get("name")) == _norm(name)]
        return named[0] if named else ident

    def timestamp(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # unreadable in the export too: pass it on unchanged
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.tz)
        return parsed.astimezone(UTC).isoformat()
