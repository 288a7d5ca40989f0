"""A synthetic workspace of N numbers, built through the core (not through Slack).

Shape (issue 7): N/20 addresses, N/100 groups of about 50 numbers, N/500
campaigns, a third of the numbers without an address. Numbers are spread over
German cities (most of them), German mobiles, London, Paris and Helsinki; most
addressed numbers have an address in their own area (OK), every tenth one an
address elsewhere (needing attention), so every verdict the bot knows appears.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from bot.core.model import Actor, Address, Campaign, new_id, utcnow
from bot.core.services import Inventory

BUILDER = Actor("UMANAGER", True)

# (prefix, digits after the prefix, city of an address in its area, country, region)
AREAS = [
    ("+4989", 7, "München", "DE", "DE-BY"),
    ("+4930", 7, "Berlin", "DE", "DE-BE"),
    ("+4940", 7, "Hamburg", "DE", "DE-HH"),
    ("+49221", 7, "Köln", "DE", "DE-NW"),
    ("+4969", 7, "Frankfurt am Main", "DE", "DE-HE"),
    ("+49711", 7, "Stuttgart", "DE", "DE-BW"),
    ("+49211", 7, "Düsseldorf", "DE", "DE-NW"),
    ("+49341", 7, "Leipzig", "DE", "DE-SN"),
    ("+49151", 8, "Berlin", "DE", "DE-BE"),  # mobiles: a German address
    ("+44203", 7, "London", "GB", ""),
    ("+331", 8, "Paris", "FR", ""),
    ("+3589", 7, "Helsinki", "FI", ""),
]


@dataclass
class Built:
    n: int
    addresses: list[Address]
    numbers: list[str]  # E.164, in the order generated
    address_of: dict[str, str | None]  # e164 -> address id
    import_seconds: float
    import_errors: int

    @property
    def import_per_second(self) -> float:
        return self.n / self.import_seconds if self.import_seconds else 0.0


def numbers_for(n: int) -> list[tuple[str, int]]:
    """N distinct E.164 numbers with the index of their area, areas interleaved."""
    out = []
    for i in range(n):
        area = i % len(AREAS)
        prefix, digits, *_ = AREAS[area]
        serial = i // len(AREAS)
        subscriber = str(2 * 10 ** (digits - 1) + 7919 * serial % (7 * 10 ** (digits - 1)))
        out.append((prefix + subscriber, area))
    return out


def build(inventory: Inventory, n: int) -> Built:
    repo = inventory.repo
    now = utcnow()
    # Addresses: N/20, spread over the areas' cities (straight into the repository).
    addresses: list[Address] = []
    for k in range(max(1, n // 20)):
        _prefix, _digits, city, country, region = AREAS[k % len(AREAS)]
        addresses.append(
            Address(
                id=new_id(),
                name=f"{city} site {k:05d}",
                customer_name="Example Contact Centre GmbH",
                street=f"Hauptstraße {k % 200 + 1}",
                postal_code=f"{10000 + k % 89999}",
                city=city,
                country=country,
                region=region,
                created_by=BUILDER.user_id,
                created_at=now,
                updated_at=now,
            )
        )
    by_area: dict[int, list[Address]] = {}
    for k, a in enumerate(addresses):
        by_area.setdefault(k % len(AREAS), []).append(a)
    with repo.transaction():
        repo.addresses.save_many(addresses)

    # Numbers: one CSV imported with inventory.csv.import_csv (the timed bulk import).
    groups = max(1, n // 100)
    generated = numbers_for(n)
    address_of: dict[str, str | None] = {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", "address", "label", "groups"])
    for i, (e164, area) in enumerate(generated):
        address = None
        if i % 3 != 0:  # a third stay unaddressed
            # every tenth addressed number gets an address of another area
            pool = by_area.get((area + 1) % len(AREAS) if i % 10 == 1 else area) or addresses
            address = pool[(i // len(AREAS)) % len(pool)]
        group = f"Group {i % groups:04d}" if i < groups * 50 else ""
        address_of[e164] = address.id if address else None
        writer.writerow([e164, address.name if address else "", f"line {i % 97}", group])
    started = time.perf_counter()
    result = inventory.csv.import_csv(BUILDER, out.getvalue())
    seconds = time.perf_counter() - started

    # Campaigns: N/500, each with 5 groups and 20 numbers of its own.
    group_ids = sorted(g.id for g in repo.groups.all())
    campaigns = []
    for c in range(max(1, n // 500)):
        chosen = [group_ids[(c * 5 + j) % len(group_ids)] for j in range(5)]
        own = [generated[(c * 20 + j * 7) % n][0] for j in range(20)]
        campaigns.append(
            Campaign(id=new_id(), name=f"Campaign {c:03d}", numbers=own, groups=chosen)
        )
    with repo.transaction():
        repo.campaigns.save_many(campaigns)
    return Built(
        n=n,
        addresses=addresses,
        numbers=[e for e, _ in generated],
        address_of=address_of,
        import_seconds=seconds,
        import_errors=len(result.errors) + len(result.skipped),
    )
