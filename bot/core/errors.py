"""Errors a person can cause. Each carries a message written for that person."""

from __future__ import annotations

import re

# An absolute path (/srv/numbers/data/team-T1.json): the last part is kept, the rest goes.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s/()'\"“”,;]+)*/([^\s/()'\"“”,;]+)")


class DomainError(Exception):
    """A change or query was refused; ``message`` says why, for the person who asked.

    ``field`` names the form field at fault (a modal shows the message inline there).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def public(self) -> str:
        """The message as people in Slack see it (``message`` may be for the operator)."""
        return self.message


class PermissionDenied(DomainError):
    """The person lacks the role a change needs."""


class NotFound(DomainError):
    """A named thing (number, address, group, …) does not exist."""


class DuplicateName(DomainError):
    """A save would give two objects of one collection the same name (``casefold``).

    The services refuse a taken name first; this is the storage's guarantee behind
    that check (a unique index in SQL), so two concurrent changes cannot both take it.
    """

    def __init__(self, name: str) -> None:
        super().__init__(f"The name “{name}” is taken already.", field="name")


class _ServerSide(DomainError):
    """A refusal caused by the server, not the person: its message may name server files,
    which the operator needs (CLI, log) and people in Slack must not see."""

    @property
    def public(self) -> str:
        return _ABSOLUTE_PATH.sub(lambda m: f"“{m.group(1)}”", self.message)


class StorageBusy(_ServerSide):
    """Another process holds the workspace's database for too long."""


class StorageFailure(_ServerSide):
    """The change could not be written to disk (or the data not read); nothing was changed."""


class ValidationError(DomainError):
    """Several form fields are wrong at once: ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), field=next(iter(errors), None))
        self.errors = errors
