"""Faults: Slack's Web API failing (429 with Retry-After, 500, ok:false errors) on each
call the bot makes while a person works, and the disk failing (full, unwritable) during
a change made through Slack. The person still gets an answer; nothing is lost or
half-saved; the database still opens.

The disk is failed at the OS boundary: the bot runs in this process and os.fsync /
os.pwrite raise the OSError a full disk or a read-only data dir
raises (the tests run as root, so chmod would not stop the writes).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import time

import pytest

from bot.core.model import Actor
from storage.database import Databases
from storage.repository import WorkspaceRepository
from tests.conftest import MANAGER
from tests.fakeslack import TEAM_ID
from tests.slack_driver import ADDRESS_VALUES, command, opened_view, submit

BOSS = Actor(MANAGER, True)
ADMIN = "UADMIN"  # a workspace admin, not in NUMBERS_MANAGERS: a manager via users.info


def disk(bot) -> str:
    main = bot.data_dir / f"team-{TEAM_ID}.json"
    journal = main.with_name(main.name + ".journal")
    content = main.read_bytes() + (journal.read_bytes() if journal.exists() else b"")
    return hashlib.sha256(content).hexdigest()


def told(bot, trigger: str, timeout: float = 10) -> str:
    """The text the bot sent through the command's response_url."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in bot.fake.calls_to("response_url"):
            if call.body.get("_name") == f"cmd-{trigger}":
                return call.body.get("text", "")
        time.sleep(0.02)
    raise AssertionError("the person was told nothing")


@pytest.fixture
def world(bot):
    inv = bot.inventory()
    inv.numbers.add(BOSS, ["+49891234567", "+49301234567"])
    inv.groups.save(BOSS, "Sales", ["+49891234567"])
    bot.fake.add_user(ADMIN, name="admin", is_admin=True)
    yield bot
    assert bot.fake.violations == []


# -- Slack faults ----------------------------------------------------------------------

VIEWS_OPEN_FAILURES = {
    "500 every time": {"status": 500, "times": 3},  # the client retries 5xx twice
    "ok false ratelimited": {"error": "ratelimited"},
    "expired trigger": {"error": "expired_trigger_id"},
    "other error": {"error": "internal_error"},
}


@pytest.mark.parametrize("fault", VIEWS_OPEN_FAILURES, ids=list(VIEWS_OPEN_FAILURES))
def test_views_open_failing_is_told_and_changes_nothing(world, fault):
    bot = world
    before = disk(bot)
    bot.fake.fail("views.open", **VIEWS_OPEN_FAILURES[fault])
    r, trigger = command(bot.sender, "address new")
    assert r.status == 200  # the ack still answers at once
    assert "did not open the form" in told(bot, trigger)
    assert disk(bot) == before
    # Once Slack answers again the same command works.
    r, trigger = command(bot.sender, "address new")
    assert opened_view(bot.fake, trigger).callback_id == "address_form"


def test_views_open_rate_limited_once_is_retried_after_retry_after(world):
    bot = world
    bot.fake.fail("views.open", 429, retry_after=1)
    r, trigger = command(bot.sender, 'group edit "Sales"')
    assert r.status == 200
    modal = opened_view(bot.fake, trigger, timeout=8)
    calls = [c for c in bot.fake.calls_to("views.open") if c.body.get("trigger_id") == trigger]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.9  # Retry-After was honoured
    # The form still saves (the trigger was used once, within its 3 s).
    r = submit(modal.fill("Numbers", ["+49301234567"]), bot.sender)
    assert r.json["response_action"] == "update"
    assert bot.inventory().group("Sales").numbers == ["+49301234567"]


@pytest.mark.parametrize("status", [429, 500])
def test_views_publish_failing_then_home_opens_again(world, status):
    bot = world
    bot.fake.fail("views.publish", status, retry_after=1, times=4)  # more than the retries
    assert bot.sender.app_home_opened(MANAGER).status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(bot.fake.calls_to("views.publish")) < 3:
        time.sleep(0.05)
    assert all(not c.ok for c in bot.fake.calls_to("views.publish"))
    time.sleep(1.5 if status == 429 else 0.3)
    # The next open (Slack sends one each time the tab is shown) publishes the home.
    n = len(bot.fake.calls_to("views.publish"))
    bot.fake.reset()
    assert bot.sender.app_home_opened(MANAGER).status == 200
    published = bot.fake.wait_for("views.publish", timeout=10)
    assert published[-1].ok, (n, published[-1].response)


@pytest.mark.parametrize(
    "fault",
    [{"status": 500, "times": 3}, {"error": "ratelimited"}, {"error": "user_not_found"}],
    ids=["500", "ok-false-ratelimited", "user_not_found"],
)
def test_users_info_failing_means_no_admin_right_with_a_clear_refusal(world, fault):
    bot = world
    before = disk(bot)
    bot.fake.fail("users.info", **fault)
    started = time.monotonic()
    r, trigger = command(bot.sender, "add +49 89 7654321", user=ADMIN)
    if r.status == 200:
        text = r.json["text"]
    else:
        # The client's retries (with backoff) outlasted Slack's 3 s for the ack: Bolt
        # answered 404 and the refusal goes through response_url instead.
        assert time.monotonic() - started > 2.5, r.body_text
        text = told(bot, trigger)
    assert "Only managers can add numbers" in text, text
    assert disk(bot) == before
    # Once Slack answers, the admin is a manager (a failed lookup is not remembered).
    r, _ = command(bot.sender, "add +49 89 7654321", user=ADMIN)
    assert "Added 1 number" in r.json["text"], r.body_text


