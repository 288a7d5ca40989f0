"""Campaigns: which numbers and groups a campaign calls with, where its calls enter the
phone network and what they are for (``inventory.campaigns``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.core.auditing import require_manager
from bot.core.errors import DomainError, NotFound
from bot.core.model import PURPOSES, Actor, Campaign, new_id
from bot.core.phone import resolve_country
from bot.core.readmodel import OWN_COUNTRY, CampaignPool
from bot.core.text import unique_name

if TYPE_CHECKING:
    from bot.core.services import Inventory


class Campaigns:
    """The campaign use cases of one workspace; each opens its own transaction."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo = inventory.repo

    def save(
        self,
        actor: Actor,
        name: str,
        numbers: Sequence[str] = (),
        groups: Sequence[str] = (),
        current_name: str | None = None,
        origin: str | None = None,
        purpose: str | None = None,
    ) -> CampaignPool:
        """Create a campaign, or with ``current_name`` replace that one's name and members.

        ``origin``: where its calls enter the phone network, a country (code or name) or
        ``OWN_COUNTRY``/"" for each number's own country; ``purpose``: sales or service.
        Either left None keeps the campaign's setting (a new campaign: own country, sales).
        """
        with self.repo.transaction():
            require_manager(actor, "change campaigns")
            current = self.inventory.campaign(current_name) if current_name else None
            name = unique_name(
                "campaign",
                name,
                self.inventory.views().campaign_by_name,
                current.id if current else None,
            )
            chosen_origin = _campaign_origin(origin) if origin is not None else None
            chosen_purpose = _campaign_purpose(purpose) if purpose is not None else None
            members = self.inventory.member_keys(numbers)
            group_ids = []
            for group_name in groups:
                group = self.inventory.group(group_name)
                if group.id not in group_ids:
                    group_ids.append(group.id)
            campaign = Campaign(
                id=current.id if current else new_id(),
                name=name,
                numbers=members,
                groups=group_ids,
                origin=chosen_origin
                if origin is not None
                else (current.origin if current else None),
                purpose=chosen_purpose or (current.purpose if current else PURPOSES[0]),
            )
            self.repo.campaigns.save(campaign)
            self.inventory.audit_change(
                actor,
                "campaign.edit" if current else "campaign.create",
                campaign.id,
                current,
                campaign,
            )
            return self.inventory.pool(campaign.name)

    def delete(self, actor: Actor, name: str) -> Campaign:
        with self.repo.transaction():
            require_manager(actor, "delete campaigns")
            campaign = self.inventory.campaign(name)
            self.repo.campaigns.delete(campaign.id)
            self.inventory.audit_change(actor, "campaign.delete", campaign.id, before=campaign)
            return campaign

    def save_chosen(
        self,
        actor: Actor,
        name: str,
        campaign_id: str | None = None,
        chosen: Sequence[str] = (),
        removed: Iterable[str] = (),
        group_ids: Sequence[str] = (),
        keep_groups_from: int | None = None,
        origin: str | None = None,
        purpose: str | None = None,
    ) -> CampaignPool:
        """Create a campaign, or change the one of ``campaign_id`` as a form does: the
        ``removed`` numbers go, the ``chosen`` come, every other number stays; its groups
        become ``group_ids`` (each must still exist) and, with ``keep_groups_from``, the
        groups from that position on that the form could not show. Read and written in one
        transaction, so another edit of the campaign waits and none is lost."""
        with self.repo.transaction():
            require_manager(actor, "change campaigns")
            current = None
            if campaign_id:
                current = self.repo.campaigns.get(campaign_id)
                if current is None:
                    raise NotFound("That campaign no longer exists.")
            groups = {g.id: g for g in self.repo.groups.all()}
            missing = [g for g in group_ids if g not in groups]
            if missing:
                raise DomainError(
                    f"{len(missing)} of the chosen groups no longer exist: choose again.",
                    field="groups",
                )
            ids = list(group_ids)
            if current and keep_groups_from is not None:
                ids += [g for g in current.groups[keep_groups_from:] if g in groups]
            group_names = [groups[g].name for g in dict.fromkeys(ids)]
            if current:
                infos = self.inventory.views().infos
                gone = set(removed)
                kept = [e for e in current.numbers if e in infos and e not in gone]
                numbers = list(dict.fromkeys([*kept, *chosen]))
            else:
                numbers = list(chosen)
            return self.save(
                actor,
                name,
                numbers,
                group_names,
                current_name=current.name if current else None,
                origin=origin,
                purpose=purpose,
            )


def _campaign_origin(text: str) -> str | None:
    """A campaign's origin as stored: an ISO alpha-2 code, or None (own country)."""
    if not text.strip() or text.strip().casefold() == OWN_COUNTRY:
        return None
    try:
        return resolve_country(text)
    except DomainError:
        raise DomainError(
            f"“{text.strip()[:40]}” is not a country: calls enter the phone network in a "
            "country (a code like FI or a name like Finland) or in each number's own country.",
            field="origin",
        ) from None


def _campaign_purpose(text: str) -> str:
    purpose = text.strip().casefold()
    if purpose not in PURPOSES:
        raise DomainError(
            f"“{text.strip()[:40]}” is not a purpose: a campaign is for "
            + " or ".join(PURPOSES)
            + ".",
            field="purpose",
        )
    return purpose
