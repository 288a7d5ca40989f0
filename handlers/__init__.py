"""Slack adapters. ``register`` wires every surface into one Bolt app."""

from __future__ import annotations


def register(app, workspaces, roles, settings):
    """Wire every surface into ``app``; returns the app's ``Registry`` (its subcommands
    and App Home sections). Called once per app, by ``bot.bootstrap``."""
    from handlers import (
        access,
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
    from handlers.registry import Registry
    from handlers.session import session_middleware

    registry = Registry()
    app.use(session_middleware(workspaces, roles))
    router.register(app, registry)
    numbers.register(app, registry)
    addresses.register(app, registry)
    home.register(app, registry, settings)
    groups.register(app, registry)
    campaigns.register(app, registry)
    confirm.register(app, registry)
    agents.register(app, registry)
    access.register(app, registry)
    imports.register(app, registry)
    requests.register(app, registry, settings)
    notifications.register(app, registry)
    return registry
