"""Request messages through the outbox: the channel post with its buttons, the requester's
DMs and the post's edit are recorded with the request's change and retried until Slack
takes them, exactly once, across restarts; DMs go out without a notification channel."""

from __future__ import annotations

import time

import pytest

from bot.bootstrap import Workspaces
from bot.core.model import Actor
from bot.core.requests import Requests
from handlers import notifications
from handlers.notifications import WorkerConfig
from tests.conftest import MANAGER, READER, bot_settings, start_bot, stop_bot
from tests.e2e.test_numbers import address_fields, texts
from tests.e2e.test_requests import fill_mandate, open_modal, request_buy
from tests.fakeslack import TEAM_ID

CHANNEL = "C0NOTIFY"


class Bot:
    """The bot started, stopped and restarted on one data dir; ``env`` may change between."""

    def __init__(self, fake, tmp_path, monkeypatch, **env) -> None:
        monkeypatch.setattr(notifications, "CONFIG", WorkerConfig(tick=0.05, backoff=0.2))
        self.fake = fake
        self.data_dir = tmp_path / "data"
        self.env = dict(env)
        self.settings = bot_settings(fake, self.data_dir, **self.env)
        self.server = None
        self.sender = None

    def start(self, **env) -> Bot:
        if env:
            self.env.update(env)
            self.settings = bot_settings(self.fake, self.data_dir, **self.env)
        self.server, self.sender = start_bot(self.fake, self.settings)
        return self

    def stop(self) -> None:
        if self.server is not None:
            stop_bot(self.server)
            self.server = None

    def restart(self, **env) -> Bot:
        self.stop()
        return self.start(**env)

    def inventory(self):
        """The data as another process with the same settings sees it."""
        return Workspaces(self.settings).inventory(TEAM_ID)

    def command(self, text: str, user: str = MANAGER):
        return self.sender.command(text, user=user)

    def outbox(self) -> list[dict]:
        inventory = self.inventory()
        with inventory.repo.reading():
            return [dict(d) for d in inventory.repo.database.db.table("outbox").all()]


@pytest.fixture
def harness(fake, tmp_path, monkeypatch):
    bots: list[Bot] = []

    def make(**env) -> Bot:
        bots.append(Bot(fake, tmp_path, monkeypatch, **env))
        return bots[-1]

    try:
        yield make
    finally:
        for b in bots:
            b.stop()
    assert fake.violations == []


def ok_posts(fake, channel: str, ending: str | None = None, word: str | None = None) -> list:
    found = [c for c in fake.calls_to("chat.postMessage") if c.ok and c.body["channel"] == channel]
    if ending is not None:
        found = [c for c in found if c.body["text"].endswith(ending)]
    if word is not None:
        found = [c for c in found if word in texts(c.body)]
    return found


