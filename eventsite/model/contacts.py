"""E-mail addresses and phone numbers in free text: how to find them, and how to take them out.

Submitters and organisers paste contact details into bios, abstracts and descriptions. The site
never publishes them unless the organiser names the field with `--publish-field`: they are
replaced by a short note, with a warning naming the entity, its id and the field. The privacy
audit (eventsite.audit) uses the same patterns on the finished output, as a second line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eventsite.issues import IssueLog
from eventsite.model.entities import EventData

EMAIL = re.compile(
    r"(?<![\w.%+@-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
IMAGE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "avif"})
MIN_PHONE_DIGITS = 8
# one fast pass finds runs of digits and separators; only runs with 8+ digits are then checked
# against phone shapes: "+49 30 1234567", "+1 (415) 555-0100", "(415) 555-0100", "415-555-0100"
NUMBER_RUN = re.compile(r"(?:tel:)?\+?\(?\d[\d ()./-]{5,}\d")
_PHONE_SHAPE = re.compile(
    r"tel:|\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d(?:[ .-]?\d){5,13}"
    r"|(?:\(\d{3}\)[ .-]?|\d{3}[.-])\d{3}[.-]\d{4}"
)
_NOT_BEFORE_PHONE = re.compile(r"[\w+./-]")
_NOT_AFTER_PHONE = re.compile(r"[\w-]")
# written-out or escaped "@" in raw HTML: "x&#64;y.org", "x%40y.org"
_OBFUSCATED_AT = re.compile(r"&#0*64;|&#[xX]0*40;|%40|&commat;")
_MAILTO_LINK = re.compile(
    r"<a\b[^>]*\bhref\s*=\s*[\"']?\s*mailto:[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL
)
_TEL_LINK = re.compile(
    r"<a\b[^>]*\bhref\s*=\s*[\"']?\s*tel:[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL
)
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)

EMAIL_NOTE = "[e-mail address removed]"
PHONE_NOTE = "[phone number removed]"


def is_address(candidate: str) -> bool:
    """An EMAIL match that is an address, not a file name such as `logo@2x.png`."""
    return candidate.rsplit(".", 1)[-1].casefold() not in IMAGE_TLDS


def emails(text: str) -> Iterator[str]:
    """E-mail addresses in `text`."""
    if "@" not in text:
        return
    for match in EMAIL.finditer(text):
        if is_address(match.group()):
            yield match.group()


def could_hold_phone(text: str) -> bool:
    """Whether `text` has enough digits for a phone number: ten C-level counts are far cheaper
    than the NUMBER_RUN scan, and most free text has fewer than eight digits in all. `\\d`
    also matches other scripts' digits, so only ASCII text is judged by the count."""
    if not text.isascii():
        return True
    data = text.encode("ascii")  # bytes: the digits deleted in one C pass, not ten counts
    return len(data) - len(data.translate(None, _ASCII_DIGITS)) >= MIN_PHONE_DIGITS


_ASCII_DIGITS = b"0123456789"


def could_hold_contact(text: str) -> bool:
    """Whether `redact` could find anything: an address needs an "@", written out or escaped
    (with "&" or "%"), a phone number enough digits; taking links apart only removes text.
    Most fields have neither, and skip the link patterns' passes over their whole text."""
    return "@" in text or "&" in text or "%" in text or could_hold_phone(text)


def phone_spans(text: str) -> Iterator[tuple[int, int]]:
    """Spans of runs shaped like phone numbers, not glued to a word, a path or a longer number."""
    if not could_hold_phone(text):
        return
    for match in NUMBER_RUN.finditer(text):
        if len(digits(match.group())) >= MIN_PHONE_DIGITS and is_phone(text, match):
            yield match.span()


def is_phone(text: str, match: re.Match[str]) -> bool:
    start, end = match.span()
    before, after = text[start - 1 : start], text[end : end + 1]
    if not match.group().startswith("tel:") and _NOT_BEFORE_PHONE.match(before):
        return False
    return not _NOT_AFTER_PHONE.match(after) and bool(_PHONE_SHAPE.match(match.group()))


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@dataclass(frozen=True, slots=True)
class Redacted:
    text: str
    emails: int = 0
    phones: int = 0


def redact(text: str) -> Redacted:
    """`text` with every e-mail address and phone number replaced by a note."""
    if not text or not could_hold_contact(text):
        return Redacted(text)
    return redact_all(text)


