"""Flattening JSON:API documents into the legacy record shape the model reads."""

from __future__ import annotations

import json

import pytest
from conftest import REAL_EXPORTS, require_shared

from eventsite.errors import SourceError
from eventsite.sources.jsonapi import flatten_document, is_jsonapi, unpack_documents

SDK = REAL_EXPORTS / "_jsonapi_fixtures" / "open-event-android-sdk" / "api"


def load(name: str) -> dict:
    require_shared()
    return json.loads((SDK / f"{name}.json").read_text("utf-8"))


def test_sessions_get_their_included_relations_embedded() -> None:
    document = load("sessions")
    document["included"] = [
        {"type": "track", "id": "1", "attributes": {"name": "Opening", "color": "#aabbcc"}},
        {"type": "speaker", "id": "1", "attributes": {"name": "A. Speaker"}},
    ]
    sessions = flatten_document(document, "sessions", "sessions", None)
    assert [s["id"] for s in sessions] == ["1", "2"]
    first = sessions[0]
    assert first["title"] == "Grand Opening"
    assert first["track"] == {"id": "1", "name": "Opening", "color": "#aabbcc"}
    assert first["microlocation"] == {"id": "1"}  # linkage without an included resource
    assert first["speakers"] == [{"id": "1", "name": "A. Speaker"}]
    assert "event" not in first  # a relationship with links only carries no data


def test_the_event_document_of_the_sdk_fixture_flattens() -> None:
    event = flatten_document(load("event"), "event", "event", None)
    assert event["id"] == "13"
    assert event["name"]
    assert event["social-links"] == [
        {"id": "1", "link": "https://twitter.com/fossasia", "name": "Twitter"}
    ]


def test_relative_media_are_resolved_against_the_event_url() -> None:
    documents = {
        "event": {
            "data": {"type": "event", "id": "7", "attributes": {"logo-url": "/media/logo.png"}},
            "links": {"self": "https://api.example.org/v1/events/x"},
        },
        "speakers": {
            "data": [
                {
                    "type": "speaker",
                    "id": "3",
                    "attributes": {
                        "photo-url": "/static/p.jpg",
                        "website": "/not-media",
                        "thumbnail-image-url": "//cdn.example.org/t.jpg",
                    },
                }
            ]
        },
    }
    unpacked = unpack_documents(documents, {})
    assert unpacked["event"]["logo-url"] == "https://api.example.org/media/logo.png"
    speaker = unpacked["speakers"][0]
    assert speaker["photo-url"] == "https://api.example.org/static/p.jpg"
    assert speaker["website"] == "/not-media"
    assert speaker["thumbnail-image-url"] == "//cdn.example.org/t.jpg"


def test_deleted_resources_are_dropped() -> None:
    document = {
        "data": [
            {"type": "speaker", "id": "1", "attributes": {"name": "Kept", "deleted-at": None}},
            {"type": "speaker", "id": "2", "attributes": {"deleted-at": "2017-01-01T00:00:00"}},
        ]
    }
    assert [s["name"] for s in flatten_document(document, "speakers", "s", None)] == ["Kept"]


def test_legacy_documents_pass_through_untouched() -> None:
    legacy = {"event": {"name": "E"}, "sessions": [{"id": 1}]}
    assert unpack_documents(legacy, {}) == legacy
    assert not is_jsonapi(legacy["sessions"])


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (
            {"errors": [{"status": "403", "title": "Forbidden"}]},
            "the server reported an error: 403",
        ),
        ({"data": {"type": "session", "id": "1"}}, "'data' must be a list of 'session'"),
        ({"data": [{"type": "session", "id": True}]}, "data[0] (session) has no 'id'"),
        ({"data": [], "included": {}}, "'included' must be a list"),
        ({"data": [{"type": "session", "id": "1", "relationships": []}]}, "'relationships' is not"),
        (
            {"data": [{"type": "session", "id": "1", "relationships": {"track": {"data": 5}}}]},
            "data[0].track is not a resource object",
        ),
    ],
    ids=["errors", "not-a-list", "bool-id", "included", "relationships", "bad-linkage"],
)
def test_malformed_documents_name_the_file_and_the_place(document: dict, words: str) -> None:
    with pytest.raises(SourceError) as caught:
        flatten_document(document, "sessions", "export.zip:sessions", None)
    assert words in str(caught.value)
    assert str(caught.value).startswith("export.zip:sessions: ")
