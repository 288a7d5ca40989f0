"""Slack adapters. ``register`` wires every surface into the Bolt app."""

from __future__ import annotations


def register(app, workspaces, roles, settings) -> None:
    import handlers.agents  # noqa: F401 - subcommands agent, callerid
    from handlers import access, addresses, home, numbers, router  # noqa: F401 - subcommands
    from handlers import campaigns, groups  # noqa: F401 - subcommands
    from handlers.session import session_middleware

    app.use(session_middleware(workspaces, roles))
    router.register(app)
    numbers.register(app)
    addresses.register(app)
    home.register(app, settings)
    from handlers import notifications  # subcommand digest; the delivery worker

    notifications.register(app, workspaces, settings)
    groups.register(app)
    campaigns.register(app)
    from handlers import requests  # subcommands buy, mandate, requests, audit, export

    requests.register(app, settings)
    for name, usage, summary in (
        ("buy", "buy", "a purchase request for new numbers"),
        ("mandate", "mandate", "a mandate for numbers the company already owns"),
        ("requests", "requests", "pending requests, approve or reject"),
        ("digest", "digest", "post the needing-attention digest now"),
        ("audit", "audit [NUMBER|NAME]", "who changed what"),
        ("export", "export", "a CSV of the inventory"),
        ("agent", "agent NAME callerid NUMBER|none", "an agent's own caller ID"),
        ("callerid", "callerid CAMPAIGN [agent=NAME] [to=NUMBER]", "which number a call shows"),
        ("group", "group new | list | show NAME | edit NAME | delete NAME", "groups of numbers"),
        ("campaign", "campaign new NAME | list | show NAME | edit NAME | delete NAME", "campaigns"),
    ):
        if name not in router.SUBCOMMANDS:
            router.coming_soon(name, usage, summary)
