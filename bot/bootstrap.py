"""The composition root: settings + storage + rules → one Inventory per workspace."""

from __future__ import annotations

import threading

from bot.config import Settings
from bot.core.services import Inventory
from bot.notify import Notifier
from storage.database import Databases
from storage.repository import WorkspaceRepository


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
