"""Groups of numbers (``inventory.groups``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core.auditing import require_manager
from bot.core.errors import NotFound
from bot.core.model import Actor, Group, new_id
from bot.core.text import unique_name

if TYPE_CHECKING:
    from bot.core.services import Inventory


@dataclass(frozen=True)
class GroupChange:
    before: Group
    group: Group


class Groups:
    """The group use cases of one workspace; each opens its own transaction."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo = inventory.repo

    def save(
        self,
        actor: Actor,
        name: str,
        numbers: Sequence[str],
        current_name: str | None = None,
    ) -> Group:
        """Create a group, or with ``current_name`` replace that group's name and members."""
        with self.repo.transaction():
            require_manager(actor, "change groups")
            current = self.inventory.group(current_name) if current_name else None
            name = unique_name(
                "group", name, self.inventory.views().group_by_name, current.id if current else None
            )
            members = self.inventory.member_keys(numbers)
            group = Group(id=current.id if current else new_id(), name=name, numbers=members)
            self.repo.groups.save(group)
            self.inventory.audit_change(
                actor, "group.edit" if current else "group.create", group.id, current, group
            )
            return group

    def delete(self, actor: Actor, name: str) -> Group:
        with self.repo.transaction():
            require_manager(actor, "delete groups")
            group = self.inventory.group(name)
            for campaign in self.repo.campaigns.all():
                if group.id in campaign.groups:
                    kept = [g for g in campaign.groups if g != group.id]
                    self.repo.campaigns.save(replace(campaign, groups=kept))
            self.repo.groups.delete(group.id)
            self.inventory.audit_change(actor, "group.delete", group.id, before=group)
            return group

    def edit(
        self,
        actor: Actor,
        group_id: str,
        name: str,
        chosen: Sequence[str] = (),
        removed: Iterable[str] = (),
    ) -> GroupChange:
        """Rename the group and change its members as a form does: the ``removed`` go, the
        ``chosen`` come, every other member stays (those the form did not show, and those
        added by someone else since it opened). Read and written in one transaction, so
        another edit of the group waits and none is lost."""
        with self.repo.transaction():
            require_manager(actor, "change groups")
            current = self.repo.groups.get(group_id)
            if current is None:
                raise NotFound("That group no longer exists.")
            infos = self.inventory.views().infos
            gone = set(removed)
            kept = [e for e in current.numbers if e in infos and e not in gone]
            members = list(dict.fromkeys([*kept, *chosen]))
            saved = self.save(actor, name, members, current_name=current.name)
            return GroupChange(current, saved)
