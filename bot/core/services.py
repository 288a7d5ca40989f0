"""Use cases: the only way to change a workspace's numbers.

Every change checks the actor's role, validates everything before writing,
writes an audit entry, and happens inside one repository transaction: either
all of it is on disk when the method returns, or none of it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from bot.core import auditing
from bot.core.adding import added_meanwhile, new_number
from bot.core.auditing import require_manager
from bot.core.compliance import Rules, Status, verdict
from bot.core.csvio import ImportExport, ImportResult
from bot.core.errors import DomainError, ValidationError
from bot.core.model import PURPOSES, Actor, Address, Campaign, Group, Number, new_id, utcnow
from bot.core.phone import Typed, country_name, format_number, resolve_country, resolve_region
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
    more,
)
from bot.core.text import (
    MAX_FIELD,
    MAX_LABEL,
    MAX_NAME,
    casefold,
    clean_field,
    closest_names,
    did_you_mean,
    refuse_quotes,
    unquote,
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

    def _resolve_numbers(
        self, texts: Sequence[str]
    ) -> tuple[list[Number], list[str], list[tuple[str, str]]]:
        """The texts as numbers of the inventory, the E.164 of valid numbers it does not
        hold, and the texts that are no valid number with why (each once, in typed order)."""
        if not texts:
            raise DomainError("Name at least one number.", field="numbers")
        views = self.views()
        found: dict[str, Number] = {}
        unknown: dict[str, None] = {}
        invalid: list[tuple[str, str]] = []
        for text in texts:
            try:
                e164 = self.number_key(text)
            except DomainError as exc:
                invalid.append((text[:40], exc.message))
                continue
            info = views.infos.get(e164)
            if info is None:
                unknown[e164] = None
            else:
                found[e164] = info.number
        return list(found.values()), list(unknown), invalid

    def _existing_numbers(self, texts: Sequence[str]) -> list[Number]:
        """Every text resolved to a number of the inventory, or one error naming all bad ones."""
        found, unknown, invalid = self._resolve_numbers(texts)
        problems = [f"{text}: {why}" for text, why in invalid] + [
            f"{format_number(e164)} is not in the inventory" for e164 in unknown
        ]
        if problems:
            raise DomainError("; ".join(problems[:10]) + more(len(problems) - 10), field="numbers")
        return found

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
            (number,) = self._existing_numbers([text])
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

    # addresses --------------------------------------------------------------
    def _validated_address(self, fields: dict[str, Any], current: Address | None) -> dict:
        errors: dict[str, str] = {}
        clean: dict[str, str] = {}
        for key, label, limit in (
            ("name", "Name", MAX_NAME),
            ("customer_name", "Customer name", MAX_FIELD),
            ("street", "Street", MAX_FIELD),
            ("postal_code", "Postal code", 20),
            ("city", "City", MAX_FIELD),
        ):
            try:
                value = fields.get(key)
                if key == "name":
                    value = unquote(str(value or ""))
                    if current is None or value != current.name:
                        refuse_quotes(value)
                clean[key] = clean_field(value, key, limit, label=label)
            except DomainError as exc:
                errors[key] = exc.message
        try:
            clean["country"] = resolve_country(fields.get("country") or "")
        except DomainError as exc:
            errors["country"] = exc.message
        if "country" in clean:
            try:
                clean["region"] = resolve_region(fields.get("region") or "", clean["country"])
            except DomainError as exc:
                errors["region"] = exc.message
        if "name" in clean:
            other = self.views().address_by_name.get(casefold(clean["name"]))
            if other and (current is None or other.id != current.id):
                errors["name"] = f"An address called “{other.name}” exists already."
        if not fields.get("confirmed"):
            errors["confirmed"] = (
                "Confirm that this is the real business address of the numbers' user."
            )
        if errors:
            raise ValidationError(errors)
        return clean

    def create_address(self, actor: Actor, fields: dict[str, Any]) -> Address:
        with self.repo.transaction():
            require_manager(actor, "create addresses")
            clean = self._validated_address(fields, None)
            now = self.clock()
            address = Address(
                id=new_id(), created_by=actor.user_id, created_at=now, updated_at=now, **clean
            )
            self.repo.addresses.save(address)
            self.audit_change(actor, "address.create", address.id, after=address)
            return address

    def update_address(self, actor: Actor, name: str, fields: dict[str, Any]) -> AddressChange:
        with self.repo.transaction():
            require_manager(actor, "edit addresses")
            current = self.address(name)
            clean = self._validated_address(fields, current)
            updated = replace(current, updated_at=self.clock(), **clean)
            before = {i.e164: i for i in self.address_numbers(current.id)}
            self.repo.addresses.save(updated)
            self.audit_change(actor, "address.edit", current.id, before=current, after=updated)
            if _moved(current, updated):
                self._clear_confirmations(actor, filter(None, map(self.repo.numbers.get, before)))
            self.emit("address.edited", actor, before=before, address=updated)
            infos = self.views().infos
            after = [infos[e164] for e164 in before if e164 in infos]
            failing = [i for i in after if before[i.e164].verdict.ok and not i.verdict.ok]
            return AddressChange(updated, failing, before, after)

    def delete_address(self, actor: Actor, name: str) -> Address:
        with self.repo.transaction():
            require_manager(actor, "delete addresses")
            address = self.address(name)
            linked = self.address_numbers(address.id)
            if linked:
                shown = ", ".join(i.display for i in linked[:10]) + more(len(linked) - 10)
                are = "1 number is" if len(linked) == 1 else f"{len(linked)} numbers are"
                raise DomainError(
                    f"“{address.name}” cannot be deleted: {are} linked to it ({shown}). "
                    f"Move them to another address first (`/numbers address delete` offers it)."
                )
            self.repo.addresses.delete(address.id)
            self.audit_change(actor, "address.delete", address.id, before=address)
            return address

    # links ------------------------------------------------------------------
    def link(self, actor: Actor, texts: Sequence[str], address_name: str) -> LinkResult:
        """Link the numbers of the inventory among ``texts``; the others are reported in the
        result (unknown, invalid), not refused, so one typo does not undo the rest."""
        with self.repo.transaction():
            require_manager(actor, "link numbers")
            if not (address_name or "").strip():
                raise DomainError("Choose an address.", field="address")
            address = self.address(address_name)
            numbers, unknown, invalid = self._resolve_numbers(texts)
            result = self._set_address(actor, numbers, address)
            result.unknown, result.invalid = unknown, invalid
            return result

    def unlink(self, actor: Actor, texts: Sequence[str]) -> LinkResult:
        with self.repo.transaction():
            require_manager(actor, "unlink numbers")
            numbers, unknown, invalid = self._resolve_numbers(texts)
            result = self._set_address(actor, numbers, None)
            result.unknown, result.invalid = unknown, invalid
            return result

    def move_numbers(
        self, actor: Actor, source_name: str, target_name: str, delete: bool = False
    ) -> MoveResult:
        """Link every number of one address to another and, with ``delete``, delete the
        first: one transaction, each step audited."""
        with self.repo.transaction():
            require_manager(actor, "delete addresses" if delete else "link numbers")
            source = self.address(source_name)
            if not (target_name or "").strip():
                raise DomainError("Choose the address the numbers move to.", field="target")
            target = self.address(target_name)
            if target.id == source.id:
                raise DomainError(
                    f"Choose another address than “{source.name}” itself.", field="target"
                )
            numbers = [i.number for i in self.address_numbers(source.id)]
            result = self._set_address(actor, numbers, target)
            if delete:
                self.repo.addresses.delete(source.id)
                self.audit_change(actor, "address.delete", source.id, before=source)
            return MoveResult(source, target, result.changed, delete)

    def _set_address(
        self, actor: Actor, numbers: list[Number], address: Address | None
    ) -> LinkResult:
        target = address.id if address else None
        views = self.views()
        previous = {n.e164: views.addresses.get(n.address_id) for n in numbers if n.address_id}
        moving = [n for n in numbers if n.address_id != target]
        # A hand confirmation of the area was about the old address: it no longer applies.
        changed = [replace(n, address_id=target, area_confirmed_by=None) for n in moving]
        if changed:  # inside the caller's transaction
            self.repo.numbers.save_many(changed)
            for old, new in zip(moving, changed, strict=True):
                before: dict[str, Any] = {"address_id": old.address_id}
                after: dict[str, Any] = {"address_id": target}
                if old.area_confirmed_by:
                    before["area_confirmed_by"] = old.area_confirmed_by
                    after["area_confirmed_by"] = None
                self.audit_change(
                    actor,
                    "number.link" if address else "number.unlink",
                    new.e164,
                    before=before,
                    after=after,
                )
        infos = self.views().infos
        moved = {n.e164 for n in moving}
        return LinkResult(
            address,
            [infos[n.e164] for n in numbers if n.e164 in moved],
            [infos[n.e164] for n in numbers if n.e164 not in moved],
            previous,
        )

    def _clear_confirmations(self, actor: Actor, numbers: Iterable[Number]) -> None:
        """A moved address: hand confirmations of its numbers' areas no longer apply."""
        confirmed = [n for n in numbers if n.area_confirmed_by]
        if not confirmed:
            return
        self.repo.numbers.save_many([replace(n, area_confirmed_by=None) for n in confirmed])
        for n in confirmed:
            self.audit_change(
                actor,
                "number.unconfirm_area",
                n.e164,
                before={"area_confirmed_by": n.area_confirmed_by},
                after={"area_confirmed_by": None},
            )

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

    # groups -----------------------------------------------------------------
    def _unique_name(self, kind: str, name: str, lookup: dict, current_id: str | None) -> str:
        name = clean_field(unquote(str(name or "")), "name", MAX_NAME, label="Name")
        current = next((item for item in lookup.values() if item.id == current_id), None)
        if current is None or name != current.name:
            refuse_quotes(name)
        other = lookup.get(casefold(name))
        if other and other.id != current_id:
            raise DomainError(f"A {kind} called “{other.name}” exists already.", field="name")
        return name

    def _members(self, texts: Sequence[str]) -> list[str]:
        return [n.e164 for n in self._existing_numbers(texts)] if texts else []

    def save_group(
        self,
        actor: Actor,
        name: str,
        numbers: Sequence[str],
        current_name: str | None = None,
    ) -> Group:
        """Create a group, or with ``current_name`` replace that group's name and members."""
        with self.repo.transaction():
            require_manager(actor, "change groups")
            current = self.group(current_name) if current_name else None
            name = self._unique_name(
                "group", name, self.views().group_by_name, current.id if current else None
            )
            members = self._members(numbers)
            group = Group(id=current.id if current else new_id(), name=name, numbers=members)
            self.repo.groups.save(group)
            self.audit_change(
                actor, "group.edit" if current else "group.create", group.id, current, group
            )
            return group

    def delete_group(self, actor: Actor, name: str) -> Group:
        with self.repo.transaction():
            require_manager(actor, "delete groups")
            group = self.group(name)
            for campaign in self.repo.campaigns.all():
                if group.id in campaign.groups:
                    kept = [g for g in campaign.groups if g != group.id]
                    self.repo.campaigns.save(replace(campaign, groups=kept))
            self.repo.groups.delete(group.id)
            self.audit_change(actor, "group.delete", group.id, before=group)
            return group

    # campaigns --------------------------------------------------------------
    def save_campaign(
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
            current = self.campaign(current_name) if current_name else None
            name = self._unique_name(
                "campaign", name, self.views().campaign_by_name, current.id if current else None
            )
            chosen_origin = _campaign_origin(origin) if origin is not None else None
            chosen_purpose = _campaign_purpose(purpose) if purpose is not None else None
            members = self._members(numbers)
            group_ids = []
            for group_name in groups:
                group = self.group(group_name)
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
            self.audit_change(
                actor,
                "campaign.edit" if current else "campaign.create",
                campaign.id,
                current,
                campaign,
            )
            return self.pool(campaign.name)

    def delete_campaign(self, actor: Actor, name: str) -> Campaign:
        with self.repo.transaction():
            require_manager(actor, "delete campaigns")
            campaign = self.campaign(name)
            self.repo.campaigns.delete(campaign.id)
            self.audit_change(actor, "campaign.delete", campaign.id, before=campaign)
            return campaign

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


def _moved(old: Address, new: Address) -> bool:
    """Whether an edit changed where an address is (city, region or country)."""
    return any(
        casefold(getattr(old, f) or "") != casefold(getattr(new, f) or "")
        for f in ("city", "region", "country")
    )
