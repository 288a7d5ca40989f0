"""Notifications end to end: the bot as an HTTP server, posting to the fake Slack."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.bootstrap import Workspaces
from bot.cli import main as cli_main
from bot.core.model import Actor
from handlers import notifications
from handlers.notifications import WorkerConfig
from tests.conftest import MANAGER, READER, bot_settings, start_bot, stop_bot
from tests.fakeslack import TEAM_ID

CHANNEL = "C0NOTIFY"
BERLIN = {
    "name": "HQ Berlin",
    "customer_name": "ACME GmbH",
    "street": "Unter den Linden 1",
    "postal_code": "10117",
    "city": "Berlin",
    "country": "DE",
    "confirmed": True,
}


def berlin(i: int) -> str:
    return f"+49 30 {1000000 + i * 3}"


class Clock:
    """The worker's idea of now (UTC), moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Bot:
    """Start, stop and restart the bot on one data dir with NUMBERS_NOTIFY_CHANNEL set."""

    def __init__(self, fake, tmp_path, monkeypatch, **env) -> None:
        self.fake = fake
        self.clock = Clock(datetime(2024, 5, 1, 7, 0, tzinfo=UTC))  # before the 08:00 digest
        monkeypatch.setattr(
            notifications, "CONFIG", WorkerConfig(tick=0.05, backoff=0.2, clock=self.clock)
        )
        self.settings = bot_settings(fake, tmp_path / "data", NUMBERS_NOTIFY_CHANNEL=CHANNEL, **env)
        self.server = None
        self.sender = None

    def start(self) -> Bot:
        self.server, self.sender = start_bot(self.fake, self.settings)
        return self

    def stop(self) -> None:
        if self.server is not None:
            stop_bot(self.server)
            self.server = None

    def restart(self) -> Bot:
        self.stop()
        return self.start()

    def inventory(self):
        """The data as another process sees it (its changes queue alerts too)."""
        return Workspaces(self.settings).inventory(TEAM_ID)

    def command(self, text: str, user: str = MANAGER):
        return self.sender.command(text, user=user)


@pytest.fixture
def nbot(fake, tmp_path, monkeypatch):
    bot = Bot(fake, tmp_path, monkeypatch)
    try:
        yield bot
    finally:
        bot.stop()


def posts(fake, kind: str | None = None) -> list:
    """Successful chat.postMessage calls to the channel, optionally of one kind."""
    marks = {
        "digest": "Daily digest",
        "added": "without the address they need",
        "failing": "no longer are",
    }
    found = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert all(c.body["channel"] == CHANNEL for c in found)
    if kind:
        found = [c for c in found if marks[kind] in str(c.body["blocks"])]
    return found


def wait_posts(fake, kind: str, count: int = 1, timeout: float = 10) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = posts(fake, kind)
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"expected {count} {kind} post(s), got {len(posts(fake, kind))}")


def settle(seconds: float = 0.5) -> None:
    """Let the worker run several more rounds (ticks are 0.05 s)."""
    time.sleep(seconds)


def outbox(bot: Bot) -> list[dict]:
    inventory = bot.inventory()
    with inventory.repo.reading():
        return [dict(d) for d in inventory.repo.database.db.table("outbox").all()]


# ------------------------------------------------------------------------- alerts
def test_added_numbers_without_address_alert_once(nbot, fake):
    nbot.start()
    r = nbot.command(f"add {berlin(1)} +49 800 1234567")
    assert r.status == 200
    (post,) = wait_posts(fake, "added")
    blocks = str(post.body["blocks"])
    assert "+49 30 1000003" in blocks and "800" not in blocks  # the toll-free one is fine
    assert "<@UMANAGER>" in blocks and "'action_id': 'open_link'" in blocks
    nbot.command("add +49 800 7654321")  # needs no address: no alert
    settle()
    assert len(posts(fake, "added")) == 1
    assert all(e["sent_at"] for e in outbox(nbot))


def test_import_from_the_command_line_alerts_through_the_running_bot(
    nbot, fake, tmp_path, monkeypatch
):
    nbot.start()
    csv = tmp_path / "numbers.csv"
    csv.write_text(f"number,label\n{berlin(1)},a\n{berlin(2)},b\n+49 800 1234567,c\n")
    for key, value in {
        "SLACK_BOT_TOKEN": "",
        "NUMBERS_DATA_DIR": str(nbot.settings.data_dir),
        "NUMBERS_NOTIFY_CHANNEL": CHANNEL,
        "NUMBERS_DEFAULT_REGION": "DE",
    }.items():
        monkeypatch.setenv(key, value)
    assert cli_main(["import", str(csv), "--team", TEAM_ID]) == 0
    (post,) = wait_posts(fake, "added")
    assert "2 numbers" in str(post.body["blocks"])
    settle()
    assert len(posts(fake, "added")) == 1