def test_users_info_rate_limited_once_is_retried(world):
    bot = world
    bot.fake.fail("users.info", 429, retry_after=1)
    r, _ = command(bot.sender, "add +49 89 7654322", user=ADMIN)
    assert "Added 1 number" in r.json["text"], r.body_text
    assert [c.status for c in bot.fake.calls_to("users.info")][:2] == [429, 200]


# -- disk faults -----------------------------------------------------------------------


def _raiser(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


# A commit appends to the journal (pwrite, fsync); a compaction also creates and renames
# files (mkstemp, replace: see tests/storage/test_tinydb.py for faults there).
DISK_FAULTS = {
    "disk full at fsync": ("fsync", errno.ENOSPC, "disk is full"),
    "disk full at append": ("pwrite", errno.ENOSPC, "disk is full"),
    "read-only at append": ("pwrite", errno.EROFS, "not writable"),
}


def inject(monkeypatch, fault: str) -> None:
    where, code, _ = DISK_FAULTS[fault]
    if where == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", _raiser(code))
    else:
        monkeypatch.setattr(os, where, _raiser(code))


def reopens(bot) -> WorkspaceRepository:
    repo = WorkspaceRepository(Databases(bot.data_dir).for_team(TEAM_ID))
    assert len(repo.numbers.all()) >= 2
    return repo


@pytest.mark.parametrize("fault", DISK_FAULTS, ids=list(DISK_FAULTS))
def test_disk_fault_during_a_command_is_told_and_changes_nothing(world, monkeypatch, fault):
    bot = world
    before, audit = disk(bot), len(bot.inventory().audit())
    inject(monkeypatch, fault)
    r, _ = command(bot.sender, "add +49 89 5550001")
    r2, _ = command(bot.sender, "link +49 89 1234567 to nowhere")  # refused before any write
    monkeypatch.undo()
    assert r.status == 200
    text = r.json["text"]
    assert "could not be saved" in text and "Nothing was changed" in text, text
    assert DISK_FAULTS[fault][2] in text
    assert "Sorry, something went wrong" not in r2.body_text
    assert disk(bot) == before
    repo = reopens(bot)
    assert len(repo.audit_entries()) == audit
    # The running bot did not keep the failed change in memory either.
    r, _ = command(bot.sender, "show +49 89 5550001")
    assert "not in the inventory" in r.body_text or ":warning:" in r.body_text, r.body_text
    # With the disk back, the same change works.
    r, _ = command(bot.sender, "add +49 89 5550001")
    assert "Added 1 number" in r.json["text"]


@pytest.mark.parametrize("fault", DISK_FAULTS, ids=list(DISK_FAULTS))
def test_disk_fault_during_a_form_is_told_inline_and_changes_nothing(world, monkeypatch, fault):
    bot = world
    r, trigger = command(bot.sender, "address new")
    modal = opened_view(bot.fake, trigger).fill("Name", "Branch")
    for label, value in ADDRESS_VALUES.items():
        modal.fill(label, value)
    r, trigger = command(bot.sender, 'group edit "Sales"')
    group_form = opened_view(bot.fake, trigger).fill("Numbers", ["+49301234567"])
    before = disk(bot)
    inject(monkeypatch, fault)
    results = [submit(modal, bot.sender), submit(group_form, bot.sender)]
    monkeypatch.undo()
    for r in results:
        assert r.status == 200 and r.json["response_action"] == "errors", r.body_text
        message = " ".join(r.json["errors"].values())
        assert "could not be saved" in message and "Nothing was changed" in message, message
    assert disk(bot) == before
    reopens(bot)
    inv = bot.inventory()
    assert [a.name for a in inv.address_list()] == []
    assert inv.group("Sales").numbers == ["+49891234567"]
    # The same forms, submitted again with the disk back, save.
    assert submit(modal, bot.sender).json["response_action"] == "update"
    assert bot.inventory().address("Branch").city == "München"


def test_disk_full_during_a_button_is_told(world, monkeypatch):
    bot = world
    r, _ = command(bot.sender, "remove +49 30 1234567")
    message = {"type": "message", "ts": "1.000100", "text": r.json["text"]}
    message["blocks"] = r.json["blocks"]
    before = disk(bot)
    inject(monkeypatch, "disk full at fsync")
    bot.fake.reset()
    assert bot.sender.block_action("remove_number", message=message).status == 200
    reply = bot.fake.wait_for("response_url")[-1].body["text"]
    monkeypatch.undo()
    assert "could not be saved" in reply and "Nothing was changed" in reply, reply
    assert disk(bot) == before
    assert "+49301234567" in {i.e164 for i in bot.inventory().number_list()}
