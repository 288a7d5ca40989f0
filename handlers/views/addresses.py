"""Views about addresses: the address form, lists and details."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from bot.core.model import Address
from bot.core.phone import country_name, region_name
from bot.core.services import NumberInfo
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.mrkdwn import md
from handlers.views.numbers import number_line

OBLIGATIONS = "This is the real business address of the numbers' user"


@lru_cache(maxsize=1)
def country_option_groups() -> tuple[dict, ...]:
    """Every ISO country, grouped by first letter (each group far below 100 options)."""
    groups: dict[str, list[dict]] = {}
    for c in sorted(pycountry.countries, key=lambda c: c.name):
        groups.setdefault(c.name[0], []).append(B.option(f"{c.name} ({c.alpha_2})", c.alpha_2))
    return tuple(
        {"label": B.plain(letter, L.MAX_OPTION_GROUP_LABEL), "options": opts}
        for letter, opts in groups.items()
    )


def country_option(code: str) -> dict | None:
    for group in country_option_groups():
        for opt in group["options"]:
            if opt["value"] == code:
                return opt
    return None


def address_modal(address: Address | None = None) -> dict:
    a = address
    metadata = {"address_id": a.id} if a else None
    obligations = B.option(OBLIGATIONS, "confirmed")
    return B.modal(
        ids.ADDRESS_FORM,
        "Edit address" if a else "New address",
        [
            B.input_block(
                "name",
                "Name",
                B.text_input(
                    "name", a.name if a else None, placeholder="HQ Munich", max_length=L.MAX_NAME
                ),
                hint="How the address is referred to everywhere else.",
            ),
            B.input_block(
                "customer_name",
                "Customer name",
                B.text_input("customer_name", a.customer_name if a else None, max_length=200),
                hint="The company or customer that uses the numbers.",
            ),
            B.input_block(
                "street", "Street", B.text_input("street", a.street if a else None, max_length=200)
            ),
            B.input_block(
                "postal_code",
                "Postal code",
                B.text_input("postal_code", a.postal_code if a else None, max_length=20),
            ),
            B.input_block(
                "city", "City", B.text_input("city", a.city if a else None, max_length=200)
            ),
            B.input_block(
                "region",
                "Region",
                B.text_input("region", a.region if a else None, max_length=200),
                optional=True,
                hint="State or province, as an ISO code or its local name (BY, DE-BY, Bayern).",
            ),
            B.input_block(
                "country",
                "Country",
                B.static_select(
                    "country",
                    option_groups=list(country_option_groups()),
                    initial=country_option(a.country) if a else None,
                    placeholder="Type a country",
                ),
            ),
            B.input_block(
                "confirmed",
                "Obligations",
                B.checkboxes("confirmed", [obligations], [obligations] if a else None),
            ),
        ],
        metadata=metadata,
    )


def address_detail(address: Address, numbers: list[NumberInfo]) -> list[dict]:
    a = address
    blocks = [
        B.header(a.name),
        B.fields(
            [
                md("*Customer*\n{}", a.customer_name),
                md("*Street*\n{}", a.street),
                md("*Postal code / City*\n{} {}", a.postal_code, a.city),
                md("*Region*\n{}", region_name(a.region) or "—"),
                md("*Country*\n{}", country_name(a.country)),
                md("*Numbers linked*\n{}", len(numbers)),
            ]
        ),
    ]
    blocks += [B.section(number_line(i)) for i in numbers[:30]]
    if len(numbers) > 30:
        blocks.append(B.context(md("… and {} more numbers.", len(numbers) - 30)))
    return blocks


def address_line(a: Address) -> str:
    """Where an address is, as a person writes it: region and country by name."""
    place = f"{a.postal_code} {a.city}".strip()
    parts = [a.street, place, region_name(a.region), country_name(a.country)]
    return ", ".join(p for p in parts if p)


def address_lines(addresses: list[Address], counts: dict[str, int]) -> list[str]:
    return [
        md("• *{}* — {} · {}", a.name, address_line(a), B.plural(counts.get(a.id, 0), "number"))
        for a in addresses
    ]


def in_use_blocks(address: Address, linked: list[NumberInfo], can_move: bool) -> list[dict]:
    """Why an address in use cannot be deleted (its numbers), and the way on: move them."""
    are = "1 number is" if len(linked) == 1 else f"{len(linked)} numbers are"
    lines = [md(":no_entry: *{}* cannot be deleted: {} linked to it:", address.name, are)]
    lines += [md("• {}", number_line(i)) for i in linked[:20]]
    if len(linked) > 20:
        lines.append(f"… and {len(linked) - 20} more.")
    blocks = B.sections(lines, limit=10)
    if can_move:
        them = "it" if len(linked) == 1 else "them"
        blocks.append(
            B.section(md("Move {} to another address; then {} can go.", them, address.name))
        )
        blocks.append(
            B.actions(
                B.button(
                    f"Move {them} to another address…", ids.OPEN_ADDRESS_MOVE, address.id, "primary"
                ),
                block_id="address_in_use",
            )
        )
    return blocks


def move_modal(address: Address, count: int) -> dict:
    """Move every number of ``address`` to another one, and delete it or keep it."""
    name = address.name
    delete = B.option(f"Delete {name}", "delete")
    keep = B.option(f"Keep {name}", "keep")
    numbers = "its number" if count == 1 else f"its {count} numbers"
    return B.modal(
        ids.ADDRESS_MOVE_FORM,
        "Move numbers",
        [
            B.section(md("*{}*: {} move to the address you choose.", name, numbers)),
            B.input_block(
                "target",
                "Move to",
                B.external_select(ids.ADDRESS_SEARCH, placeholder="Type an address name"),
            ),
            B.input_block(
                "then",
                "Then",
                {
                    "type": "radio_buttons",
                    "action_id": "then",
                    "options": [delete, keep],
                    "initial_option": delete,
                },
            ),
        ],
        submit="Move",
        metadata={"address_id": address.id},
    )
