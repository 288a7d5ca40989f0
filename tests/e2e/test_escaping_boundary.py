"""The escaping boundary, end to end: text people typed never becomes a live mention or
link in anything the bot sends.

Every name and free-text field — address name, customer, street and city, group,
campaign, agent, number label, a request's reason, company and notes, a rejection
reason, CSV import labels — holds ``<!channel>``, ``<!here>``, ``<@U0123ABCD>``,
``<https://example.com|click>`` and ``&``. The bot is driven through its commands,
forms, App Home and notifications, and every payload it sends is checked: the fake
Slack's chat.postMessage / postEphemeral / update, views.open / update / publish / push,
response_url replies and file upload comments, and the HTTP answers to commands and
forms (immediate replies and ``response_action`` views). Only what Slack renders as
mrkdwn counts — plain_text is shown as typed.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from bot.core.agents import Agents
from handlers import notifications
from handlers.notifications import WorkerConfig
from tests.conftest import MANAGER, READER, RunningBot, bot_settings, start_bot, stop_bot
from tests.slack_driver import new_address, open_form
from tests.slack_payloads import rendered_texts

CHANNEL = "C0NOTIFY"
EVIL = "<!channel> <!here> <@U0123ABCD> <https://example.com|click> & co"


def typed(text: str) -> str:
    """As Slack delivers typed text in a slash command: &, < and > HTML-escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# What must never reach Slack's mrkdwn parser unescaped from what people typed.
LIVE = ("<!channel", "<!here", "<@U0123ABCD", "<https://example.com")
# A raw & next to the typed text (escaped it reads "&amp; co").
RAW_AMP = re.compile(r"(?<![\w;])& co")

NUMBERS = ["+49 89 2001001", "+49 89 2001002", "+49 89 2001003"]
SENT = (
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "views.open",
    "views.update",
    "views.publish",
    "views.push",
    "response_url",
    "files.completeUploadExternal",
    "files.upload",
)


