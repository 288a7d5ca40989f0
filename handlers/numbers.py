"""Numbers: list, show, add, remove, link, unlink; the link and bulk-add forms; search."""

from __future__ import annotations

import json
import re

from bot import notify
from bot.core.errors import DomainError
from bot.core.phone import country_name, format_number
from bot.core.services import NumberInfo, resolve_country
from bot.core.text import fold
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.interactions import on_action, on_options, on_submit
from handlers.mrkdwn import Mrkdwn, md
from handlers.router import Call, OpenModal, Reply, UsageError, subcommand
from handlers.views import numbers as V

FILTERS = ("all", "attention", "unaddressed", "ok", "blocked", "restricted")
LIST_TITLES = {
    "all": "Numbers",
    "attention": "Numbers needing attention",
    "unaddressed": "Numbers without an address",
    "ok": "Compliant numbers",
    "blocked": "Numbers blocked in a campaign",
    "restricted": "Numbers restricted in a campaign",
}


def _list_reply(session, status: str, country: str | None, group: str | None, page: int) -> Reply:
    """A page of numbers; a manager sees under each problem line the buttons that fix it."""
    infos = session.inventory.number_list(status, country=country, group=group)
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
    note = None
    if status in ("blocked", "restricted"):  # in which campaigns, and why
        found = getattr(session.inventory.delivery_summary(), status)
        note = lambda i: V.campaigns_note(found.get(i.e164, []))  # noqa: E731
    blocks, text = V.number_list(
        infos, title, page, pager, fixes=session.actor.is_manager, note=note
    )
    return Reply(md("{}", text), blocks)  # the title holds a typed group name


