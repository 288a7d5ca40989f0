"""Numbers: list, show, add, remove, link, unlink; the link and bulk-add forms; search."""

from __future__ import annotations

import json
import re

from bot.errors import DomainError
from bot.phone import country_name, format_number
from bot.services import NumberInfo, fold, resolve_country
from handlers import blocks as B
from handlers.interactions import on_action, on_options, on_submit
from handlers.mrkdwn import escape
from handlers.router import Call, OpenModal, Reply, UsageError, subcommand
from handlers.views import numbers as V

FILTERS = ("all", "attention", "unaddressed", "ok")
LIST_TITLES = {
    "all": "Numbers",
    "attention": "Numbers needing attention",
    "unaddressed": "Numbers without an address",
    "ok": "Compliant numbers",
}


def _list_reply(session, status: str, country: str | None, group: str | None, page: int) -> Reply:
    infos = session.inventory.numbers(status, country=country, group=group)
    pages = max(1, -(-len(infos) // V.PAGE_SIZE))
    if page > pages:
        raise DomainError(
            f"There {'is' if pages == 1 else 'are'} only {B.plural(pages, 'page')} "
            f"({B.plural(len(infos), 'number')})."
        )
    title = LIST_TITLES[status]
    if country:
        title += f" in {country_name(resolve_country(country))}"
    if group:
        title += f" of group {group}"
    pager = json.dumps({"s": status, "c": country, "g": group}, separators=(",", ":"))
    blocks, text = V.number_list(infos, title, page, pager)
    return Reply(escape(text), blocks)  # the title holds a typed group name


@subcommand(
    "list",
    "list [all|attention|unaddressed|ok] [country=XX] [group=NAME] [page=N]",
    "list attention country=DE",
    "list numbers with their verdicts, a page at a time",
)
def list_numbers(call: Call) -> Reply:
    positional, named = call.options()
    status = positional[0].casefold() if positional else "all"
    if status not in FILTERS or len(positional) > 1:
        raise UsageError("list", f"I don't know the filter “{' '.join(positional)[:40]}”.")
    unknown = set(named) - {"country", "group", "page"}
    if unknown:
        raise UsageError("list", f"I don't know the option {sorted(unknown)[0]}=.")
    page_text = named.get("page", "1")
    if not page_text.isdigit() or int(page_text) < 1:
        raise UsageError("list", "page= takes a page number like 2.")
    return _list_reply(
        call.session, status, named.get("country"), named.get("group"), int(page_text)
    )


def _page(session, action, respond) -> None:
    page, _, raw = action["value"].partition("|")
    args = json.loads(raw)
    reply = _list_reply(session, args["s"], args.get("c"), args.get("g"), int(page))
    respond(replace_original=True, **reply.payload())


@subcommand(
    "show", "show NUMBER", "show +49 89 1234567", "kind, area, address, verdict, groups, campaigns"
)
def show_number(call: Call) -> Reply:
    if not call.words:
        raise UsageError("show", "Which number?")
    detail = call.inventory.detail(" ".join(call.words))
    return Reply(detail.info.display, V.number_detail(detail, can_link=True))


def group_numbers(words: list[str], inventory) -> list[str]:
    """Words of a command cut into the numbers typed (``bot.phone.split_numbers``)."""
    return [typed.text for typed in inventory.split(words)]


MAX_RESULT_LINES = 40  # per kind of outcome; the rest is counted


def _report_added(result, lines_of: dict[int, int] | None = None) -> list[str]:
    """A headline, then one line per number typed: not added (with why), already in the
    inventory, added (with its verdict). ``lines_of``: entry index -> line of the pasted
    text, for the bulk form."""

    def where(index: int, text: str) -> str:
        line = f"line {lines_of.get(index, index)}: " if lines_of is not None else ""
        return f"{line}{escape(text)}"

    head = f"Added {B.plural(len(result.added), 'number')}."
    if result.invalid:
        head += f" {len(result.invalid)} not added."
    if result.already:
        head += f" {len(result.already)} already in the inventory."
    lines = [head]
    attention = result.needing_attention
    if attention:
        need = "needs" if len(attention) == 1 else "need"
        lines.append(f":warning: {len(attention)} of them {need} attention.")
    for index, text, why in result.invalid[:MAX_RESULT_LINES]:
        lines.append(f"• :x: {where(index, text)} — not added: {escape(why)}")
    lines += _more(len(result.invalid), "not added")
    for e164 in result.already[:MAX_RESULT_LINES]:
        index, text = result.typed.get(e164, (0, e164))
        line = f"line {lines_of.get(index, index)}: " if lines_of is not None else ""
        typed = "" if text.lstrip("( ").startswith("+") else f" (typed {escape(text)})"
        lines.append(
            f"• {line}*{format_number(e164)}*{typed} is already in the inventory: left as it was."
        )
    lines += _more(len(result.already), "already in the inventory")
    for info in result.added[:MAX_RESULT_LINES]:
        lines.append(f"• :white_check_mark: Added {V.number_line(info)}")
    lines += _more(len(result.added), "added")
    return lines


def _more(count: int, what: str) -> list[str]:
    extra = count - MAX_RESULT_LINES
    return [f"… and {extra} more {what}."] if extra > 0 else []


@subcommand(
    "add",
    "add NUMBER... (no number: a form to paste many)",
    "add +49 89 1234567 +49 30 1234567",
    "add numbers the company already holds (managers)",
)
def add_numbers(call: Call) -> Reply | OpenModal:
    call.session.require_manager("add numbers")
    if not call.words:
        return OpenModal(V.bulk_add_modal({"channel": call.channel_id}))
    typed = call.inventory.split(call.words)
    result = call.inventory.add_numbers(call.actor, typed, source="slack")
    lines = _report_added(result)
    return Reply(lines[0], B.sections(lines))


@subcommand("remove", "remove NUMBER", "remove +49 89 1234567", "take a number out (managers)")
def remove_number(call: Call) -> Reply:
    call.session.require_manager("remove numbers")
    if not call.words:
        raise UsageError("remove", "Which number?")
    detail = call.inventory.detail(" ".join(call.words))
    used = len(detail.groups) + len(detail.campaigns)
    text = f"Remove *{detail.info.display}* from the inventory?" + (
        f" It also leaves {B.plural(len(detail.groups), 'group')} and "
        f"{B.plural(len(detail.campaigns), 'campaign')}."
        if used
        else ""
    )
    confirm = B.confirm("Remove this number?", f"{detail.info.display} leaves the inventory.")
    return Reply(
        text,
        [
            B.section(text),
            B.actions(
                B.button("Remove", "remove_number", detail.info.e164, "danger", confirm),
                block_id="remove",
            ),
        ],
    )


def _split_link(words: list[str]) -> tuple[list[str], str]:
    lowered = [w.casefold() for w in words]
    if "to" not in lowered:
        raise UsageError("link", "Say which address with “to NAME”.")
    at = len(lowered) - 1 - lowered[::-1].index("to")
    numbers, name = words[:at], " ".join(words[at + 1 :])
    if not numbers or not name:
        raise UsageError("link", "Name the numbers and the address.")
    return numbers, name


def _link_lines(result, verb: str, had_none: list[str] = ()) -> list[str]:
    """What link/unlink did; ``had_none``: numbers an unlink found without an address."""
    target = f" to *{escape(result.address.name)}*" if result.address else ""
    changed = len(result.changed) - len(had_none)
    if had_none and not changed:
        lines = [
            f"{', '.join(had_none[:10])}{' … ' if len(had_none) > 10 else ' '}"
            f"{'has' if len(had_none) == 1 else 'have'} no address: nothing to unlink."
        ]
    elif had_none:
        lines = [
            f"{verb} {B.plural(changed, 'number')}{target}. "
            f"{', '.join(had_none[:10])}{' …' if len(had_none) > 10 else ''} had no address."
        ]
    else:
        lines = [f"{verb} {B.plural(len(result.changed), 'number')}{target}."]
    attention = result.needing_attention
    if attention:
        need = "needs" if len(attention) == 1 else "need"
        lines.append(f":warning: {len(attention)} still {need} attention:")
        lines += [f"• {V.number_line(i)}" for i in attention[:20]]
        if len(attention) > 20:
            lines.append(f"… and {len(attention) - 20} more.")
    return lines


@subcommand(
    "link",
    "link NUMBER... to NAME (no argument: a form)",
    'link +49 89 1234567 to "HQ Munich"',
    "link numbers to an address (managers)",
)
def link(call: Call) -> Reply | OpenModal:
    call.session.require_manager("link numbers")
    if not call.words:
        return OpenModal(V.link_modal())
    numbers, name = _split_link(call.words)
    numbers = group_numbers(numbers, call.inventory)
    lines = _link_lines(call.inventory.link(call.actor, numbers, name), "Linked")
    return Reply(lines[0], B.sections(lines))


@subcommand("unlink", "unlink NUMBER...", "unlink +49 89 1234567", "remove numbers' address")
def unlink(call: Call) -> Reply:
    call.session.require_manager("unlink numbers")
    if not call.words:
        raise UsageError("unlink", "Which numbers?")
    numbers = group_numbers(call.words, call.inventory)
    had_none = _without_address(call.inventory, numbers)
    lines = _link_lines(call.inventory.unlink(call.actor, numbers), "Unlinked", had_none)
    return Reply(lines[0], B.sections(lines))


def _without_address(inventory, texts: list[str]) -> list[str]:
    """The numbers (as shown) among ``texts`` that have no address now."""
    found: list[str] = []
    for text in texts:
        try:
            info = inventory.info(text)
        except DomainError:
            continue  # the unlink itself names it with its reason
        if info.address is None and info.display not in found:
            found.append(info.display)
    return found


def split_pasted(text: str) -> list[tuple[int, str]]:
    """Pasted numbers: one per line or separated by commas or semicolons, with line numbers."""
    found = []
    for line_no, line in enumerate((text or "").splitlines(), start=1):
        found += [(line_no, p.strip()) for p in re.split(r"[,;]", line) if p.strip()]
    return found


def register(app) -> None:
    on_action(app, "list_page_prev")(lambda s, a, b, c, respond: _page(s, a, respond))
    on_action(app, "list_page_next")(lambda s, a, b, c, respond: _page(s, a, respond))

    @on_action(app, "remove_number")
    def _remove(session, action, body, client, respond):
        number = session.inventory.remove_number(session.actor, action["value"])
        from bot.phone import format_number

        respond(replace_original=True, text=f"Removed {format_number(number.e164)}.")

    @on_action(app, "open_link")
    def _open_link(session, action, body, client, respond):
        session.require_manager("link numbers")
        initial: list[NumberInfo] = []
        if action.get("value"):
            initial = [session.inventory.info(action["value"])]
        client.views_open(trigger_id=body["trigger_id"], view=V.link_modal(initial))

    @on_action(app, "open_bulk_add")
    def _open_bulk(session, action, body, client, respond):
        session.require_manager("add numbers")
        client.views_open(trigger_id=body["trigger_id"], view=V.bulk_add_modal())

    @on_submit(app, "link_form")
    def _link(session, view, values, body, client):
        inventory = session.inventory
        if not values.get("address"):
            raise DomainError("Choose an address.", field="address")
        address = inventory.address_by_id(values["address"])
        result = inventory.link(session.actor, values.get("numbers") or [], address.name)
        return V.result_modal("Numbers linked", B.sections(_link_lines(result, "Linked")))

    @on_submit(app, "bulk_add_form")
    def _bulk_add(session, view, values, body, client):
        inventory = session.inventory
        pasted = split_pasted(values.get("numbers", ""))
        if not pasted:
            raise DomainError("Paste at least one number.", field="numbers")
        address = inventory.address_by_id(values["address"]) if values.get("address") else None
        # Each line's numbers as typed; the index of an entry maps back to its line.
        entries = [(line, typed) for line, text in pasted for typed in inventory.split(text)]
        lines_of = {index: line for index, (line, _) in enumerate(entries, start=1)}
        # Parse first: when no line at all is valid, the form stays open with the reasons.
        bad = []
        for line, typed in entries:
            try:
                if typed.problem:
                    raise DomainError(typed.problem)
                inventory.parse(typed.text, typed.countries)
            except DomainError as exc:
                bad.append(f"line {line}: {typed.text[:40]} — {exc.message}")
        if len(bad) == len(entries):
            raise DomainError("; ".join(bad[:5]) + (" …" if len(bad) > 5 else ""), "numbers")
        result = inventory.add_numbers(
            session.actor,
            [typed for _, typed in entries],
            label=values.get("label", ""),
            source="slack",
            address_name=address.name if address else None,
        )
        return V.result_modal("Numbers added", B.sections(_report_added(result, lines_of)))

    @on_options(app, "numbers_search")
    def _numbers(session, text, body):
        return [V.option_for(i) for i in session.inventory.search_numbers(text, 100)]

    @on_options(app, "address_search")
    def _addresses(session, text, body):
        wanted = fold(text)  # "zur" finds "Zürich office"
        found = [a for a in session.inventory.addresses() if wanted in fold(a.name)]
        return [B.option(a.name, a.id, f"{a.city}, {country_name(a.country)}") for a in found[:100]]
