"""Numbers: list, show, add, remove, link, unlink; the link and bulk-add forms; search."""

from __future__ import annotations

import json
import re

from bot.errors import DomainError
from bot.phone import country_name
from bot.services import NumberInfo, fold
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
        title += f" in {country_name(country.upper())}"
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


_SEPARATOR = re.compile(r"([,;])")
_DIGIT_WORD = re.compile(r"^[\d()\-./]*\d[\d()\-./]*$")


def _international_start(word: str) -> bool:
    bare = word.lstrip("(")
    return bare.startswith("+") or bare.startswith("00")


def group_numbers(words: list[str], parse) -> list[str]:
    """Words of a command joined back into numbers: "+49 89 1234567, 030 1234567" is two.

    Commas and semicolons separate numbers. A word starting with "+" or "00" starts an
    international number that takes every following word of digits and ()-./ up to the
    next "+"/"00" word or any other word; it is one entry, valid or not, so a number with
    its country code is never read in part with the default country. Runs of national
    digit words ("089 1234567 030 1234567") are split into the fewest valid numbers. A
    word that is neither is an entry of its own, so the person sees it with its reason.
    """
    out: list[str] = []
    for segment in _segments(words):
        international: list[str] = []
        national: list[str] = []
        for word in segment:
            if _international_start(word) and not (international and _DIGIT_WORD.match(word)):
                _flush(out, international, national, parse)
                international.append(word)
            elif _DIGIT_WORD.match(word):
                (international or national).append(word)
            else:
                _flush(out, international, national, parse)
                out.append(word)
        _flush(out, international, national, parse)
    return out


def _flush(out: list[str], international: list[str], national: list[str], parse) -> None:
    if international:
        out.extend(_international(international, parse))
        international.clear()
    if national:
        out.extend(_partition(national, parse))
        national.clear()


def _segments(words: list[str]) -> list[list[str]]:
    """The words between commas and semicolons ("+4989…,+4930…" is two segments)."""
    segments: list[list[str]] = [[]]
    for word in words:
        for part in _SEPARATOR.split(word):
            if part in (",", ";"):
                segments.append([])
            elif part.strip():
                segments[-1].append(part.strip())
    return [s for s in segments if s]


def _valid(text: str, parse) -> bool:
    try:
        parse(text)
    except DomainError:
        return False
    return True


def _international(words: list[str], parse) -> list[str]:
    """One international number, valid or not, reported whole as typed.

    When the whole is invalid it may be a valid international number followed by another
    number: one with "00" ("+49 89 1234567 0044 20 7946 0958"; a "00" word inside a
    number, as in "+33 1 42 68 53 00", stays part of it), or national numbers written
    with their trunk 0 ("+49 89 1234567 030 1234567") when every one of those is valid.
    """
    whole = " ".join(words)
    if _valid(whole, parse):
        return [whole]
    for k in range(1, len(words)):
        if not words[k].startswith("0") or not _valid(" ".join(words[:k]), parse):
            continue
        if words[k].startswith("00"):
            return [" ".join(words[:k]), *_international(words[k:], parse)]
        rest = _partition(words[k:], parse)
        if all(_valid(r, parse) for r in rest):
            return [" ".join(words[:k]), *rest]
    return [whole]


def _partition(words: list[str], parse, max_words: int = 6) -> list[str]:
    def valid(i: int, j: int) -> bool:
        try:
            parse(" ".join(words[i:j]))
        except DomainError:
            return False
        return True

    if valid(0, len(words)):
        return [" ".join(words)]
    # best[j]: (cost, segments) covering words[:j]; a valid number costs 1, a stray word 10.
    best: list[tuple[int, list[tuple[int, int, bool]]]] = [(0, [])]
    for j in range(1, len(words) + 1):
        cost, segments = best[j - 1]
        choice = (cost + 10, [*segments, (j - 1, j, False)])
        for i in range(max(0, j - max_words), j):
            if best[i][0] + 1 < choice[0] and valid(i, j):
                choice = (best[i][0] + 1, [*best[i][1], (i, j, True)])
        best.append(choice)
    out: list[str] = []
    stray: list[str] = []
    for i, j, ok in best[-1][1]:
        if ok:
            if stray:
                out.append(" ".join(stray))
                stray = []
            out.append(" ".join(words[i:j]))
        else:
            stray.append(words[i])
    if stray:
        out.append(" ".join(stray))
    return out


def _report_added(result, by_line: bool = True) -> list[str]:
    lines = [f"Added {B.plural(len(result.added), 'number')}."]
    attention = result.needing_attention
    if attention:
        need = "needs" if len(attention) == 1 else "need"
        lines.append(f":warning: {len(attention)} of them {need} attention:")
        lines += [f"• {V.number_line(i)}" for i in attention[:15]]
        if len(attention) > 15:
            lines.append(f"… and {len(attention) - 15} more (`/numbers list attention`).")
    if result.already:
        lines.append(f"{len(result.already)} already in the inventory, left as they were.")
    if result.invalid:
        what = ("line", "lines") if by_line else ("entry", "entries")
        lines.append(f"{B.plural(len(result.invalid), *what)} not added:")
        lines += [
            f"• {f'line {n}: ' if by_line else ''}{escape(text)} — {escape(why)}"
            for n, text, why in result.invalid
        ]
    return lines


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
    texts = group_numbers(call.words, call.inventory.parse)
    result = call.inventory.add_numbers(call.actor, texts, source="slack")
    lines = _report_added(result, by_line=False)
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
    numbers = group_numbers(numbers, call.inventory.parse)
    lines = _link_lines(call.inventory.link(call.actor, numbers, name), "Linked")
    return Reply(lines[0], B.sections(lines))


@subcommand("unlink", "unlink NUMBER...", "unlink +49 89 1234567", "remove numbers' address")
def unlink(call: Call) -> Reply:
    call.session.require_manager("unlink numbers")
    if not call.words:
        raise UsageError("unlink", "Which numbers?")
    numbers = group_numbers(call.words, call.inventory.parse)
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
        # Parse first: when no line at all is valid, the form stays open with the reasons.
        bad = []
        for line, text in pasted:
            try:
                inventory.parse(text)
            except DomainError as exc:
                bad.append(f"line {line}: {text[:40]} — {exc.message}")
        if len(bad) == len(pasted):
            raise DomainError("; ".join(bad[:5]) + (" …" if len(bad) > 5 else ""), "numbers")
        result = inventory.add_numbers(
            session.actor,
            [text for _, text in pasted],
            label=values.get("label", ""),
            source="slack",
            address_name=address.name if address else None,
        )
        # Report invalid entries by their line in the pasted text.
        result.invalid = [(pasted[i - 1][0], t, why) for i, t, why in result.invalid]
        return V.result_modal("Numbers added", B.sections(_report_added(result)))

    @on_options(app, "numbers_search")
    def _numbers(session, text, body):
        return [V.option_for(i) for i in session.inventory.search_numbers(text, 100)]

    @on_options(app, "address_search")
    def _addresses(session, text, body):
        wanted = fold(text)  # "zur" finds "Zürich office"
        found = [a for a in session.inventory.addresses() if wanted in fold(a.name)]
        return [B.option(a.name, a.id, f"{a.city}, {a.country}") for a in found[:100]]
