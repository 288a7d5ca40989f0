"""App Home, the `/numbers` overview, and the buttons that open the main forms."""

from __future__ import annotations

import logging

from handlers import ids
from handlers.interactions import on_action
from handlers.router import Call, Reply, subcommand
from handlers.views import addresses as address_views
from handlers.views import home as V

log = logging.getLogger(__name__)


@subcommand("", "", "", "overview: counts, needing attention, buttons")
def overview(call: Call) -> Reply:
    inventory = call.inventory
    summary = inventory.summary()
    return Reply(
        f"{summary.total} numbers, {summary.needing_attention} need attention",
        V.overview(
            summary,
            inventory.number_list("attention"),
            call.actor.is_manager,
            managers_to_ask(call.session),
        ),
    )


def managers_to_ask(session) -> list[str]:
    """Who a member asks for a change: NUMBERS_MANAGERS and the granted managers."""
    return sorted(set(session.roles.managers) | session.inventory.grants())


def publish_home(session, client, notify_channel: str | None, sections=()) -> None:
    """``sections``: callables (session) -> blocks that other surfaces (requests, …) add
    to this app's Home (``Registry.home_sections``)."""
    inventory = session.inventory
    extra = [block for section in sections for block in section(session)]
    manager = session.actor.is_manager
    view = V.home_view(
        inventory.summary(),
        inventory.number_list("attention"),
        extra,
        notify_channel,
        manager,
        [] if manager else managers_to_ask(session),
    )
    client.views_publish(user_id=session.user_id, view=view)


def register(app, registry, settings) -> None:
    registry.commands.add(overview)

    @app.event("app_home_opened")
    def _home_opened(event, client, context):
        if event.get("tab", "home") != "home":
            return
        try:
            publish_home(
                context["session"], client, settings.notify_channel, registry.home_sections
            )
        except Exception:
            log.exception("App Home publish failed")

    @on_action(app, ids.OPEN_ADDRESS_NEW)
    def _new_address(session, action, body, client, respond):
        client.views_open(trigger_id=body["trigger_id"], view=address_views.address_modal())
