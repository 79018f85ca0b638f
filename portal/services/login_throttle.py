"""Failed-login throttling per account, on top of Flask-Limiter's per-address limit.

Guessing one account's password from many addresses is slowed here: after `limit` failed
logins in its window, the account refuses every login (without checking the password) until
the window passes, or an operator runs `pcf accounts unlock EMAIL`. Counters live in the
rate-limit storage: in-process memory by default (each gunicorn worker counts for itself),
Redis when configured, which all workers and the `pcf` command share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

NAMESPACE = "pcf-login-account"


@dataclass(frozen=True)
class Lockout:
    """An account refuses logins until *until* (UTC)."""

    until: datetime


class LoginThrottle:
    """Counts failed logins per account (lower-cased e-mail) in a fixed window."""

    def __init__(self, storage_url: str, limit: str) -> None:
        self.storage_url = storage_url
        self.item = parse(limit)
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_url))

    @staticmethod
    def _key(email: str) -> str:
        return email.strip().lower()[:254]

    def lockout(self, email: str) -> Lockout | None:
        """The lockout of the account, or None when it may try to log in."""
        key = self._key(email)
        if self._limiter.test(self.item, NAMESPACE, key):
            return None
        reset = self._limiter.get_window_stats(self.item, NAMESPACE, key).reset_time
        return Lockout(datetime.fromtimestamp(reset, UTC))

    def failed(self, email: str) -> None:
        """Count one failed login of the account."""
        self._limiter.hit(self.item, NAMESPACE, self._key(email))

    def clear(self, email: str) -> None:
        """Forget the account's failures (a successful login, or `pcf accounts unlock`)."""
        self._limiter.clear(self.item, NAMESPACE, self._key(email))

    @property
    def shared(self) -> bool:
        """Whether every worker (and the command line) sees the same counters."""
        return not self.storage_url.startswith("memory://")
