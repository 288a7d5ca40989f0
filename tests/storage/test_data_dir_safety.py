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

from bot.core.compliance import Rules
from bot.core.model import Actor
from bot.core.services import Inventory
from storage import database
from storage.database import Databases
from storage.repository import WorkspaceRepository
from tests.bot_process import BotProcess
from tests.conftest import MANAGER
from tests.e2e.test_cli import add_address, run_cli
from tests.fakeslack import FakeSlack

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
    inv.numbers.add(BOSS, ["+49 89 1234567", "+49 30 1234567"])
    inv.addresses.link(BOSS, ["+49 89 1234567"], "HQ Munich")
    inv.repo.database.compact()  # the audit file exists after a compaction
    inv.numbers.add(BOSS, ["+49 40 1234567"])  # and a journal line after it
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


# ----------------------------------------------------------------------- item 5
def snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


def one_clear_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def damage_empty(data_dir: Path) -> None:
    (data_dir / "team-T1.json").write_bytes(b"")  # the journal is a compacted one (a header)


def damage_empty_without_journal(data_dir: Path) -> None:
    (data_dir / "team-T1.json").write_bytes(b"")
    (data_dir / "team-T1.json.journal").unlink()


def damage_empty_journal_too(data_dir: Path) -> None:
    (data_dir / "team-T1.json").write_bytes(b"")
    (data_dir / "team-T1.json.journal").write_bytes(b"")


def damage_truncated(data_dir: Path) -> None:
    main = data_dir / "team-T1.json"
    main.write_bytes(main.read_bytes()[: main.stat().st_size // 2])


def damage_missing(data_dir: Path) -> None:
    (data_dir / "team-T1.json").unlink()


DAMAGES = {
    "emptied": damage_empty,
    "emptied, no journal": damage_empty_without_journal,
    "emptied, empty journal": damage_empty_journal_too,
    "cut in half": damage_truncated,
    "missing beside its audit file": damage_missing,
}


def compacted(data_dir: Path) -> Path:
    inv = fill(data_dir)
    inv.repo.database.compact()  # the journal holds only its header now
    return data_dir


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_main_file_stops_the_cli_with_one_line_and_changes_nothing(tmp_path, damage):
    data_dir = compacted(tmp_path / "data")
    DAMAGES[damage](data_dir)
    before = snapshot(data_dir)
    work = tmp_path / "work"
    work.mkdir()
    for args in (("report",), ("export",), ("report", "--team", "T1")):
        r = run_cli(work, *args, data_dir=data_dir)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        line = one_clear_line(r.stderr)
        assert "team-T1.json" in line and "backup" in line, line
        assert "0 numbers" not in r.stdout
    csv = work / "numbers.csv"
    csv.write_text("number,address,label,groups\n+49 89 7654321,,,\n")
    r = run_cli(work, "import", str(csv), "--team", "T1", data_dir=data_dir)
    assert r.returncode == 2, (r.stdout, r.stderr)
    one_clear_line(r.stderr)
    assert snapshot(data_dir) == before


def test_an_emptied_main_file_stops_the_bot_at_start_up(tmp_path):
    data_dir = compacted(tmp_path / "data")
    damage_empty_without_journal(data_dir)
    before = snapshot(data_dir)
    log_path = tmp_path / "bot.log"
    with FakeSlack() as fake:
        proc = BotProcess(fake, data_dir, log_path=log_path)
        with pytest.raises(AssertionError, match="exited with 2"):
            proc.start(timeout=20)
    output = log_path.read_text()
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if "team-T1.json" in line and "backup" in line]
    assert snapshot(data_dir) == before


def test_an_audit_file_longer_than_the_main_file_says_stops_cli_and_start_up(tmp_path):
    data_dir = compacted(tmp_path / "data")
    backup = snapshot(data_dir)
    inv = inventory(data_dir)
    for city in ("Berlin", "Hamburg", "Köln"):
        add_address(inv, f"Office {city}", city)
    inv.repo.database.compact()  # the audit file grows by three commits' entries
    for name in ("team-T1.json", "team-T1.json.journal"):  # an older backup of the two
        (data_dir / name).write_bytes(backup[name])
    assert (data_dir / "team-T1.audit.jsonl").stat().st_size > len(backup["team-T1.audit.jsonl"])
    before = snapshot(data_dir)
    work = tmp_path / "work"
    work.mkdir()
    r = run_cli(work, "report", data_dir=data_dir)
    assert r.returncode == 2, (r.stdout, r.stderr)
    line = one_clear_line(r.stderr)
    assert "team-T1.audit.jsonl" in line, line
    log_path = tmp_path / "bot.log"
    with FakeSlack() as fake, pytest.raises(AssertionError, match="exited with 2"):
        BotProcess(fake, data_dir, log_path=log_path).start(timeout=20)
    assert "team-T1.audit.jsonl" in log_path.read_text()
    assert snapshot(data_dir) == before


def test_the_leftover_of_an_unfinished_compaction_still_opens(tmp_path):
    """Audit lines past the recorded length that a crashed compaction left are no fault."""
    data_dir = tmp_path / "data"
    inv = fill(data_dir)  # the journal holds a commit with audit entries
    audit = data_dir / "team-T1.audit.jsonl"
    valid = audit.read_bytes()
    storage = inv.repo.database._storage
    with inv.repo.database.transaction():
        storage._append_audit(storage._seq + 1)  # what a compaction does first...
    assert audit.stat().st_size > len(valid)  # ...and then it was killed
    work = tmp_path / "work"
    work.mkdir()
    r = run_cli(work, "report", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert "3 numbers" in r.stdout
