"""Crash over HTTP: SIGKILL the real bot process while a driver sends it changes.

A driver sends signed requests exactly as Slack would (add numbers, address forms,
links, group forms) to `python -m bot` running as a subprocess, and records every
change the bot confirmed (HTTP 200 with its success reply). At a random moment the
process is SIGKILLed. After each kill the database is opened fresh and the bot is
restarted on the same data dir: every confirmed change must be there, the one change
in flight may or may not be, and the invariants hold (links point at existing
addresses, group members exist, one audit entry per change).

RELIABILITY_KILLS sets the number of kills (default 10; 100 for the full run),
RELIABILITY_SEED replays a run.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

from bot.core.text import casefold
from handlers.blocks import plural
from storage.database import Databases
from storage.repository import WorkspaceRepository
from tests.bot_process import BotProcess
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.slack_driver import Lost, command, new_address, open_form, saved, submit

KILLS = int(os.environ.get("RELIABILITY_KILLS", "10"))


class Driver:
    """Sends changes until the bot dies; remembers what was confirmed and what was in flight."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.next_number = 0
        self.numbers: set[str] = set()  # confirmed
        self.addresses: set[str] = set()
        self.links: dict[str, str] = {}  # e164 -> address name
        self.groups: dict[str, list[str]] = {}  # name -> members
        self.group_edits: Counter = Counter()  # name -> confirmed edits
        self.confirmed = 0
        self.in_flight: tuple | None = None  # the change sent when the bot died

    def new_numbers(self, k: int) -> list[str]:
        out = []
        for _ in range(k):
            self.next_number += 1
            out.append(f"+4989{3_000_000 + self.next_number}")
        return out

    def step(self, proc: BotProcess, fake: FakeSlack) -> None:
        sender, alive = proc.sender, lambda: proc.alive
        rng = self.rng
        unlinked = sorted(self.numbers - self.links.keys())
        choice = rng.random()
        if choice < 0.3 or len(self.numbers) < 4:
            fresh = self.new_numbers(rng.randint(1, 3))
            self.in_flight = ("add", fresh)
            r, _ = command(sender, "add " + " ".join(fresh))
            assert r.status == 200, r.body_text
            assert f"Added {plural(len(fresh), 'number')}" in r.json["text"], r.body_text
            self.numbers.update(fresh)
        elif choice < 0.45 or not self.addresses:
            name = f"Office {len(self.addresses) + 1}-{rng.randrange(10**6)}"
            self.in_flight = ("address", name)
            r = new_address(sender, fake, name, alive=alive)
            assert saved(r) and "created" in r.body_text, r.body_text
            self.addresses.add(name)
        elif choice < 0.65 and unlinked:
            chosen = rng.sample(unlinked, min(len(unlinked), rng.randint(1, 3)))
            address = rng.choice(sorted(self.addresses))
            self.in_flight = ("link", chosen, address)
            r, _ = command(sender, f'link {" ".join(chosen)} to "{address}"')
            linked = f"Linked {plural(len(chosen), 'number')}"
            assert r.status == 200 and linked in r.json["text"], (
                r.body_text
            )
            self.links.update(dict.fromkeys(chosen, address))
        elif choice < 0.8 or not self.groups:
            name = f"Team {len(self.groups) + 1}-{rng.randrange(10**6)}"
            members = rng.sample(sorted(self.numbers), rng.randint(1, 4))
            self.in_flight = ("group", name, members)
            modal = open_form(sender, fake, "group new", alive=alive)
            r = submit(modal.fill("Name", name).fill("Numbers", members), sender)
            assert saved(r) and "created" in r.body_text, r.body_text
            self.groups[name] = members
        else:
            name = rng.choice(sorted(self.groups))
            members = rng.sample(sorted(self.numbers), rng.randint(0, 4))
            self.in_flight = ("group", name, members)
            modal = open_form(sender, fake, f'group edit "{name}"', alive=alive)
            r = submit(modal.fill("Numbers", members), sender)
            assert saved(r) and "saved" in r.body_text, r.body_text
            self.groups[name] = members
            self.group_edits[name] += 1
        self.in_flight = None
        self.confirmed += 1


