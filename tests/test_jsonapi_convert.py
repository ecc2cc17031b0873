"""The test converter (legacy export -> JSON:API) is itself checked against the legacy files."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import REAL_EXPORTS, require_shared
from jsonapi_convert import convert_export, load_legacy

from eventsite.sources.jsonapi import flatten_document


@pytest.fixture(autouse=True)
def _shared() -> None:
    require_shared()


def test_converter_uses_string_ids_dasherized_names_and_linkage() -> None:
    converted = convert_export(REAL_EXPORTS / "OTS16")  # a snake_case export
    session = converted.collections["sessions"][0]
    assert isinstance(session["id"], str)
    assert session["type"] == "session"
    assert not [k for k in session["attributes"] if "_" in k]
    assert "starts-at" in session["attributes"]
    assert "start-time" not in session["attributes"]
    room = session["relationships"]["microlocation"]["data"]
    assert room["type"] == "microlocation"
    assert isinstance(room["id"], str)
    assert ("microlocation", room["id"]) in converted.resources
    assert converted.event["data"]["attributes"]["timezone"] == "Europe/Berlin"


def test_converter_keeps_every_session_and_speaker_of_the_export() -> None:
    folder = REAL_EXPORTS / "FOSSASIASummit2017"
    legacy = load_legacy(folder)
    converted = convert_export(folder)
    assert [s["id"] for s in converted.collections["sessions"]] == [
        str(s["id"]) for s in legacy["sessions"]
    ]
    assert len(converted.collections["speakers"]) == len(legacy["speakers"])


@pytest.mark.parametrize("export", ["MozillaAllHands16", "FOSSASIASummit2017", "OTS16"])
def test_converter_timestamps_are_utc_and_the_same_instant(export: str) -> None:
    folder = REAL_EXPORTS / export
    legacy = load_legacy(folder)
    converted = convert_export(folder)
    zone = converted.event["data"]["attributes"]["timezone"]
    for original, resource in zip(
        legacy["sessions"], converted.collections["sessions"], strict=True
    ):
        start = resource["attributes"]["starts-at"]
        assert start.endswith("+00:00")
        raw = original.get("starts-at") or original.get("start_time")
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:  # naive in the export: wall-clock time of the event's zone
            from zoneinfo import ZoneInfo

            parsed = parsed.replace(tzinfo=ZoneInfo(zone))
        assert datetime.fromisoformat(start) == parsed


def test_converter_maps_a_non_iana_zone_name() -> None:
    converted = convert_export(REAL_EXPORTS / "MozillaAllHands16")
    assert converted.event["data"]["attributes"]["timezone"] == "Pacific/Honolulu"


def test_converted_documents_flatten_back_to_the_legacy_relations() -> None:
    folder = REAL_EXPORTS / "NextcloudConference2017"
    legacy = {str(s["id"]): s for s in load_legacy(folder)["sessions"]}
    converted = convert_export(folder)
    items = converted.collections["sessions"]
    document = {
        "data": items,
        "included": converted.included_for(items, ["track", "microlocation", "speakers"]),
    }
    flat = flatten_document(json.loads(json.dumps(document)), "sessions", "sessions", None)
    for record in flat:
        original = legacy[record["id"]]
        assert [s["id"] for s in record.get("speakers", [])] == [
            str(s["id"]) for s in original["speakers"]
        ]
        if original.get("track"):
            assert record["track"]["name"] == original["track"]["name"]
        assert record["title"] == original["title"]