def wait_until(check, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def settle(seconds: float = 0.6) -> None:
    """Let the worker run several more rounds (ticks are 0.05 s, first retry 0.2 s)."""
    time.sleep(seconds)


def unsent(bot: Bot, kind: str) -> list[dict]:
    return [e for e in bot.outbox() if e["data"]["kind"] == kind and not e["sent_at"]]


def munich(bot: Bot):
    boss = Actor(MANAGER, True)
    return bot.inventory().addresses.create(boss, address_fields("HQ Munich", "München", "80331"))


# ----------------------------------------------------------------------- tests
def test_post_and_dms_survive_failures_and_restarts_exactly_once(harness, fake):
    bot = harness(NUMBERS_NOTIFY_CHANNEL=CHANNEL).start()
    address = munich(bot)

    # Slack fails every post: the request is stored and its post waits in the outbox.
    fake.fail("chat.postMessage", status=500, times=1000)
    sent = request_buy(bot, address)
    assert f"It is posted to <#{CHANNEL}>" in texts(sent.json["view"])
    assert Requests(bot.inventory()).get("R1").status == "pending"
    fake.wait_for("chat.postMessage", count=3, timeout=10)
    # The failed attempt is recorded before the stop (a stop releases a post in flight).
    wait_until(
        lambda: [e for e in unsent(bot, "request_posted") if e["attempts"]], "a failed attempt"
    )
    bot.stop()
    (entry,) = unsent(bot, "request_posted")
    assert entry["attempts"] >= 1 and entry["channel"] == CHANNEL
    assert Requests(bot.inventory()).message_of("R1") is None

    # Slack is back; the restarted bot posts it, once, and remembers where it went.
    fake.reset()
    bot.start()
    (post,) = wait_until(lambda: ok_posts(fake, CHANNEL, " R1"), "the post of R1")
    where = wait_until(lambda: Requests(bot.inventory()).message_of("R1"), "the post's ts")
    assert where == {"channel": CHANNEL, "ts": post.response["ts"]}
    message = post.response["message"]
    assert "request_approve" in str(message["blocks"])

    # The approval's DM fails for a while, the bot restarts: the DM still arrives once.
    fake.fail("chat.postMessage", status=500, times=1000)
    bot.sender.block_action("request_approve", "R1", message=message, channel=CHANNEL)
    fulfil = fake.modal(index=0)  # the calls before the restart were cleared
    assert fulfil.callback_id == "request_fulfil_form"
    wait_until(
        lambda: [c for c in fake.calls_to("chat.postMessage") if c.body["channel"] == READER],
        "a DM attempt",
    )
    wait_until(
        lambda: [e for e in unsent(bot, "request_notice") if e["attempts"]], "a failed DM"
    )
    bot.stop()
    (notice,) = unsent(bot, "request_notice")
    assert notice["channel"] == READER and notice["attempts"] >= 1
    edits = [c for c in fake.calls_to("chat.update") if c.ok]  # chat.update did not fail
    fake.reset()
    bot.start()
    (dm,) = wait_until(lambda: ok_posts(fake, READER), "the approval DM")
    assert "was approved by <@UMANAGER>" in texts(dm.body)
    # the channel post was edited in place (its ts was known): no follow-up line
    if not edits:  # it was still waiting when the bot stopped
        edits = wait_until(lambda: fake.calls_to("chat.update"), "the post's edit")
    (edit,) = edits
    assert edit.body["ts"] == post.response["ts"] and "*approved*" in texts(edit.body)

    # Fulfilment: a second DM, the post shows it; nothing is posted twice.
    fulfil.fill("Allocated numbers", "+49 89 1234567\n+49 89 7654321")
    done = fulfil.submit(bot.sender)
    assert "fulfilled" in texts(done.json["view"])
    wait_until(lambda: ok_posts(fake, READER, word="is fulfilled"), "the fulfilment DM")
    wait_until(
        lambda: [c for c in fake.calls_to("chat.update") if "*fulfilled*" in texts(c.body)],
        "the post's edit to fulfilled",
    )
    bot.restart()
    settle()
    assert len(ok_posts(fake, READER)) == 2
    assert ok_posts(fake, CHANNEL, " R1") == []  # not posted again after the restart
    assert not [e for e in bot.outbox() if not e["sent_at"]]


def test_decided_before_its_post_went_out_gets_a_follow_up_line(harness, fake):
    bot = harness(NUMBERS_NOTIFY_CHANNEL=CHANNEL).start()
    address = munich(bot)
    fake.fail("chat.postMessage", status=500, times=1000)
    modal = open_modal(bot, "mandate")
    fill_mandate(modal, "+49 89 2222222", address)
    assert "Mandate *R1* is sent" in texts(modal.submit(bot.sender, user=READER).json["view"])
    # A manager approves from `/numbers requests` while Slack still refuses posts.
    listing = bot.command("requests").json
    bot.sender.block_action("request_approve", "R1", message=listing)
    said = fake.wait_for("response_url")[-1].body["text"]
    assert "Request *R1* fulfilled" in said
    kinds = [e["data"]["kind"] for e in bot.outbox() if e["data"]["kind"].startswith("request")]
    assert kinds == ["request_posted", "request_notice", "request_followup"]

    fake.reset()
    (post,) = wait_until(lambda: ok_posts(fake, CHANNEL, " R1"), "the post of R1")
    (line,) = wait_until(lambda: ok_posts(fake, CHANNEL, word="was fulfilled"), "the follow-up")
    assert "Request *R1* was fulfilled (decided by <@UMANAGER>)" in texts(line.body)
    (dm,) = wait_until(lambda: ok_posts(fake, READER), "the DM")
    assert "is fulfilled: +49 89 2222222" in texts(dm.body)
    settle()
    assert fake.calls_to("chat.update") == []
    assert len(ok_posts(fake, CHANNEL)) == 2 and len(ok_posts(fake, READER)) == 1


def test_dms_go_out_without_a_notification_channel(harness, fake):
    boss2 = "UBOSS2"
    fake.add_user(boss2, name="boss2")
    bot = harness(NUMBERS_MANAGERS=f"{MANAGER},{boss2}").start()  # no NUMBERS_NOTIFY_CHANNEL
    address = munich(bot)
    sent = request_buy(bot, address)
    shown = texts(sent.json["view"])
    assert "sent to the managers (<@UBOSS2>, <@UMANAGER>) as a direct message" in shown
    assert "posted to" not in shown
    # Each manager of NUMBERS_MANAGERS gets the request with its buttons, by DM.
    for manager in (MANAGER, boss2):
        (dm,) = wait_until(lambda m=manager: ok_posts(fake, m, " R1"), f"the DM to {manager}")
        assert "Approve" in texts(dm.body) and "New team &lt;!here&gt;" in texts(dm.body)
    dm = ok_posts(fake, MANAGER, " R1")[0].response["message"]
    bot.sender.block_action("request_reject", "R1", message=dm, channel=MANAGER)
    reject = fake.modal(index=1)
    reject.fill("Reason", "No budget")
    assert "rejected" in texts(reject.submit(bot.sender).json["view"])
    (told,) = wait_until(lambda: ok_posts(fake, READER), "the rejection DM")
    assert "was rejected by <@UMANAGER>: _No budget_" in texts(told.body)

    # Both managers' DMs are edited: no buttons left to click.
    def both_edited() -> list:
        edits = [c for c in fake.calls_to("chat.update") if c.ok]
        return edits if len(edits) >= 2 else []

    edits = wait_until(both_edited, "the DMs edited")
    assert {c.body["channel"] for c in edits} == {MANAGER, boss2}
    for edit in edits:
        assert "*rejected*" in texts(edit.body) and "request_reject" not in str(edit.body)
    settle()
    # nothing for a channel: only the DMs
    posted = sorted(c.body["channel"] for c in fake.calls_to("chat.postMessage") if c.ok)
    assert posted == sorted([MANAGER, boss2, READER])
    assert len(fake.calls_to("chat.update")) == 2


def test_without_channel_or_listed_managers_the_requests_wait_on_home(harness, fake):
    bot = harness(NUMBERS_MANAGERS="").start()
    sent = request_buy(bot, munich(bot))
    assert "Managers see it with `/numbers requests`" in texts(sent.json["view"])
    settle()
    assert fake.calls_to("chat.postMessage") == []
    assert Requests(bot.inventory()).get("R1").status == "pending"