def test_address_edit_that_breaks_numbers_alerts_once_and_linking_does_not(nbot, fake):
    inventory = nbot.inventory()
    inventory.addresses.create(Actor(MANAGER, True), BERLIN)
    inventory.numbers.add(Actor(MANAGER, True), [berlin(1), berlin(2)], address_name="HQ Berlin")
    inventory.numbers.add(Actor(MANAGER, True), [berlin(3)])  # alert: no address
    nbot.start()
    wait_posts(fake, "added")
    nbot.command(f'link {berlin(3)} to "HQ Berlin"')  # becomes OK: no alert
    assert nbot.inventory().info(berlin(3)).verdict.ok
    settle()
    assert len(posts(fake)) == 1

    nbot.command('address edit "HQ Berlin"')
    modal = fake.modal()
    r = modal.fill("Country", "FR").fill("City", "Paris").submit(nbot.sender)
    assert r.status == 200, r.body_text
    (post,) = wait_posts(fake, "failing")
    blocks = str(post.body["blocks"])
    assert "HQ Berlin" in blocks and "3 linked numbers" in blocks
    assert "+49 30 1000003" in blocks and "+49 30 1000009" in blocks
    # the editor sees the same warning in the confirmation
    assert "3 are now Wrong country" in str(r.json)
    # editing again (still failing) says nothing new
    nbot.command('address edit "HQ Berlin"')
    fake.modal(index=1).fill("Street", "Rue de Rivoli 1").submit(nbot.sender)
    settle()
    assert len(posts(fake, "failing")) == 1


# ------------------------------------------------------------------------- delivery
@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "times": 4},  # the client retries twice; the outbox does the rest
        {"status": 429, "times": 4, "retry_after": 1},
    ],
    ids=["5xx", "ratelimited"],
)
def test_alert_arrives_once_when_slack_fails_the_first_posts(nbot, fake, fault):
    nbot.start()
    fake.fail("chat.postMessage", **fault)
    nbot.command(f"add {berlin(1)}")
    wait_posts(fake, "added", timeout=20)
    settle()
    assert len(posts(fake, "added")) == 1
    failed = [c for c in fake.calls_to("chat.postMessage") if not c.ok]
    assert len(failed) == fault["times"]
    (entry,) = outbox(nbot)
    assert entry["attempts"] >= 1 and entry["sent_at"]


def test_restart_in_between_loses_nothing(nbot, fake):
    nbot.start()
    fake.fail("chat.postMessage", status=500, times=1000)
    nbot.command(f"add {berlin(1)}")
    fake.wait_for("chat.postMessage", count=3)
    nbot.stop()
    (entry,) = outbox(nbot)
    assert entry["sent_at"] is None and entry["attempts"] >= 1
    fake.reset()  # Slack is back
    nbot.start()
    wait_posts(fake, "added")
    settle()
    assert len(posts(fake, "added")) == 1
    assert outbox(nbot)[0]["sent_at"]


# ------------------------------------------------------------------------- the digest
def test_digest_at_its_time_once_per_day_across_restarts(nbot, fake):
    inventory = nbot.inventory()
    inventory.addresses.create(Actor(MANAGER, True), BERLIN)
    inventory.numbers.add(Actor(MANAGER, True), [berlin(1)], address_name="HQ Berlin")
    inventory.numbers.add(Actor(MANAGER, True), [berlin(2), berlin(3), "+33 1 23 45 67 89"])
    nbot.start()
    wait_posts(fake, "added")
    settle()
    assert posts(fake, "digest") == []  # 07:00, the digest is at 08:00
    nbot.clock.now += timedelta(hours=1)
    (post,) = wait_posts(fake, "digest")
    blocks = str(post.body["blocks"])
    assert "3 of 4 numbers need attention" in blocks
    assert "Germany 2" in blocks and "France 1" in blocks
    assert "+49 30 1000006" in blocks and "+49 30 1000003" not in blocks  # the OK one
    assert "'action_id': 'open_link'" in blocks
    nbot.restart()
    settle()
    nbot.restart()
    settle()
    assert len(posts(fake, "digest")) == 1
    nbot.clock.now += timedelta(days=1)
    wait_posts(fake, "digest", count=2)
    settle()
    assert len(posts(fake, "digest")) == 2


