"""One workspace: its read model and its domain services, the only way to change it.

``inventory.numbers``, ``.addresses``, ``.groups``, ``.campaigns``, ``.access``, ``.csv``
(one module each in bot.core). Every change checks the actor's role, validates
everything before writing, writes an audit entry, and happens inside one repository
transaction that the service opens itself: either all of it is on disk when the method
returns, or none of it is. A service reads what decides its write inside that
transaction, and calls no other service's private helpers (shared ones are public
functions of bot.core.auditing, adding, text, phone and the read model).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core import auditing
from bot.core.access import Access
from bot.core.addresses import Addresses
from bot.core.campaigns import Campaigns
from bot.core.compliance import Rules
from bot.core.csvio import ImportExport, ImportResult
from bot.core.groups import Groups
from bot.core.model import Actor, utcnow
from bot.core.numbers import Numbers
from bot.core.phone import country_name, resolve_country, resolve_region
from bot.core.ports import Repository
from bot.core.readmodel import (
    OWN_COUNTRY,
    AddressChange,
    AddResult,
    CampaignPool,
    DeliverySummary,
    LinkResult,
    MoveResult,
    NumberDetail,
    NumberInfo,
    NumberPresentation,
    ReadModel,
    Summary,
    UpcomingBlock,
)
from bot.core.text import (
    MAX_FIELD,
    MAX_LABEL,
    MAX_NAME,
    closest_names,
    did_you_mean,
    refuse_quotes,
)

__all__ = [  # the names importers of this module use
    "OWN_COUNTRY",
    "AddResult",
    "AddressChange",
    "CampaignPool",
    "DeliverySummary",
    "ImportResult",
    "Inventory",
    "LinkResult",
    "MAX_FIELD",
    "MAX_LABEL",
    "MAX_NAME",
    "MoveResult",
    "NumberDetail",
    "NumberInfo",
    "NumberPresentation",
    "Summary",
    "UpcomingBlock",
    "closest_names",
    "country_name",
    "did_you_mean",
    "refuse_quotes",
    "resolve_country",
    "resolve_region",
]


class Inventory(ReadModel):
    """One workspace: its read model (inherited: lists, lookups, verdicts, the cache) and
    its domain services (attributes), which share its repository, rules, clock and change
    listeners."""

    def __init__(
        self,
        repo: Repository,
        rules: Rules,
        default_region: str = "FI",
        clock: Callable[[], str] = utcnow,
    ) -> None:
        super().__init__(repo, rules, default_region, clock)
        # Called inside the change's transaction: listener(inventory, event, actor, data).
        # bot.notify records alerts in the outbox in the same write as the change.
        self.listeners: list[Callable[[Inventory, str, Actor, dict], None]] = []
        self.numbers = Numbers(self)
        self.addresses = Addresses(self)
        self.groups = Groups(self)
        self.campaigns = Campaigns(self)
        self.access = Access(self)
        self.csv = ImportExport(self)

    # ------------------------------------------------------------------ what changes share
    def emit(self, event: str, actor: Actor, **data: Any) -> None:
        """Tell the listeners about a change; call inside the change's transaction."""
        for listener in self.listeners:
            listener(self, event, actor, data)

    def audit_change(
        self, actor: Actor, action: str, subject: str, before: Any = None, after: Any = None
    ) -> None:
        """Append the change's audit entry; call inside the change's transaction."""
        auditing.record(self.repo, self.clock, actor, action, subject, before, after)
