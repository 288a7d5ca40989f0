"""Numbers: adding them to the inventory, removing them, confirming an area by hand
(``inventory.numbers``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core.adding import added_meanwhile, new_number
from bot.core.auditing import require_manager
from bot.core.compliance import Status, verdict
from bot.core.errors import DomainError
from bot.core.model import Actor, Number
from bot.core.phone import Typed
from bot.core.readmodel import AddResult, NumberInfo
from bot.core.text import MAX_LABEL, clean_field

if TYPE_CHECKING:
    from bot.core.services import Inventory


class Numbers:
    """The number use cases of one workspace; each opens its own transaction."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo = inventory.repo

    def add(
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
            address = self.inventory.address(address_name) if address_name else None
            result = AddResult()
            views = self.inventory.views()
            new: dict[str, Number] = {}
            now = self.inventory.clock()
            for line, typed in enumerate(texts, start=first_line):
                problem = typed.problem if isinstance(typed, Typed) else ""
                text = (typed.text if isinstance(typed, Typed) else typed).strip()
                if not text:
                    continue
                try:
                    if problem:
                        raise DomainError(problem)
                    parsed = self.inventory.parse(text, getattr(typed, "countries", ()))
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
                        self.inventory.audit_change(actor, "number.add", n.e164, after=n)
                    self.inventory.emit("numbers.added", actor, numbers=list(new.values()))
            result.added = [
                NumberInfo(n, address, verdict(n, address, self.inventory.rules))
                for n in new.values()
            ]
            return result

    def remove(self, actor: Actor, text: str) -> Number:
        with self.repo.transaction():
            require_manager(actor, "remove numbers")
            (number,) = self.inventory.existing_numbers([text])
            self._detach_numbers({number.e164})
            self.repo.numbers.delete(number.e164)
            self.inventory.audit_change(actor, "number.remove", number.e164, before=number)
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
            info = self.inventory.info(text)
            if info.verdict.ok and info.number.area_confirmed_by:
                raise DomainError(f"{info.display} is confirmed already: {info.verdict.reason}.")
            if info.verdict.status != Status.UNVERIFIABLE:
                raise DomainError(
                    f"Only a number whose area cannot be determined can be confirmed by hand; "
                    f"{info.display} is not one: {info.verdict.reason}."
                )
            self.repo.numbers.save(replace(info.number, area_confirmed_by=actor.user_id))
            self.inventory.audit_change(
                actor,
                "number.confirm_area",
                info.e164,
                after={"area_confirmed_by": actor.user_id},
            )
            return self.inventory.info(info.e164)
