"""Errors services raise; views turn them into HTTP responses at the edge.

    ServiceError
    ├── NotFound          the object does not exist, or the user may not know it does
    ├── Forbidden         the user may see it but not do this
    ├── Conflict          the object's state forbids the operation
    │   └── ConcurrentChange  someone else changed the object at the same moment
    └── InvalidInput      the request's data is wrong; `errors` names field and value
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class of service errors."""


class NotFound(ServiceError):  # noqa: N818  (reads as the HTTP status it becomes)
    """The object does not exist or is not visible to the user (never says which)."""


class Forbidden(ServiceError):  # noqa: N818
    """The user is known but lacks the role or organisation for this operation."""


class Conflict(ServiceError):  # noqa: N818
    """The operation does not fit the object's current state."""


class ConcurrentChange(Conflict):
    """Another transaction changed the same object between this one's read and its write
    (an optimistic-lock version moved on); nothing of this operation was stored."""

    def __init__(self) -> None:
        super().__init__("Someone else changed this at the same moment; nothing of your "
                         "change was saved. Reload the page to see the new state, then "
                         "try again if it still applies.")


class InvalidInput(ServiceError):  # noqa: N818
    """Submitted data is wrong; *errors* maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