@pytest.fixture
def nbot(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(notifications, "CONFIG", WorkerConfig(tick=0.05, backoff=0.2))
    fake.add_user("U0123ABCD", name="someone")
    settings = bot_settings(fake, tmp_path / "data", NUMBERS_NOTIFY_CHANNEL=CHANNEL)
    server, sender = start_bot(fake, settings)
    answers: list[dict] = []
    send = sender.send

    def recording_send(*args, **kwargs):
        response = send(*args, **kwargs)
        if isinstance(response.json, dict):
            answers.append(response.json)
        return response

    sender.send = recording_send
    try:
        bot = RunningBot(fake, sender, settings, server, tmp_path / "data")
        bot.answers = answers
        yield bot
    finally:
        stop_bot(server)


def _payloads(bot) -> list[tuple[str, dict]]:
    out = [(c.method, c.body) for c in bot.fake.calls if c.method in SENT]
    return out + [("http answer", a) for a in bot.answers]


def assert_nothing_live(bot) -> None:
    payloads = _payloads(bot)
    assert payloads
    for method, body in payloads:
        for shown in rendered_texts(body):
            for mention in LIVE:
                assert mention not in shown, f"{method} has a live {mention}: {shown!r}"
            assert not RAW_AMP.search(shown), f"{method} has a raw &: {shown!r}"


def wait_for(bot, mark: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(mark in json.dumps(b, ensure_ascii=False) for _, b in _payloads(bot)):
            return
        time.sleep(0.02)
    raise AssertionError(f"nothing sent with {mark!r}")


def posted(bot, mark: str, timeout: float = 10):
    """The chat.postMessage call carrying ``mark`` (once the bot has sent it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in bot.fake.calls_to("chat.postMessage"):
            if call.ok and mark in json.dumps(call.body, ensure_ascii=False):
                return call
        time.sleep(0.02)
    raise AssertionError(f"nothing posted with {mark!r}")


def _form(bot, text: str, user: str = MANAGER):
    return open_form(bot.sender, bot.fake, text, user=user)


def test_every_typed_field_is_escaped_in_every_payload(nbot):
    bot = nbot
    name = f"HQ {EVIL}"
    # Addresses: one in Munich (the numbers comply), one with every field evil.
    r = new_address(bot.sender, bot.fake, name, **{"Customer name": EVIL, "Street": EVIL})
    assert r.json.get("response_action") == "update", r.body_text
    r = new_address(bot.sender, bot.fake, f"Far {EVIL}", City=f"Town {EVIL}")
    assert bot.inventory().address(name).name == name

    # Numbers with a label, linked to the address.
    modal = _form(bot, "add")
    address = bot.sender.options("address_search", "HQ", view=modal).json["options"][0]
    modal.fill("Numbers", "\n".join(NUMBERS)).fill("Label", f"L {EVIL}").fill("Address", address)
    assert modal.submit(bot.sender).status == 200
    assert bot.command(f'link {" ".join(NUMBERS)} to "{typed(name)}"').status == 200
    assert all(bot.inventory().info(n).verdict.ok for n in NUMBERS)

    # A group and a campaign named like mentions.
    group = f"G {EVIL}"
    r = _form(bot, "group new").fill("Name", group).fill("Numbers", [NUMBERS[0].replace(" ", "")])
    assert r.submit(bot.sender).status == 200
    campaign = f"C {EVIL}"
    r = (
        _form(bot, "campaign new")
        .fill("Name", campaign)
        .fill("Numbers", [NUMBERS[1].replace(" ", "")])
    )
    assert r.submit(bot.sender).status == 200

    # An agent named like a mention, given a caller ID.
    agent = f"A {typed(EVIL)}"
    assert bot.command(f'agent "{agent}" callerid {NUMBERS[2]}').status == 200

    # CSV import with an evil label.
    modal = _form(bot, "import")
    csv = f'number,address,label,groups\n+49 89 2001009,,"I {EVIL}",\n'
    file = bot.fake.add_file(csv.encode("utf-8-sig"), "numbers.csv")
    assert modal.fill("CSV file", [file]).submit(bot.sender).status == 200
    wait_for(bot, "numbers.csv")

    # Every listing, page and App Home.
    for text in (
        "",
        "help",
        "list",
        "addresses",
        f'address "{typed(name)}"',
        "group list",
        f'group show "{typed(group)}"',
        "campaign list",
        f'campaign show "{typed(campaign)}"',
        "agents",
        f'agent "{agent}"',
        f"show {NUMBERS[0]}",
        f'callerid "{typed(campaign)}"',
        "audit",
        "digest",
        "requests",
    ):
        assert bot.command(text).status == 200, text
    bot.sender.app_home_opened(MANAGER)
    bot.sender.app_home_opened(READER)

    # The address moves: the channel hears its numbers stop complying.
    modal = _form(bot, f'address edit "{typed(name)}"')
    r = modal.fill("City", "Berlin").fill("Postal code", "10117").submit(bot.sender)
    assert r.status == 200, r.body_text
    wait_for(bot, "no longer comply")

    # A purchase request with evil reason, rejected with an evil reason.
    far = bot.inventory().address(f"Far {EVIL}")
    modal = _form(bot, "buy", user=READER)
    modal.fill("Country", "DE").fill("Kind", "local").fill("Area or prefix", "München")
    modal.fill("Quantity", "2").fill("Address", (far.id, far.name)).fill("Reason", f"R {EVIL}")
    r = modal.submit(bot.sender, user=READER)
    assert r.json.get("response_action") == "update", r.body_text
    post = posted(bot, "Purchase request")
    before = len(bot.fake.calls_to("views.open"))
    bot.sender.block_action(
        "request_reject", "R1", message=post.response["message"], channel=CHANNEL
    )
    reject = bot.fake.modal(index=before)
    assert reject.fill("Reason", f"No {EVIL}").submit(bot.sender).status == 200
    wait_for(bot, "was rejected by")

    # A mandate with an evil company name.
    modal = _form(bot, "mandate", user=READER)
    modal.fill("Numbers", "+49 89 3001001").fill("Company legal name", f"Co {EVIL}")
    modal.fill("Business id", "DE123456789").fill("Signatory name", f"S {EVIL}")
    modal.fill("Signatory title", f"T {EVIL}").fill("Address", (far.id, far.name))
    assert modal.submit(bot.sender, user=READER).json.get("response_action") == "update"
    mandate = posted(bot, "Mandate")
    sent = len(bot.fake.calls_to("chat.postMessage"))
    r = bot.sender.block_action(
        "request_approve", "R2", message=mandate.response["message"], channel=CHANNEL
    )
    assert r.status == 200
    bot.fake.wait_for("chat.postMessage", count=sent + 1)  # the requester hears
    for text in ("requests", "export", f"unlink {NUMBERS[2]}", f'address delete "{typed(name)}"'):
        assert bot.command(text).status == 200, text
    bot.command("requests")
    bot.command("audit")
    bot.sender.app_home_opened(MANAGER)

    inventory = bot.inventory()
    assert inventory.group(group) and inventory.pool(campaign)
    assert Agents(inventory).agent(f"A {EVIL}").caller_id
    assert inventory.info(NUMBERS[0]).number.label == f"L {EVIL}"

    shown = [(m, b) for m, b in _payloads(bot) if "&lt;!channel&gt;" in json.dumps(b)]
    print(sorted({m for m, _ in shown}))
    assert_nothing_live(bot)
    assert bot.fake.violations == []


def test_the_check_sees_a_live_mention_and_skips_plain_text():
    message = {
        "text": "fine",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"x {EVIL}"}},
            {"type": "header", "text": {"type": "plain_text", "text": EVIL}},
        ],
    }
    shown = rendered_texts(message)
    assert f"x {EVIL}" in shown and EVIL not in shown
    assert any(m in s for s in shown for m in LIVE) and any(RAW_AMP.search(s) for s in shown)
    assert not any(m in s for s in rendered_texts({"text": typed(EVIL)}) for m in LIVE)
