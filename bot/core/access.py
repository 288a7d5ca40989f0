"""Who has the manager role by grant (``inventory.access``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.auditing import require_manager
from bot.core.errors import DomainError
from bot.core.model import Actor

if TYPE_CHECKING:
    from bot.core.services import Inventory


class Access:
    """Granting and revoking the manager role; each change opens its own transaction."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo = inventory.repo

    def set(self, actor: Actor, user_id: str, granted: bool) -> None:
        with self.repo.transaction():
            require_manager(actor, "grant or revoke the manager role")
            if granted == (user_id in self.repo.grants()):
                state = "already has" if granted else "does not have"
                raise DomainError(f"That person {state} a granted manager role.")
            self.repo.set_grant(user_id, granted)
            self.inventory.audit_change(
                actor,
                "access.grant" if granted else "access.revoke",
                user_id,
                after={"manager": granted},
            )
