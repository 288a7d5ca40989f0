"""Presentation verdicts in the channel and on App Home, end to end: App Home and the daily
digest count numbers blocked and restricted in campaigns; a dated rule that will block
numbers campaigns use is announced N days before and on the day, each once across
restarts; a rules file that turns numbers blocked is announced at the next start.

The bot runs as a real HTTP server against the fake Slack; its clock (``Settings.clock``,
which only code can set) and its worker's clock are the test's."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from importlib import resources

import pytest

from bot.bootstrap import Workspaces
from bot.core.model import Actor
from bot.notify import RULES_KEY
from handlers import notifications
from handlers.notifications import WorkerConfig
from tests.conftest import MANAGER, bot_settings, start_bot, stop_bot
from tests.e2e.test_delivery import (
    BERLIN,
    HELSINKI,
    PARIS_LANDLINE,
    PARIS_MOBILE,
    TALLINN,
    Clock,
)
from tests.e2e.test_numbers import address_fields, texts
from tests.e2e.test_request_outbox import ok_posts, settle, wait_until
from tests.fakeslack import TEAM_ID, assert_within_limits

BOSS = Actor(MANAGER, True)
CHANNEL = "C0NOTIFY"
AHEAD = "that campaigns use will not reach callees any more"
RULES_CHANGED = "calls showing"


class NoticeBot:
    """The bot with a channel, started and restarted on one data dir; both clocks the test's."""

    def __init__(self, fake, tmp_path, monkeypatch, day: str) -> None:
        self.fake = fake
        self.data_dir = tmp_path / "data"
        self.clock = Clock(day)
        self.worker_clock = lambda: datetime.fromisoformat(self.clock()).astimezone(UTC)
        monkeypatch.setattr(
            notifications,
            "CONFIG",
            WorkerConfig(tick=0.05, backoff=0.2, clock=self.worker_clock),
        )
        self.env: dict[str, str] = {"NUMBERS_NOTIFY_CHANNEL": CHANNEL}
        self.server = None
        self.sender = None

    @property
    def settings(self):
        settings = bot_settings(self.fake, self.data_dir, **self.env)
        return dataclasses.replace(settings, clock=self.clock)

    def start(self, **env) -> NoticeBot:
        self.env.update(env)
        self._settings = self.settings
        self.server, self.sender = start_bot(self.fake, self._settings)
        return self

    def stop(self) -> None:
        if self.server is not None:
            stop_bot(self.server, self._settings)
            self.server = None

    def restart(self, **env) -> NoticeBot:
        self.stop()
        return self.start(**env)

    def inventory(self):
        return Workspaces(self.settings).inventory(TEAM_ID)


@pytest.fixture
def notice_bot(fake, tmp_path, monkeypatch):
    bots: list[NoticeBot] = []

    def make(day: str) -> NoticeBot:
        bots.append(NoticeBot(fake, tmp_path, monkeypatch, day))
        return bots[-1]

    try:
        yield make
    finally:
        for b in bots:
            b.stop()
        assert fake.violations == []


def notices(fake, word: str) -> list:
    return ok_posts(fake, CHANNEL, word=word)


def seed_estonia(bot: NoticeBot) -> None:
    """An Estonian number in a campaign whose calls enter the network in Finland (blocked
    from March 2027), and in one through a local carrier (never blocked)."""
    inventory = bot.inventory()
    inventory.numbers.add(BOSS, [TALLINN, "+372 612 3457"])
    inventory.campaigns.save(BOSS, "From Finland", [TALLINN, "+372 612 3457"], origin="FI")
    inventory.campaigns.save(BOSS, "Local", [TALLINN])


def test_a_dated_rule_is_announced_ahead_and_on_the_day_once_each_across_restarts(notice_bot):
    bot = notice_bot("2027-02-10")  # 19 days before Estonia's block
    seed_estonia(bot)
    bot.start()
    settle()
    assert notices(bot.fake, "will not reach callees") == []  # not within 14 days yet

    bot.clock.day = "2027-02-15"  # 14 days before
    (ahead,) = wait_until(lambda: notices(bot.fake, "In 14 days"), "the notice ahead")
    assert_within_limits(text=ahead.body["text"], blocks=ahead.body["blocks"])
    shown = texts(ahead.body)
    assert "*In 14 days (Mar 2027)*, calls showing 2 numbers " + AHEAD in shown
    assert "*From Finland* (2): +372 612 3456, +372 612 3457" in shown
    assert (
        "Blocked: calls entering Estonia from Finland may not show Estonian numbers "
        "(draft law, en.reflect.ee, from Mar 2027)" in shown
    )
    assert "Local" not in shown  # a local carrier: never blocked

    # Once: not again the next day, nor after restarts.
    bot.restart()
    settle()
    bot.clock.day = "2027-02-16"
    bot.restart()
    settle()
    assert len(notices(bot.fake, AHEAD)) == 1

    # On the day, once more, and once only.
    bot.clock.day = "2027-03-01"
    (day,) = wait_until(lambda: notices(bot.fake, "From today"), "the notice on the day")
    shown = texts(day.body)
    assert "*From today (Mar 2027)*, calls showing 2 numbers " + AHEAD in shown
    assert "since Mar 2027" in shown
    bot.restart()
    settle()
    bot.clock.day = "2027-03-02"
    bot.restart()
    settle()
    assert len(notices(bot.fake, "From today")) == 1
    assert len(notices(bot.fake, AHEAD)) == 2


