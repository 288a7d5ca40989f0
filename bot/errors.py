"""Errors a person can cause. Each carries a message written for that person."""

from __future__ import annotations


class DomainError(Exception):
    """A change or query was refused; ``message`` says why, for the person who asked.

    ``field`` names the form field at fault (a modal shows the message inline there).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    """The person lacks the role a change needs."""


class NotFound(DomainError):
    """A named thing (number, address, group, …) does not exist."""


class StorageBusy(DomainError):
    """Another process holds the workspace's database for too long."""


class StorageFailure(DomainError):
    """The change could not be written to disk; nothing was changed."""


class ValidationError(DomainError):
    """Several form fields are wrong at once: ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), field=next(iter(errors), None))
        self.errors = errors
