"""The audit keeps the input documents marshalled, not as objects: the raw-copy check must find
exactly the output values that are equal (`==`) to a document."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite import audit
from eventsite.audit import _KeptDocument

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.sampled_from([0, 1, 1.0, -0.0, True, 1e300, 10**300])
    | st.text(max_size=4)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


def _roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value))  # what the audit makes of a JSON output file


@settings(max_examples=400, deadline=None)
@given(VALUES, VALUES)
def test_a_kept_document_equals_what_the_document_equals(content: Any, other: Any) -> None:
    kept = _KeptDocument.of("sessions", content)
    for value in (_roundtrip(content), _roundtrip(other), [_roundtrip(content)]):
        assert kept.equals(value) == (content is not None and value == content)


def test_nan_never_equals_a_parsed_copy() -> None:
    content = [1, math.nan]
    assert not _KeptDocument.of("sessions", content).equals(_roundtrip(content))


def test_a_copy_of_a_document_is_found_after_the_caller_let_the_documents_go() -> None:
    documents = {"sessions": [{"title": "A talk", "id": 1}], "event": {"name": "E"}}
    site_audit = audit.SiteAudit(documents, frozenset())
    copy = json.dumps(documents["sessions"], indent=2).encode()
    documents.clear()
    site_audit.scan("export.json", copy)
    site_audit.scan("other.json", b'[{"title": "A talk", "id": 2}]')
    kinds = [(f.path, f.kind) for f in site_audit.findings()]
    assert kinds == [("export.json", "copy of the input")]
