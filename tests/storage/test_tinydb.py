"""Storage: atomic durable commits, rollback, cross-process visibility and locking.

Real TinyDB files in tmp dirs, real subprocesses. The only fault injection is of the
operating system (os.replace failing with ENOSPC), never of our own code.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import storage.database as database
from bot.core.errors import DomainError, StorageBusy, StorageFailure
from bot.core.model import Number
from storage.database import SCHEMA_VERSION, Databases, WorkspaceDatabase
from storage.repository import WorkspaceRepository

ROOT = Path(__file__).resolve().parents[2]


def open_repo(path: Path, **kwargs) -> WorkspaceRepository:
    return WorkspaceRepository(WorkspaceDatabase(path, **kwargs))


def number(e164: str, **fields) -> Number:
    return Number(e164=e164, country="DE", kind="local", area="Munich", **fields)


def run_python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    """A real second process working on the same files."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "team-T1.json"


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def files(path: Path) -> bytes:
    """The database on disk: the main file and its journal."""
    journal = journal_of(path)
    return path.read_bytes() + b"\0" + (journal.read_bytes() if journal.exists() else b"")


def test_commit_is_on_disk_as_one_parseable_file_and_survives_reopen(path):
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    repo = open_repo(path)
    main_before = path.read_bytes()
    with repo.transaction():
        repo.set_value("counter", 7)
        repo.numbers.save(number("+49892001001", label="Sales"))
    # The commit is one journal line; the main file was not rewritten.
    assert path.read_bytes() == main_before
    assert b'"value":7' in journal_of(path).read_bytes().splitlines()[-1]
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []

    again = open_repo(path)
    assert again.get_value("counter") == 7
    assert again.numbers.get("+49892001001").label == "Sales"

    # After compaction the main file alone holds it, and TinyDB's own storage opens it.
    repo.database.compact()
    assert len(journal_of(path).read_bytes().splitlines()) == 1  # only its header
    on_disk = json.loads(path.read_text())
    assert any(d.get("value") == 7 for d in on_disk["values"].values())
    plain = TinyDB(path, storage=JSONStorage, access_mode="r")
    assert plain.table("numbers").all()[0]["label"] == "Sales"
    plain.close()
    assert open_repo(path).get_value("counter") == 7


