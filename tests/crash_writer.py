"""A writer for test_crash.py: commits changes through the services until it is killed.

Usage: python -m tests.crash_writer DATA_DIR RUN. Prints ``ready`` once the database is
open, then after every change the service confirmed (returned) one line:
``number E164`` or ``address NAME E164`` (an address created and the number linked to it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.compliance import Rules
from bot.core.model import Actor
from bot.core.services import Inventory
from storage.database import Databases
from storage.repository import WorkspaceRepository

TEAM = "TCRASH"
ACTOR = Actor("UWRITER", is_manager=True)


def main(data_dir: str, run: int) -> None:
    repo = WorkspaceRepository(Databases(Path(data_dir)).for_team(TEAM))
    inventory = Inventory(repo, Rules.shipped(), "DE")
    print("ready", flush=True)
    for step in range(1000):
        text = f"+49 89 2{run:03d}{step:03d}"
        (info,) = inventory.numbers.add(ACTOR, [text], label=f"run {run}").added
        print(f"number {info.e164}", flush=True)
        if step % 3 == 0:
            name = f"Office {run}-{step}"
            inventory.addresses.create(
                ACTOR,
                {
                    "name": name,
                    "customer_name": "Crash Test GmbH",
                    "street": f"Leopoldstraße {step}",
                    "postal_code": "80802",
                    "city": "München",
                    "country": "DE",
                    "confirmed": True,
                },
            )
            inventory.addresses.link(ACTOR, [info.e164], name)
            print(f"address {name} {info.e164}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
