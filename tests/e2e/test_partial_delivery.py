"""End to end: a carrier allocating fewer numbers than requested (issue 12 item 6): the
delivered ones enter the inventory, the request stays open for the rest or is closed by
the manager's choice, and every step is audited."""

from __future__ import annotations

import time

from bot.core.requests import Requests
from tests.conftest import READER
from tests.e2e import test_requests as requests_e2e
from tests.e2e.test_numbers import buttons, texts
from tests.e2e.test_requests import (
    addresses,
    announcement,
    dms,
    request_buy,
    wait_update,
)

nbot = requests_e2e.nbot  # the bot with a notify channel and a second manager (a fixture)
FIVE = [f"+49 89 123456{i}" for i in range(5)]


def told(bot, words: str, timeout: float = 10) -> str:
    """The requester's DM that says ``words`` (DMs are posted after the answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in dms(bot, READER) if words in d]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no DM saying {words!r}: {dms(bot, READER)}")


def approve(bot, quantity: int = 5):
    a = addresses(bot)
    request_buy(bot, a["munich"], quantity=quantity)
    message = announcement(bot, "R1")
    bot.sender.block_action("request_approve", "R1", message=message)
    fulfil = bot.fake.modal(index=1)
    assert fulfil.callback_id == "request_fulfil_form"
    return message, fulfil


def test_four_of_five_then_the_fifth(nbot):
    message, fulfil = approve(nbot)
    assert "If fewer than requested" in fulfil.labels()
    fulfil.fill("Allocated numbers", "\n".join(FIVE[:4]))
    done = fulfil.submit(nbot.sender)
    assert done.json["response_action"] == "update", done.json
    shown = texts(done.json["view"])
    assert "Request *R1*: 4 numbers entered the inventory; 1 still to come" in shown
    request = Requests(nbot.inventory()).get("R1")
    assert request.status == "approved" and len(request.numbers) == 4
    assert len(nbot.inventory().number_list()) == 4
    assert "1 still to come" in told(nbot, "is partially fulfilled")
    update = wait_update(nbot, message["ts"], "partially fulfilled")
    assert "4 of 5 delivered, 1 still to come" in texts(update.body)
    assert "request_fulfil" in buttons(update.body["blocks"])  # more can be entered

    listing = nbot.command("requests").json
    assert "*partially fulfilled* (4 of 5 delivered" in texts(listing)
    nbot.sender.block_action("request_fulfil", "R1", message=listing)
    second = nbot.fake.modal(index=2)
    second.fill("Allocated numbers", "\n".join(FIVE[3:]))
    refused = second.submit(nbot.sender)
    assert "already in the inventory" in refused.json["errors"]["numbers"]
    second.fill("Allocated numbers", f"{FIVE[4]}\n+49 89 7777777")
    refused = second.submit(nbot.sender)
    assert "enter at most 1 (you entered 2)" in refused.json["errors"]["numbers"]
    second.fill("Allocated numbers", FIVE[4])
    done = second.submit(nbot.sender)
    assert "Request *R1* fulfilled" in texts(done.json["view"])
    request = Requests(nbot.inventory()).get("R1")
    assert request.status == "fulfilled" and len(request.numbers) == 5
    wait_update(nbot, message["ts"], "fulfilled")

    audit = texts(nbot.command("audit R1").json)
    assert "entered 4 numbers for request *R1*" in audit and "1 still to come" in audit
    assert "entered 1 number for request *R1*" in audit and "it is fulfilled" in audit


def test_the_manager_closes_the_request_with_fewer(nbot):
    message, fulfil = approve(nbot)
    fulfil.fill("Allocated numbers", "\n".join(FIVE[:4]))
    fulfil.fill("If fewer than requested", "close")
    done = fulfil.submit(nbot.sender)
    assert "Request *R1* closed: 4 numbers entered the inventory now" in texts(done.json["view"])
    request = Requests(nbot.inventory()).get("R1")
    assert request.status == "fulfilled" and len(request.numbers) == 4
    update = wait_update(nbot, message["ts"], "fulfilled")
    assert "closed with 4 of 5 delivered" in texts(update.body)
    assert "request_fulfil" not in buttons(update.body["blocks"])
    assert "+49 89 1234563" in told(nbot, "is closed with 4 of 5 numbers")
    audit = texts(nbot.command("audit R1").json)
    assert "closed it with 1 not delivered" in audit
