"""End to end: four eyes on purchase requests and mandates (issue 12 item 13), and the
limit on how many requests one person files in an hour (issue 11 item 7)."""

from __future__ import annotations

import time

from bot.core.requests import MAX_REQUESTS_PER_HOUR, Requests
from tests.conftest import MANAGER, READER
from tests.e2e import test_requests as requests_e2e
from tests.e2e.test_numbers import buttons, texts
from tests.e2e.test_requests import (
    BOSS2,
    addresses,
    announcement,
    dms,
    fill_mandate,
    open_modal,
    request_buy,
    wait_dm,
    wait_update,
)

nbot = requests_e2e.nbot  # the bot with a notify channel and a second manager (a fixture)


def settle(bot, seconds: float = 0.5) -> None:
    """Let the notification worker post what it queued."""
    time.sleep(seconds)


def test_a_manager_own_request_is_approved_by_another_manager(nbot):
    a = addresses(nbot)
    request_buy(nbot, a["munich"], user=MANAGER)
    message = announcement(nbot, "R1")
    nbot.sender.block_action("request_approve", "R1", user=MANAGER, message=message)
    said = nbot.fake.wait_for("response_url")[-1].body["text"]
    assert "You asked for request *R1* yourself" in said and f"<@{BOSS2}>" in said
    assert Requests(nbot.inventory()).get("R1").status == "pending"
    assert len(nbot.fake.calls_to("views.open")) == 1  # no fulfil form for the requester

    nbot.sender.block_action("request_approve", "R1", user=BOSS2, message=message)
    fulfil = nbot.fake.modal(index=1)
    assert fulfil.callback_id == "request_fulfil_form"
    assert "approved by <@UBOSS>" in wait_dm(nbot, MANAGER)[0]  # the requester hears
    wait_update(nbot, message["ts"], "approved")
    settle(nbot)
    assert dms(nbot, BOSS2) == []  # nobody is told what they did themselves


def test_self_approval_is_a_workspace_setting_and_sends_no_dm_to_oneself(nbot):
    r = nbot.command("access self-approve on", user=READER)
    assert "Only managers" in texts(r.json)
    assert "another manager" in texts(nbot.command("access").json)
    r = nbot.command("access self-approve on")
    assert "Managers may now approve their own" in texts(r.json)
    assert "themselves included" in texts(nbot.command("access").json)

    a = addresses(nbot)
    request_buy(nbot, a["munich"], user=MANAGER)
    message = announcement(nbot, "R1")
    nbot.sender.block_action("request_approve", "R1", user=MANAGER, message=message)
    assert nbot.fake.modal(index=1).callback_id == "request_fulfil_form"
    wait_update(nbot, message["ts"], "approved")
    settle(nbot)
    assert dms(nbot, MANAGER) == []
    audit = texts(nbot.command("audit").json)
    assert "<@UMANAGER> allowed managers to approve their own requests" in audit

    r = nbot.command("access self-approve off")
    assert "now need another manager" in texts(r.json)


def test_the_only_manager_may_approve_their_own_request_and_is_told(bot):
    a = addresses(bot)
    modal = open_modal(bot, "mandate", user=MANAGER)
    fill_mandate(modal, "+49 89 2222222", a["munich"])
    assert "Mandate *R1* is sent" in texts(modal.submit(bot.sender, user=MANAGER).json["view"])
    listing = bot.command("requests").json
    assert "request_approve" in buttons(listing["blocks"])
    bot.sender.block_action("request_approve", "R1", message=listing)
    said = bot.fake.wait_for("response_url")[-1].body["text"]
    assert "Request *R1* fulfilled" in said
    assert "You approved your own request: you are the only manager." in said
    settle(bot)
    assert dms(bot, MANAGER) == []  # not DMed about the request they filed, nor its approval


def test_requests_per_person_and_hour_are_limited(nbot):
    a = addresses(nbot)
    early = open_modal(nbot, "mandate")  # opened before the limit was reached
    fill_mandate(early, "+49 89 2222222", a["munich"])
    for _ in range(MAX_REQUESTS_PER_HOUR):
        assert request_buy(nbot, a["munich"]).json["response_action"] == "update"
    said = texts(nbot.command("buy", user=READER).json)
    assert f"You filed {MAX_REQUESTS_PER_HOUR} requests within the last hour" in said
    assert "after" in said and "UTC" in said
    r = early.submit(nbot.sender, user=READER)
    (error,) = r.json["errors"].values()
    assert "the most allowed" in error
    assert len(Requests(nbot.inventory()).all()) == MAX_REQUESTS_PER_HOUR
    # someone else may still ask
    assert request_buy(nbot, a["munich"], user=BOSS2).json["response_action"] == "update"
