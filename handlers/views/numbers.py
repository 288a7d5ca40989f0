"""Views about numbers: lines, lists with pages, details, the link and bulk-add forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.core.compliance import (
    DELIVERY_LABELS,
    NO_CALLER_ID,
    STATUS_LABELS,
    Presentation,
    area_matches,
)
from bot.core.phone import KIND_LABELS, country_name
from bot.core.services import NumberDetail, NumberInfo, NumberPresentation
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.mrkdwn import Mrkdwn, join, md, user

PAGE_SIZE = 20
# E.164 numbers a button carries in its value ("+4989…,+4930…"): 100 × ≤16 + commas stays
# under Slack's 2,000 characters, and a multi select takes at most 100 initial options.
MAX_CARRIED = 100
STATUS_ICONS = {
    "ok": ":white_check_mark:",
    "missing": ":warning:",
    "wrong_country": ":x:",
    "outside_area": ":round_pushpin:",
    "unverifiable": ":grey_question:",
}


DELIVERY_ICONS = {
    "deliverable": ":telephone_receiver:",
    "blocked": ":no_entry:",
    "restricted": ":warning:",
}
MAX_CAMPAIGN_VERDICTS = 30  # per-campaign lines of `show`; the rest are counted


def verdict_label(status: str) -> str:
    return f"{STATUS_ICONS.get(status, '')} {STATUS_LABELS.get(status, status)}".strip()


def delivery_label(status: str) -> str:
    return f"{DELIVERY_ICONS.get(status, '')} {DELIVERY_LABELS.get(status, status)}".strip()


def delivery_text(p: Presentation) -> Mrkdwn:
    """A presentation verdict in one line, with the dated rule ahead, if any:
    ":no_entry: Blocked: calls entering … (BNetzA, since 1 Dec 2022)"."""
    icon = DELIVERY_ICONS.get(p.status, "")
    line = Mrkdwn(md("{} {}", icon, p.reason).strip())  # escaped text, stripped: still safe
    ahead = p.upcoming
    if ahead is not None and not p.deliverable:  # a deliverable one names it in its reason
        line += md("; then {}", ahead.reason[:1].lower() + ahead.reason[1:])
    return line


_STARTS = re.compile(r"(?:from|since) ([^,()]+)\)$")


def starts_text(reason: str, since: date | None = None) -> str:
    """The day a dated rule starts as its reason says it: "1 Dec 2022", or "Mar 2027" for
    a rule dated by month ("" when the reason names no date and none is given)."""
    found = _STARTS.search(reason)
    if found:
        return found.group(1)
    return f"{since.day} {since:%b %Y}" if since else ""


def campaign_verdict_lines(presentations: list[NumberPresentation]) -> list[str]:
    """ "• *Campaign* — :no_entry: Blocked: …" per campaign a number is in."""
    lines = [
        md("• *{}* — {}", np.campaign.name, delivery_text(np.presentation))
        for np in presentations[:MAX_CAMPAIGN_VERDICTS]
    ]
    extra = len(presentations) - MAX_CAMPAIGN_VERDICTS
    if extra > 0:
        lines.append(f"… and {extra} more campaigns.")
    return lines


def campaigns_note(verdicts: list, shown: int = 3) -> str:
    """Under a number of `list blocked`/`list restricted`: the campaigns and why
    ("    :no_entry: in *Sales FI*: Blocked: …"), a few, the rest counted."""
    lines = [
        md("    {} in *{}*: _{}_", DELIVERY_ICONS.get(p.status, ""), c.name, p.reason)
        for c, p in verdicts[:shown]
    ]
    if len(verdicts) > shown:
        lines.append(f"    … and in {len(verdicts) - shown} more campaigns")
    return "\n".join(lines)


def delivery_note(presentation: Presentation) -> str:
    """The indented line under a number of a campaign: its presentation verdict, and the
    day a dated rule will change it. "" for a barred kind (the pool's warning says it)."""
    if presentation.rule == NO_CALLER_ID:
        return ""
    return f"    calls: {delivery_text(presentation)}"


def area_shown(info: NumberInfo) -> str:
    """The number's area by the name its address uses ("München" for a Munich number
    linked to an address in München), so one line never names a city twice."""
    n, address = info.number, info.address
    linked_city = address.city if address and n.area and n.area_names else ""
    if linked_city and area_matches(n.area_names, linked_city, "", n.country):
        return linked_city
    return n.area


def number_line(info: NumberInfo) -> Mrkdwn:
    n = info.number
    parts = [md("*{}*", info.display), KIND_LABELS.get(n.kind, n.kind)]
    if n.area:
        parts.append(area_shown(info))
    parts.append(md("address: {}", info.address.name) if info.address else "no address")
    if n.label:
        parts.append(md("“{}”", n.label))
    parts.append(verdict_label(info.verdict.status))
    line = join(" · ", parts)
    if not info.verdict.ok:
        line += md("\n    _{}_", info.verdict.reason)
    return line


def carried(e164s) -> str | None:
    """Numbers as one button value ("+49891234567,+49301234567"), or None if too many."""
    e164s = list(dict.fromkeys(e164s))
    value = ",".join(e164s)
    if not e164s or len(e164s) > MAX_CARRIED or len(value) > L.MAX_BUTTON_VALUE:
        return None
    return value


def edit_address_button(address, n: int = 0) -> dict:
    """ "Edit <address>": the n-th of a block is open_address_edit_<n> (ids are unique
    within a block)."""
    action_id = f"{ids.OPEN_ADDRESS_EDIT}_{n}" if n else ids.OPEN_ADDRESS_EDIT
    return B.button(f"Edit {address.name}", action_id, address.id)


def fix_buttons(info: NumberInfo) -> list[dict]:
    """The buttons that fix a number's problem, each opening its form pre-filled; none
    for a number that is OK."""
    status = info.verdict.status
    if status == "ok":
        return []
    if status == "missing" or info.address is None:
        return [B.button("Link to an address", ids.OPEN_LINK, info.e164)]
    buttons = [B.button("Link to another address", ids.OPEN_LINK, info.e164)]
    if status == "unverifiable":
        return [confirm_area_button(info), *buttons]
    return [*buttons, edit_address_button(info.address)]


def fix_block(info: NumberInfo) -> dict | None:
    """An actions block with the fixes of one number (None when it needs none)."""
    buttons = fix_buttons(info)
    return B.actions(*buttons) if buttons else None


def fixes_for(infos: list[NumberInfo], max_addresses: int = 5) -> dict | None:
    """One actions block for several problem numbers (App Home, alerts): link them all
    (the form pre-filled with them) and edit each address they are linked to wrongly."""
    problems = [i for i in infos if not i.verdict.ok]
    if not problems:
        return None
    value = carried(i.e164 for i in problems)
    buttons = []
    if value:
        what = "it" if len(problems) == 1 else f"these {len(problems)}"
        buttons.append(B.button(f"Link {what} to an address", ids.OPEN_LINK, value))
    addresses = {}
    for i in problems:
        if i.address and i.verdict.status in ("wrong_country", "outside_area"):
            addresses.setdefault(i.address.id, i.address)
    shown = list(addresses.values())[:max_addresses]
    buttons += [edit_address_button(a, n) for n, a in enumerate(shown)]
    return B.actions(*buttons) if buttons else None


def alert_actions(data: dict) -> dict:
    """A channel post's "Link numbers" (the link form holding the post's numbers: in the
    button's value, or by the outbox entry's id when too many) and, for an address edit,
    "Edit <address>"."""
    numbers = data.get("numbers")
    if numbers is None:  # a digest: the numbers it names
        numbers = [d["number"]["e164"] for d in data.get("shown", [])]
    value = carried(numbers) or (f"ref:{data['ref']}" if data.get("ref") else None)
    buttons = [B.button("Link numbers", ids.OPEN_LINK, value, style="primary")]
    if data.get("address_id"):
        buttons.append(
            B.button(
                f"Edit {data.get('address', 'the address')}",
                ids.OPEN_ADDRESS_EDIT,
                data["address_id"],
            )
        )
    return B.actions(*buttons, block_id="notify_actions")


def verdict_lines(infos: list[NumberInfo], now: str = "") -> list[str]:
    """The numbers counted by verdict, OK first: OK ones named (a few), the others each on
    its line with why ("• 7 are now OK: …", "• 1 is now Outside area:", "    • line")."""
    lines = []
    for status, label in STATUS_LABELS.items():
        group = [i for i in infos if i.verdict.status == status]
        if not group:
            continue
        head = f"• {len(group)} {'is' if len(group) == 1 else 'are'} {now}{label}"
        if status == "ok":
            names = ", ".join(i.display for i in group[:10])
            more = f" and {len(group) - 10} more" if len(group) > 10 else ""
            lines.append(f"{head}: {names}{more}")
            continue
        lines.append(f"{head}:")
        lines += [f"    ◦ {number_line(i)}" for i in group[:10]]
        if len(group) > 10:
            lines.append(f"    … and {len(group) - 10} more (`/numbers list attention`)")
    return lines


def option_for(info: NumberInfo) -> dict:
    """A select option for a number: value is the E.164, text says where and whose."""
    where = info.number.area or info.number.country
    owner = info.address.name if info.address else "no address"
    mark = "" if info.verdict.ok else " ⚠"
    return B.option(f"{info.display} · {where} · {owner}{mark}", info.e164)


def number_list(
    infos: list[NumberInfo],
    title: str,
    page: int,
    pager_value: str | None,
    page_size=PAGE_SIZE,
    fixes: bool = False,
    note: Callable[[NumberInfo], str] | None = None,
) -> tuple[list[dict], str]:
    """One page of numbers (at most page_size lines, and with ``fixes`` an actions block
    under each problem line: 2 × 20 + 3 blocks, always under 50); ``note`` adds lines
    under a number (its presentation verdicts in `list blocked`)."""
    pages = max(1, -(-len(infos) // page_size))
    page = min(max(page, 1), pages)
    shown = infos[(page - 1) * page_size : page * page_size]
    blocks = [B.header(title)]
    if not infos:
        blocks.append(B.section("No numbers match."))
        return blocks, title
    blocks.append(B.context(f"{B.plural(len(infos), 'number')} · page {page} of {pages}"))
    for i in shown:
        extra = note(i) if note else ""
        blocks.append(B.section(number_line(i) + (f"\n{extra}" if extra else "")))
        fix = fix_block(i) if fixes else None
        if fix:
            blocks.append(fix)
    if pages > 1 and pager_value is not None:
        buttons = []
        if page > 1:
            buttons.append(B.button("◀ Previous", ids.LIST_PAGE_PREV, f"{page - 1}|{pager_value}"))
        if page < pages:
            buttons.append(B.button("Next ▶", ids.LIST_PAGE_NEXT, f"{page + 1}|{pager_value}"))
        blocks.append(B.actions(*buttons, block_id="pager"))
    return blocks, f"{title}: {len(infos)}"


def number_detail(
    detail: NumberDetail,
    can_link: bool,
    presentations: list[NumberPresentation] = (),
) -> list[dict]:
    info = detail.info
    n = info.number
    v = info.verdict
    blocks = [
        B.header(info.display),
        B.fields(
            [
                md("*Kind*\n{}", KIND_LABELS.get(n.kind, n.kind)),
                md("*Country*\n{}", country_name(n.country)),
                md("*Area*\n{}", area_shown(info) or "—"),
                md("*Address*\n{}", info.address.name if info.address else "—"),
                md("*Verdict*\n{}", verdict_label(v.status)),
                md("*Label*\n{}", n.label or "—"),
                md("*Groups*\n{}", join(", ", (g.name for g in detail.groups)) or "—"),
                md("*Campaigns*\n{}", join(", ", (c.name for c in detail.campaigns)) or "—"),
            ]
        ),
        B.section(md("*Why:* {}", v.reason)),
    ]
    if n.area_confirmed_by and v.ok:
        blocks.append(B.context(f"Area confirmed by hand by {user(n.area_confirmed_by)}"))
    if presentations:
        lines = ["*Will calls showing it get through?* (per campaign)"]
        blocks += B.sections(lines + campaign_verdict_lines(list(presentations)), limit=3)
    buttons = fix_buttons(info) if can_link else []
    if buttons:
        blocks.append(B.actions(*buttons, block_id="number_actions"))
    return blocks


def confirm_area_button(info: NumberInfo) -> dict:
    """ "Confirm area by hand" for an unverifiable number, with a dialog naming both sides."""
    dialog = B.confirm(
        "Confirm the area by hand?",
        f"You confirm that {info.address.name} lies within the area of {info.display}. "
        "This is recorded in the audit log under your name.",
        ok="Confirm",
    )
    return B.button("Confirm area by hand", ids.CONFIRM_AREA, info.e164, confirm_with=dialog)


def link_modal(initial: list[NumberInfo] = (), metadata: dict | None = None) -> dict:
    """The link form, pre-filled with ``initial``. More than a multi select can hold are
    named in a note and kept by reference (``metadata["ref"]``); the select then adds more.
    """
    blocks = []
    many = len(initial) > MAX_CARRIED
    if many:
        shown = ", ".join(f"*{i.display}*" for i in initial[:5])
        blocks.append(
            B.section(
                f"The alert's *{len(initial)}* numbers are linked: {shown} "
                f"and {len(initial) - 5} more."
            )
        )
    blocks += [
        B.input_block(
            "numbers",
            "More numbers" if many else "Numbers",
            B.external_select(
                ids.NUMBERS_SEARCH,
                multi=True,
                initial=None if many else [option_for(i) for i in initial] or None,
                placeholder="Type digits, an area or an address",
            ),
            optional=many,
            hint="Search by digits (+4989…), area or address name. Pick as many as you need.",
        ),
        B.input_block(
            "address",
            "Address",
            B.external_select(ids.ADDRESS_SEARCH, placeholder="Type an address name"),
        ),
    ]
    return B.modal(ids.LINK_FORM, "Link numbers", blocks, submit="Link", metadata=metadata)


def bulk_add_modal(metadata: dict | None = None) -> dict:
    return B.modal(
        ids.BULK_ADD_FORM,
        "Add numbers",
        [
            B.input_block(
                "numbers",
                "Numbers",
                B.text_input(
                    "numbers",
                    multiline=True,
                    placeholder="+49 89 1234567\n+358 9 1234567, +1 415 555 2671",
                    max_length=L.MAX_INPUT_LENGTH,
                ),
                hint="One per line or separated by commas, in any common format. "
                "Numbers without + are read as numbers of the default country.",
            ),
            B.input_block(
                "label", "Label", B.text_input("label", max_length=L.MAX_NAME), optional=True
            ),
            B.input_block(
                "address",
                "Address",
                B.external_select(ids.ADDRESS_SEARCH, placeholder="Link them to an address"),
                optional=True,
            ),
        ],
        submit="Add",
        metadata=metadata,
    )


def result_modal(title: str, blocks: list[dict]) -> dict:
    """What a form turns into after a successful submit: the confirmation, and Done."""
    return B.modal(ids.RESULT, title, blocks, submit=None, close="Done")
