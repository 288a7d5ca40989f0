"""Views about numbers: lines, lists with pages, details, the link and bulk-add forms."""

from __future__ import annotations

from bot.compliance import STATUS_LABELS, area_matches
from bot.phone import KIND_LABELS, country_name
from bot.services import NumberDetail, NumberInfo
from handlers import blocks as B
from handlers.mrkdwn import escape, user

PAGE_SIZE = 20
STATUS_ICONS = {
    "ok": ":white_check_mark:",
    "missing": ":warning:",
    "wrong_country": ":x:",
    "outside_area": ":round_pushpin:",
    "unverifiable": ":grey_question:",
}


def verdict_label(status: str) -> str:
    return f"{STATUS_ICONS.get(status, '')} {STATUS_LABELS.get(status, status)}".strip()


def area_shown(info: NumberInfo) -> str:
    """The number's area by the name its address uses ("München" for a Munich number
    linked to an address in München), so one line never names a city twice."""
    n, address = info.number, info.address
    linked_city = address.city if address and n.area and n.area_names else ""
    if linked_city and area_matches(n.area_names, linked_city, "", n.country):
        return linked_city
    return n.area


def number_line(info: NumberInfo) -> str:
    n = info.number
    parts = [f"*{info.display}*", KIND_LABELS.get(n.kind, n.kind)]
    if n.area:
        parts.append(escape(area_shown(info)))
    parts.append(f"address: {escape(info.address.name)}" if info.address else "no address")
    if n.label:
        parts.append(f"“{escape(n.label)}”")
    line = " · ".join(parts) + f" · {verdict_label(info.verdict.status)}"
    if not info.verdict.ok:
        line += f"\n    _{escape(info.verdict.reason)}_"
    return line


def option_for(info: NumberInfo) -> dict:
    """A select option for a number: value is the E.164, text says where and whose."""
    where = info.number.area or info.number.country
    owner = info.address.name if info.address else "no address"
    mark = "" if info.verdict.ok else " ⚠"
    return B.option(f"{info.display} · {where} · {owner}{mark}", info.e164)


def number_list(
    infos: list[NumberInfo], title: str, page: int, pager_value: str | None, page_size=PAGE_SIZE
) -> tuple[list[dict], str]:
    """One page of numbers (at most page_size lines, so always under 50 blocks)."""
    pages = max(1, -(-len(infos) // page_size))
    page = min(max(page, 1), pages)
    shown = infos[(page - 1) * page_size : page * page_size]
    blocks = [B.header(title)]
    if not infos:
        blocks.append(B.section("No numbers match."))
        return blocks, title
    blocks.append(B.context(f"{B.plural(len(infos), 'number')} · page {page} of {pages}"))
    blocks += [B.section(number_line(i)) for i in shown]
    if pages > 1 and pager_value is not None:
        buttons = []
        if page > 1:
            buttons.append(B.button("◀ Previous", "list_page_prev", f"{page - 1}|{pager_value}"))
        if page < pages:
            buttons.append(B.button("Next ▶", "list_page_next", f"{page + 1}|{pager_value}"))
        blocks.append(B.actions(*buttons, block_id="pager"))
    return blocks, f"{title}: {len(infos)}"


def number_detail(detail: NumberDetail, can_link: bool) -> list[dict]:
    info = detail.info
    n = info.number
    v = info.verdict
    blocks = [
        B.header(info.display),
        B.fields(
            [
                f"*Kind*\n{KIND_LABELS.get(n.kind, n.kind)}",
                f"*Country*\n{country_name(n.country)}",
                f"*Area*\n{escape(area_shown(info)) or '—'}",
                f"*Address*\n{escape(info.address.name) if info.address else '—'}",
                f"*Verdict*\n{verdict_label(v.status)}",
                f"*Label*\n{escape(n.label) or '—'}",
                f"*Groups*\n{escape(', '.join(g.name for g in detail.groups)) or '—'}",
                f"*Campaigns*\n{escape(', '.join(c.name for c in detail.campaigns)) or '—'}",
            ]
        ),
        B.section(f"*Why:* {escape(v.reason)}"),
    ]
    if n.area_confirmed_by and v.ok:
        blocks.append(B.context(f"Area confirmed by hand by {user(n.area_confirmed_by)}"))
    if can_link:
        buttons = [B.button("Link to an address", "open_link", n.e164)]
        if v.status == "unverifiable" and info.address:
            buttons.append(confirm_area_button(info))
        blocks.append(B.actions(*buttons, block_id="number_actions"))
    return blocks


def confirm_area_button(info: NumberInfo) -> dict:
    """"Confirm area by hand" for an unverifiable number, with a dialog naming both sides."""
    dialog = B.confirm(
        "Confirm the area by hand?",
        f"You confirm that {info.address.name} lies within the area of {info.display}. "
        "This is recorded in the audit log under your name.",
        ok="Confirm",
    )
    return B.button("Confirm area by hand", "confirm_area", info.e164, confirm_with=dialog)


def link_modal(initial: list[NumberInfo] = (), metadata: dict | None = None) -> dict:
    return B.modal(
        "link_form",
        "Link numbers",
        [
            B.input_block(
                "numbers",
                "Numbers",
                B.external_select(
                    "numbers_search",
                    multi=True,
                    initial=[option_for(i) for i in initial][:100] or None,
                    placeholder="Type digits, an area or an address",
                ),
                hint="Search by digits (+4989…), area or address name. Pick as many as you need.",
            ),
            B.input_block(
                "address",
                "Address",
                B.external_select("address_search", placeholder="Type an address name"),
            ),
        ],
        submit="Link",
        metadata=metadata,
    )


def bulk_add_modal(metadata: dict | None = None) -> dict:
    return B.modal(
        "bulk_add_form",
        "Add numbers",
        [
            B.input_block(
                "numbers",
                "Numbers",
                B.text_input(
                    "numbers",
                    multiline=True,
                    placeholder="+49 89 1234567\n+358 9 1234567, +1 415 555 2671",
                    max_length=3000,
                ),
                hint="One per line or separated by commas, in any common format. "
                "Numbers without + are read as numbers of the default country.",
            ),
            B.input_block("label", "Label", B.text_input("label", max_length=75), optional=True),
            B.input_block(
                "address",
                "Address",
                B.external_select("address_search", placeholder="Link them to an address"),
                optional=True,
            ),
        ],
        submit="Add",
        metadata=metadata,
    )


def result_modal(title: str, blocks: list[dict]) -> dict:
    """What a form turns into after a successful submit: the confirmation, and Done."""
    return B.modal("result", title, blocks, submit=None, close="Done")
