"""Security: a replayed request is refused once it is older than five minutes (no handler
runs), and neither the bot token, the signing secret nor an app token ever reaches a log
line — not even at DEBUG, with Web API calls failing and bad requests arriving.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from urllib.parse import urlencode

import pytest

from bot.core.model import Actor
from tests.bot_process import BotProcess
from tests.conftest import MANAGER, SIGNING_SECRET, bot_settings, start_bot, stop_bot
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.slack_driver import ADDRESS_VALUES, command, opened_view

BOSS = Actor(MANAGER, True)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
APP_TOKEN = "xapp-1-A1-secret-app-token"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, "xapp-")


def test_a_replayed_request_older_than_five_minutes_gets_401_and_runs_nothing(bot):
    sender = bot.sender
    # A person adds a number and creates an address; both requests are captured.
    # Accepted now (a margin for a loaded machine), stale a few seconds later.
    signed_at = int(time.time()) - 292
    add = urlencode(
        {
            "token": "verification-token",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": MANAGER,
            "command": "/numbers",
            "text": "add +49 89 7000001",
            "response_url": bot.fake.response_url("replay"),
            "trigger_id": sender.trigger_id(),
        }
    )
    add_headers = {**FORM, **sender.sign(add, signed_at)}
    r, trigger = command(sender, "address new")
    modal = opened_view(bot.fake, trigger).fill("Name", "Replayed HQ")
    for label, value in ADDRESS_VALUES.items():
        modal.fill(label, value)
    form = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "view_submission",
                    "team": {"id": "T1", "domain": "t1"},
                    "user": {"id": MANAGER, "team_id": "T1"},
                    "api_app_id": "A1",
                    "view": {**modal.view, "state": {"values": modal.values}},
                }
            )
        }
    )
    form_headers = {**FORM, **sender.sign(form, signed_at)}
    assert "Added 1 number" in sender.raw(add, add_headers).json["text"]
    assert sender.raw(form, form_headers).json["response_action"] == "update"

    # Someone removes both again (as another process would).
    inv = bot.inventory()
    inv.numbers.remove(BOSS, "+49897000001")
    inv.addresses.delete(BOSS, "Replayed HQ")
    audit = len(inv.audit())
    while int(time.time()) - signed_at <= 300:
        time.sleep(0.1)
    calls = len(bot.fake.calls)

    # An attacker replays the captured requests byte for byte: refused, nothing runs.
    assert sender.raw(add, add_headers).status == 401
    assert sender.raw(form, form_headers).status == 401
    inv = bot.inventory()
    assert "+49897000001" not in {i.e164 for i in inv.number_list()}
    assert inv.address_list() == [] and len(inv.audit()) == audit
    assert len(bot.fake.calls) == calls  # no handler called Slack


def _secrets_in(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), repr(record.__dict__)]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


@pytest.fixture
def debug_logs():
    """Every record of every logger at DEBUG, as a root handler sees it."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # Libraries' own loggers may have levels set: open them up for the test.
    levels = {}
    for name in ("slack_bolt", "slack_sdk", "urllib3", "waitress", "numbers-bot"):
        levels[name] = logging.getLogger(name).level
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def test_no_token_or_secret_in_any_log_record(tmp_path, debug_logs):
    with FakeSlack() as fake:
        fake.add_user(MANAGER, name="manager")
        fake.add_user("UREADER", name="reader")
        fake.add_user("UADMIN", name="admin", is_admin=True)
        settings = bot_settings(fake, tmp_path / "data", SLACK_APP_TOKEN=APP_TOKEN)
        server, sender = start_bot(fake, settings)
        try:
            command(sender, "add +49 89 1234567 +49 30 1234567")
            command(sender, "list")
            fake.fail("views.open", 500, times=3)
            command(sender, "address new")
            fake.wait_for("response_url", timeout=10)  # "the form did not open", after retries
            fake.fail("views.open", 429, retry_after=1)
            r, trigger = command(sender, "group new")
            opened_view(fake, trigger, timeout=8)
            fake.fail("users.info", error="invalid_auth")
            command(sender, "add +49 40 1234567", user="UADMIN")
            fake.fail("views.publish", error="not_authed")
            sender.app_home_opened(MANAGER)
            sender.raw("text=add", {**FORM, **sender.sign("text=add", int(time.time()) - 900)})
            sender.raw("text=add", {**FORM, "X-Slack-Signature": "v0=00"})
            command(sender, 'show "unclosed')
            time.sleep(0.5)  # let the home publish's failure be logged
        finally:
            stop_bot(server)
    leaked = [(r.name, _secrets_in(_record_text(r))) for r in debug_logs]
    leaked = [x for x in leaked if x[1]]
    assert len(debug_logs) > 20, "the flow logged almost nothing: the scan scanned nothing"
    assert any(r.levelno >= logging.WARNING for r in debug_logs)  # failures were logged
    assert leaked == [], leaked[:5]


def test_no_token_or_secret_in_the_bot_process_output(tmp_path):
    """The real process (`python -m bot`, its logging set up as in production)."""
    log_path = tmp_path / "bot.log"
    with FakeSlack() as fake:
        fake.add_user(MANAGER, name="manager")
        proc = BotProcess(fake, tmp_path / "data", log_path=log_path).start()
        try:
            command(proc.sender, "add +49 89 1234567")
            fake.fail("views.open", 500, times=3)
            command(proc.sender, "address new")
            fake.fail("users.info", error="invalid_auth")
            command(proc.sender, "add +49 30 1234567", user="UOTHER")
            proc.sender.raw("x", {**FORM, "X-Slack-Signature": "v0=00"})
            time.sleep(0.5)
        finally:
            proc.stop()
    output = log_path.read_text()
    assert "the form did not open" in output or "views.open" in output, output[-2000:]
    assert _secrets_in(output) == [], output[-2000:]
