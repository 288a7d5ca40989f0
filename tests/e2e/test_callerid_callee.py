"""End to end: `/numbers callerid CAMPAIGN to=NUMBER` with a called number typed without
its country (issue 12, item 11): the answer says which country was assumed, how to write
another, and suggests the number in a country the workspace works with."""

from __future__ import annotations

import pytest

from tests.conftest import RunningBot, bot_settings, start_bot, stop_bot
from tests.e2e.test_numbers import BOSS, address_fields, texts


@pytest.fixture
def fi_bot(fake, tmp_path):
    settings = bot_settings(fake, tmp_path / "data", NUMBERS_DEFAULT_REGION="FI")
    server, sender = start_bot(fake, settings)
    try:
        yield RunningBot(fake, sender, settings, server, tmp_path / "data")
    finally:
        stop_bot(server, settings)


def _campaign(bot, numbers: list[str], address) -> None:
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address)
    inventory.numbers.add(BOSS, numbers, address_name=address["name"])
    inventory.campaigns.save(BOSS, "Oktoberfest 2025", numbers=numbers)


def test_a_callee_of_a_country_in_use_is_suggested(fi_bot):
    _campaign(
        fi_bot,
        ["+49 89 1234567", "+49 30 1234567"],
        address_fields("HQ Munich", "München", "80331"),
    )
    r = fi_bot.command('callerid "Oktoberfest 2025" to=089 7654321')
    body = texts(r.json)
    assert "089 7654321 is not a Finnish number — did you mean +49 89 7654321?" in body
    assert "is not a valid number in Finland" not in body
    # Written as suggested, the call gets local presence.
    r = fi_bot.command('callerid "Oktoberfest 2025" to=+49 89 7654321')
    assert "*+49 89 1234567*" in texts(r.json)


def test_without_a_suggestion_the_assumed_country_and_the_way_out_are_said(fi_bot):
    _campaign(
        fi_bot,
        ["+358 9 1234 5678"],
        address_fields("HQ Helsinki", "Helsinki", "00100", "FI"),
    )
    r = fi_bot.command('callerid "Oktoberfest 2025" to=12345')
    body = texts(r.json)
    assert "The called number 12345" in body
    assert "numbers without + are read as Finnish numbers" in body
    assert "write another country's with + and its country code" in body
