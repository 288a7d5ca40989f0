"""Slack adapters. ``register`` wires every surface into the Bolt app."""

from __future__ import annotations


def register(app, workspaces, roles, settings) -> None:
    # Importing a surface registers its /numbers subcommands with the router.
    from handlers import (
        access,  # noqa: F401 - access
        addresses,
        agents,
        campaigns,
        confirm,
        groups,
        home,
        imports,
        notifications,
        numbers,
        requests,
        router,
    )
    from handlers.session import session_middleware

    app.use(session_middleware(workspaces, roles))
    router.register(app)
    numbers.register(app)
    addresses.register(app)
    home.register(app, settings)
    groups.register(app)
    campaigns.register(app)
    confirm.register(app)
    agents.register(app)
    imports.register(app)
    requests.register(app, settings)
    notifications.register(app, workspaces, settings)
