"""What happens to an address's numbers, said and offered (issue #12, items 5 and 8):
deleting an address in use offers to move its numbers to another address (and then
delete it, or keep it), in one audited transaction; saving an address says which linked
numbers changed verdict."""

from __future__ import annotations

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import address_fields, buttons, last_respond, seed, texts
from tests.fakeslack import assert_within_limits

BOSS = Actor(MANAGER, True)
MADRID = [f"+3491123456{i}" for i in range(7)]
BARCELONA = "+34931234567"


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def _madrid_in_mexico(bot):
    inventory = seed(
        bot,
        [*MADRID, BARCELONA],
        [
            address_fields("Madrid office", "Madrid", "28001", country="MX"),
            address_fields("Oficina Madrid", "Madrid", "28013", country="ES"),
        ],
    )
    inventory.addresses.link(BOSS, [*MADRID, BARCELONA], "Madrid office")
    return inventory


def _open(bot, text: str):
    before = len(bot.fake.calls_to("views.open"))
    r = bot.command(text)
    assert r.status == 200 and not r.body_text.strip(), r.body_text
    return bot.fake.modal(index=before)


def test_saving_an_address_says_which_numbers_changed_verdict(bot):
    _madrid_in_mexico(bot)
    modal = _open(bot, 'address edit "Madrid office"')
    r = modal.fill("Country", "ES").submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    view = r.json["view"]
    assert_within_limits(view=view)
    said = texts(view)
    assert "Address *Madrid office* saved." in said
    assert "8 linked numbers changed verdict:" in said
    assert "• 7 are now OK: +34 911 23 45 60, +34 911 23 45 61" in said
    assert "• 1 is now Outside area:" in said and "+34 931 23 45 67" in said
    # Saving again without a change of place: nothing changed, and it says so.
    modal = _open(bot, 'address edit "Madrid office"')
    r = modal.fill("Street", "Gran Vía 2").submit(bot.sender)
    assert "Its 8 linked numbers keep their verdicts." in texts(r.json["view"])


def test_deleting_an_address_in_use_offers_to_move_its_numbers_then_deletes(bot):
    _madrid_in_mexico(bot)
    r = bot.command('address delete "Madrid office"')
    blocks = r.json["blocks"]
    assert_within_limits(text=r.json["text"], blocks=blocks)
    body = texts(blocks)
    assert "cannot be deleted: 8 numbers are linked to it" in body
    assert "+34 931 23 45 67" in body
    move = buttons(blocks)["open_address_move"]
    before = len(bot.fake.calls_to("views.open"))
    message = {"type": "message", "ts": "1.000100", "text": r.json["text"], "blocks": blocks}
    bot.sender.block_action("open_address_move", move["value"], message=message)
    modal = bot.fake.modal(index=before)
    assert modal.callback_id == "address_move_form"
    assert modal.labels() == ["Move to", "Then"]
    # The target is searched like every address select; not the address itself.
    found = bot.sender.options("address_search", "oficina", view=modal).json["options"]
    itself = bot.sender.options("address_search", "madrid office", view=modal).json["options"]
    r = modal.fill("Move to", itself[0]).submit(bot.sender)
    assert r.json["response_action"] == "errors" and "target" in r.json["errors"]

    r = modal.fill("Move to", found[0]).fill("Then", "delete").submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    said = texts(r.json["view"])
    assert "Moved 8 numbers from *Madrid office* to *Oficina Madrid*." in said
    assert "*Madrid office* is deleted." in said
    assert "• 7 are OK" in said and "• 1 is Outside area" in said
    inventory = bot.inventory()
    assert [a.name for a in inventory.address_list()] == ["Oficina Madrid"]
    assert all(inventory.info(n).address.name == "Oficina Madrid" for n in [*MADRID, BARCELONA])
    actions = [e.action for e in inventory.audit()]
    assert actions.count("number.link") == 16 and actions[0] == "address.delete"  # newest first


def test_move_can_keep_the_address_and_readers_cannot_move(bot):
    _madrid_in_mexico(bot)
    r = bot.command('address delete "Madrid office"')
    message = {
        "type": "message",
        "ts": "1.000100",
        "text": r.json["text"],
        "blocks": r.json["blocks"],
    }
    move = buttons(r.json["blocks"])["open_address_move"]
    bot.sender.block_action("open_address_move", move["value"], message=message, user=READER)
    assert "Only managers" in last_respond(bot)["text"]

    before = len(bot.fake.calls_to("views.open"))
    bot.sender.block_action("open_address_move", move["value"], message=message)
    modal = bot.fake.modal(index=before)
    target = bot.sender.options("address_search", "oficina", view=modal).json["options"][0]
    modal.fill("Move to", target).fill("Then", "keep")
    r = modal.submit(bot.sender, user=READER)  # a forged submission: refused
    assert r.json["response_action"] == "errors"
    r = modal.submit(bot.sender)
    assert "*Madrid office* is kept." in texts(r.json["view"])
    inventory = bot.inventory()
    assert {a.name for a in inventory.address_list()} == {"Madrid office", "Oficina Madrid"}
    assert inventory.address_numbers(inventory.address("Madrid office").id) == []
