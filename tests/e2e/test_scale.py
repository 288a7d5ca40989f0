"""End to end at scale: a workspace of 5,000 numbers and 150 addresses stays within
Slack's limits on every surface (lists, selects, App Home, forms) and answers in time."""

from __future__ import annotations

import time

import pytest

from bot.core.model import Actor
from bot.core.phone import parse_number
from tests.conftest import MANAGER, RunningBot, bot_settings, start_bot, stop_bot
from tests.e2e.test_numbers import address_fields, buttons, texts
from tests.fakeslack import FakeSlack, assert_within_limits

NUMBERS = 5000
ADDRESSES = 150
SLACK_DEADLINE = 3.0  # seconds to acknowledge


def munich(i: int) -> str:
    return f"+49 89 {2000000 + i * 13:07d}"


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """One bot over a big workspace, shared by the read-mostly tests of this module."""
    data = tmp_path_factory.mktemp("scale") / "data"
    with FakeSlack() as fake:
        fake.add_user(MANAGER, name="manager")
        settings = bot_settings(fake, data)
        running = RunningBot(fake, None, settings, None, data)
        inventory = running.inventory()
        boss = Actor(MANAGER, True)
        texts_ = [munich(i) for i in range(NUMBERS)]
        assert all(parse_number(t, "DE").kind == "local" for t in texts_[:: NUMBERS // 50])
        for i in range(ADDRESSES - 2):
            inventory.addresses.create(boss, address_fields(f"Office {i:03d}", "Berlin", "10115"))
        inventory.addresses.create(boss, address_fields("HQ Munich", "München", "80331"))
        inventory.addresses.create(boss, address_fields("HQ Berlin", "Berlin", "10115"))
        result = inventory.numbers.add(boss, texts_)
        assert len(result.added) == NUMBERS and not result.invalid  # every one valid
        inventory.addresses.link(boss, texts_[:2000], "HQ Munich")
        inventory.addresses.link(boss, texts_[2000:2600], "HQ Berlin")  # outside area
        server, sender = start_bot(fake, settings)
        running.server, running.sender = server, sender
        try:
            yield running
        finally:
            stop_bot(server)


@pytest.fixture(autouse=True)
def _fresh_calls(big):
    big.fake.reset()
    yield
    assert big.fake.violations == []


def timed(fn, *args, **kwargs):
    start = time.monotonic()
    result = fn(*args, **kwargs)
    took = time.monotonic() - start
    assert took < SLACK_DEADLINE, f"answered in {took:.2f}s"
    return result


def reply_ok(r) -> dict:
    assert r.status == 200
    assert_within_limits(text=r.json["text"], blocks=r.json["blocks"])
    assert len(r.json["blocks"]) <= 50
    return r.json


def test_the_workspace_is_as_big_as_claimed(big):
    summary = big.inventory().summary()
    assert summary.total == NUMBERS and summary.addresses == ADDRESSES
    assert summary.by_status["ok"] == 2000 and summary.by_status["outside_area"] == 600
    assert summary.by_status["missing"] == 2400


@pytest.mark.parametrize(
    "text, total",
    [
        ("list", 5000),
        ("list page=2", 5000),
        ("list page=250", 5000),
        ("list attention", 3000),
        ("list unaddressed page=60", 2400),
        ("list ok country=DE page=100", 2000),
    ],
)
def test_list_pages_stay_within_a_message(big, text, total):
    body = reply_ok(timed(big.command, text))
    shown = texts(body["blocks"])
    assert f"{total} numbers · page" in shown
    assert 1 <= shown.count("*+49 89") <= 20


def test_next_button_at_scale(big):
    body = reply_ok(big.command("list attention page=7"))
    message = {"type": "message", "ts": "1.000700", "blocks": body["blocks"]}
    timed(big.sender.block_action, "list_page_next", message=message)
    page = big.fake.wait_for("response_url")[-1]
    assert page.status == 200
    assert "page 8 of 150" in texts(page.body["blocks"])


def test_overview_and_app_home(big):
    body = reply_ok(timed(big.command, ""))
    assert "*5000* numbers" in texts(body["blocks"])
    timed(big.sender.app_home_opened, MANAGER)
    call = big.fake.wait_for("views.publish")[-1]
    assert call.ok, call.response
    view = call.body["view"]
    assert len(view["blocks"]) <= 100
    shown = texts(view)
    assert "Needing attention: 3000" in shown
    assert "Missing address (2400)" in shown and "Outside area (600)" in shown
    assert {"open_address_new", "open_link", "open_bulk_add"} <= set(buttons(view["blocks"]))


@pytest.mark.parametrize("query", ["", "+4989", "2000", "HQ Berlin", "munich", "zzz"])
def test_numbers_search_at_most_100_options(big, query):
    r = timed(big.sender.options, "numbers_search", query)
    options = r.json["options"]
    assert len(options) <= 100
    for o in options:
        assert len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150
    if query == "zzz":
        assert options == []
    elif query == "2000":
        assert options and all("2000" in o["value"] for o in options)
    else:
        assert len(options) == 100  # more match than a select can show
    if query == "HQ Berlin":
        assert all("HQ Berlin" in o["text"]["text"] for o in options)


@pytest.mark.parametrize("query, count", [("", 100), ("office", 100), ("office 14", 8), ("hq", 2)])
def test_address_search_at_most_100_options(big, query, count):
    options = timed(big.sender.options, "address_search", query).json["options"]
    assert len(options) == count
    assert all(len(o["text"]["text"]) <= 75 for o in options)


def test_address_list_and_show_at_scale(big):
    body = reply_ok(big.command("address list"))
    assert f"{ADDRESSES} in all · page 1 of 4" in texts(body["blocks"])
    reply_ok(big.command("address list page=4"))
    body = reply_ok(timed(big.command, 'address show "HQ Munich"'))
    assert "2000" in texts(body["blocks"])
    body = reply_ok(timed(big.command, 'address delete "HQ Munich"'))
    assert "cannot be deleted" in texts(body["blocks"]) and "2000 numbers are linked" in texts(body)


def test_link_form_and_add_at_scale(big):
    # Forms a manager fills over the big workspace: the confirmations stay within limits.
    # Last in the module: it changes the shared workspace the tests above count.
    big.command("link")
    modal = big.fake.modal()
    numbers = big.sender.options("numbers_search", "+49", view=modal).json["options"]
    address = big.sender.options("address_search", "HQ Berlin", view=modal).json["options"]
    modal.fill("Numbers", numbers).fill("Address", address[0])
    r = timed(modal.submit, big.sender)
    assert r.json["response_action"] == "update"
    assert_within_limits(view=r.json["view"])
    assert "Linked 100 numbers" in texts(r.json["view"])

    big.command("add")
    modal = big.fake.modal(index=1)
    pasted = "\n".join(f"+49 30 {3000000 + i:07d}" for i in range(150)) + "\nnope"
    r = timed(modal.fill("Numbers", pasted).submit, big.sender)
    assert_within_limits(view=r.json["view"])
    assert "Added 150 numbers." in texts(r.json["view"])
    assert big.inventory().summary().total == NUMBERS + 150
