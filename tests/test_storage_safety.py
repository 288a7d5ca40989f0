"""What the data dir lets other local users do, and what a damaged database does
(issue #11, items 4 and 5).

- The data dir is 0700 and every file in it (database, journal, audit, lock, the
  temporary files of a compaction) 0600, whatever the umask; an existing data dir with
  looser modes is repaired when the bot or the CLI starts.
- A main file emptied or cut short (its journal already compacted), or an audit file
  longer than the main file says, stops the bot's start-up and every CLI command with
  one clear line, and nothing is overwritten.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from bot.compliance import Rules
from bot.model import Actor
from bot.services import Inventory
from storage import database
from storage.database import Databases
from storage.repository import WorkspaceRepository
from tests.bot_process import BotProcess
from tests.conftest import MANAGER
from tests.fakeslack import FakeSlack
from tests.test_cli import add_address, run_cli

BOSS = Actor(MANAGER, is_manager=True)


@contextlib.contextmanager
def umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def modes(data_dir: Path) -> dict[str, int]:
    return {p.name: mode(p) for p in sorted(data_dir.iterdir())}


def inventory(data_dir: Path, team: str = "T1") -> Inventory:
    return Inventory(WorkspaceRepository(Databases(data_dir).for_team(team)), Rules.shipped(), "DE")


def fill(data_dir: Path) -> Inventory:
    inv = inventory(data_dir)
    add_address(inv, "HQ Munich", "München")
    inv.add_numbers(BOSS, ["+49 89 1234567", "+49 30 1234567"])
    inv.link(BOSS, ["+49 89 1234567"], "HQ Munich")
    inv.repo.database.compact()  # the audit file exists after a compaction
    inv.add_numbers(BOSS, ["+49 40 1234567"])  # and a journal line after it
    return inv


@pytest.mark.parametrize("mask", [0o022, 0o000])
def test_a_new_data_dir_is_0700_and_every_file_0600(tmp_path, mask):
    data_dir = tmp_path / "data"
    with umask(mask):
        fill(data_dir)
    assert mode(data_dir) == 0o700
    found = modes(data_dir)
    assert {"team-T1.json", "team-T1.json.journal", "team-T1.audit.jsonl"} <= set(found)
    assert "team-T1.json.lock" in found
    assert {name: m for name, m in found.items() if m != 0o600} == {}


def test_the_temporary_file_of_a_compaction_is_0600_from_its_creation(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    inv = fill(data_dir)
    seen: list[tuple[str, int]] = []
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        seen.append((Path(src).name, mode(src)))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(database.os, "replace", replace)
    with umask(0o000):
        inv.repo.database.compact()
    assert seen and all(m == 0o600 for _, m in seen), seen


def test_an_existing_data_dir_with_loose_modes_is_repaired_by_the_cli(tmp_path):
    data_dir = tmp_path / "data"
    fill(data_dir)
    os.chmod(data_dir, 0o755)
    for p in data_dir.iterdir():
        os.chmod(p, 0o644)
    work = tmp_path / "work"
    work.mkdir()
    r = run_cli(work, "report", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert mode(data_dir) == 0o700
    assert {n: m for n, m in modes(data_dir).items() if m != 0o600} == {}


def test_an_existing_data_dir_with_loose_modes_is_repaired_when_the_bot_starts(tmp_path):
    data_dir = tmp_path / "data"
    fill(data_dir)
    os.chmod(data_dir, 0o777)
    for p in data_dir.iterdir():
        os.chmod(p, 0o666)
    with FakeSlack() as fake:
        proc = BotProcess(fake, data_dir, log_path=tmp_path / "bot.log").start()
        try:
            assert mode(data_dir) == 0o700
            assert {n: m for n, m in modes(data_dir).items() if m != 0o600} == {}
        finally:
            proc.stop()
