"""What adding numbers shares: the numbers service and the CSV import."""

from __future__ import annotations

from bot.core.model import Actor, Address, Number
from bot.core.ports import Repository


def new_number(
    parsed, address: Address | None, label: str, source: str, actor: Actor, now: str
) -> Number:
    """A number entering the inventory, from what the parser found."""
    return Number(
        e164=parsed.e164,
        country=parsed.country,
        kind=parsed.kind,
        area=parsed.area,
        area_names=tuple(parsed.area_names),
        address_id=address.id if address else None,
        label=label,
        source=source,
        added_by=actor.user_id,
        added_at=now,
    )


def added_meanwhile(repo: Repository, new: dict[str, Number]) -> list[str]:
    """Inside the transaction: drop from ``new`` the numbers another process added since
    the views were read (saving them again would overwrite that one's link)."""
    raced = [e164 for e164 in new if repo.numbers.get(e164) is not None]
    for e164 in raced:
        del new[e164]
    return raced
