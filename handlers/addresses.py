"""`/numbers address …` and the address form."""

from __future__ import annotations

from collections import Counter

from handlers import blocks as B
from handlers.interactions import on_action, on_submit
from handlers.mrkdwn import escape
from handlers.router import Call, OpenModal, Reply, UsageError, subcommand
from handlers.views import addresses as V
from handlers.views.numbers import number_line, result_modal

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
        call.session.require_manager("create addresses")
        return OpenModal(V.address_modal())
    if verb == "list":
        _, named = call.options()
        counts = Counter(i.number.address_id for i in inventory.numbers())
        lines = V.address_lines(inventory.addresses(), counts)
        blocks, text = B.paged("Addresses", lines, call.page(named))
        return Reply(text, blocks)
    if verb == "show":
        found = inventory.address(_name(call, "see"))
        return Reply(
            escape(found.name), V.address_detail(found, inventory.address_numbers(found.id))
        )
    if verb == "edit":
        call.session.require_manager("edit addresses")
        return OpenModal(V.address_modal(inventory.address(_name(call, "edit"))))
    if verb == "delete":
        call.session.require_manager("delete addresses")
        found = inventory.address(_name(call, "delete"))
        linked = inventory.address_numbers(found.id)
        if linked:
            # The service refuses too; answering here lists the numbers with their lines.
            lines = [
                f":no_entry: *{escape(found.name)}* cannot be deleted: "
                f"{len(linked)} number(s) are linked to it. Unlink them first:"
            ] + [f"• {number_line(i)}" for i in linked[:20]]
            if len(linked) > 20:
                lines.append(f"… and {len(linked) - 20} more.")
            return Reply(lines[0], B.sections(lines))
        text = f"Delete the address *{escape(found.name)}*?"
        return Reply(text, B.delete_prompt(text, "address", found.name, found.id))
    raise UsageError("address", f"I don't know “{verb[:30]}”." if verb else "")


def register(app) -> None:
    @on_submit(app, "address_form")
    def _save(session, view, values, body, client):
        inventory = session.inventory
        fields = dict(values)
        fields["confirmed"] = "confirmed" in (values.get("confirmed") or [])
        address_id = B.metadata(view).get("address_id")
        if address_id:
            current = inventory.address_by_id(address_id)
            change = inventory.update_address(session.actor, current.name, fields)
            lines = [f"Address *{escape(change.address.name)}* saved."]
            if change.newly_failing:
                lines.append(
                    f":warning: {len(change.newly_failing)} linked number(s) are no longer "
                    "compliant:"
                )
                lines += [f"• {number_line(i)}" for i in change.newly_failing[:20]]
            return result_modal("Address saved", B.sections(lines))
        created = inventory.create_address(session.actor, fields)
        text = f"Address *{escape(created.name)}* created: {escape(created.one_line())}."
        return result_modal("Address created", [B.section(text)])

    @on_action(app, "open_address_edit")
    def _open_edit(session, action, body, client, respond):
        """ "Edit <address>" of a problem line or an alert: the address form, pre-filled."""
        session.require_manager("edit addresses")
        found = session.inventory.address_by_id(action.get("value") or "")
        client.views_open(trigger_id=body["trigger_id"], view=V.address_modal(found))

    @on_action(app, "delete_address")
    def _delete(session, action, body, client, respond):
        inventory = session.inventory
        found = inventory.address_by_id(action["value"])
        inventory.delete_address(session.actor, found.name)
        respond(replace_original=True, text=f"Address {escape(found.name)} deleted.")