def test_new_file_is_private_0600_whatever_the_umask(path):
    # Issue #11: the database holds customers' addresses (was 0666 & ~umask).
    umask = os.umask(0)
    try:
        open_repo(path)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_file_always_parses_while_commits_replace_it(path):
    repo = open_repo(path)
    stop = threading.Event()
    problems: list[str] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                json.loads(path.read_bytes())
                reads += 1
            except ValueError as exc:
                problems.append(str(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(150):
            with repo.transaction():
                repo.set_value("i", i)
                repo.set_value(f"padding{i % 10}", "x" * 5000)
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert reads > 0
    assert open_repo(path).get_value("i") == 149


def test_an_exception_rolls_back_disk_and_memory(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("counter", 1)
        repo.numbers.save(number("+49892001001"))
    before = files(path)
    generation = repo.generation

    with pytest.raises(ZeroDivisionError), repo.transaction():
        repo.set_value("counter", 2)
        repo.numbers.save(number("+49892001002"))
        repo.numbers.delete("+49892001001")
        assert repo.numbers.get("+49892001002") is not None  # seen inside
        _ = 1 / 0

    assert files(path) == before
    assert repo.get_value("counter") == 1
    assert repo.numbers.get("+49892001002") is None
    assert repo.numbers.get("+49892001001") is not None
    assert repo.generation > generation  # caches keyed on it are rebuilt
    # and the database keeps working
    with repo.transaction():
        repo.set_value("counter", 3)
    assert open_repo(path).get_value("counter") == 3


def test_a_domain_error_rolls_back_too(path):
    repo = open_repo(path)
    with pytest.raises(DomainError), repo.transaction():
        repo.set_value("counter", 5)
        raise DomainError("refused")
    assert repo.get_value("counter") is None
    assert open_repo(path).get_value("counter") is None


def test_nested_transactions_join_the_outer_one(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("a", 1)
    before = files(path)

    with repo.transaction():
        with repo.transaction():
            repo.set_value("a", 2)
        assert files(path) == before  # the inner end writes nothing
        repo.set_value("b", 2)
    assert open_repo(path).get_value("a") == 2
    assert open_repo(path).get_value("b") == 2

    before = files(path)
    with pytest.raises(KeyError), repo.transaction():
        with repo.transaction():
            repo.set_value("a", 3)
        raise KeyError("outer fails after the inner one ended")
    assert files(path) == before
    assert repo.get_value("a") == 2


def test_writes_outside_a_transaction_are_refused(path):
    repo = open_repo(path)
    with pytest.raises(RuntimeError):
        repo.set_value("a", 1)
    with pytest.raises(RuntimeError):
        repo.numbers.save(number("+49892001001"))


def test_audit_entries_of_a_transaction_are_written_with_it_or_not_at_all(path):
    from bot.core.model import AuditEntry

    repo = open_repo(path)
    entry = AuditEntry(at="2026-01-01T00:00:00+00:00", who="U1", action="x.y", subject="s")
    with repo.transaction():
        repo.append_audit(entry)
        repo.append_audit(AuditEntry(**{**entry.__dict__, "subject": "t"}))
        assert [e.subject for e in repo.audit_entries()] == ["t", "s"]  # seen inside
    with pytest.raises(ValueError), repo.transaction():
        repo.append_audit(AuditEntry(**{**entry.__dict__, "subject": "lost"}))
        raise ValueError
    with repo.transaction():
        repo.set_value("unrelated", 1)  # the rolled back entry must not leak into this
    assert [e.subject for e in open_repo(path).audit_entries()] == ["t", "s"]
    assert [e.subject for e in repo.audit_entries({"s"})] == ["s"]


def test_another_database_on_the_same_file_sees_commits_without_restart(path):
    first = open_repo(path)
    second = open_repo(path)
    assert first.numbers.get("+49892001001") is None  # cached before the change
    with second.transaction():
        second.numbers.save(number("+49892001001", label="from second"))
        second.set_value("k", "v")
    assert first.numbers.get("+49892001001").label == "from second"
    assert first.get_value("k") == "v"
    # and the first writes on top of the second's data, not over it
    with first.transaction():
        first.numbers.save(number("+49892001002"))
    assert {n.e164 for n in second.numbers.all()} == {"+49892001001", "+49892001002"}


def test_a_subprocess_commit_is_seen_without_restart(path):
    repo = open_repo(path)
    assert repo.get_value("who") is None
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from storage.database import WorkspaceDatabase\n"
        "from storage.repository import WorkspaceRepository\n"
        "repo = WorkspaceRepository(WorkspaceDatabase(Path(sys.argv[1])))\n"
        "with repo.transaction():\n"
        "    repo.set_value('who', 'subprocess')\n"
    )
    proc = run_python(code, str(path))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert repo.get_value("who") == "subprocess"


def test_reads_do_not_reparse_the_file_until_it_changes(path, monkeypatch):
    repo = open_repo(path)
    other = open_repo(path)
    repo.get_value("x")
    loads = []
    real_loads = json.loads

    def counting_loads(*args, **kwargs):
        loads.append(1)
        return real_loads(*args, **kwargs)

    monkeypatch.setattr(database.json, "loads", counting_loads)
    for _ in range(100):
        repo.get_value("x")
        repo.numbers.all()
    assert loads == []
    with other.transaction():
        other.set_value("x", 1)
    assert repo.get_value("x") == 1
    assert len(loads) == 1


INCREMENT = (
    "import sys\n"
    "from pathlib import Path\n"
    "from storage.database import WorkspaceDatabase\n"
    "from storage.repository import WorkspaceRepository\n"
    "repo = WorkspaceRepository(WorkspaceDatabase(Path(sys.argv[1]), lock_timeout=30))\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    with repo.transaction():\n"
    "        repo.set_value('counter', repo.get_value('counter', 0) + 1)\n"
)


def test_concurrent_processes_and_threads_lose_no_update(path):
    repo = open_repo(path, lock_timeout=30)  # waits, however loaded the machine is
    n = 150
    procs = [run_python(INCREMENT, str(path), str(n)) for _ in range(3)]

    def bump() -> None:
        for _ in range(n):
            with repo.transaction():
                repo.set_value("counter", repo.get_value("counter", 0) + 1)

    threads = [threading.Thread(target=bump) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert repo.get_value("counter") == 5 * n
    assert open_repo(path).get_value("counter") == 5 * n


HOLD_LOCK = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from storage.database import WorkspaceDatabase\n"
    "db = WorkspaceDatabase(Path(sys.argv[1]))\n"
    "with db.transaction():\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(float(sys.argv[2]))\n"
)


def test_a_second_process_gets_storage_busy_after_its_lock_timeout(path):
    repo = open_repo(path, lock_timeout=0.3)
    before = files(path)
    holder = run_python(HOLD_LOCK, str(path), "3")
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StorageBusy) as caught, repo.transaction():
            repo.set_value("x", 1)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert 0.25 <= waited < 2.5
    assert "busy" in caught.value.message
    assert "Nothing was changed" in caught.value.message
    assert files(path) == before
    # once the holder is gone the lock is free again
    with repo.transaction():
        repo.set_value("x", 2)
    assert open_repo(path).get_value("x") == 2


def test_a_second_process_waits_briefly_for_the_lock(path):
    repo = open_repo(path, lock_timeout=10)
    holder = run_python(HOLD_LOCK, str(path), "0.5")
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with repo.transaction():
            repo.set_value("x", "after the wait")
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert waited >= 0.2
    assert open_repo(path).get_value("x") == "after the wait"


def test_a_failing_write_is_a_storage_failure_and_changes_nothing(path, monkeypatch):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("counter", 1)
        repo.numbers.save(number("+49892001001"))
    before = files(path)

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(database.os, "pwrite", disk_full)
    with pytest.raises(StorageFailure) as caught, repo.transaction():
        repo.set_value("counter", 2)
        repo.numbers.save(number("+49892001002"))
    monkeypatch.undo()

    assert "Nothing was changed" in caught.value.message
    assert os.strerror(errno.ENOSPC) in caught.value.message
    assert files(path) == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert repo.get_value("counter") == 1
    assert repo.numbers.get("+49892001002") is None
    reopened = open_repo(path)
    assert reopened.get_value("counter") == 1
    with repo.transaction():
        repo.set_value("counter", 3)
    assert open_repo(path).get_value("counter") == 3


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_data_dir_is_a_storage_failure(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("counter", 1)
    before = files(path)
    for p in (path, journal_of(path), path.parent):  # as on a read-only mount
        p.chmod(0o555)
    try:
        with pytest.raises(StorageFailure), repo.transaction():
            repo.set_value("counter", 2)
    finally:
        for p in (path.parent, path, journal_of(path)):
            p.chmod(0o755)
    assert files(path) == before
    assert repo.get_value("counter") == 1


def test_a_data_dir_that_cannot_be_created_is_a_storage_failure(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(StorageFailure) as caught:
        Databases(tmp_path / "a-file" / "data").for_team("T1")
    assert "data directory" in caught.value.message


def test_the_schema_version_is_stored(path):
    open_repo(path)
    meta = json.loads(path.read_text())["meta"]
    assert list(meta.values()) == [{"schema": SCHEMA_VERSION}]


def test_a_newer_schema_is_refused_clearly_and_left_alone(path):
    path.write_text(json.dumps({"meta": {"1": {"schema": SCHEMA_VERSION + 1}}, "numbers": {}}))
    before = files(path)
    with pytest.raises(StorageFailure) as caught:
        WorkspaceDatabase(path)
    message = caught.value.message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert "upgrade numbers-bot" in message
    assert files(path) == before


def test_migrations_run_in_order_when_an_older_database_opens(path, monkeypatch):
    open_repo(path)
    ran = []

    def to_2(db):
        ran.append(2)
        db.table("values").insert({"key": "migrated", "value": True})

    monkeypatch.setattr(database, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(database.MIGRATIONS, SCHEMA_VERSION, to_2)
    repo = open_repo(path)
    assert ran == [2]
    assert repo.get_value("migrated") is True
    meta = json.loads(path.read_text())["meta"]
    assert list(meta.values()) == [{"schema": SCHEMA_VERSION + 1}]
    open_repo(path)
    assert ran == [2]  # not again


def test_a_corrupt_file_is_refused_clearly(path):
    path.write_text('{"numbers": {"1": ')
    with pytest.raises(StorageFailure) as caught:
        WorkspaceDatabase(path)
    assert str(path) in caught.value.message


def test_temp_files_left_by_a_killed_writer_are_removed_on_open(path):
    open_repo(path)
    stale = path.with_name(path.name + ".abc123.tmp")
    stale.write_text('{"half": ')
    open_repo(path)
    assert not stale.exists()


def test_each_workspace_has_its_own_file(tmp_path):
    databases = Databases(tmp_path / "data")
    one = WorkspaceRepository(databases.for_team("T1"))
    two = WorkspaceRepository(databases.for_team("T2"))
    assert databases.for_team("T1") is one.database
    with one.transaction():
        one.numbers.save(number("+49892001001"))
    assert two.numbers.all() == []
    assert one.database.path != two.database.path
    assert "+49892001001" not in two.database.path.read_text()
    assert databases.team_ids() == ["T1", "T2"]


@pytest.mark.parametrize("team", ["", "t1", "../T1", "T1/../T2", "T 1", "A" * 33, "T1.json"])
def test_invalid_team_ids_are_refused(tmp_path, team):
    databases = Databases(tmp_path / "data")
    with pytest.raises(DomainError):
        databases.for_team(team)
    assert not (tmp_path / "data").exists() or list((tmp_path / "data").iterdir()) == []


def test_another_process_commit_is_seen_even_with_coarse_file_timestamps(tmp_path):
    """Two quick commits by another process may end with a file of the same size and
    mtime (coarse timestamps, simulated with utime) on a reused inode number: the cached
    copy must still be recognised as stale."""
    for i in range(30):
        path = tmp_path / f"team-T{i}.json"
        first, second = open_repo(path), open_repo(path)
        with second.transaction():
            second.set_value("k", "a0")
        assert first.get_value("k") == "a0"
        mtime = path.stat().st_mtime_ns
        with second.transaction():
            second.set_value("k", "b0")
        with second.transaction():
            second.set_value("k", "c0")
        os.utime(path, ns=(mtime, mtime))
        assert first.get_value("k") == "c0"


# -- the journal ----------------------------------------------------------------------


def journal_lines(path: Path) -> list[bytes]:
    return journal_of(path).read_bytes().splitlines(keepends=True)


def test_commits_are_journal_lines_replayed_on_open(path):
    repo = open_repo(path)
    main = path.read_bytes()
    with repo.transaction():
        repo.numbers.save_many([number("+49892001001"), number("+49892001002")])
    with repo.transaction():
        repo.numbers.save(number("+49892001001", label="changed"))
        repo.numbers.delete("+49892001002")
        repo.set_grant("U1", True)
    with repo.transaction():
        repo.set_grant("U1", False)
        repo.set_value("k", [1, "ü"])
    assert path.read_bytes() == main  # nothing rewritten
    assert len(journal_lines(path)) == 4  # the header and one line per commit
    again = open_repo(path)
    assert {n.e164: n.label for n in again.numbers.all()} == {"+49892001001": "changed"}
    assert again.grants() == set()
    assert again.get_value("k") == [1, "ü"]
    # and the reopened database goes on from there (its next document ids included)
    with again.transaction():
        again.numbers.save(number("+49892001003"))
    assert {n.e164 for n in open_repo(path).numbers.all()} == {"+49892001001", "+49892001003"}


def test_a_torn_last_record_is_ignored_and_cut_off_by_the_next_commit(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("a", 1)
    with repo.transaction():
        repo.set_value("b", 2)
    lines = journal_lines(path)
    journal_of(path).write_bytes(b"".join(lines[:-1]) + lines[-1][:-7])  # killed mid-append
    torn = open_repo(path)
    assert torn.get_value("a") == 1
    assert torn.get_value("b") is None  # never acknowledged
    with torn.transaction():
        torn.set_value("c", 3)
    assert journal_lines(path)[-1].endswith(b"\n")
    assert len(journal_lines(path)) == len(lines)  # the torn line is gone, not skipped
    again = open_repo(path)
    assert (again.get_value("a"), again.get_value("b"), again.get_value("c")) == (1, None, 3)


def test_a_checksum_mismatch_ends_the_replay_and_damage_before_valid_records_is_refused(path):
    repo = open_repo(path)
    for i in range(3):
        with repo.transaction():
            repo.set_value("k", i)
    lines = journal_lines(path)
    flipped = lines[-1].replace(b'"value":2', b'"value":7')
    journal_of(path).write_bytes(b"".join(lines[:-1]) + flipped)
    assert open_repo(path).get_value("k") == 1  # the last line fails its checksum

    middle = lines[2].replace(b'"value":1', b'"value":7')
    journal_of(path).write_bytes(b"".join(lines[:2]) + middle + lines[3])
    with pytest.raises(StorageFailure) as caught:
        WorkspaceDatabase(path)
    assert "damaged" in caught.value.message


def test_compaction_rewrites_the_main_file_and_starts_an_empty_journal(path, monkeypatch):
    monkeypatch.setattr(database, "COMPACT_MIN_BYTES", 2000)
    repo = open_repo(path)
    for i in range(40):
        with repo.transaction():
            repo.set_value(f"k{i}", "x" * 100)
    assert journal_of(path).stat().st_size < 2000
    on_disk = json.loads(path.read_text())
    assert on_disk["_journal"]["1"]["seq"] >= 10  # compacted after at least ten commits
    assert sum(d["key"].startswith("k") for d in on_disk["values"].values()) >= 10
    again = open_repo(path)
    assert [again.get_value(f"k{i}") for i in range(40)] == ["x" * 100] * 40


def test_a_bulk_change_compacts_instead_of_journaling(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.numbers.save_many([number(f"+4989200{i:04d}") for i in range(500)])
    assert len(json.loads(path.read_text())["numbers"]) == 500
    assert len(journal_lines(path)) == 1


def test_a_crash_between_the_two_renames_of_a_compaction_loses_nothing(path, monkeypatch):
    """The main file is replaced, the journal not: its old records are all included in the
    new main file and are skipped, and later commits append after them."""
    repo = open_repo(path)
    for i in range(3):
        with repo.transaction():
            repo.set_value("k", i)
    real_replace = os.replace

    def journal_fails(src, dst):
        if str(dst).endswith(".journal"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(database.os, "replace", journal_fails)
    with repo.transaction():
        repo.set_value("k", 3)
        repo.database._storage.force_compaction()
    monkeypatch.undo()
    assert json.loads(path.read_text())["_journal"]["1"]["seq"] == 5
    assert len(journal_lines(path)) == 4  # the old journal: header and three records
    assert open_repo(path).get_value("k") == 3
    with repo.transaction():
        repo.set_value("k", 4)
    assert open_repo(path).get_value("k") == 4
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_failing_compaction_is_a_storage_failure_and_changes_nothing(path, monkeypatch):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("counter", 1)
    before = files(path)

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(database.os, "replace", disk_full)
    with pytest.raises(StorageFailure), repo.transaction():
        repo.set_value("counter", 2)
        repo.database._storage.force_compaction()
    monkeypatch.undo()
    assert files(path) == before
    assert repo.get_value("counter") == 1
    assert open_repo(path).get_value("counter") == 1


def test_a_main_file_restored_without_its_journal_is_refused_clearly(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.set_value("k", 1)
    old_main = path.read_bytes()
    repo.database.compact()
    with repo.transaction():
        repo.set_value("k", 2)
    path.write_bytes(old_main)  # a backup of the main file, the newer journal kept
    with pytest.raises(StorageFailure) as caught:
        WorkspaceDatabase(path)
    assert "restored from a backup" in caught.value.message


def test_another_process_sees_journal_only_commits_by_replaying_the_new_records(path, monkeypatch):
    repo = open_repo(path)
    with repo.transaction():
        repo.numbers.save(number("+49892001001"))
    assert repo.numbers.get("+49892001001").label == ""
    main = path.read_bytes()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.core.model import Number\n"
        "from storage.database import WorkspaceDatabase\n"
        "from storage.repository import WorkspaceRepository\n"
        "repo = WorkspaceRepository(WorkspaceDatabase(Path(sys.argv[1])))\n"
        "with repo.transaction():\n"
        "    repo.numbers.save(Number(e164='+49892001001', country='DE', kind='local',\n"
        "                             area='Munich', label='from the subprocess'))\n"
        "with repo.transaction():\n"
        "    repo.set_value('who', 'subprocess')\n"
    )
    proc = run_python(code, str(path))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert path.read_bytes() == main  # journal only

    parsed = []
    real_loads = json.loads

    def counting_loads(text, *args, **kwargs):
        parsed.append(len(text))
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(database.json, "loads", counting_loads)
    assert repo.get_value("who") == "subprocess"
    assert repo.numbers.get("+49892001001").label == "from the subprocess"
    assert len(parsed) == 2 and max(parsed) < 1000  # the two new records, not the files
    monkeypatch.undo()
    # and this process appends after them
    with repo.transaction():
        repo.set_value("who", "parent")
    again = open_repo(path)
    assert again.get_value("who") == "parent"
    assert again.numbers.get("+49892001001").label == "from the subprocess"


def test_the_generation_moves_at_writes_not_at_the_commit(path):
    """Data derived inside a transaction after its last write stays current after it
    commits (bot/core/services.py builds its views once, not again after the commit)."""
    from bot.core.model import AuditEntry

    repo = open_repo(path)
    start = repo.generation
    with repo.transaction():
        repo.set_value("k", 1)
        inside = repo.generation
        assert inside > start
        repo.append_audit(AuditEntry(at="t", who="U1", action="x", subject="s"))
    assert repo.generation == inside


# -- the audit log: in the journal, then in team-X.audit.jsonl, never in memory ---------


def audit_file(path: Path) -> Path:
    return path.with_name(path.stem + ".audit.jsonl")


def entry(subject: str, action: str = "x.y"):
    from bot.core.model import AuditEntry

    return AuditEntry(at="2026-01-01T00:00:00+00:00", who="U1", action=action, subject=subject)


def subjects(repo: WorkspaceRepository, about: set[str] | None = None) -> list[str]:
    return [e.subject for e in repo.audit_entries(about)]


def test_audit_entries_survive_compaction_outside_the_main_file_and_memory(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.append_audit(entry("a"))
        repo.append_audit(entry("b"))
    assert b'"audit":[' in journal_lines(path)[-1]
    assert not audit_file(path).exists()
    repo.database.compact()
    assert len(journal_lines(path)) == 1
    on_disk = json.loads(path.read_text())
    assert "audit" not in on_disk
    lines = audit_file(path).read_bytes().splitlines()
    assert [json.loads(line[9:])["subject"] for line in lines] == ["a", "b"]
    assert on_disk["_journal"]["1"]["audit_end"] == audit_file(path).stat().st_size
    with repo.transaction():
        repo.append_audit(entry("a", "x.z"))  # in the journal, after the file's
        repo.numbers.save(number("+49892001001"))
    assert subjects(repo) == ["a", "b", "a"]
    assert [e.action for e in repo.audit_entries({"a"})] == ["x.z", "x.y"]
    assert subjects(repo, {"b", "nope"}) == ["b"]
    assert "audit" not in repo.database._storage.read()  # not held as TinyDB data
    repo.database.compact()
    again = open_repo(path)
    assert subjects(again) == ["a", "b", "a"]
    assert audit_file(path).read_bytes().count(b"\n") == 3


def kill_at_replace(path: Path, suffix: str, body: str) -> None:
    """Run ``body`` in a subprocess that is SIGKILLed at the os.replace onto a file ending
    in ``suffix`` (the operating system's rename, not our code, is intercepted)."""
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "import storage.database as database\n"
        "from bot.core.model import AuditEntry\n"
        "from storage.database import WorkspaceDatabase\n"
        "from storage.repository import WorkspaceRepository\n"
        "def e(s):\n"
        "    return AuditEntry(at='t', who='U1', action='x.y', subject=s)\n"
        "real = os.replace\n"
        "def replace(src, dst):\n"
        f"    if str(dst).endswith({suffix!r}) and KILL:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(src, dst)\n"
        "database.os.replace = replace\n"
        "KILL = False\n"
        "repo = WorkspaceRepository(WorkspaceDatabase(Path(sys.argv[1])))\n" + body
    )
    proc = run_python(code, str(path))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -9, err


def test_a_crash_after_the_audit_append_before_the_journal_is_emptied_duplicates_nothing(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.append_audit(entry("old"))
    repo.database.compact()
    kill_at_replace(
        path,
        ".journal",
        "with repo.transaction():\n"
        "    repo.append_audit(e('j1'))\n"
        "with repo.transaction():\n"
        "    repo.append_audit(e('j2'))\n"
        "KILL = True\n"
        "with repo.transaction():\n"
        "    repo.append_audit(e('c'))\n"
        "    repo.database._storage.force_compaction()\n",
    )
    # The main file was replaced (the commit landed), the old journal was left behind.
    assert len(journal_lines(path)) == 3
    assert subjects(open_repo(path)) == ["c", "j2", "j1", "old"]
    assert subjects(repo) == ["c", "j2", "j1", "old"]  # the open one catches up too
    with repo.transaction():
        repo.append_audit(entry("d"))
    repo.database.compact()
    assert subjects(open_repo(path)) == ["d", "c", "j2", "j1", "old"]
    assert audit_file(path).read_bytes().count(b"\n") == 5


def test_a_crash_after_the_audit_append_before_the_main_file_loses_and_adds_nothing(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.append_audit(entry("old"))
    repo.database.compact()
    kill_at_replace(
        path,
        ".json",
        "with repo.transaction():\n"
        "    repo.append_audit(e('j1'))\n"
        "KILL = True\n"
        "with repo.transaction():\n"
        "    repo.append_audit(e('never'))\n"
        "    repo.set_value('k', 1)\n"
        "    repo.database._storage.force_compaction()\n",
    )
    # The audit file got j1 and "never" beyond the length the main file names: ignored.
    assert b'"never"' in audit_file(path).read_bytes()
    fresh = open_repo(path)
    assert subjects(fresh) == ["j1", "old"]
    assert subjects(fresh, {"never"}) == []
    assert fresh.get_value("k") is None
    with fresh.transaction():
        fresh.append_audit(entry("next"))
        fresh.database._storage.force_compaction()
    assert b'"never"' not in audit_file(path).read_bytes()  # cut off before appending
    assert subjects(open_repo(path)) == ["next", "j1", "old"]
    assert subjects(repo) == ["next", "j1", "old"]


def test_another_process_sees_new_audit_entries_in_the_journal_and_after_compaction(path):
    repo = open_repo(path)
    with repo.transaction():
        repo.append_audit(entry("mine"))
    assert subjects(repo) == ["mine"]
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.core.model import AuditEntry\n"
        "from storage.database import WorkspaceDatabase\n"
        "from storage.repository import WorkspaceRepository\n"
        "repo = WorkspaceRepository(WorkspaceDatabase(Path(sys.argv[1])))\n"
        "with repo.transaction():\n"
        "    repo.append_audit(AuditEntry(at='t', who='U2', action='x', subject=sys.argv[2]))\n"
        "if sys.argv[3] == 'compact':\n"
        "    repo.database.compact()\n"
    )
    for subject, how in (("theirs", "journal"), ("compacted", "compact")):
        proc = run_python(code, str(path), subject, how)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    assert subjects(repo) == ["compacted", "theirs", "mine"]
    assert [e.who for e in repo.audit_entries({"theirs"})] == ["U2"]


def schema_1(path: Path) -> None:
    """A database as numbers-bot wrote it before the audit file: an "audit" table in the
    main file, and one more entry in a journal record."""
    old = {"at": "t", "who": "U1", "action": "x.y", "before": None, "after": None}
    main = {
        "meta": {"1": {"schema": 1}},
        "audit": {"1": {**old, "subject": "m1"}, "2": {**old, "subject": "m2"}},
        "values": {},
        "_journal": {"1": {"seq": 4}},
    }
    path.write_text(json.dumps(main))
    record = {
        "seq": 5,
        "clear": [],
        "docs": {
            "audit": {"3": {**old, "subject": "j"}},
            "values": {"1": {"key": "k", "value": 1}},
        },
    }
    journal_of(path).write_bytes(database._line({"base": 4}) + database._line(record))


def test_a_schema_1_database_moves_its_audit_table_to_the_audit_file(path):
    schema_1(path)
    repo = open_repo(path)
    assert subjects(repo) == ["j", "m2", "m1"]
    assert repo.get_value("k") == 1
    on_disk = json.loads(path.read_text())
    assert "audit" not in on_disk
    assert list(on_disk["meta"].values()) == [{"schema": SCHEMA_VERSION}]
    assert audit_file(path).read_bytes().count(b"\n") == 3
    with repo.transaction():
        repo.append_audit(entry("new"))
    assert subjects(open_repo(path)) == ["new", "j", "m2", "m1"]


def test_a_migration_killed_at_its_main_file_runs_again_without_duplicates(path):
    schema_1(path)
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "import storage.database as database\n"
        "real = os.replace\n"
        "def replace(src, dst):\n"
        "    if str(dst).endswith('.json'):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(src, dst)\n"
        "database.os.replace = replace\n"
        "database.WorkspaceDatabase(Path(sys.argv[1]))\n"
    )
    proc = run_python(code, str(path))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -9, err
    assert json.loads(path.read_text())["meta"]["1"]["schema"] == 1  # not migrated yet
    assert audit_file(path).read_bytes().count(b"\n") == 3  # appended, never committed
    repo = open_repo(path)
    assert subjects(repo) == ["j", "m2", "m1"]
    assert audit_file(path).read_bytes().count(b"\n") == 3


def test_the_main_file_is_written_in_pieces_that_make_exactly_json_dumps():
    from storage.database import CHUNK_DOCS, AtomicJSONStorage, _dumps

    data = {
        "numbers": {str(i): {"e164": f"+4989{i:07d}", "area": "München"} for i in range(2500)},
        "empty": {},
        "meta": {"1": {"schema": 2}},
    }
    marker = '"_journal":{"1":{"seq":3}}'
    pieces = list(AtomicJSONStorage._main_chunks(data, marker))
    assert max(len(p) for p in pieces) < 80 * CHUNK_DOCS  # never the whole text at once
    assert b"".join(pieces).decode() == _dumps({**data, "_journal": {"1": {"seq": 3}}})
    assert b"".join(AtomicJSONStorage._main_chunks({}, marker)) == b'{"_journal":{"1":{"seq":3}}}'
