"""Every problem offers the action that fixes it, its form pre-filled (issue #12, item 4):
in `/numbers list`, `show`, App Home's attention list and the channel alerts."""

from __future__ import annotations

import json

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.e2e.test_notifications import Bot, wait_posts
from tests.e2e.test_numbers import address_fields, buttons, seed, texts
from tests.fakeslack import assert_within_limits

BOSS = Actor(MANAGER, True)
MADRID = [f"+3491123456{i}" for i in range(8)]  # Madrid numbers
MUNICH = "+49891234567"
BERLIN_NUMBER = "+49301234567"
HAMBURG = "+49401234567"
HAMBURG2 = "+49401234568"  # linked to an address in Austria: wrong country too


@pytest.fixture
def nbot(fake, tmp_path, monkeypatch):
    """The bot with a notification channel (its alerts are posted there)."""
    bot = Bot(fake, tmp_path, monkeypatch)
    try:
        yield bot
    finally:
        bot.stop()


@pytest.fixture(autouse=True)
def _no_violations(fake):
    yield
    assert fake.violations == []


def _seed(bot):
    """Madrid office is (wrongly) in Mexico: eight Madrid numbers are in the wrong country.
    A Munich number is linked to Berlin (outside area), a Berlin number is OK, one has no
    address."""
    inventory = seed(
        bot,
        [*MADRID, MUNICH, BERLIN_NUMBER, HAMBURG, HAMBURG2],
        [
            address_fields("Madrid office", "Madrid", "28001", country="MX"),
            address_fields("HQ Berlin", "Berlin", "10115"),
            address_fields("Vienna office", "Wien", "1010", country="AT"),
        ],
    )
    inventory.addresses.link(BOSS, MADRID, "Madrid office")
    inventory.addresses.link(BOSS, [HAMBURG2], "Vienna office")
    inventory.addresses.link(BOSS, [MUNICH, BERLIN_NUMBER], "HQ Berlin")
    return inventory


def _actions_under(blocks: list[dict], number_shown: str) -> dict[str, dict]:
    """The buttons of the actions block right under the line naming ``number_shown``."""
    for at, block in enumerate(blocks):
        if block.get("type") == "section" and number_shown in json.dumps(block):
            follow = blocks[at + 1] if at + 1 < len(blocks) else {}
            if follow.get("type") != "actions":
                return {}
            return {el["text"]["text"]: el for el in follow["elements"]}
    raise AssertionError(f"{number_shown} is not listed")


def _click(bot, button: dict, blocks: list[dict], user: str = MANAGER):
    before = len(bot.fake.calls_to("views.open"))
    message = {"type": "message", "ts": "1.000100", "text": "", "blocks": blocks}
    action, value = button["action_id"], button.get("value")
    r = bot.sender.block_action(action, value, message=message, user=user)
    assert r.status == 200
    return bot.fake.modal(index=before) if user == MANAGER else None


def test_list_lines_offer_their_fix_with_the_form_prefilled(bot):
    _seed(bot)
    r = bot.command("list")
    blocks = r.json["blocks"]
    assert_within_limits(text=r.json["text"], blocks=blocks)

    # Wrong country: link elsewhere, or edit the address that is wrong.
    madrid = _actions_under(blocks, "+34 911 23 45 60")
    assert set(madrid) == {"Link to another address", "Edit Madrid office"}
    modal = _click(bot, madrid["Edit Madrid office"], blocks)
    assert modal.callback_id == "address_form"
    assert modal.element("Name")["initial_value"] == "Madrid office"
    assert modal.element("Country")["initial_option"]["value"] == "MX"
    modal = _click(bot, madrid["Link to another address"], blocks)
    assert modal.callback_id == "link_form"
    assert [o["value"] for o in modal.element("Numbers")["initial_options"]] == [MADRID[0]]

    # Outside area: the same two fixes, naming its own address.
    munich = _actions_under(blocks, "+49 89 1234567")
    assert set(munich) == {"Link to another address", "Edit HQ Berlin"}
    # Missing: link it, pre-filled.
    hamburg = _actions_under(blocks, "+49 40 1234567")
    assert set(hamburg) == {"Link to an address"}
    modal = _click(bot, hamburg["Link to an address"], blocks)
    assert [o["value"] for o in modal.element("Numbers")["initial_options"]] == [HAMBURG]
    # An OK number gets no button.
    assert _actions_under(blocks, "+49 30 1234567") == {}


