"""Outbox leases across restarts (issue #11, item 8).

A notification being posted is claimed with a lease, so that no other worker posts it
too. A bot that stops gracefully releases what it claimed, and a lease whose holder
(a process: host, boot, pid and the pid's start time) no longer exists does not hold
its entry: after a restart the pending notification goes out at once, not after the
five minutes of the lease.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import notify
from storage.database import Databases
from storage.repository import WorkspaceRepository
from tests.bot_process import BotProcess
from tests.conftest import MANAGER
from tests.fakeslack import TEAM_ID, FakeSlack

CHANNEL = "C0NOTIFY"


def alerts(fake: FakeSlack) -> list:
    return [
        c
        for c in fake.calls
        if c.method == "chat.postMessage" and "lack the address" in str(c.body.get("text"))
    ]


def wait_for_alerts(fake: FakeSlack, count: int, timeout: float) -> float:
    start = time.monotonic()
    while len(alerts(fake)) < count:
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{len(alerts(fake))} alert post(s) after {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def unsent(data_dir: Path) -> list[dict]:
    repo = WorkspaceRepository(Databases(data_dir).for_team(TEAM_ID))
    return repo.outbox_pending(float("inf"))


def bot(fake: FakeSlack, tmp_path: Path, name: str) -> BotProcess:
    return BotProcess(
        fake, tmp_path / "data", log_path=tmp_path / f"{name}.log", NUMBERS_NOTIFY_CHANNEL=CHANNEL
    )


@pytest.mark.parametrize("how", ["graceful stop", "SIGKILL"])
def test_a_post_cut_off_by_a_restart_goes_out_at_once_after_it(tmp_path, how):
    with FakeSlack() as fake:
        fake.add_user(MANAGER, name="manager")
        fake.fail("chat.postMessage", error="timeout", delay=40)  # Slack hangs on the post
        first = bot(fake, tmp_path, "first").start()
        try:
            r = first.sender.command("add +49 89 1234567")
            assert "Added 1 number" in r.json["text"]
            wait_for_alerts(fake, 1, timeout=15)  # the post is in flight now
            time.sleep(0.3)
            started = time.monotonic()
            if how == "SIGKILL":
                first.kill()
            else:
                first.proc.send_signal(signal.SIGTERM)
                first.proc.wait(timeout=15)
                assert first.proc.returncode == 0, first.log_path.read_text()[-2000:]
                stopped = time.monotonic() - started
                print(f"stopped {stopped:.2f} s after SIGTERM")
                assert stopped < 8  # it did not wait for Slack's answer
        finally:
            first.kill()
        if how == "graceful stop":
            # Released: held by nobody, due now (the digest may wait there too).
            left = unsent(tmp_path / "data")
            (entry,) = [e for e in left if e["data"]["kind"] == "numbers_added"]
            assert entry.get("holder") is None and entry["next_attempt"] <= time.time()
            assert [e for e in left if e.get("holder")] == []
        second = bot(fake, tmp_path, "second").start()
        try:
            waited = wait_for_alerts(fake, 2, timeout=45)
            print(f"{how}: posted {waited:.2f} s after the restart was healthy")
            assert waited < 30, waited  # not the five minutes of the lease
            deadline = time.monotonic() + 10
            while unsent(tmp_path / "data") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert unsent(tmp_path / "data") == []
        finally:
            second.stop()


@pytest.fixture
def repo(tmp_path):
    return WorkspaceRepository(Databases(tmp_path / "data").for_team(TEAM_ID))


def claimed_entry(repo, holder: dict) -> str:
    with repo.transaction():
        entry_id = notify.queue(repo, CHANNEL, {"kind": "digest"})
    with repo.transaction():
        repo.outbox_defer(entry_id, time.time() + 300, holder=holder)
    return entry_id


def test_a_lease_of_a_live_process_holds_and_of_a_dead_one_does_not(repo):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = notify.process_identity(sleeper.pid)
        assert holder["pid"] == sleeper.pid and holder["start"] is not None
        entry_id = claimed_entry(repo, holder)
        posted: list[str] = []

        def send(channel, data):
            posted.append(channel)
            return {"channel": channel, "ts": "1.1"}

        assert notify.deliver(repo, send).sent == []  # its holder lives: not taken
        sleeper.kill()
        sleeper.wait()
        assert notify.deliver(repo, send).sent == [entry_id]
        assert posted == [CHANNEL]
    finally:
        sleeper.kill()


def test_a_reused_pid_is_not_the_holder(repo):
    me = notify.process_identity()
    impostor = {**me, "start": (me["start"] or 0) + 12345}  # same pid, another process
    entry_id = claimed_entry(repo, impostor)
    assert notify.deliver(repo, lambda c, d: {"ts": "1.2"}).sent == [entry_id]


def test_a_lease_of_this_very_process_or_another_host_still_holds(repo):
    claimed_entry(repo, notify.process_identity())  # another thread of ours is posting it
    claimed_entry(repo, {**notify.process_identity(), "host": "elsewhere", "pid": 1})
    assert notify.deliver(repo, lambda c, d: {"ts": "1.3"}).sent == []
