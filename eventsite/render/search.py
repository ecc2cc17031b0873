"""The schedule's search index: the words of each session that its list item does not show.

Titles, speakers, tracks and rooms are already on the schedule page, so the index only carries
what would make the page heavy: abstracts, subtitles, speaker organisations, type, language and
level, as each session's distinct words. It is a script (`window.eventsiteSearch = {...}`), not
JSON, so that a page opened from file:// can load it with a <script> element; the schedule page
loads it only when someone starts searching.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from eventsite.model.entities import Session
from eventsite.render.filters import plain

GLOBAL_NAME = "eventsiteSearch"
MIN_WORD_LENGTH = 2
_WORD = re.compile(r"\w+")
# the words of any English text that a search for them could not narrow down
STOP_WORDS = frozenset(
    {
        "about", "after", "also", "and", "are", "but", "can", "for", "from", "has", "have",
        "how", "into", "its", "not", "our", "that", "the", "their", "them", "then", "there",
        "these", "they", "this", "was", "what", "when", "where", "which", "who", "why", "will",
        "with", "you", "your",
    }
)  # fmt: skip


def normalise(text: str) -> str:
    """Lower case without accents, as site.js normalises what a visitor types."""
    if text.isascii():  # nothing to decompose: the common case, and 20x faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    # only runs of non-ASCII characters can hold combining marks: the ASCII text between them
    # (most of a European text with a few accents or quotes) is not looked at one by one
    return _NON_ASCII_RUN.sub(_without_combining_marks, decomposed).lower()


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _without_combining_marks(run: re.Match[str]) -> str:
    return "".join(c for c in run.group() if not unicodedata.combining(c))


def distinct_words(texts: Iterable[str]) -> list[str]:
    """Each searchable word once, in order of first appearance."""
    # no word spans two texts joined by a space; repeated words dropped first, in C
    words = dict.fromkeys(words_of(" ".join(map(normalise, texts))))
    return [word for word in words if len(word) >= MIN_WORD_LENGTH and word not in STOP_WORDS]


# every ASCII character that `\w` does not match, made a space: for ASCII text (after
# `normalise`, nearly all of it) `words_of` then splits at spaces in C, in about two thirds of
# the time the regular expression takes to list the same words
_ASCII_NON_WORD = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")}
)


def words_of(text: str) -> list[str]:
    """`_WORD.findall(text)`: the runs of word characters, in order."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD).split()
    return _WORD.findall(text)


def session_words(session: Session, plain_of: Callable[[str], str] = plain) -> str:
    """The words a search should find a session by, beyond what its list item shows;
    `plain_of` makes plain text of rich text."""
    texts = [session.subtitle, plain_of(session.abstract), session.language, session.level]
    if session.session_type is not None:
        texts.append(session.session_type.name)
    for speaker in session.speakers:
        texts.extend((speaker.organisation, speaker.position))
    return " ".join(distinct_words(texts))


def _entry_text(session_id: str, words: str) -> bytes:
    """One entry of `search_index`'s object as it writes it."""
    return _payload({session_id: words})[1:-1].encode()


def _payload(entries: dict[str, str]) -> str:
    payload = json.dumps(entries, ensure_ascii=False, separators=(_SEPARATOR, ":"))
    # a script body must not close its own element or open a comment
    return payload.replace("</", "<\\/").replace("<!--", "<\\!--")


# an entry per line: the privacy audit scans a file in parts cut at line breaks, and holds a
# one-line file whole (10,000 sessions: 8 MB, and its text, at the build's peak)
_SEPARATOR = ",\n"
_MATCHES_NOTHING = object()  # a key no session's key equals


def search_index(sessions: Iterable[Session], cache: SearchCache | None = None) -> bytes:
    """`search-index.js`: session id -> words, assigned to `window.eventsiteSearch`."""
    if cache is None:
        entries = {session.id: session_words(session) for session in sessions}
    else:
        entries = cache.words_of(sessions)
    return f"window.{GLOBAL_NAME}={_payload(entries)};\n".encode()


def search_index_pieces(
    sessions: Iterable[Session], plain_of: Callable[[str], str] = plain
) -> Iterator[bytes]:
    """`search_index(sessions)` in pieces, each session's entry made when the one before is
    taken: its words are never all held at once, nor the text they make (10,000 sessions:
    8 MB, several copies of it while it is escaped and encoded)."""
    sessions = list(sessions)
    if len({session.id for session in sessions}) != len(sessions):  # one entry per id
        yield search_index(sessions)
        return
    yield f"window.{GLOBAL_NAME}={{".encode()
    for number, session in enumerate(sessions):
        # nothing an entry's escaping looks for spans two entries: each starts and ends with
        # a quote, and the separators are "{", "," and "}"
        words = session_words(session, plain_of)
        yield (_SEPARATOR.encode() if number else b"") + _entry_text(session.id, words)
    yield b"};\n"


class SearchCache:
    """Each session's words, made again only when `session_key(session)` changes.

    `session_key` must change whenever the session or an entity it links to changes.
    """

    def __init__(self, session_key: Callable[[Session], object]) -> None:
        self.session_key = session_key
        self.reused = 0
        self._words: dict[str, tuple[object, str]] = {}

    def replace_words(self, session: Session) -> tuple[bytes, bytes] | None:
        """(kept entry, entry now) of `search_index`'s text for a session changed in place,
        keeping the new words (under a key that matches no session)."""
        kept = self._words.get(session.id)
        if kept is None:
            return None
        words = session_words(session)
        self._words[session.id] = (_MATCHES_NOTHING, words)
        old, new = (_entry_text(session.id, text) for text in (kept[1], words))
        return old, new

    def words_of(self, sessions: Iterable[Session]) -> dict[str, str]:
        made: dict[str, tuple[object, str]] = {}
        self.reused = 0
        for session in sessions:
            key = self.session_key(session)
            previous = self._words.get(session.id)
            if previous is not None and previous[0] == key:
                self.reused += 1
                made[session.id] = previous
            else:
                made[session.id] = (key, session_words(session))
        self._words = made
        return {session_id: words for session_id, (_, words) in made.items()}