def test_show_offers_the_fix_and_nothing_for_an_ok_number(bot):
    _seed(bot)
    r = bot.command("show +49 89 1234567")
    found = {b["text"]["text"] for b in buttons(r.json["blocks"]).values()}
    assert found == {"Link to another address", "Edit HQ Berlin"}
    r = bot.command("show +49 30 1234567")
    assert buttons(r.json["blocks"]) == {}
    # A reader sees what is wrong, without buttons that would refuse.
    r = bot.command("show +49 89 1234567", user=READER)
    assert buttons(r.json["blocks"]) == {}


def test_home_attention_offers_edit_of_the_wrong_address(bot):
    _seed(bot)
    bot.sender.app_home_opened(user=MANAGER)
    view = bot.fake.wait_for("views.publish")[-1].body["view"]
    assert_within_limits(view=view)
    found = {}
    for block in view["blocks"]:
        for el in block.get("elements", []) if block["type"] == "actions" else []:
            found[el["text"]["text"]] = el
    assert {"Edit Madrid office", "Edit Vienna office", "Edit HQ Berlin"} <= set(found)
    link = found["Link these 9 to an address"]
    modal = _click(bot, link, view["blocks"])
    shown = [o["value"] for o in modal.element("Numbers")["initial_options"]]
    assert shown == [*MADRID, HAMBURG2]
    # Two "Edit" buttons in one block: each opens its own address.
    modal = _click(bot, found["Edit Vienna office"], view["blocks"])
    assert modal.element("Name")["initial_value"] == "Vienna office"
    modal = _click(bot, found["Edit Madrid office"], view["blocks"])
    assert modal.element("Name")["initial_value"] == "Madrid office"


def test_alert_link_button_opens_the_form_holding_the_alerts_numbers(nbot, fake):
    nbot.start()
    nbot.command("add +49 30 1000003 +49 30 1000006")
    (post,) = wait_posts(fake, "added")
    blocks = post.body["blocks"]
    link = buttons(blocks)["open_link"]
    modal = _click(nbot, link, blocks)
    assert modal.callback_id == "link_form"
    values = [o["value"] for o in modal.element("Numbers")["initial_options"]]
    assert values == ["+49301000003", "+49301000006"]


def test_alert_of_many_numbers_keeps_them_by_reference(nbot, fake):
    nbot.start()
    inventory = nbot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Berlin", "Berlin", "10115"))
    many = [f"+49 30 {2000000 + i}" for i in range(150)]
    r = nbot.sender.command("add")  # the bulk-add form
    assert r.status == 200
    modal = fake.modal().fill("Numbers", "\n".join(many))
    assert modal.submit(nbot.sender).json["response_action"] == "update"
    (post,) = wait_posts(fake, "added")
    blocks = post.body["blocks"]
    link = buttons(blocks)["open_link"]
    assert link["value"].startswith("ref:") and len(link["value"]) < 100
    modal = _click(nbot, link, blocks)
    assert_within_limits(view=modal.view)
    assert "The alert's *150* numbers are linked" in texts(modal.view)
    assert len(modal.private_metadata) < 3000
    hq = nbot.sender.options("address_search", "berlin", view=modal).json["options"][0]
    r = modal.fill("Address", hq).submit(nbot.sender)
    assert r.json["response_action"] == "update", r.body_text
    assert "Linked 150 numbers to *HQ Berlin*" in texts(r.json["view"])
    inventory = nbot.inventory()
    assert all(inventory.info(n).address.name == "HQ Berlin" for n in many)


def test_address_edit_alert_offers_edit_of_that_address(nbot, fake):
    nbot.start()
    inventory = nbot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Berlin", "Berlin", "10115"))
    inventory.numbers.add(BOSS, ["+49 30 1000003"], address_name="HQ Berlin")
    modal = _edit_form(nbot, fake, "HQ Berlin")
    modal.fill("City", "Potsdam").submit(nbot.sender)
    (post,) = wait_posts(fake, "failing")
    found = {b["text"]["text"]: b for b in buttons(post.body["blocks"]).values()}
    assert "Edit HQ Berlin" in found
    modal = _click(nbot, found["Edit HQ Berlin"], post.body["blocks"])
    assert modal.element("City")["initial_value"] == "Potsdam"


def _edit_form(bot, fake, name: str):
    before = len(fake.calls_to("views.open"))
    bot.command(f'address edit "{name}"')
    return fake.modal(index=before)
