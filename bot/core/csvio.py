"""Import and export: the inventory as a CSV file and back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core.adding import added_meanwhile, new_number
from bot.core.auditing import require_manager
from bot.core.compliance import Presentation, verdict
from bot.core.csvsafe import CsvLineError, read_csv, write_csv
from bot.core.errors import DomainError
from bot.core.model import Actor, Address, Group, Number, new_id
from bot.core.phone import format_number
from bot.core.readmodel import NumberInfo
from bot.core.text import MAX_LABEL, MAX_NAME, casefold, clean_field, unquote

if TYPE_CHECKING:
    from bot.core.services import Inventory

EXPORT_COLUMNS = [
    "number",
    "country",
    "kind",
    "area",
    "address",
    "verdict",
    "reason",
    "label",
    "source",
    "groups",
    "campaigns",
    # The linked address in full, so that the export is the whole record of proof.
    "address_customer",
    "address_street",
    "address_postal_code",
    "address_city",
    "address_region",
    "address_country",
    "delivery",  # "Campaign: status" per campaign it is in (the presentation verdict, today)
]
ADDRESS_EXPORT_FIELDS = ("customer_name", "street", "postal_code", "city", "region", "country")


@dataclass
class ImportResult:
    added: list[NumberInfo]
    skipped: list[tuple[int, str]]  # (line, why)
    errors: list[tuple[int, str]]  # (line, reason)


class ImportExport:
    """The CSV use cases of one workspace (``inventory.csv``)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo = inventory.repo

    def export_csv(self) -> str:
        """Every number with its address, verdict, groups, campaigns and delivery."""
        views = self.inventory.views()
        groups_of: dict[str, list[str]] = {}
        for g in views.groups.values():
            for e164 in g.numbers:
                groups_of.setdefault(e164, []).append(g.name)
        campaigns_of: dict[str, list[str]] = {}
        for c in views.campaigns.values():
            members = set(c.numbers)
            for gid in c.groups:
                members.update(views.groups[gid].numbers if gid in views.groups else ())
            for e164 in members:
                campaigns_of.setdefault(e164, []).append(c.name)
        delivery = self._delivery_by_number()

        def rows() -> Iterable[list]:  # one at a time, as the file is written
            for info in self.inventory.number_list():
                n = info.number
                yield [
                    n.e164,
                    n.country,
                    n.kind,
                    n.area,
                    info.address.name if info.address else "",
                    info.verdict.status,
                    "" if info.verdict.ok else info.verdict.reason,
                    n.label,
                    n.source,
                    ";".join(sorted(groups_of.get(n.e164, []))),
                    ";".join(sorted(campaigns_of.get(n.e164, []))),
                    *(
                        getattr(info.address, f) if info.address else ""
                        for f in ADDRESS_EXPORT_FIELDS
                    ),
                    "; ".join(f"{c}: {p.status}" for c, p in delivery.get(n.e164, [])),
                ]

        # Every cell a spreadsheet would run (=, +, -, @ …) is written as text (bot.core.csvsafe).
        return write_csv(EXPORT_COLUMNS, rows())

    def _delivery_by_number(self) -> dict[str, list[tuple[str, Presentation]]]:
        """E.164 -> (campaign name, presentation verdict today) of each campaign it is in."""
        found: dict[str, list[tuple[str, Presentation]]] = {}
        for campaign in self.inventory.campaign_list():
            for e164, p in self.inventory.campaign_verdicts(campaign).items():
                found.setdefault(e164, []).append((campaign.name, p))
        return found

    def import_csv(self, actor: Actor, text: str) -> ImportResult:
        """Rows of number, address, label, groups (header row); bad lines reported, good kept."""
        with self.repo.transaction():
            require_manager(actor, "import numbers")
            try:  # cells the export protected (bot.core.csvsafe) come back unprotected
                header, records = read_csv(text)
            except CsvLineError as exc:
                raise DomainError(f"The CSV's {exc}") from None
            if "number" not in header:
                raise DomainError("The CSV needs a header row with a “number” column.")
            views = self.inventory.views()
            errors: list[tuple[int, str]] = []
            skipped: list[tuple[int, str]] = []
            new: dict[str, Number] = {}
            addresses: dict[str, Address | None] = {}
            memberships: dict[str, list[str]] = {}  # group name -> numbers
            lines: dict[str, int] = {}  # number -> its line
            now = self.inventory.clock()
            for line, row in records:
                if isinstance(row, CsvLineError):
                    errors.append((line, str(row)))
                    continue
                text_number = (row.get("number") or "").strip()
                if not text_number:
                    continue
                try:
                    parsed = self.inventory.parse(text_number)
                    address_name = (row.get("address") or "").strip()
                    address = self.inventory.address(address_name) if address_name else None
                    label = clean_field(row.get("label"), "label", MAX_LABEL, required=False)
                    group_names = [
                        clean_field(unquote(g), "group", MAX_NAME, label="Group")
                        for g in (row.get("groups") or "").split(";")
                        if g.strip()
                    ]
                except DomainError as exc:
                    errors.append((line, exc.message))
                    continue
                if parsed.e164 in views.infos or parsed.e164 in new:
                    skipped.append(
                        (line, f"{format_number(parsed.e164)} is already in the inventory")
                    )
                    continue
                new[parsed.e164] = new_number(parsed, address, label, "import", actor, now)
                addresses[parsed.e164] = address
                lines[parsed.e164] = line
                for g in group_names:
                    memberships.setdefault(g, []).append(parsed.e164)
            if new:
                for e164 in added_meanwhile(self.repo, new):
                    why = f"{format_number(e164)} is already in the inventory"
                    skipped.append((lines[e164], why))
                skipped.sort()
                if new:
                    self.repo.numbers.save_many(new.values())
                    for n in new.values():
                        self.inventory.audit_change(actor, "number.add", n.e164, after=n)
                    self.inventory.emit("numbers.added", actor, numbers=list(new.values()))
                # the groups as they are now (another process may have changed them)
                current_groups = {casefold(g.name): g for g in self.repo.groups.all()}
                for group_name, members in memberships.items():
                    members = [m for m in members if m in new]
                    if not members:
                        continue
                    group = current_groups.get(casefold(group_name))
                    if group is None:
                        group = Group(id=new_id(), name=group_name, numbers=[])
                        self.inventory.audit_change(actor, "group.create", group.id, after=group)
                    updated = replace(group, numbers=list(dict.fromkeys(group.numbers + members)))
                    self.repo.groups.save(updated)
                    self.inventory.audit_change(actor, "group.edit", group.id, group, updated)
            added = [
                NumberInfo(
                    n, addresses[n.e164], verdict(n, addresses[n.e164], self.inventory.rules)
                )
                for n in new.values()
            ]
            return ImportResult(added, skipped, errors)
