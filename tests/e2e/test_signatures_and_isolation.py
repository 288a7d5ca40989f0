"""End to end: request signatures (401 for bad or stale ones) and workspace isolation."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import MANAGER
from tests.e2e.test_numbers import BERLIN, MUNICH, address_fields, seed, texts
from tests.fakeslack import TEAM_ID, VERIFICATION_TOKEN

T2 = "T2"


def command_body(text: str, team: str = TEAM_ID) -> str:
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "channel_id": "C1",
            "user_id": MANAGER,
            "user_name": "manager",
            "command": "/numbers",
            "text": text,
            "api_app_id": "A1",
            "response_url": "http://127.0.0.1:9/respond/x",
            "trigger_id": "1.2.3",
        }
    )


def on_disk(bot) -> tuple:
    inv = bot.inventory()
    return (
        sorted(i.e164 for i in inv.number_list()),
        sorted(a.name for a in inv.address_list()),
        len(inv.audit()),
    )


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_bad_signatures_and_stale_timestamps_get_401_and_change_nothing(bot):
    seed(bot, [BERLIN])
    before = on_disk(bot)
    sender = bot.sender
    body = command_body("add +49 89 1234567")
    now = int(time.time())
    signed_now = sender.sign(body)
    cases = {
        "wrong signature": {**signed_now, "X-Slack-Signature": "v0=" + "0" * 64},
        "no signature": {"X-Slack-Request-Timestamp": str(now)},
        "no headers": {},
        "another secret": {
            **signed_now,
            "X-Slack-Signature": type(sender)("http://x", "other-secret").sign(body, now)[
                "X-Slack-Signature"
            ],
        },
        "six minutes old": sender.sign(body, now - 360),
        "ten minutes ahead": sender.sign(body, now + 600),
        "signed for another body": sender.sign(command_body("list")),
        "timestamp not a number": {**signed_now, "X-Slack-Request-Timestamp": "yesterday"},
    }
    for name, headers in cases.items():
        r = sender.raw(body, {**FORM, **headers})
        assert r.status == 401, name
    # A view submission with a stale signature: the form is not saved either.
    payload = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "view_submission",
                    "team": {"id": TEAM_ID},
                    "user": {"id": MANAGER},
                    "view": {
                        "id": "V1",
                        "callback_id": "bulk_add_form",
                        "state": {
                            "values": {
                                "numbers": {
                                    "numbers": {"type": "plain_text_input", "value": MUNICH}
                                }
                            }
                        },
                        "private_metadata": "",
                    },
                }
            )
        }
    )
    r = sender.raw(payload, {**FORM, **sender.sign(payload, now - 301)})
    assert r.status == 401
    assert on_disk(bot) == before
    # Nothing reached a handler: the bot called no Slack method that a handler would.
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []

    # The same body, correctly signed and fresh, does work (the 401s were the signature).
    assert sender.raw(body, {**FORM, **sender.sign(body)}).status == 200
    assert MUNICH in on_disk(bot)[0]


def test_a_four_minute_old_request_is_still_accepted(bot):
    body = command_body("list")
    r = bot.sender.raw(body, {**FORM, **bot.sender.sign(body, int(time.time()) - 240)})
    assert r.status == 200 and r.json["response_type"] == "ephemeral"


def test_health_check(bot):
    import urllib.request

    with urllib.request.urlopen(bot.sender.base_url + "/healthz", timeout=5) as resp:
        assert resp.status == 200


@pytest.fixture
def two_workspaces(bot):
    seed(bot, [MUNICH, BERLIN], [address_fields("HQ Munich", "München", "80331")])
    bot.command("link +49 89 1234567 to HQ Munich")
    bot.fake.add_user("UT2", name="t2user", team_id=T2)
    return bot


def test_another_workspace_sees_none_of_the_data(two_workspaces):
    bot = two_workspaces

    def t2(text: str) -> str:
        r = bot.sender.command(text, user="UT2", team=T2)
        assert r.status == 200
        return texts(r.json)

    assert "+49" not in t2("list") and "No numbers match" in t2("list")
    assert "is not in the inventory" in t2("show +49 89 1234567")
    assert "HQ Munich" not in t2("address list")
    assert "There is no address called “HQ Munich”" in t2("address show HQ Munich")
    assert "*0* numbers" in t2("")
    found = bot.sender.options("numbers_search", "+49", user="UT2", team=T2).json["options"]
    assert found == []
    addresses = bot.sender.options("address_search", "", user="UT2", team=T2).json["options"]
    assert addresses == []
    bot.sender.app_home_opened("UT2", team=T2)
    home = bot.fake.wait_for("views.publish")[-1].body
    assert home["user_id"] == "UT2" and "+49 89" not in texts(home["view"])
    assert "*0* numbers" in texts(home["view"])


def test_changes_in_another_workspace_stay_there(two_workspaces):
    bot = two_workspaces
    # MANAGER is a manager by NUMBERS_MANAGERS; in T2 it works on T2's own inventory.
    r = bot.sender.command("add +49 89 1234567 +49 40 1234567", team=T2)
    assert "Added 2 numbers." in texts(r.json)
    r = bot.sender.command("link +49 89 1234567 to HQ Munich", team=T2)
    assert "HQ Munich" in r.json["text"] and "Linked" not in r.json["text"]
    t1, t2 = bot.inventory(TEAM_ID), bot.inventory(T2)
    assert {i.e164 for i in t1.number_list()} == {MUNICH, BERLIN}
    assert t1.info(MUNICH).address.name == "HQ Munich"
    assert {i.e164 for i in t2.number_list()} == {MUNICH, "+49401234567"}
    assert t2.info(MUNICH).address is None and t2.address_list() == []
    # A T1 address id forged into T2's link form is not found there.
    bot.sender.command("link", team=T2)
    modal = bot.fake.modal()
    modal.fill("Numbers", [(MUNICH, "x")]).fill("Address", (t1.address("HQ Munich").id, "x"))
    r = modal.submit(bot.sender, team=T2)
    assert r.json["response_action"] == "errors"
    assert bot.inventory(T2).info(MUNICH).address is None
