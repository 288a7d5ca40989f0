"""The composition root: the one place that wires a running bot.

``Workspaces``: settings + storage + rules → one Inventory per workspace (the CLI's
offline commands need only this). ``build_runtime``: that, the roles, the Bolt app with
every listener, and the workers, as one ``Runtime``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.services import Inventory
from bot.notify import Notifier
from bot.permissions import Roles
from storage.database import Databases
from storage.repository import WorkspaceRepository

if TYPE_CHECKING:  # Slack is imported when a runtime is built, not for the offline CLI
    from slack_bolt import App

    from handlers.notifications import NotificationWorker, WorkerConfig
    from handlers.registry import Registry


class Workspaces:
    """The inventories of every workspace under one data dir, opened once per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.databases = Databases(settings.data_dir)
        self._inventories: dict[str, Inventory] = {}
        # Records change alerts in the outbox (only when NUMBERS_NOTIFY_CHANNEL is set;
        # without it, new requests go to the NUMBERS_MANAGERS by DM).
        self.notifier = Notifier(settings.notify_channel, settings.managers)
        self._lock = threading.Lock()

    def inventory(self, team_id: str) -> Inventory:
        with self._lock:
            inventory = self._inventories.get(team_id)
            if inventory is None:
                repo = WorkspaceRepository(self.databases.for_team(team_id))
                inventory = Inventory(
                    repo,
                    self.settings.rules,
                    self.settings.default_region,
                    clock=self.settings.clock,
                )
                self.notifier.attach(inventory)
                self._inventories[team_id] = inventory
            return inventory

    def team_ids(self) -> list[str]:
        return self.databases.team_ids()


@dataclass
class Runtime:
    """Everything one running bot holds: built by ``build_runtime``, used by the server,
    the CLI and the tests. ``start()`` starts the workers, ``stop()`` stops them."""

    settings: Settings
    workspaces: Workspaces
    roles: Roles
    app: App
    registry: Registry  # the app's /numbers subcommands and App Home sections
    workers: list[NotificationWorker] = field(default_factory=list)
    _started: bool = field(default=False, repr=False)

    def start(self) -> Runtime:
        if not self._started:
            self._started = True
            for worker in self.workers:
                worker.start()
        return self

    def stop(self) -> None:
        """Stop the workers; a notification being posted goes back to the outbox (the next
        start posts it at once rather than after its lease)."""
        for worker in self.workers:
            worker.stop()


def build_runtime(
    settings: Settings,
    workspaces: Workspaces | None = None,
    worker_config: WorkerConfig | None = None,
) -> Runtime:
    """settings → Slack client → storage and services → roles → Bolt app and its
    listeners → workers (not started). The one place that wires a running bot."""
    import handlers
    from bot.app import admin_lookup, bolt_app, verified_client
    from handlers.notifications import notification_worker

    client = verified_client(settings)  # a bad token stops start-up before any file opens
    workspaces = workspaces or Workspaces(settings)
    for team_id in workspaces.team_ids():
        # Open every database now: a damaged one stops start-up with one line (a
        # StorageFailure) instead of failing each request later.
        workspaces.inventory(team_id)
    roles = Roles(settings.managers, admin_lookup(client))
    app = bolt_app(settings, client)
    registry = handlers.register(app, workspaces, roles, settings)
    # Also without a channel: requesters' DMs go through the outbox too.
    worker = notification_worker(workspaces, settings, app.client, worker_config)
    workspaces.notifier.on_queued = worker.wake
    return Runtime(settings, workspaces, roles, app, registry, [worker])
