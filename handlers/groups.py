"""`/numbers group …` and the group form."""

from __future__ import annotations

import re
from collections import Counter

from bot.core.errors import NotFound
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.interactions import on_action, on_options, on_submit
from handlers.mrkdwn import Mrkdwn, md
from handlers.router import Call, OpenModal, Reply, UsageError, subcommand
from handlers.views import groups as V
from handlers.views.numbers import option_for, result_modal

USAGE = "group new | list | show NAME | edit NAME | delete NAME"
_PAGE = re.compile(r"page=(\S*)", re.IGNORECASE)


def name_and_page(call: Call, sub: str, what: str) -> tuple[str, int]:
    """The NAME after the verb, and page=N when it is the last word."""
    words = list(call.words[1:])
    page = 1
    if words and (match := _PAGE.fullmatch(words[-1])):
        page = call.page({"page": match.group(1)})
        words.pop()
    name = " ".join(words).strip()
    if not name:
        raise UsageError(sub, f"Which {sub} do you want to {what}?")
    return name, page


def infos_of(inventory) -> dict:
    return {i.e164: i for i in inventory.number_list()}


def by_id(items, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise NotFound(f"That {what} no longer exists.")


def removed_members(values: dict, meta: dict) -> set[str]:
    """The members a form removes: those ticked to go (a large group), else those it showed
    that are no longer chosen. Members it did not show always stay (the service keeps them).
    """
    if meta.get("large"):
        return set(values.get("remove") or [])
    return set(meta.get("shown") or []) - set(values.get("numbers") or [])


def member_options(inventory, members: list[str], text: str) -> list[dict]:
    wanted = set(members)
    found = [i for i in inventory.search_numbers(text, limit=10**9) if i.e164 in wanted]
    return [option_for(i) for i in found[:100]]


@subcommand("group", USAGE, 'group show "Sales DE"', "groups of numbers (changes: managers)")
def group(call: Call) -> Reply | OpenModal:
    verb = call.words[0].casefold() if call.words else ""
    inventory = call.inventory
    if verb == "new":
        return OpenModal(
            V.group_modal(None, {}, name=" ".join(call.words[1:]).strip()[: L.MAX_NAME])
        )
    if verb == "list":
        _, named = call.options()
        used_by = Counter(g for c in inventory.campaign_list() for g in c.groups)
        lines = V.group_lines(inventory.group_list(), used_by)
        blocks, text = B.paged("Groups", lines, call.page(named))
        return Reply(text, blocks)
    if verb == "show":
        name, page = name_and_page(call, "group", "see")
        found = inventory.group(name)
        blocks, text = V.group_detail(found, inventory.number_list(group=found.name), page)
        return Reply(text, blocks)
    if verb == "edit":
        found = inventory.group(name_and_page(call, "group", "edit")[0])
        return OpenModal(V.group_modal(found, infos_of(inventory)))
    if verb == "delete":
        found = inventory.group(name_and_page(call, "group", "delete")[0])
        campaigns = [c for c in inventory.campaign_list() if found.id in c.groups]
        text = md(
            "Delete the group *{}* ({})?",
            found.name,
            Mrkdwn(B.plural(len(found.numbers), "number")),
        )
        if campaigns:
            text += f" It leaves {B.plural(len(campaigns), 'campaign')}."
        text += " The numbers themselves stay in the inventory."
        return Reply(text, B.delete_prompt(text, "group", found.name, found.id))
    raise UsageError("group", f"I don't know “{verb[:30]}”." if verb else "")


def register(app, registry) -> None:
    registry.commands.add(group)

    @on_submit(app, ids.GROUP_FORM)
    def _save(session, view, values, body, client):
        inventory = session.inventory
        meta = B.metadata(view)
        name = values.get("name", "")
        if not meta.get("g"):
            created = inventory.groups.save(session.actor, name, values.get("numbers") or [])
            count = B.plural(len(created.numbers), "number")
            text = md("Group *{}* created with {}.", created.name, Mrkdwn(count))
            return result_modal("Group created", [B.section(text)])
        chosen, removed = values.get("numbers") or [], removed_members(values, meta)
        change = inventory.groups.edit(session.actor, meta["g"], name, chosen, removed)
        saved = change.group
        before, after = set(change.before.numbers), set(saved.numbers)
        text = md(
            "Group *{}* saved: {} ({} added, {} removed).",
            saved.name,
            Mrkdwn(B.plural(len(saved.numbers), "number")),
            len(after - before),
            len(before - after),
        )
        return result_modal("Group saved", [B.section(text)])

    @on_action(app, ids.DELETE_GROUP)
    def _delete(session, action, body, client, respond):
        inventory = session.inventory
        found = by_id(inventory.group_list(), action["value"], "group")
        inventory.groups.delete(session.actor, found.name)
        respond(replace_original=True, text=md("Group {} deleted.", found.name))

    @on_action(app, ids.OPEN_GROUP_NEW)
    def _open_new(session, action, body, client, respond):
        client.views_open(trigger_id=body["trigger_id"], view=V.group_modal(None, {}))

    @on_options(app, ids.GROUP_MEMBER_SEARCH)
    def _members(session, text, body):
        meta = B.metadata(body.get("view") or {})
        inventory = session.inventory
        found = by_id(inventory.group_list(), meta.get("g", ""), "group")
        return member_options(inventory, found.numbers, text)