def redact_all(text: str) -> Redacted:
    """`redact` without its first check: every pattern looked for."""
    unwrapped = text
    if ":" in unwrapped:  # the links need "mailto:" or "tel:"
        unwrapped = _TEL_LINK.sub(r"\1", _MAILTO_LINK.sub(r"\1", unwrapped))
    if "&" in unwrapped or "%" in unwrapped:
        unwrapped = _OBFUSCATED_AT.sub("@", unwrapped)
    email_count = 0

    def _email(match: re.Match[str]) -> str:
        nonlocal email_count
        if not is_address(match.group()):
            return match.group()
        email_count += 1
        return EMAIL_NOTE

    result = EMAIL.sub(_email, unwrapped) if "@" in unwrapped else unwrapped
    result = _MAILTO.sub("", result) if email_count else result
    spans = list(phone_spans(result))
    for start, end in reversed(spans):
        result = result[:start] + PHONE_NOTE + result[end:]
    if not email_count and not spans:
        return Redacted(text)  # untouched, including any harmless escaped "@"
    return Redacted(result, email_count, len(spans))


@dataclass(slots=True)
class ContactRedactor:
    """Redacts one entity field at a time, unless the organiser publishes that field."""

    issues: IssueLog
    publish: frozenset[str] = frozenset()

    def field(self, value: str, document: str, key: str, entity: str, entity_id: str) -> str:
        if not value or key in self.publish or f"{document}.{key}" in self.publish:
            return value
        redacted = redact(value)
        if redacted.text is value:
            return value
        removed = _count_words(redacted)
        self.issues.warn(
            "contact-removed",
            entity,
            entity_id,
            f"{removed} removed from {key} (pass --publish-field {key} to publish it)",
        )
        return redacted.text


def _count_words(redacted: Redacted) -> str:
    parts = []
    if redacted.emails:
        parts.append(f"{redacted.emails} e-mail address" + ("es" if redacted.emails > 1 else ""))
    if redacted.phones:
        parts.append(f"{redacted.phones} phone number" + ("s" if redacted.phones > 1 else ""))
    return " and ".join(parts)


# entity attribute -> the input field name organisers pass to --publish-field
_EVENT_FIELDS = {
    "description": "description",
    "code_of_conduct": "code-of-conduct",
    "organizer_description": "organizer-description",
    "location_name": "location-name",
}
_SESSION_FIELDS = {
    "title": "title",
    "subtitle": "subtitle",
    "short_abstract": "short-abstract",
    "long_abstract": "long-abstract",
}
SESSION_FIELDS = _SESSION_FIELDS  # what `redact_contacts` redacts of a session (`eventsite.patch`)
_SPEAKER_FIELDS = {
    "short_bio": "short-biography",
    "long_bio": "long-biography",
    "organisation": "organisation",
    "position": "position",
}
SPEAKER_FIELDS = _SPEAKER_FIELDS  # and of a speaker
_DESCRIPTION = {"description": "description"}


def redact_contacts(
    data: EventData,
    issues: IssueLog,
    publish: frozenset[str],
    redact_entity: EntityRedaction | None = None,
) -> EventData:
    """Take e-mail addresses and phone numbers out of every free-text field that is published.

    `redact_entity` stands in for `redact_entity` below (`eventsite serve` reuses the result
    for entities it has redacted before)."""
    redactor = ContactRedactor(issues, publish)
    _redact(redactor, data.event, _EVENT_FIELDS, "event", "event")
    redact = redact_entity or _redact
    for document, entity, items, fields in (
        ("sessions", "session", data.sessions, _SESSION_FIELDS),
        ("speakers", "speaker", data.speakers, _SPEAKER_FIELDS),
        ("tracks", "track", data.tracks, _DESCRIPTION),
        ("sponsors", "sponsor", data.sponsors, _DESCRIPTION),
    ):
        for item in items:
            redact(redactor, item, fields, document, entity)
    return data


# (redactor, entity, {attribute: input key}, document, entity kind): redacts the attributes
EntityRedaction = Callable[["ContactRedactor", object, dict[str, str], str, str], None]


def _redact(
    redactor: ContactRedactor, item: object, fields: dict[str, str], document: str, entity: str
) -> None:
    entity_id = str(getattr(item, "id", ""))
    for attribute, key in fields.items():
        value = getattr(item, attribute)
        cleaned = redactor.field(value, document, key, entity, entity_id)
        if cleaned is not value:
            setattr(item, attribute, cleaned)


redact_entity = _redact
