"""JSON:API documents (the live Open Event API, or a snapshot of it) -> legacy flat records.

The Open Event server answers in JSON:API: each resource is `{type, id, attributes,
relationships}`, related resources appear once in the top-level `included`, attribute names
are dasherized. The legacy exports instead embed related objects in each record (`session.track
= {id, name}`). This module flattens the first into the second, so `eventsite.model` reads API
data exactly like an export and never learns where it came from:

    {"type": "session", "id": "7", "attributes": {"title": ...},
     "relationships": {"track": {"data": {"type": "track", "id": "2"}}}}
    ->  {"id": "7", "title": ..., "track": {"id": "2", "name": ..., "color": ...}}

Relative media paths (`/static/media/x.jpg`) point at the API server, not at files of an
export, so they are made absolute against the event's URL (`links.self` of the event
document, which the client and the snapshot always set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from eventsite.errors import SourceError

# file name in an export -> the JSON:API resource type its documents hold
RESOURCE_TYPES = {
    "event": "event",
    "sessions": "session",
    "speakers": "speaker",
    "tracks": "track",
    "microlocations": "microlocation",
    "sponsors": "sponsor",
    "session_types": "session-type",
}
# attributes that hold media paths besides the `*-url` ones
MEDIA_ATTRIBUTES = frozenset({"photo", "logo", "background-image", "thumbnail", "large", "small"})

Resource = Mapping[str, Any]
Key = tuple[str, str]


def is_jsonapi(value: Any) -> bool:
    """True for a JSON:API document (`{"data": ...}`) rather than a legacy export file."""
    return isinstance(value, Mapping) and "data" in value


def unpack_documents(documents: Mapping[str, Any], files: Mapping[str, str]) -> dict[str, Any]:
    """Flatten every JSON:API document of an export; legacy documents pass through unchanged."""
    base = event_url(documents.get("event"))
    unpacked: dict[str, Any] = {}
    for name, value in documents.items():
        if is_jsonapi(value) and name in RESOURCE_TYPES:
            unpacked[name] = flatten_document(value, name, files.get(name, name), base)
        else:
            unpacked[name] = value
    return unpacked


def event_url(document: Any) -> str | None:
    """The absolute URL the event document was fetched from, if it records one."""
    if not is_jsonapi(document):
        return None
    links = document.get("links")
    url = links.get("self") if isinstance(links, Mapping) else None
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
        return url
    return None


def flatten_document(document: Mapping[str, Any], name: str, shown: str, base: str | None) -> Any:
    """One JSON:API document -> a legacy record (the event) or list of records (the rest)."""
    _raise_for_errors(document, shown)
    data = document["data"]
    expected = RESOURCE_TYPES[name]
    included = _index_included(document.get("included"), shown)
    flattener = _Flattener(included, shown, base)
    if name == "event":
        if not isinstance(data, Mapping):
            raise SourceError(f"'data' must be a single {expected!r} resource object", file=shown)
        return flattener.resource(data, "data", expected)
    if not isinstance(data, list):
        raise SourceError(f"'data' must be a list of {expected!r} resources", file=shown)
    records = [flattener.resource(item, f"data[{i}]", expected) for i, item in enumerate(data)]
    return [record for record in records if record.get("deleted-at") in (None, "")]


def _raise_for_errors(document: Mapping[str, Any], shown: str) -> None:
    errors = document.get("errors")
    if errors and document.get("data") is None:
        raise SourceError(f"the server reported an error: {describe_errors(errors)}", file=shown)
    if "data" not in document:
        raise SourceError("not a JSON:API document: it has no 'data' member", file=shown)


def describe_errors(errors: Any) -> str:
    """A one-line summary of a JSON:API `errors` member."""
    if not isinstance(errors, list) or not errors:
        return "unknown error"
    parts = []
    for error in errors[:3]:
        if isinstance(error, Mapping):
            words = [str(error[k]) for k in ("status", "title", "detail") if error.get(k)]
            parts.append(" - ".join(words) or "unknown error")
    return "; ".join(parts) or "unknown error"


def _index_included(included: Any, shown: str) -> dict[Key, Resource]:
    if included is None:
        return {}
    if not isinstance(included, list):
        raise SourceError("'included' must be a list of resource objects", file=shown)
    index: dict[Key, Resource] = {}
    for i, item in enumerate(included):
        key = _resource_key(item, f"included[{i}]", shown)
        index.setdefault(key, item)
    return index


def _resource_key(item: Any, where: str, shown: str) -> Key:
    if not isinstance(item, Mapping):
        raise SourceError(f"{where} is not a resource object", file=shown)
    kind, ident = item.get("type"), item.get("id")
    if not isinstance(kind, str) or not kind:
        raise SourceError(f"{where} has no 'type'", file=shown)
    if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
        raise SourceError(f"{where} ({kind}) has no 'id'", file=shown)
    return kind, str(ident)


class _Flattener:
    def __init__(self, included: dict[Key, Resource], shown: str, base: str | None) -> None:
        self.included = included
        self.shown = shown
        self.base = base

    def resource(self, item: Any, where: str, expected: str) -> dict[str, Any]:
        kind, ident = _resource_key(item, where, self.shown)
        if kind != expected:
            raise SourceError(
                f"{where} is a {kind!r} resource where {expected!r} resources were expected",
                file=self.shown,
            )
        record = self.attributes(item, where)
        relationships = item.get("relationships")
        if relationships is not None and not isinstance(relationships, Mapping):
            raise SourceError(f"{where}: 'relationships' is not an object", file=self.shown)
        for name, relation in (relationships or {}).items():
            if isinstance(relation, Mapping) and "data" in relation:
                record[name] = self.related(relation["data"], f"{where}.{name}")
        record["id"] = ident
        return record

    def attributes(self, item: Resource, where: str) -> dict[str, Any]:
        attributes = item.get("attributes")
        if attributes is None:
            return {}
        if not isinstance(attributes, Mapping):
            raise SourceError(f"{where}: 'attributes' is not an object", file=self.shown)
        return {key: self.media(key, value) for key, value in attributes.items()}

    def related(self, linkage: Any, where: str) -> Any:
        """Resource linkage -> the included resource's attributes (or just its id)."""
        if linkage is None:
            return None
        if isinstance(linkage, list):
            return [self.related_one(item, f"{where}[{i}]") for i, item in enumerate(linkage)]
        return self.related_one(linkage, where)

    def related_one(self, linkage: Any, where: str) -> dict[str, Any]:
        key = _resource_key(linkage, where, self.shown)
        target = self.included.get(key)
        record = self.attributes(target, where) if target is not None else {}
        record["id"] = key[1]
        return record

    def media(self, key: str, value: Any) -> Any:
        is_media = key.endswith("-url") or key in MEDIA_ATTRIBUTES
        if not is_media or self.base is None or not isinstance(value, str):
            return value
        stripped = value.strip()
        if stripped.startswith("/") and not stripped.startswith("//"):
            return urljoin(self.base, stripped)
        return value