def test_digest_of_5000_numbers_is_one_valid_message(nbot, fake):
    nbot.inventory().numbers.add(Actor(MANAGER, True), [berlin(i) for i in range(5000)])
    nbot.clock.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    nbot.start()
    (post,) = wait_posts(fake, "digest", timeout=20)
    assert len(post.body["blocks"]) <= 50 and fake.violations == []
    blocks = str(post.body["blocks"])
    assert "5,000 of 5,000 numbers need attention" in blocks
    assert "and 4,985 more" in blocks
    (alert,) = posts(fake, "added")
    assert "5,000 numbers" in str(alert.body["blocks"]) and len(alert.body["blocks"]) <= 50
    # the button opens the link form
    r = nbot.sender.block_action("open_link", message={"blocks": post.body["blocks"]})
    assert r.status == 200
    assert fake.modal().callback_id == "link_form"


def test_nothing_needing_attention_posts_no_digest(nbot, fake):
    nbot.inventory().numbers.add(Actor(MANAGER, True), ["+49 800 1234567"])
    nbot.clock.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    nbot.start()
    deadline = time.monotonic() + 5
    while nbot.inventory().repo.get_value("notify.digest_date") != "2024-05-01":
        assert time.monotonic() < deadline, "the digest was never considered"
        time.sleep(0.05)
    settle()
    assert fake.calls_to("chat.postMessage") == []


def test_digest_command_posts_at_once(nbot, fake):
    nbot.inventory().numbers.add(Actor(MANAGER, True), [berlin(1)])
    nbot.start()
    wait_posts(fake, "added")
    r = nbot.command("digest", user=READER)
    assert "Only managers" in r.body_text
    r = nbot.command("digest")
    assert r.status == 200
    (post,) = wait_posts(fake, "digest")
    assert "1 of 1 numbers need attention" in str(post.body["blocks"])
    reply = fake.wait_for("response_url")[-1]
    assert "Digest posted to <#C0NOTIFY>" in reply.body["text"]
    settle()
    assert len(posts(fake, "digest")) == 1


def cli_digest(nbot, fake, monkeypatch) -> int:
    """`numbers-bot digest` run as an operator would, on the running bot's data dir."""
    for key, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": fake.url,
        "NUMBERS_DATA_DIR": str(nbot.settings.data_dir),
        "NUMBERS_NOTIFY_CHANNEL": CHANNEL,
        "NUMBERS_DEFAULT_REGION": "DE",
    }.items():
        monkeypatch.setenv(key, value)
    return cli_main(["digest"])


def test_cli_digest_posts_and_counts_as_todays(nbot, fake, monkeypatch, capsys):
    nbot.inventory().numbers.add(Actor(MANAGER, True), [berlin(1)])
    assert cli_digest(nbot, fake, monkeypatch) == 0
    assert "digest posted" in capsys.readouterr().out
    assert len(posts(fake, "digest")) == 1 and len(posts(fake, "added")) == 1
    # the running bot, later that day, does not post a second one
    nbot.clock.now = datetime.now(UTC).replace(hour=23, minute=59)
    nbot.start()
    settle()
    assert len(posts(fake, "digest")) == 1


def test_cli_digest_names_numbers_blocked_in_a_campaign(nbot, fake, monkeypatch, capsys):
    """A digest posted only because a campaign's number is blocked says so on the command
    line too (it said "0 numbers need attention")."""
    from tests.e2e.test_numbers import address_fields

    inventory = nbot.inventory()
    boss = Actor(MANAGER, True)
    inventory.addresses.create(boss, address_fields("HQ Berlin", "Berlin", "10117"))
    inventory.numbers.add(boss, [berlin(1)], address_name="HQ Berlin")
    inventory.campaigns.save(boss, "From Finland", [berlin(1)], origin="FI")
    assert cli_digest(nbot, fake, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "digest posted (0 numbers need attention, 1 blocked in a campaign)" in out


# ------------------------------------------------------------------------- no channel
def test_no_channel_no_posts(bot, fake):
    r = bot.command(f"add {berlin(1)}")
    assert r.status == 200
    r = bot.command("digest")
    assert "No notification channel is set" in r.body_text
    assert "1 of 1 numbers need attention" in r.body_text
    time.sleep(0.3)
    assert fake.calls_to("chat.postMessage") == []
