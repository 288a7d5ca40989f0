"""The kill test: SIGKILL a writing process at random moments, many times.

After every kill the database must open, hold every change the writer had confirmed
(printed after the service returned), and keep its invariants: each number was added
with exactly one audit entry, links point at existing addresses, names stay unique.
CRASH_KILLS sets the number of kills (default 30; e.g. CRASH_KILLS=150 for a long run),
CRASH_SEED replays a run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot.core.compliance import Rules
from bot.core.services import Inventory
from bot.core.text import casefold
from storage.database import Databases
from storage.repository import WorkspaceRepository
from tests.crash_writer import TEAM

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("CRASH_KILLS", "30"))


def start_writer(data_dir: Path, run: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_writer", str(data_dir), str(run)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_at_random_moments_loses_no_confirmed_change(tmp_path):
    seed = int(os.environ.get("CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    print(f"CRASH_SEED={seed} CRASH_KILLS={KILLS}")
    data_dir = tmp_path / "data"
    path = data_dir / f"team-{TEAM}.json"
    confirmed_numbers: set[str] = set()
    confirmed_links: dict[str, str] = {}  # e164 -> address name
    mid_commit_kills = 0
    started = time.monotonic()

    for run in range(KILLS):
        writer = start_writer(data_dir, run)
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        time.sleep(rng.uniform(0, 0.35))
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, err
        for line in out.splitlines(keepends=True):
            if not line.endswith("\n"):
                continue  # cut by the kill: not confirmed
            kind, _, rest = line.strip().partition(" ")
            if kind == "number":
                confirmed_numbers.add(rest)
            elif kind == "address":
                name, _, e164 = rest.rpartition(" ")
                confirmed_links[e164] = name
        if list(data_dir.glob("*.tmp")):
            mid_commit_kills += 1

        # The file on disk is a whole database ...
        json.loads(path.read_bytes())
        # ... that opens (a fresh process would do exactly this) ...
        repo = WorkspaceRepository(Databases(data_dir).for_team(TEAM))
        assert list(data_dir.glob("*.tmp")) == []
        inventory = Inventory(repo, Rules.shipped(), "DE")
        numbers = {n.e164: n for n in repo.numbers.all()}
        addresses = {a.id: a for a in repo.addresses.all()}
        by_name = {a.name: a for a in addresses.values()}
        audit = repo.audit_entries()

        # ... holds every confirmed change ...
        missing = confirmed_numbers - numbers.keys()
        assert not missing, f"run {run} (seed {seed}): confirmed numbers lost: {missing}"
        for e164, name in confirmed_links.items():
            assert name in by_name, f"run {run} (seed {seed}): address {name} lost"
            assert numbers[e164].address_id == by_name[name].id
        # ... at most the one change in flight when this writer died is unconfirmed ...
        this_run = {e for e in numbers if e.startswith(f"+49892{run:03d}")}
        assert len(this_run - confirmed_numbers) <= 1
        # ... and the invariants hold: every change came with its audit entry.
        added = Counter(e.subject for e in audit if e.action == "number.add")
        assert added == Counter(numbers.keys())
        created = Counter(e.subject for e in audit if e.action == "address.create")
        assert created == Counter(addresses.keys())
        linked = Counter(e.subject for e in audit if e.action == "number.link")
        assert linked == Counter(e for e, n in numbers.items() if n.address_id)
        for n in numbers.values():
            assert n.address_id is None or n.address_id in addresses
        assert len({casefold(a.name) for a in addresses.values()}) == len(addresses)
        assert inventory.summary().total == len(numbers)

    elapsed = time.monotonic() - started
    print(
        f"{KILLS} kills in {elapsed:.1f} s; {len(confirmed_numbers)} confirmed numbers, "
        f"{len(confirmed_links)} confirmed links; {mid_commit_kills} kills left a temp file"
    )
    assert confirmed_numbers, "the writer never confirmed a change: the test tested nothing"
