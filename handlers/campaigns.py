"""`/numbers campaign …` and the campaign form with its pool report."""

from __future__ import annotations

from bot.core.errors import DomainError
from bot.core.text import fold
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.groups import by_id, infos_of, member_options, name_and_page, removed_members
from handlers.interactions import on_action, on_options, on_submit
from handlers.mrkdwn import md
from handlers.router import Call, OpenModal, Reply, UsageError, subcommand
from handlers.views import groups as V

USAGE = "campaign new NAME | list | show NAME | edit NAME | delete NAME"


def new_campaign_modal(inventory, name: str = "") -> dict:
    return V.campaign_modal(None, inventory.group_list(), {}, name=name)


@subcommand(
    "campaign", USAGE, 'campaign show "Spring promo"', "campaigns and their caller-ID pools"
)
def campaign(call: Call) -> Reply | OpenModal:
    verb = call.words[0].casefold() if call.words else ""
    inventory = call.inventory
    if verb == "new":
        return OpenModal(
            new_campaign_modal(inventory, " ".join(call.words[1:]).strip()[: L.MAX_NAME])
        )
    if verb == "list":
        _, named = call.options()
        pools = [inventory.pool(c.name) for c in inventory.campaign_list()]
        blocks, text = B.paged("Campaigns", V.campaign_lines(pools), call.page(named))
        return Reply(text, blocks)
    if verb == "show":
        name, page = name_and_page(call, "campaign", "see")
        return _detail_reply(inventory.pool(name), page, call.actor.is_manager)
    if verb == "edit":
        found = inventory.campaign(name_and_page(call, "campaign", "edit")[0])
        return OpenModal(V.campaign_modal(found, inventory.group_list(), infos_of(inventory)))
    if verb == "delete":
        found = inventory.campaign(name_and_page(call, "campaign", "delete")[0])
        text = md(
            "Delete the campaign *{}*? Its groups and numbers stay in the inventory.",
            found.name,
        )
        return Reply(text, B.delete_prompt(text, "campaign", found.name, found.id))
    raise UsageError("campaign", f"I don't know “{verb[:30]}”." if verb else "")


def _detail_reply(pool, page: int, can_edit: bool) -> Reply:
    entries = len(pool.usable) + len(pool.warnings)
    pages = max(1, -(-entries // V.POOL_PAGE_SIZE))
    if page > pages:
        raise DomainError(
            f"{pool.campaign.name} has only {B.plural(pages, 'page')} "
            f"({B.plural(entries, 'number')})."
        )
    blocks, text = V.campaign_detail(pool, page, can_edit)
    return Reply(text, blocks)


def _page(session, action, respond) -> None:
    page, _, campaign_id = (action.get("value") or "").partition("|")
    inventory = session.inventory
    found = by_id(inventory.campaign_list(), campaign_id, "campaign")
    reply = _detail_reply(inventory.pool(found.name), int(page), session.actor.is_manager)
    respond(replace_original=True, **reply.payload())


def register(app, registry) -> None:
    registry.commands.add(campaign)

    @on_submit(app, ids.CAMPAIGN_FORM)
    def _save(session, view, values, body, client):
        inventory = session.inventory
        meta = B.metadata(view)
        pool = inventory.campaigns.save_chosen(
            session.actor,
            values.get("name", ""),
            campaign_id=meta.get("c") or None,
            chosen=values.get("numbers") or [],
            removed=removed_members(values, meta) if meta.get("c") else (),
            group_ids=values.get("groups") or [],
            keep_groups_from=V.MAX_INITIAL if meta.get("gx") else None,
            origin=values.get("origin"),
            purpose=values.get("purpose"),
        )
        return V.campaign_result(pool, created=not meta.get("c"))

    @on_action(app, ids.DELETE_CAMPAIGN)
    def _delete(session, action, body, client, respond):
        inventory = session.inventory
        found = by_id(inventory.campaign_list(), action["value"], "campaign")
        inventory.campaigns.delete(session.actor, found.name)
        respond(replace_original=True, text=md("Campaign {} deleted.", found.name))

    on_action(app, ids.CAMPAIGN_PAGE_PREV)(lambda s, a, b, c, respond: _page(s, a, respond))
    on_action(app, ids.CAMPAIGN_PAGE_NEXT)(lambda s, a, b, c, respond: _page(s, a, respond))

    @on_action(app, ids.OPEN_CAMPAIGN_EDIT)
    def _open_edit(session, action, body, client, respond):
        inventory = session.inventory
        found = by_id(inventory.campaign_list(), action.get("value") or "", "campaign")
        view = V.campaign_modal(found, inventory.group_list(), infos_of(inventory))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @on_action(app, ids.OPEN_CAMPAIGN_NEW)
    def _open_new(session, action, body, client, respond):
        client.views_open(trigger_id=body["trigger_id"], view=new_campaign_modal(session.inventory))

    @on_options(app, ids.CAMPAIGN_MEMBER_SEARCH)
    def _members(session, text, body):
        meta = B.metadata(body.get("view") or {})
        inventory = session.inventory
        found = by_id(inventory.campaign_list(), meta.get("c", ""), "campaign")
        return member_options(inventory, found.numbers, text)

    @on_options(app, ids.CAMPAIGN_GROUP_SEARCH)
    def _groups(session, text, body):
        wanted = fold(text)  # "munchen" finds "HQ München"
        found = [g for g in session.inventory.group_list() if wanted in fold(g.name)]
        return [V.group_option(g) for g in found[:100]]
