"""What every change does besides its write: check the role, append the audit entry.

Shared by the services (bot.core.services, requests, agents, csvio); each calls these
inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from dataclasses import fields as dataclass_fields
from typing import Any

from bot.core.errors import PermissionDenied
from bot.core.model import Actor, AuditEntry
from bot.core.ports import Repository


def require_manager(actor: Actor, doing: str) -> None:
    """PermissionDenied unless the actor has the manager role."""
    if not actor.is_manager:
        raise PermissionDenied(
            f"Only managers can {doing}. A manager can give you the role with "
            "`/numbers access grant @you`."
        )


def record(
    repo: Repository,
    clock: Callable[[], str],
    actor: Actor,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append a change's audit entry; call inside the change's transaction."""
    repo.append_audit(
        AuditEntry(
            at=clock(),
            who=actor.user_id,
            action=action,
            subject=subject,
            before=plain(before),
            after=plain(after),
        )
    )


def plain(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    data = {f.name: getattr(value, f.name) for f in dataclass_fields(value)}
    if all(_flat(v) for v in data.values()):  # asdict's deep copy is slow and not needed
        return {k: list(v) if isinstance(v, tuple | list) else v for k, v in data.items()}
    data = asdict(value)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _flat(value: Any) -> bool:
    """A JSON scalar, or a list/tuple of them."""
    if isinstance(value, str | int | float | bool) or value is None:
        return True
    return isinstance(value, tuple | list) and all(
        isinstance(v, str | int | float | bool) or v is None for v in value
    )
