"""End to end: one consistent style in the answers (issue 12, item 15): no "(s)" plurals,
countries and regions by name, a city named once (as the linked address names it),
numbers in their country's international format, and a short answer to a typo."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_numbers import BOSS, address_fields, texts


@pytest.fixture
def workspace(bot):
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Munich", "München", "80331", region="BY"))
    inventory.addresses.create(BOSS, address_fields("Madrid office", "Madrid", "28001", "ES"))
    inventory.numbers.add(BOSS, ["+49 89 1234567", "+49 89 1234568"], address_name="HQ Munich")
    inventory.numbers.add(BOSS, ["+34911234567"], address_name="Madrid office")
    inventory.groups.save(BOSS, "Sales DE", ["+49 89 1234567"])
    inventory.campaigns.save(BOSS, "Oktoberfest 2025", groups=["Sales DE"])
    return bot


COMMANDS = [
    "list",
    "list country=germany",
    "show +49 89 1234567",
    'address show "HQ Munich"',
    "address list",
    "group list",
    'group show "Sales DE"',
    "campaign list",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_no_parenthesised_plurals_and_no_country_codes(workspace, command):
    body = texts(workspace.command(command).json)
    assert "(s)" not in body
    assert not re.search(r"Country\*?\n?:? ?(DE|ES)\b", body), body
    assert "GERMANY" not in body and "DE-BY" not in body


def test_country_and_region_by_name(workspace):
    body = texts(workspace.command('address show "HQ Munich"').json)
    assert "*Country*\nGermany" in body and "*Region*\nBayern" in body
    body = texts(workspace.command("address list").json)
    assert "80331 München, Bayern, Germany · 2 numbers" in body
    assert "in Germany" in texts(workspace.command("list country=germany").json)


def test_a_city_is_named_once_as_the_address_names_it(workspace):
    body = texts(workspace.command("show +49 89 1234567").json)
    assert "*Area*\nMünchen" in body
    assert "HQ Munich is in München, the number's area" in body
    assert "Munich)" not in body  # not "München … (Munich)"
    line = next(x for x in texts(workspace.command("list").json).splitlines() if "1234567" in x)
    assert "München" in line and "· Munich ·" not in line


def test_numbers_in_their_country_international_format(workspace):
    body = texts(workspace.command("list").json)
    assert "+34 911 23 45 67" in body and "+49 89 1234567" in body


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("campain show Oktoberfest", "/numbers campaign show Oktoberfest"),
        ('adress show "HQ Munich"', '/numbers address show "HQ Munich"'),
        ("lst attention", "/numbers list attention"),
    ],
)
def test_a_near_miss_gets_the_command_it_meant_and_short_help(workspace, typed, meant):
    r = workspace.command(typed)
    body = texts(r.json["blocks"])
    assert f"Did you mean `{meant}`?" in body
    assert "`/numbers help` lists everything." in body
    assert len(body.splitlines()) <= 4, body  # not the whole 22-line help


def test_a_word_like_nothing_known_still_gets_the_whole_help(workspace):
    body = texts(workspace.command("frobnicate").json)
    assert "I don't know “frobnicate”" in body and "what you can do" in body
