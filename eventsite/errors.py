"""Errors eventsite shows to users, each with the exit code the CLI returns.

    EventsiteError (exit 1)
     ├── SourceError      the export cannot be read: bad zip, unsafe member, bad JSON, missing file
     ├── IntegrityError   --strict and the graph has problems
     ├── ThemeError       a theme or template cannot be loaded or rendered
     ├── OutputError      the output directory cannot be written safely
     ├── PrivacyError     the privacy audit found personal data in the rendered site
     └── UsageError (exit 2)  wrong arguments or options

A message always names the file (or URL), the entity and id where known, and what is wrong.
"""

from __future__ import annotations


class EventsiteError(Exception):
    """Base of every error shown to the user without a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.file else self.message


class SourceError(EventsiteError):
    """The input export (zip, folder or server) cannot be read."""


class IntegrityError(EventsiteError):
    """The event graph has problems and --strict asked to stop on them."""


class ThemeError(EventsiteError):
    """A theme or one of its templates is missing or broken."""


class OutputError(EventsiteError):
    """The site cannot be written where it was asked to go."""


class PrivacyError(EventsiteError):
    """The rendered site would publish e-mail addresses, phone numbers or private fields."""


class UsageError(EventsiteError):
    """The command line is wrong."""

    exit_code = 2