@subcommand(
    "list",
    "list [all|attention|unaddressed|ok|blocked|restricted] [country=XX] [group=NAME] [page=N]",
    "list blocked country=DE",
    "list numbers with their verdicts, a page at a time (blocked, restricted: in a campaign)",
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
    inventory = call.inventory
    detail = inventory.detail(" ".join(call.words))
    presentations = inventory.number_presentations(detail.info.e164)
    blocks = V.number_detail(detail, can_link=call.actor.is_manager, presentations=presentations)
    return Reply(detail.info.display, blocks)


def group_numbers(words: list[str], inventory) -> list[str]:
    """Words of a command cut into the numbers typed (``bot.core.phone.split_numbers``)."""
    return [typed.text for typed in inventory.split(words)]


MAX_RESULT_LINES = 40  # per kind of outcome; the rest is counted


def _report_added(result, lines_of: dict[int, int] | None = None) -> list[str]:
    """A headline, then one line per number typed: not added (with why), already in the
    inventory, added (with its verdict). ``lines_of``: entry index -> line of the pasted
    text, for the bulk form."""

    def where(index: int, text: str) -> Mrkdwn:
        line = f"line {lines_of.get(index, index)}: " if lines_of is not None else ""
        return md("{}{}", Mrkdwn(line), text)

    head = f"Added {B.plural(len(result.added), 'number')}." if result.added else "Nothing added."
    if result.invalid and result.added:
        head += f" {len(result.invalid)} not added."
    if result.already:
        head += f" {len(result.already)} already in the inventory."
    lines = [head]
    attention = result.needing_attention
    if attention:
        need = "needs" if len(attention) == 1 else "need"
        lines.append(f":warning: {len(attention)} of them {need} attention.")
    for index, text, why in result.invalid[:MAX_RESULT_LINES]:
        lines.append(md("• :x: {} — not added: {}", where(index, text), why))
    lines += _more(len(result.invalid), "not added")
    for e164 in result.already[:MAX_RESULT_LINES]:
        index, text = result.typed.get(e164, (0, e164))
        line = f"line {lines_of.get(index, index)}: " if lines_of is not None else ""
        typed = "" if text.lstrip("( ").startswith("+") else md(" (typed {})", text)
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
    if not call.words:
        return OpenModal(V.bulk_add_modal({"channel": call.channel_id}))
    typed = call.inventory.split(call.words)
    result = call.inventory.numbers.add(call.actor, typed, source="slack")
    lines = _report_added(result)
    return Reply(lines[0], B.sections(lines))


@subcommand("remove", "remove NUMBER", "remove +49 89 1234567", "take a number out (managers)")
def remove_number(call: Call) -> Reply:
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
                B.button("Remove", ids.REMOVE_NUMBER, detail.info.e164, "danger", confirm),
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


def _names(infos_or_texts, limit: int = 10) -> str:
    """ "+49 89 1234567, +49 89 1234568 and 3 more": numbers named, the rest counted."""
    names = [i if isinstance(i, str) else i.display for i in infos_or_texts]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _they(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def _not_linkable_lines(result, verb: str) -> list[str]:
    """The typed numbers a link or unlink could not touch, each with why."""
    lines = []
    if result.unknown:
        unknown = [format_number(e) for e in result.unknown]
        are = _they(len(unknown), "is", "are")
        lines.append(f"Not {verb}: {_names(unknown)} {are} not in the inventory.")
    lines += [md("Not {}: {} — {}", Mrkdwn(verb), text, why) for text, why in result.invalid]
    return lines


def _attention_lines(result, still: str) -> list[str]:
    attention = result.needing_attention
    if not attention:
        return []
    lines = [
        f":warning: {len(attention)} {still} {_they(len(attention), 'needs', 'need')} attention:"
    ]
    lines += [f"• {V.number_line(i)}" for i in attention[:20]]
    if len(attention) > 20:
        lines.append(f"… and {len(attention) - 20} more.")
    return lines


def link_lines(result, attention: bool = True) -> list[str]:
    """What a link did: the numbers linked (and where they were before), those already
    linked there, those not linked and why."""
    target = md("*{}*", result.address.name)
    lines = []
    if result.changed:
        moved = [
            md("{} (was {})", Mrkdwn(i.display), result.previous[i.e164].name)
            if result.previous.get(i.e164)
            else i.display
            for i in result.changed
        ]
        lines.append(f"Linked {B.plural(len(moved), 'number')} to {target}: {_names(moved)}.")
    if result.unchanged:
        n = len(result.unchanged)
        lines.append(
            f"{_names(result.unchanged)} {_they(n, 'was', 'were')} already linked to {target}."
        )
    lines += _not_linkable_lines(result, "linked")
    if not result.changed and not result.unchanged:
        why = "; ".join(line.removeprefix("Not linked: ").rstrip(".") for line in lines)
        lines = [f"Nothing was linked: {why}." if why else "Nothing was linked."]
    return lines + (_attention_lines(result, "still") if attention else [])


def unlink_lines(result) -> list[str]:
    """What an unlink did: the numbers unlinked, named with the address they left."""
    lines = []
    by_address: dict[str, list] = {}
    for i in result.changed:
        by_address.setdefault(result.previous[i.e164].name, []).append(i)
    if len(by_address) == 1:
        ((name, infos),) = by_address.items()
        lines.append(
            md(
                "Unlinked {} from *{}*: {}.",
                Mrkdwn(B.plural(len(infos), "number")),
                name,
                Mrkdwn(_names(infos)),
            )
        )
    elif by_address:
        lines.append(f"Unlinked {B.plural(len(result.changed), 'number')}:")
        lines += [
            md("• from *{}*: {}", name, Mrkdwn(_names(infos))) for name, infos in by_address.items()
        ]
    if result.unchanged:
        n = len(result.unchanged)
        what = "nothing to unlink" if not result.changed else "left as it was"
        if n > 1 and result.changed:
            what = "left as they were"
        lines.append(f"{_names(result.unchanged)} {_they(n, 'has', 'have')} no address: {what}.")
    lines += _not_linkable_lines(result, "unlinked")
    if not result.changed and not result.unchanged:
        why = "; ".join(line.removeprefix("Not unlinked: ").rstrip(".") for line in lines)
        lines = [f"Nothing was unlinked: {why}." if why else "Nothing was unlinked."]
    return lines + _attention_lines(result, "now")


def add_and_link_button(result) -> dict | None:
    """For a link naming numbers the inventory does not hold: add them and link them."""
    value = V.carried(result.unknown)
    if not value or result.address is None:
        return None
    count = len(result.unknown)
    text = (
        f"Add {format_number(result.unknown[0])} and link it"
        if count == 1
        else f"Add these {count} and link them"
    )
    ask = B.confirm(
        "Add to the inventory?",
        f"{_names([format_number(e) for e in result.unknown], 5)} "
        f"{_they(count, 'enters', 'enter')} the inventory, linked to {result.address.name}.",
        ok="Add and link",
    )
    ask.pop("style")
    return B.button(
        text[: L.MAX_BUTTON_TEXT], ids.ADD_AND_LINK, f"{result.address.id}|{value}", "primary", ask
    )


def summary_text(lines: list[str]) -> str:
    """A reply's notification text: what happened, without the list of problems."""
    head = [line for line in lines if not line.startswith((":warning:", "•", "…"))]
    return "\n".join(head)


def link_reply_blocks(result) -> tuple[str, list[dict]]:
    lines = link_lines(result)
    blocks = B.sections(lines)
    button = add_and_link_button(result)
    if button:
        blocks.append(B.actions(button, block_id="link_actions"))
    elif result.unknown:  # too many for one button: the add form takes them all
        blocks.append(B.context("`/numbers add` with them adds them; then link them again."))
    return summary_text(lines), blocks


@subcommand(
    "link",
    "link NUMBER... to NAME (no argument: a form)",
    'link +49 89 1234567 to "HQ Munich"',
    "link numbers to an address (managers)",
)
def link(call: Call) -> Reply | OpenModal:
    if not call.words:
        return OpenModal(V.link_modal())
    numbers, name = _split_link(call.words)
    numbers = group_numbers(numbers, call.inventory)
    text, blocks = link_reply_blocks(call.inventory.addresses.link(call.actor, numbers, name))
    return Reply(text, blocks)


@subcommand("unlink", "unlink NUMBER...", "unlink +49 89 1234567", "remove numbers' address")
def unlink(call: Call) -> Reply:
    if not call.words:
        raise UsageError("unlink", "Which numbers?")
    numbers = group_numbers(call.words, call.inventory)
    lines = unlink_lines(call.inventory.addresses.unlink(call.actor, numbers))
    return Reply(summary_text(lines), B.sections(lines))


def carried_numbers(inventory, value: str) -> tuple[list[NumberInfo], dict | None]:
    """The numbers a button carries (see ``V.carried``, or ``ref:ID`` of an alert), as they
    are now; numbers removed meanwhile are left out. With a reference, the metadata that
    lets the link form find them again on submit."""
    if value.startswith("ref:"):
        ref = value[4:]
        e164s = notify.alert_numbers(inventory.repo, ref)
        if e164s is None:
            raise DomainError(
                "That alert is too old: its numbers are no longer kept. "
                "`/numbers list attention` shows the numbers needing attention now."
            )
        infos = inventory.views().infos
        found = [infos[e] for e in e164s if e in infos]
        return found, ({"ref": ref} if len(found) > V.MAX_CARRIED else None)
    infos = inventory.views().infos
    e164s = [e for e in value.split(",") if e]
    found = [infos[e] for e in e164s if e in infos]
    if e164s and not found:
        gone = _names([format_number(e) for e in e164s], 5)
        raise DomainError(f"{gone} {_they(len(e164s), 'is', 'are')} no longer in the inventory.")
    return found, None


def split_pasted(text: str) -> list[tuple[int, str]]:
    """Pasted numbers: one per line or separated by commas or semicolons, with line numbers."""
    found = []
    for line_no, line in enumerate((text or "").splitlines(), start=1):
        found += [(line_no, p.strip()) for p in re.split(r"[,;]", line) if p.strip()]
    return found


def register(app, registry) -> None:
    registry.commands.add(list_numbers, show_number, add_numbers, remove_number, link, unlink)

    on_action(app, ids.LIST_PAGE_PREV)(lambda s, a, b, c, respond: _page(s, a, respond))
    on_action(app, ids.LIST_PAGE_NEXT)(lambda s, a, b, c, respond: _page(s, a, respond))

    @on_action(app, ids.REMOVE_NUMBER)
    def _remove(session, action, body, client, respond):
        number = session.inventory.numbers.remove(session.actor, action["value"])
        from bot.core.phone import format_number

        respond(replace_original=True, text=f"Removed {format_number(number.e164)}.")

    @on_action(app, ids.OPEN_LINK)
    def _open_link(session, action, body, client, respond):
        initial, metadata = carried_numbers(session.inventory, action.get("value") or "")
        client.views_open(trigger_id=body["trigger_id"], view=V.link_modal(initial, metadata))

    @on_action(app, ids.ADD_AND_LINK)
    def _add_and_link(session, action, body, client, respond):
        inventory = session.inventory
        address_id, _, numbers = (action.get("value") or "").partition("|")
        address = inventory.address_by_id(address_id)
        e164s = [e for e in numbers.split(",") if e]
        result = inventory.numbers.add(
            session.actor, e164s, source="slack", address_name=address.name
        )
        lines = []
        if result.added:
            lines.append(
                md(
                    "Added {} to the inventory, linked to *{}*.",
                    Mrkdwn(_names(result.added)),
                    address.name,
                )
            )
        if result.already:
            # Added meanwhile (a second click, another manager): link those as well.
            linked = inventory.addresses.link(session.actor, result.already, address.name)
            lines += link_lines(linked, attention=False)
        lines += [md("{} — {}", t, why) for _, t, why in result.invalid]
        attention = [i for i in result.added if not i.verdict.ok]
        if attention:
            lines.append(
                f":warning: {len(attention)} {_they(len(attention), 'needs', 'need')} attention:"
            )
            lines += [f"• {V.number_line(i)}" for i in attention[:20]]
        respond(
            replace_original=False,
            response_type="ephemeral",
            text=lines[0] if lines else "Nothing was added.",
            blocks=B.sections(lines or ["Nothing was added."]),
        )

    @on_action(app, ids.OPEN_BULK_ADD)
    def _open_bulk(session, action, body, client, respond):
        client.views_open(trigger_id=body["trigger_id"], view=V.bulk_add_modal())

    @on_submit(app, ids.LINK_FORM)
    def _link(session, view, values, body, client):
        inventory = session.inventory
        if not values.get("address"):
            raise DomainError("Choose an address.", field="address")
        address = inventory.address_by_id(values["address"])
        numbers = list(values.get("numbers") or [])
        ref = B.metadata(view).get("ref")
        if ref:
            numbers += notify.alert_numbers(inventory.repo, ref) or []
        result = inventory.addresses.link(session.actor, numbers, address.name)
        return V.result_modal("Numbers linked", B.sections(link_lines(result)))

    @on_submit(app, ids.BULK_ADD_FORM)
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
        result = inventory.numbers.add(
            session.actor,
            [typed for _, typed in entries],
            label=values.get("label", ""),
            source="slack",
            address_name=address.name if address else None,
        )
        return V.result_modal("Numbers added", B.sections(_report_added(result, lines_of)))

    @on_options(app, ids.NUMBERS_SEARCH)
    def _numbers(session, text, body):
        return [V.option_for(i) for i in session.inventory.search_numbers(text, 100)]

    @on_options(app, ids.ADDRESS_SEARCH)
    def _addresses(session, text, body):
        wanted = fold(text)  # "zur" finds "Zürich office"
        found = [a for a in session.inventory.address_list() if wanted in fold(a.name)]
        return [B.option(a.name, a.id, f"{a.city}, {country_name(a.country)}") for a in found[:100]]
