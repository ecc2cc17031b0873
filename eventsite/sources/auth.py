"""Credentials for the Open Event API: a JWT from the environment, or a log-in that gets one.

Secrets come only from the environment (never argv), are never logged, never put in a
message and never written anywhere: `Credentials` hides them from `repr`, and messages name
the environment variable instead of its value.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eventsite.errors import SourceError

ENV_TOKEN = "EVENTSITE_API_TOKEN"
ENV_EMAIL = "EVENTSITE_API_EMAIL"
ENV_PASSWORD = "EVENTSITE_API_PASSWORD"
AUTH_SCHEMES = ("JWT", "Bearer")  # the Open Event server's JWT_HEADER_TYPE is 'JWT'
RENEW_MARGIN_SECONDS = 120  # renew (or warn) this long before the token expires

log = logging.getLogger("eventsite.api")


@dataclass(frozen=True, slots=True)
class Credentials:
    token: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Credentials:
        def value(name: str) -> str | None:
            return env.get(name, "").strip() or None

        return cls(value(ENV_TOKEN), value(ENV_EMAIL), value(ENV_PASSWORD))

    @property
    def can_log_in(self) -> bool:
        return bool(self.email and self.password)

    @property
    def any(self) -> bool:
        return bool(self.token or self.can_log_in)

    def secrets(self) -> list[str]:
        """The secret values, for callers that must make sure none leaks into output."""
        return [s for s in (self.token, self.password) if s]


def token_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (seconds since the epoch), read without verifying it."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return float(exp)


def format_instant(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


LogIn = Callable[[str, str], str]  # (email, password) -> access token


class TokenKeeper:
    """Holds the current token and renews it before it expires (for long `serve` runs).

    With e-mail and password it logs in whenever the token is missing, about to expire, or
    was refused with a 401; with only a token it warns once before the token runs out.
    """

    def __init__(
        self,
        credentials: Credentials,
        scheme: str,
        log_in: LogIn,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if scheme not in AUTH_SCHEMES:
            raise SourceError(f"unknown authorization scheme {scheme!r}; use JWT or Bearer")
        self.credentials = credentials
        self.scheme = scheme
        self.log_in = log_in
        self.clock = clock
        self.token = credentials.token
        self.expires = token_expiry(self.token) if self.token else None
        self.from_login = False
        self.warned = False

    def headers(self) -> dict[str, str]:
        """The Authorization header to send now (empty for anonymous access)."""
        if not self.credentials.any:
            return {}
        if self.token is None or self._expiring():
            self._renew_or_warn()
        return {"Authorization": f"{self.scheme} {self.token}"} if self.token else {}

    def renew_after_refusal(self) -> bool:
        """After a 401: log in again if that can help; True when a new token was obtained."""
        if not self.credentials.can_log_in or (self.from_login and not self._expiring()):
            return False
        self._log_in("the server refused the token")
        return True

    def describe_refusal(self) -> str:
        """Why a 401 probably happened, naming variables, never values."""
        if not self.credentials.any:
            return (
                f"the event is not public; set {ENV_TOKEN} to a JWT, or {ENV_EMAIL} and "
                f"{ENV_PASSWORD} to log in"
            )
        if self.expires is not None and self.expires <= self.clock():
            return f"the token expired at {format_instant(self.expires)}"
        if self.from_login:
            return "the server refused the token it had just issued"
        return f"the token in {ENV_TOKEN} was refused (invalid, expired or revoked)"

    def _expiring(self) -> bool:
        return self.expires is not None and self.expires - self.clock() < RENEW_MARGIN_SECONDS

    def _renew_or_warn(self) -> None:
        if self.credentials.can_log_in:
            reason = "no token yet" if self.token is None else "the token is about to expire"
            self._log_in(reason)
            return
        assert self.expires is not None
        if self.expires <= self.clock():
            raise SourceError(
                f"the token in {ENV_TOKEN} expired at {format_instant(self.expires)}; get a new "
                f"one, or set {ENV_EMAIL} and {ENV_PASSWORD} so eventsite can log in"
            )
        if not self.warned:
            self.warned = True
            log.warning(
                "warning: the API token expires at %s; later requests will be refused "
                "(set %s and %s to renew it automatically)",
                format_instant(self.expires),
                ENV_EMAIL,
                ENV_PASSWORD,
            )

    def _log_in(self, reason: str) -> None:
        assert self.credentials.email and self.credentials.password
        log.info("logging in to the API (%s)", reason)
        self.token = self.log_in(self.credentials.email, self.credentials.password)
        self.expires = token_expiry(self.token)
        self.from_login = True
        self.warned = False
