"""Property-based tests: any JSON value in any field yields a site or a clean EventsiteError.

Records are drawn with every key the normaliser reads (both spellings) holding arbitrary JSON
or a hostile-but-plausible value; documents are also drawn with the wrong top-level shapes.
The runs are derandomised under CI so a red build is reproducible; benchmarks/fuzz.py runs the
same targets with a much larger budget.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

from hostile_corpus import COLOR_PAYLOADS, MARKUP_PAYLOADS, URL_PAYLOADS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsite import audit, urls
from eventsite.build import render_site
from eventsite.errors import EventsiteError, SourceError
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.model.graph import resolve
from eventsite.model.normalise import normalise
from eventsite.render.pages import plan_pages
from eventsite.render.theme import Theme
from eventsite.render.view import build_view
from eventsite.sources.archive import read_archive
from eventsite.sources.base import DATA_FILES, MediaStore, parse_document

settings.register_profile(
    "hostile",
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("hostile")
# EVENTSITE_EXAMPLES_SCALE=50 runs every property with 50 times the examples (a long local run)
SCALE = float(os.environ.get("EVENTSITE_EXAMPLES_SCALE", "1"))


def budget(examples: int) -> int:
    return max(1, int(examples * SCALE))


PLAUSIBLE = [
    "2026-03-28T10:00:00+01:00",
    "2026-03-29T02:30:00",
    "2026-13-45T99:99:99",
    "Europe/Ljubljana",
    "US / Pacific",
    "accepted",
    "confirmed",
    "#A0B",
    "/images/x.png",
    "../../etc/passwd",
    "1",
    "-0",
    "",
    " ",
    "\u0000",
    "\ud800",
    *MARKUP_PAYLOADS[:8],
    *URL_PAYLOADS[:5],
    *COLOR_PAYLOADS[:3],
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(PLAUSIBLE)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip

EVENT_KEYS = [
    "id", "identifier", "name", "timezone", "starts-at", "ends-at", "start_time", "end_time",
    "description", "code-of-conduct", "organizer-name", "location-name", "latitude", "longitude",
    "external-event-url", "ticket-url", "logo-url", "original-image-url", "social-links",
    "event-copyright", "copyright",
]  # fmt: skip
SESSION_KEYS = [
    "id", "title", "state", "starts-at", "ends-at", "start_time", "end_time", "subtitle",
    "short-abstract", "long-abstract", "language", "level", "slides-url", "video-url",
    "audio-url", "signup-url", "track", "microlocation", "session-type", "session_type",
    "speakers", "deleted-at", "track_id", "microlocation-id",
]  # fmt: skip
SPEAKER_KEYS = [
    "id", "name", "photo-url", "photo", "short-biography", "long-biography", "organisation",
    "position", "country", "city", "website", "twitter", "github", "linkedin", "is-featured",
    "sessions",
]  # fmt: skip
SMALL_KEYS = ["id", "name", "color", "font-color", "position", "floor", "url", "level", "type"]


def records(keys: list[str], required: dict[str, Any] | None = None) -> st.SearchStrategy:
    required = required or {}
    fixed = {k: st.just(v) | json_values for k, v in required.items()}
    optional = {k: json_values for k in keys if k not in required}
    return st.fixed_dictionaries(fixed, optional=optional)


def document(record: st.SearchStrategy) -> st.SearchStrategy:
    """Usually a list of records, sometimes any JSON at all (wrong top-level types)."""
    return st.lists(record | json_values, max_size=4) | json_values


documents = st.fixed_dictionaries(
    {
        "event": records(EVENT_KEYS, {"name": "E", "timezone": "Europe/Ljubljana"}) | json_values,
        "sessions": document(records(SESSION_KEYS, {"id": 1, "state": "accepted", "title": "T"})),
    },
    optional={
        "speakers": document(records(SPEAKER_KEYS)),
        "tracks": document(records(SMALL_KEYS)),
        "microlocations": document(records(SMALL_KEYS)),
        "session_types": document(records(SMALL_KEYS)),
        "sponsors": document(records(SMALL_KEYS)),
    },
)


def _graph(docs: dict[str, Any]) -> Any:
    issues = IssueLog()
    return resolve(normalise(docs, issues), issues), issues


@settings(max_examples=budget(150))
@given(documents)
def test_normalise_and_resolve_never_raise_anything_but_eventsite_errors(
    docs: dict[str, Any],
) -> None:
    try:
        graph, _ = _graph(docs)
    except EventsiteError as error:
        assert str(error)
        return
    assert all(session.is_public and session.title for session in graph.sessions)
    assert len({session.id for session in graph.sessions}) == len(graph.sessions)


THEME = Theme.load(None)


@settings(max_examples=budget(40))
@given(documents)
def test_any_field_values_render_a_site_or_fail_cleanly(docs: dict[str, Any]) -> None:
    try:
        graph, issues = _graph(docs)
        view = build_view(graph, MediaResolver(MediaStore(), issues), urls.BaseUrl())
        pages = plan_pages(view)
        files = render_site(view, pages, THEME)
        audit.enforce(files, docs, frozenset())
    except EventsiteError as error:
        assert str(error)
        return
    assert {p.path for p in pages} <= files.keys()
    assert len([p for p in files if p.startswith("sessions/") and p.endswith(".html")]) == len(
        graph.sessions
    )
    for path, data in files.items():
        assert isinstance(data, bytes), path
        data.decode("utf-8")  # every file is valid UTF-8 (no lone surrogates got through)


@settings(max_examples=budget(200))
@given(
    st.sampled_from(DATA_FILES),
    st.binary(max_size=200) | json_values.map(json.dumps).map(str.encode),
)
def test_parse_document_returns_json_or_a_source_error(name: str, data: bytes) -> None:
    issues = IssueLog()
    try:
        value = parse_document(name, data, "f", issues)
    except SourceError as error:
        assert error.file == "f" and error.message
        return
    assert value is None or isinstance(value, dict | list)


member_names = st.text(min_size=1, max_size=20) | st.sampled_from(
    [
        "event",
        "sessions",
        "event.json",
        "x/event",
        "../event",
        "/event",
        "C:\\event",
        "images/a.png",
    ]
)


@settings(max_examples=budget(80))
@given(
    st.lists(
        st.tuples(member_names, st.binary(max_size=60) | json_values.map(json.dumps)), max_size=5
    )
)
def test_archive_reader_returns_an_export_or_a_source_error(
    members: list[tuple[str, bytes | str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.zip"
        with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are part of the input space
            for name, data in members:
                try:
                    archive.writestr(name, data)
                except (ValueError, UnicodeEncodeError, IndexError):
                    continue  # names zipfile itself cannot write
        before = sorted(Path(folder).rglob("*"))
        try:
            raw = read_archive(path, IssueLog())
        except SourceError as error:
            assert error.message
        else:
            assert {"event", "sessions"} <= raw.documents.keys()
        assert sorted(Path(folder).rglob("*")) == before  # nothing extracted anywhere
