"""The plain text of sessions' rich texts, as the whole-schedule files need it.

The frab schedules, the calendars and the search index each read every session's abstract as
plain text, one after the other, in one process. Working each text out once for all three and
letting them go together keeps the shared rich-text cache (`model.text.rich_text`, sized for
the pages) from taking every abstract of the event in that process too (10,000 sessions:
about 20 MB that the pages it renders may never ask for).
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsite.model.text import plain_text, sanitised
from eventsite.render.filters import plain


class PlainTexts:
    """Plain text of rich texts, each worked out once while this object lives; what
    `filters.plain` makes of them."""

    def __init__(self) -> None:
        self._paragraphs: dict[str, str] = {}

    def paragraphs(self, value: str) -> str:
        """`plain(value, paragraphs=True)`."""
        found = self._paragraphs.get(value)
        if found is None:
            found = self._paragraphs[value] = plain_text(sanitised(value), paragraphs=True)
        return found

    def folded(self, value: str) -> str:
        """`plain(value)`: paragraphs are only runs of whitespace apart, which it folds. The
        last use of a text: it is let go."""
        found = self._paragraphs.pop(value, None)
        if found is None:
            found = plain_text(sanitised(value), paragraphs=True)
        return " ".join(found.split())

    def keep_only(self, values: Iterable[str]) -> None:
        """Let go of every text but `values`."""
        kept = {value: self._paragraphs[value] for value in values if value in self._paragraphs}
        self._paragraphs = kept


def paragraphs(value: str) -> str:
    """`PlainTexts.paragraphs` without a memo: through the rich-text cache."""
    return plain(value, paragraphs=True)
