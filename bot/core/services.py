"""Use cases: the only way to change a workspace's numbers.

Every change checks the actor's role, validates everything before writing,
writes an audit entry, and happens inside one repository transaction: either
all of it is on disk when the method returns, or none of it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from bot.core import auditing
from bot.core.adding import added_meanwhile, new_number
from bot.core.addresses import Addresses
from bot.core.auditing import require_manager
from bot.core.campaigns import Campaigns
from bot.core.compliance import Rules, Status, verdict
from bot.core.csvio import ImportExport, ImportResult
from bot.core.errors import DomainError
from bot.core.groups import Groups
from bot.core.model import Actor, Number, utcnow
from bot.core.phone import Typed, country_name, resolve_country, resolve_region
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
    clean_field,
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
    """One workspace: its read model (inherited) and the changes to it."""

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
        self.addresses = Addresses(self)
        self.groups = Groups(self)
        self.campaigns = Campaigns(self)
        self.csv = ImportExport(self)

    # ------------------------------------------------------------------ changing
    def emit(self, event: str, actor: Actor, **data: Any) -> None:
        """Tell the listeners about a change; call inside the change's transaction."""
        for listener in self.listeners:
            listener(self, event, actor, data)

    def audit_change(
        self, actor: Actor, action: str, subject: str, before: Any = None, after: Any = None
    ) -> None:
        """Append the change's audit entry; call inside the change's transaction."""
        auditing.record(self.repo, self.clock, actor, action, subject, before, after)

    def add_numbers(
        self,
        actor: Actor,
        texts: Sequence[str | Typed],
        label: str = "",
        source: str = "import",
        address_name: str | None = None,
        first_line: int = 1,
    ) -> AddResult:
        """Add the valid numbers (all in one write); report each invalid line with its reason."""
        with self.repo.transaction():
            require_manager(actor, "add numbers")
            label = clean_field(label, "label", MAX_LABEL, required=False)
            address = self.address(address_name) if address_name else None
            result = AddResult()
            views = self.views()
            new: dict[str, Number] = {}
            now = self.clock()
            for line, typed in enumerate(texts, start=first_line):
                problem = typed.problem if isinstance(typed, Typed) else ""
                text = (typed.text if isinstance(typed, Typed) else typed).strip()
                if not text:
                    continue
                try:
                    if problem:
                        raise DomainError(problem)
                    parsed = self.parse(text, getattr(typed, "countries", ()))
                except DomainError as exc:
                    result.invalid.append((line, text[:64], exc.message))
                    continue
                result.typed.setdefault(parsed.e164, (line, text[:64]))
                if parsed.e164 in views.infos or parsed.e164 in new:
                    result.already.append(parsed.e164)
                    continue
                new[parsed.e164] = new_number(parsed, address, label, source, actor, now)
            if new:
                result.already.extend(added_meanwhile(self.repo, new))
                if new:
                    self.repo.numbers.save_many(new.values())
                    for n in new.values():
                        self.audit_change(actor, "number.add", n.e164, after=n)
                    self.emit("numbers.added", actor, numbers=list(new.values()))
            result.added = [
                NumberInfo(n, address, verdict(n, address, self.rules)) for n in new.values()
            ]
            return result

    def remove_number(self, actor: Actor, text: str) -> Number:
        with self.repo.transaction():
            require_manager(actor, "remove numbers")
            (number,) = self.existing_numbers([text])
            self._detach_numbers({number.e164})
            self.repo.numbers.delete(number.e164)
            self.audit_change(actor, "number.remove", number.e164, before=number)
            return number

    def _detach_numbers(self, e164s: set[str]) -> None:
        for group in self.repo.groups.all():
            if e164s.intersection(group.numbers):
                kept = [n for n in group.numbers if n not in e164s]
                self.repo.groups.save(replace(group, numbers=kept))
        for campaign in self.repo.campaigns.all():
            if e164s.intersection(campaign.numbers):
                kept = [n for n in campaign.numbers if n not in e164s]
                self.repo.campaigns.save(replace(campaign, numbers=kept))
        for agent in self.repo.agents.all():
            if agent.caller_id in e164s:
                self.repo.agents.save(replace(agent, caller_id=None))

    def confirm_area(self, actor: Actor, text: str) -> NumberInfo:
        """A manager confirms by hand that the linked address lies in the number's area."""
        with self.repo.transaction():
            require_manager(actor, "confirm areas")
            info = self.info(text)
            if info.verdict.ok and info.number.area_confirmed_by:
                raise DomainError(f"{info.display} is confirmed already: {info.verdict.reason}.")
            if info.verdict.status != Status.UNVERIFIABLE:
                raise DomainError(
                    f"Only a number whose area cannot be determined can be confirmed by hand; "
                    f"{info.display} is not one: {info.verdict.reason}."
                )
            self.repo.numbers.save(replace(info.number, area_confirmed_by=actor.user_id))
            self.audit_change(
                actor,
                "number.confirm_area",
                info.e164,
                after={"area_confirmed_by": actor.user_id},
            )
            return self.info(info.e164)

    # access -----------------------------------------------------------------
    def set_access(self, actor: Actor, user_id: str, granted: bool) -> None:
        with self.repo.transaction():
            require_manager(actor, "grant or revoke the manager role")
            if granted == (user_id in self.repo.grants()):
                state = "already has" if granted else "does not have"
                raise DomainError(f"That person {state} a granted manager role.")
            self.repo.set_grant(user_id, granted)
            self.audit_change(
                actor,
                "access.grant" if granted else "access.revoke",
                user_id,
                after={"manager": granted},
            )