def check_database(data_dir: Path, driver: Driver, context: str) -> dict:
    """Open the database as a restarted process would and check everything confirmed."""
    repo = WorkspaceRepository(Databases(data_dir).for_team(TEAM_ID))
    numbers = {n.e164: n for n in repo.numbers.all()}
    addresses = {a.id: a for a in repo.addresses.all()}
    address_by_name = {a.name: a for a in addresses.values()}
    groups = {g.name: g for g in repo.groups.all()}
    audit = repo.audit_entries()
    flight = driver.in_flight

    # Every confirmed change is there.
    assert not driver.numbers - numbers.keys(), f"{context}: confirmed numbers lost"
    assert not driver.addresses - address_by_name.keys(), f"{context}: confirmed address lost"
    for e164, name in driver.links.items():
        assert numbers[e164].address_id == address_by_name[name].id, f"{context}: link lost"
    for name, members in driver.groups.items():
        on_disk = groups[name].numbers
        maybe = flight[2] if flight and flight[0] == "group" and flight[1] == name else None
        assert sorted(on_disk) in (sorted(members), sorted(members if maybe is None else maybe)), (
            f"{context}: group {name} has {on_disk}, confirmed {members}"
        )
    # Nothing but the change in flight appeared unconfirmed.
    extra_numbers = numbers.keys() - driver.numbers
    assert not extra_numbers or (flight and flight[0] == "add" and extra_numbers <= set(flight[1]))
    extra_addresses = address_by_name.keys() - driver.addresses
    assert not extra_addresses or (flight and extra_addresses == {flight[1]})
    extra_groups = groups.keys() - driver.groups.keys()
    assert not extra_groups or (flight and extra_groups == {flight[1]})

    # Invariants.
    for n in numbers.values():
        assert n.address_id is None or n.address_id in addresses, f"{context}: dangling link"
    for g in groups.values():
        assert set(g.numbers) <= numbers.keys(), f"{context}: group member missing"
    assert len({casefold(a.name) for a in addresses.values()}) == len(addresses)

    # The audit log: one entry per change, and only for what is there.
    by_action = Counter(e.action for e in audit)
    assert Counter(e.subject for e in audit if e.action == "number.add") == Counter(numbers.keys())
    made = Counter(e.subject for e in audit if e.action == "address.create")
    assert made == Counter(addresses.keys())
    linked = Counter(e.subject for e in audit if e.action == "number.link")
    assert linked == Counter(e for e, n in numbers.items() if n.address_id)
    created = Counter(e.subject for e in audit if e.action == "group.create")
    assert created == Counter(g.id for g in groups.values())
    edits = Counter(e.subject for e in audit if e.action == "group.edit")
    for name, g in groups.items():
        confirmed = driver.group_edits[name]
        in_flight = 1 if flight and flight[0] == "group" and flight[1] == name else 0
        assert confirmed <= edits[g.id] <= confirmed + in_flight, f"{context}: group audit"
    assert set(by_action) <= {
        "number.add",
        "address.create",
        "number.link",
        "group.create",
        "group.edit",
    }

    # What the restarted process finds is now the truth for the next run.
    driver.numbers = set(numbers)
    driver.addresses = set(address_by_name)
    driver.links = {e: addresses[n.address_id].name for e, n in numbers.items() if n.address_id}
    for name, g in groups.items():
        driver.groups[name] = list(g.numbers)
        driver.group_edits[name] = edits[g.id]  # an in-flight edit that made it counts
    driver.in_flight = None
    return {"numbers": len(numbers), "audit": len(audit)}


def test_sigkill_of_the_bot_process_loses_no_confirmed_change(tmp_path):
    seed = int(os.environ.get("RELIABILITY_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    print(f"RELIABILITY_SEED={seed} RELIABILITY_KILLS={KILLS}")
    data_dir = tmp_path / "data"
    driver = Driver(rng)
    in_flight_kills = 0
    started = time.monotonic()
    with FakeSlack() as fake:
        fake.add_user("UMANAGER", name="manager")
        for run in range(KILLS):
            proc = BotProcess(fake, data_dir, log_path=tmp_path / "bot.log").start()
            if run:  # the restarted bot answers from what is on disk
                r, _ = command(proc.sender, "")
                assert f"*{len(driver.numbers)}* numbers" in r.body_text, r.body_text
            killer = threading.Timer(rng.uniform(0.2, 1.5), proc.kill)
            killer.start()
            try:
                while True:
                    driver.step(proc, fake)
            except Lost:
                pass
            finally:
                killer.cancel()
                proc.kill()
            assert proc.proc.returncode == -9
            if driver.in_flight:
                in_flight_kills += 1
            check_database(data_dir, driver, f"run {run} (seed {seed})")
        # A last restart: the bot opens the database and serves it.
        proc = BotProcess(fake, data_dir, log_path=tmp_path / "bot.log").start()
        try:
            r, _ = command(proc.sender, "")
            assert f"*{len(driver.numbers)}* numbers" in r.body_text
        finally:
            proc.stop()
        assert fake.violations == []
    elapsed = time.monotonic() - started
    print(
        f"RELIABILITY crash: {KILLS} kills in {elapsed:.1f} s; {driver.confirmed} confirmed "
        f"changes, lost 0; {in_flight_kills} kills with a change in flight; "
        f"{len(driver.numbers)} numbers, {len(driver.addresses)} addresses, "
        f"{len(driver.links)} links, {len(driver.groups)} groups on disk"
    )
    assert driver.confirmed >= KILLS, "the driver confirmed too little: the test tested little"
