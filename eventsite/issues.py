"""Integrity problems found while reading and resolving an export.

Every stage appends to one `IssueLog`; the CLI prints it, `--strict` fails on warnings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30


@dataclass(frozen=True, slots=True)
class Issue:
    severity: Severity
    kind: str
    entity: str
    id: str | None
    message: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        ident = f" {self.id}" if self.id not in (None, "") else ""
        return f"{where}{self.entity}{ident}: {self.message} [{self.kind}]"


@dataclass(slots=True)
class IssueLog:
    issues: list[Issue] = field(default_factory=list)

    def add(
        self,
        severity: Severity,
        kind: str,
        entity: str,
        id: object,
        message: str,
        file: str | None = None,
    ) -> None:
        ident = None if id is None else str(id)
        self.issues.append(Issue(severity, kind, entity, ident, message, file))

    def warn(
        self, kind: str, entity: str, id: object, message: str, file: str | None = None
    ) -> None:
        self.add(Severity.WARNING, kind, entity, id, message, file)

    def info(
        self, kind: str, entity: str, id: object, message: str, file: str | None = None
    ) -> None:
        self.add(Severity.INFO, kind, entity, id, message, file)

    def error(
        self, kind: str, entity: str, id: object, message: str, file: str | None = None
    ) -> None:
        self.add(Severity.ERROR, kind, entity, id, message, file)

    def at_least(self, severity: Severity) -> list[Issue]:
        return [i for i in self.issues if i.severity >= severity]

    def count(self, severity: Severity) -> int:
        return sum(1 for i in self.issues if i.severity == severity)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)
