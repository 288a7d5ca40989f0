"""`/numbers link` and `unlink` say exactly what they did (issue #12, items 3 and 9):
valid numbers are linked even when another one is unknown, an unknown number can be
added and linked with one click, a second link says "already linked", and unlink names
the numbers and the address they left."""

from __future__ import annotations

import pytest

from tests.conftest import READER
from tests.e2e.test_numbers import address_fields, buttons, last_respond, seed, texts

MUNICH = "+49891234567"
MUNICH2 = "+49891234568"
UNKNOWN = "+498999999998"


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def _seed(bot):
    return seed(
        bot,
        [MUNICH, MUNICH2],
        [
            address_fields("HQ Munich", "München", "80331"),
            address_fields("HQ Berlin", "Berlin", "10115"),
        ],
    )


def _message(reply) -> dict:
    return {"type": "message", "ts": "1.000100", "text": reply["text"], "blocks": reply["blocks"]}


def test_link_with_one_unknown_number_links_the_others_and_offers_to_add_it(bot):
    _seed(bot)
    r = bot.command('link +49 89 1234567 +49 89 99999998 to "HQ Munich"')
    body = texts(r.json)
    assert "Linked 1 number to *HQ Munich*: +49 89 1234567." in body
    assert "Not linked: +49 89 99999998 is not in the inventory." in body
    assert bot.inventory().info(MUNICH).address.name == "HQ Munich"

    # The button adds the unknown number and links it, in one click.
    button = buttons(r.json["blocks"])["add_and_link"]
    assert button["text"]["text"] == "Add +49 89 99999998 and link it"
    bot.sender.block_action("add_and_link", message=_message(r.json))
    answer = texts(last_respond(bot))
    assert "Added +49 89 99999998 to the inventory, linked to *HQ Munich*." in answer
    assert bot.inventory().info(UNKNOWN).address.name == "HQ Munich"
    assert bot.inventory().info(UNKNOWN).number.source == "slack"  # typed in Slack


def test_link_with_only_unknown_numbers_says_nothing_was_linked(bot):
    _seed(bot)
    r = bot.command('link +49 89 99999998 to "HQ Munich"')
    assert r.json["text"].startswith("Nothing was linked: +49 89 99999998 is not in the inventory.")
    assert "add_and_link" in buttons(r.json["blocks"])
    # Only a manager may add: a reader's click changes nothing.
    bot.sender.block_action("add_and_link", message=_message(r.json), user=READER)
    assert "Only managers" in last_respond(bot)["text"]
    assert UNKNOWN not in {i.e164 for i in bot.inventory().number_list()}


def test_a_second_link_says_already_linked(bot):
    _seed(bot)
    r = bot.command('link +49 89 1234567 +49 89 1234568 to "HQ Munich"')
    assert "Linked 2 numbers to *HQ Munich*: +49 89 1234567, +49 89 1234568." in texts(r.json)
    r = bot.command('link +49 89 1234567 +49 89 1234568 to "HQ Munich"')
    body = texts(r.json)
    assert "Linked" not in body
    assert "+49 89 1234567, +49 89 1234568 were already linked to *HQ Munich*." in body
    # One more number and one already there: both said.
    bot.command('link +49 89 1234568 to "HQ Berlin"')
    r = bot.command('link +49 89 1234567 +49 89 1234568 to "HQ Munich"')
    body = texts(r.json)
    assert "Linked 1 number to *HQ Munich*: +49 89 1234568 (was HQ Berlin)." in body
    assert "+49 89 1234567 was already linked to *HQ Munich*." in body


def test_unlink_names_the_numbers_and_the_address_they_left(bot):
    _seed(bot)
    bot.command('link +49 89 1234567 to "HQ Munich"')
    bot.command('link +49 89 1234568 to "HQ Berlin"')
    r = bot.command("unlink +49 89 1234567")
    assert "Unlinked 1 number from *HQ Munich*: +49 89 1234567." in r.json["text"]
    bot.command('link +49 89 1234567 to "HQ Munich"')
    r = bot.command("unlink +49 89 1234567 +49 89 1234568 +49 89 99999998")
    body = texts(r.json)
    assert "Unlinked 2 numbers:" in body
    assert "from *HQ Munich*: +49 89 1234567" in body
    assert "from *HQ Berlin*: +49 89 1234568" in body
    assert "Not unlinked: +49 89 99999998 is not in the inventory." in body
    inv = bot.inventory()
    assert inv.info(MUNICH).address is None and inv.info(MUNICH2).address is None
