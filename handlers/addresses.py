"""`/numbers address …` and the address form."""

from __future__ import annotations

from collections import Counter

from bot.core.errors import DomainError
from handlers import blocks as B
from handlers import ids
from handlers.interactions import on_action, on_submit
from handlers.mrkdwn import Mrkdwn, md
from handlers.router import Call, OpenModal, Reply, UsageError, subcommand
from handlers.views import addresses as V
from handlers.views import numbers as V_numbers
from handlers.views.numbers import result_modal

USAGE = "address new | list | show NAME | edit NAME | delete NAME"


def _name(call: Call, what: str) -> str:
    name = " ".join(call.words[1:]).strip()
    if not name:
        raise UsageError("address", f"Which address do you want to {what}?")
    return name


@subcommand("address", USAGE, 'address show "HQ Munich"', "create, list, show, edit, delete")
def address(call: Call) -> Reply | OpenModal:
    verb = call.words[0].casefold() if call.words else ""
    inventory = call.inventory
    if verb == "new":
        return OpenModal(V.address_modal())
    if verb == "list":
        _, named = call.options()
        counts = Counter(i.number.address_id for i in inventory.number_list())
        lines = V.address_lines(inventory.address_list(), counts)
        blocks, text = B.paged("Addresses", lines, call.page(named))
        return Reply(text, blocks)
    if verb == "show":
        found = inventory.address(_name(call, "see"))
        return Reply(
            md("{}", found.name), V.address_detail(found, inventory.address_numbers(found.id))
        )
    if verb == "edit":
        return OpenModal(V.address_modal(inventory.address(_name(call, "edit"))))
    if verb == "delete":
        found = inventory.address(_name(call, "delete"))
        linked = inventory.address_numbers(found.id)
        if linked:
            # The service refuses too; answering here lists the numbers and offers the move.
            blocks = V.in_use_blocks(found, linked, can_move=True)
            are = "1 number is" if len(linked) == 1 else f"{len(linked)} numbers are"
            return Reply(
                md("{} cannot be deleted: {} linked to it.", found.name, Mrkdwn(are)), blocks
            )
        text = md("Delete the address *{}*?", found.name)
        return Reply(text, B.delete_prompt(text, "address", found.name, found.id))
    raise UsageError("address", f"I don't know “{verb[:30]}”." if verb else "")


def effect_lines(change) -> list[str]:
    """What an address edit did to its linked numbers: the verdicts that changed, counted
    by the new verdict (naming the numbers), and how many kept theirs."""
    changed = [now for _, now in change.changed_verdicts]
    total = len(change.after)
    if not total:
        return ["No numbers are linked to it."]
    if not changed:
        return [
            "Its linked number keeps its verdict."
            if total == 1
            else f"Its {total} linked numbers keep their verdicts."
        ]
    lines = [
        f"{B.plural(len(changed), 'linked number')} changed verdict:",
        *V_numbers.verdict_lines(changed, now="now "),
    ]
    kept = total - len(changed)
    if kept:
        its = "its" if kept == 1 else "their"
        lines.append(f"{B.plural(kept, 'other linked number')} kept {its} verdict.")
    return lines


def move_lines(result) -> list[str]:
    """What a move did: the numbers moved and their verdicts now, and whether the old
    address was deleted."""
    source, target = result.source.name, result.target.name
    moved = result.moved
    count = Mrkdwn(B.plural(len(moved), "number"))
    lines = [md("Moved {} from *{}* to *{}*.", count, source, target)]
    lines.append(md("*{}* is deleted." if result.deleted else "*{}* is kept.", source))
    if moved:
        lines.append("Their verdicts now:")
        lines += V_numbers.verdict_lines(moved)
    return lines


def register(app, registry) -> None:
    registry.commands.add(address)

    @on_submit(app, ids.ADDRESS_FORM)
    def _save(session, view, values, body, client):
        inventory = session.inventory
        fields = dict(values)
        fields["confirmed"] = "confirmed" in (values.get("confirmed") or [])
        address_id = B.metadata(view).get("address_id")
        if address_id:
            current = inventory.address_by_id(address_id)
            change = inventory.addresses.update(session.actor, current.name, fields)
            lines = [md("Address *{}* saved.", change.address.name), *effect_lines(change)]
            return result_modal("Address saved", B.sections(lines))
        created = inventory.addresses.create(session.actor, fields)
        text = md("Address *{}* created: {}.", created.name, V.address_line(created))
        return result_modal("Address created", [B.section(text)])

    @on_action(app, ids.OPEN_ADDRESS_MOVE)
    def _open_move(session, action, body, client, respond):
        inventory = session.inventory
        found = inventory.address_by_id(action.get("value") or "")
        count = len(inventory.address_numbers(found.id))
        client.views_open(trigger_id=body["trigger_id"], view=V.move_modal(found, count))

    @on_submit(app, ids.ADDRESS_MOVE_FORM)
    def _move(session, view, values, body, client):
        inventory = session.inventory
        source = inventory.address_by_id(B.metadata(view).get("address_id") or "")
        if not values.get("target"):
            raise DomainError("Choose the address the numbers move to.", field="target")
        target = inventory.address_by_id(values["target"])
        delete = values.get("then") != "keep"
        result = inventory.addresses.move_numbers(session.actor, source.name, target.name, delete)
        return result_modal("Numbers moved", B.sections(move_lines(result), limit=90))

    @on_action(app, ids.OPEN_ADDRESS_EDIT_ANY)
    def _open_edit(session, action, body, client, respond):
        """ "Edit <address>" of a problem line or an alert: the address form, pre-filled."""
        found = session.inventory.address_by_id(action.get("value") or "")
        client.views_open(trigger_id=body["trigger_id"], view=V.address_modal(found))

    @on_action(app, ids.DELETE_ADDRESS)
    def _delete(session, action, body, client, respond):
        inventory = session.inventory
        found = inventory.address_by_id(action["value"])
        inventory.addresses.delete(session.actor, found.name)
        respond(replace_original=True, text=md("Address {} deleted.", found.name))
