"""Addresses: creating, editing and deleting them, and linking numbers to them
(``inventory.addresses``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.core.auditing import require_manager
from bot.core.errors import DomainError, ValidationError
from bot.core.model import Actor, Address, Number, new_id
from bot.core.phone import resolve_country, resolve_region
from bot.core.readmodel import AddressChange, LinkResult, MoveResult, more
from bot.core.text import MAX_FIELD, MAX_NAME, casefold, clean_field, refuse_quotes, unquote

if TYPE_CHECKING:
    from bot.core.services import Inventory


class Addresses:
    """The address use cases of one workspace; each opens its own transaction."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo = inventory.repo

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
            other = self.inventory.views().address_by_name.get(casefold(clean["name"]))
            if other and (current is None or other.id != current.id):
                errors["name"] = f"An address called “{other.name}” exists already."
        if not fields.get("confirmed"):
            errors["confirmed"] = (
                "Confirm that this is the real business address of the numbers' user."
            )
        if errors:
            raise ValidationError(errors)
        return clean

    def create(self, actor: Actor, fields: dict[str, Any]) -> Address:
        with self.repo.transaction():
            require_manager(actor, "create addresses")
            clean = self._validated_address(fields, None)
            now = self.inventory.clock()
            address = Address(
                id=new_id(), created_by=actor.user_id, created_at=now, updated_at=now, **clean
            )
            self.repo.addresses.save(address)
            self.inventory.audit_change(actor, "address.create", address.id, after=address)
            return address

    def update(self, actor: Actor, name: str, fields: dict[str, Any]) -> AddressChange:
        with self.repo.transaction():
            require_manager(actor, "edit addresses")
            current = self.inventory.address(name)
            clean = self._validated_address(fields, current)
            updated = replace(current, updated_at=self.inventory.clock(), **clean)
            before = {i.e164: i for i in self.inventory.address_numbers(current.id)}
            self.repo.addresses.save(updated)
            self.inventory.audit_change(
                actor, "address.edit", current.id, before=current, after=updated
            )
            if _moved(current, updated):
                self._clear_confirmations(actor, filter(None, map(self.repo.numbers.get, before)))
            self.inventory.emit("address.edited", actor, before=before, address=updated)
            infos = self.inventory.views().infos
            after = [infos[e164] for e164 in before if e164 in infos]
            failing = [i for i in after if before[i.e164].verdict.ok and not i.verdict.ok]
            return AddressChange(updated, failing, before, after)

    def delete(self, actor: Actor, name: str) -> Address:
        with self.repo.transaction():
            require_manager(actor, "delete addresses")
            address = self.inventory.address(name)
            linked = self.inventory.address_numbers(address.id)
            if linked:
                shown = ", ".join(i.display for i in linked[:10]) + more(len(linked) - 10)
                are = "1 number is" if len(linked) == 1 else f"{len(linked)} numbers are"
                raise DomainError(
                    f"“{address.name}” cannot be deleted: {are} linked to it ({shown}). "
                    f"Move them to another address first (`/numbers address delete` offers it)."
                )
            self.repo.addresses.delete(address.id)
            self.inventory.audit_change(actor, "address.delete", address.id, before=address)
            return address

    def link(self, actor: Actor, texts: Sequence[str], address_name: str) -> LinkResult:
        """Link the numbers of the inventory among ``texts``; the others are reported in the
        result (unknown, invalid), not refused, so one typo does not undo the rest."""
        with self.repo.transaction():
            require_manager(actor, "link numbers")
            if not (address_name or "").strip():
                raise DomainError("Choose an address.", field="address")
            address = self.inventory.address(address_name)
            numbers, unknown, invalid = self.inventory.resolve_numbers(texts)
            result = self._set_address(actor, numbers, address)
            result.unknown, result.invalid = unknown, invalid
            return result

    def unlink(self, actor: Actor, texts: Sequence[str]) -> LinkResult:
        with self.repo.transaction():
            require_manager(actor, "unlink numbers")
            numbers, unknown, invalid = self.inventory.resolve_numbers(texts)
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
            source = self.inventory.address(source_name)
            if not (target_name or "").strip():
                raise DomainError("Choose the address the numbers move to.", field="target")
            target = self.inventory.address(target_name)
            if target.id == source.id:
                raise DomainError(
                    f"Choose another address than “{source.name}” itself.", field="target"
                )
            numbers = [i.number for i in self.inventory.address_numbers(source.id)]
            result = self._set_address(actor, numbers, target)
            if delete:
                self.repo.addresses.delete(source.id)
                self.inventory.audit_change(actor, "address.delete", source.id, before=source)
            return MoveResult(source, target, result.changed, delete)

    def _set_address(
        self, actor: Actor, numbers: list[Number], address: Address | None
    ) -> LinkResult:
        target = address.id if address else None
        views = self.inventory.views()
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
                self.inventory.audit_change(
                    actor,
                    "number.link" if address else "number.unlink",
                    new.e164,
                    before=before,
                    after=after,
                )
        infos = self.inventory.views().infos
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
            self.inventory.audit_change(
                actor,
                "number.unconfirm_area",
                n.e164,
                before={"area_confirmed_by": n.area_confirmed_by},
                after={"area_confirmed_by": None},
            )


def _moved(old: Address, new: Address) -> bool:
    """Whether an edit changed where an address is (city, region or country)."""
    return any(
        casefold(getattr(old, f) or "") != casefold(getattr(new, f) or "")
        for f in ("city", "region", "country")
    )
