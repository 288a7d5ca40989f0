"""End to end: text people typed never becomes a live mention in what the bot posts.

An address named ``<!channel> HQ <@U0123ABCD>`` is created, numbers are linked to it
and the address is edited so that they stop complying: the channel alert, the digest,
a request's channel post, its edit and the requester's DM are all checked — every
chat.postMessage and chat.update the fake Slack recorded, their ``text`` (the fallback
that notifications and screen readers show, and Slack parses for mentions) and their
blocks — for ``<!channel>``, ``<!here>``, ``<!everyone>`` or ``<@U0123ABCD>``.
"""

from __future__ import annotations

import json
import time

import pytest

from handlers import notifications
from handlers.notifications import WorkerConfig
from tests.conftest import READER, RunningBot, bot_settings, start_bot, stop_bot
from tests.slack_driver import new_address
from tests.slack_payloads import rendered_texts

CHANNEL = "C0NOTIFY"
NAME = "<!channel> HQ <@U0123ABCD>"
TYPED = NAME.replace("<", "&lt;").replace(">", "&gt;")  # as Slack sends typed < and >
LIVE = ("<!channel", "<!here", "<!everyone", "<@U0123ABCD", "<!subteam")
NUMBERS = ["+49 89 2001001", "+49 89 2001002"]


@pytest.fixture
def nbot(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(notifications, "CONFIG", WorkerConfig(tick=0.05, backoff=0.2))
    settings = bot_settings(fake, tmp_path / "data", NUMBERS_NOTIFY_CHANNEL=CHANNEL)
    server, sender = start_bot(fake, settings)
    try:
        yield RunningBot(fake, sender, settings, server, tmp_path / "data")
    finally:
        stop_bot(server)


def posted(fake) -> list[dict]:
    return [c.body for c in fake.calls_to("chat.postMessage") + fake.calls_to("chat.update")]


def wait_for_post(fake, mark: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body in posted(fake):
            if mark in json.dumps(body, ensure_ascii=False):
                return body
        time.sleep(0.02)
    raise AssertionError(f"nothing posted with {mark!r}: {posted(fake)}")


def assert_no_live_mention(fake) -> None:
    bodies = posted(fake)
    assert bodies
    for body in bodies:
        for part in ("text", "blocks"):
            for shown in rendered_texts(body.get(part, "")):
                for mention in LIVE:
                    assert mention not in shown, f"{part} of a post has a live {mention}: {body}"


def test_an_address_named_like_a_mention_pings_nobody(nbot):
    r = new_address(nbot.sender, nbot.fake, NAME)
    assert r.status == 200 and r.json.get("response_action") == "update", r.body_text
    assert nbot.inventory().address(NAME).name == NAME

    assert nbot.command(f"add {' '.join(NUMBERS)}").status == 200
    r = nbot.command(f'link {" ".join(NUMBERS)} to "{TYPED}"')
    assert r.status == 200, r.body_text
    assert all(nbot.inventory().info(n).verdict.ok for n in NUMBERS)

    # The address moves to Berlin: the Munich numbers no longer comply, the channel hears.
    before = len(nbot.fake.calls_to("views.open"))
    assert nbot.command(f'address edit "{TYPED}"').status == 200
    modal = nbot.fake.modal(index=before)
    r = modal.fill("City", "Berlin").fill("Postal code", "10117").submit(nbot.sender)
    assert r.status == 200, r.body_text
    alert = wait_for_post(nbot.fake, "no longer comply")
    assert "&lt;!channel&gt; HQ &lt;@U0123ABCD&gt;" in alert["text"]

    # The digest lists the same numbers with the address's name.
    assert nbot.command("digest").status == 200
    wait_for_post(nbot.fake, "Daily digest")

    assert_no_live_mention(nbot.fake)


def test_request_posts_and_dms_ping_nobody(nbot):
    new_address(nbot.sender, nbot.fake, NAME)
    address = nbot.inventory().address(NAME)
    before = len(nbot.fake.calls_to("views.open"))
    assert nbot.command("buy", user=READER).status == 200
    modal = nbot.fake.modal(index=before)
    modal.fill("Country", "DE").fill("Kind", "local").fill("Area or prefix", "München")
    modal.fill("Quantity", "2").fill("Address", (address.id, address.name))
    modal.fill("Reason", "New team <!here> <@U0123ABCD>")
    r = modal.submit(nbot.sender, user=READER)
    assert r.status == 200, r.body_text
    post = wait_for_post(nbot.fake, "Purchase request")
    # the recorded call is the request; Slack's answer holds the message to click on
    call = next(c for c in nbot.fake.calls_to("chat.postMessage") if c.body is post)
    message = call.response["message"]

    nbot.sender.block_action("request_reject", "R1", message=message, channel=CHANNEL)
    reject = nbot.fake.modal(index=before + 1)
    reject.fill("Reason", "No budget <!channel> <@U0123ABCD>")
    assert reject.submit(nbot.sender).status == 200
    wait_for_post(nbot.fake, "was rejected by")  # the requester's DM
    assert_no_live_mention(nbot.fake)
    assert any(b.get("channel") == READER for b in posted(nbot.fake))