def test_a_rules_file_that_turns_numbers_blocked_alerts_once_at_start(notice_bot, tmp_path):
    bot = notice_bot("2026-12-01")
    seed_estonia(bot)
    bot.start()  # the shipped rules: recorded, nothing said
    wait_until(lambda: bot.inventory().repo.get_value(RULES_KEY), "the rules recorded")
    settle()
    assert notices(bot.fake, RULES_CHANGED) == []

    # The operator's file brings Estonia's block forward: in force already.
    shipped = resources.files("bot").joinpath("data", "rules.toml").read_text(encoding="utf-8")
    earlier = tmp_path / "rules.toml"
    earlier.write_text(shipped.replace('from = "2027-03"', 'from = "2026-11-01"'))
    bot.restart(NUMBERS_RULES_FILE=str(earlier))
    (alert,) = wait_until(lambda: notices(bot.fake, "compliance rules changed"), "the alert")
    assert_within_limits(text=alert.body["text"], blocks=alert.body["blocks"])
    shown = texts(alert.body)
    assert "calls showing 2 numbers that campaigns use no longer reach callees" in shown
    assert "*From Finland* (2): +372 612 3456, +372 612 3457" in shown
    assert "since 1 Nov 2026" in shown
    assert "Local" not in shown
    assert notices(bot.fake, "no longer are") == []  # no address verdict changed

    bot.restart()
    settle()
    assert len(notices(bot.fake, "compliance rules changed")) == 1


def seed_home(bot: NoticeBot) -> None:
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Berlin", "Berlin", "10117"))
    inventory.numbers.add(BOSS, [BERLIN], address_name="HQ Berlin")
    inventory.numbers.add(BOSS, [PARIS_MOBILE, PARIS_LANDLINE, HELSINKI])
    # Blocked: Berlin (from Finland) and the Paris mobile (twice: counted once).
    inventory.campaigns.save(BOSS, "From Finland", [BERLIN, PARIS_MOBILE], origin="FI")
    inventory.campaigns.save(BOSS, "Mobiles", [PARIS_MOBILE])
    # Restricted: the Paris landline in a sales campaign; deliverable for service.
    inventory.campaigns.save(BOSS, "Sales FR", [PARIS_LANDLINE])
    inventory.campaigns.save(BOSS, "Service FR", [PARIS_LANDLINE], purpose="service")


def test_app_home_and_the_digest_count_blocked_and_restricted_numbers(notice_bot):
    bot = notice_bot("2026-12-01")
    bot.clock.day = "2026-12-01"
    seed_home(bot)
    bot.start()
    bot.sender.app_home_opened()
    (published,) = bot.fake.wait_for("views.publish")
    assert_within_limits(view=published.body["view"])
    shown = texts(published.body["view"])
    assert ":no_entry: Blocked in a campaign: *2* · :warning: Restricted: *1*" in shown
    assert "`/numbers list blocked`" in shown

    r = bot.sender.command("", user=MANAGER)  # the overview counts the same
    assert ":no_entry: Blocked in a campaign: *2* · :warning: Restricted: *1*" in texts(r.json)

    # The digest (its time is 08:00 UTC; the worker's clock says 09:00).
    (digest,) = wait_until(lambda: notices(bot.fake, "Daily digest"), "the digest")
    assert_within_limits(text=digest.body["text"], blocks=digest.body["blocks"])
    shown = texts(digest.body)
    assert ":no_entry: Blocked in a campaign*\n2" in shown
    assert ":warning: Restricted in a campaign*\n1" in shown
    assert "`/numbers list blocked`" in shown


def test_a_digest_for_blocked_numbers_alone(notice_bot):
    bot = notice_bot("2026-12-01")
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Berlin", "Berlin", "10117"))
    inventory.numbers.add(BOSS, [BERLIN], address_name="HQ Berlin")
    inventory.campaigns.save(BOSS, "From Finland", [BERLIN], origin="FI")
    assert inventory.number_list("attention") == []
    bot.start()
    (digest,) = wait_until(lambda: notices(bot.fake, "Daily digest"), "the digest")
    assert_within_limits(text=digest.body["text"], blocks=digest.body["blocks"])
    assert "Daily digest: 1 number will not reach callees" in texts(digest.body)
