"""End to end: a name typed not quite as it is stored gets the closest names suggested,
wherever a name is looked up (issue 12, item 10); a new name may not hold quotes."""

from __future__ import annotations

import pytest

from tests.e2e.test_numbers import BOSS, address_fields, texts


@pytest.fixture
def workspace(bot):
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Munich", "München", "80331"))
    inventory.addresses.create(BOSS, address_fields("Madrid office", "Madrid", "28001", "ES"))
    inventory.numbers.add(BOSS, ["+49 89 1234567", "+34 911 23 45 67"])
    inventory.groups.save(BOSS, "Sales DE", ["+49 89 1234567"])
    inventory.campaigns.save(BOSS, "Oktoberfest 2025", groups=["Sales DE"])
    inventory.campaigns.save(BOSS, "Spring sale", numbers=["+34 911 23 45 67"])
    assert "New agent" in bot.command("agent Maria Lopez callerid +34 911 23 45 67").body_text
    return bot


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "campaign show Oktoberfest",
            "There is no campaign called “Oktoberfest”. Did you mean “Oktoberfest 2025”?",
        ),
        (
            'address show "HQ Munchen"',
            "There is no address called “HQ Munchen”. Did you mean “HQ Munich”?",
        ),
        ("address show madrid", "Did you mean “Madrid office”?"),
        ("group show Sales", "There is no group called “Sales”. Did you mean “Sales DE”?"),
        ("list group=sales", "Did you mean “Sales DE”?"),
        ("callerid Oktoberfst", "Did you mean “Oktoberfest 2025”?"),
        ("callerid Spring agent=Maria", "Did you mean “Spring sale”?"),
        ('callerid "Spring sale" agent=Mariah', "Did you mean “Maria Lopez”?"),
        (
            "agent Marie Lopez",
            "There is no agent called “Marie Lopez”. Did you mean “Maria Lopez”?",
        ),
        ("link +49 89 1234567 to HQ Muenchen", "Did you mean “HQ Munich”?"),
        ("campaign edit oktober", "Did you mean “Oktoberfest 2025”?"),
        ('audit "HQ Munchn"', "is known (a number or a name). Did you mean “HQ Munich”?"),
    ],
)
def test_a_name_not_found_suggests_the_closest(workspace, command, answer):
    r = workspace.command(command)
    assert r.status == 200
    assert answer in texts(r.json), texts(r.json)


def test_nothing_close_suggests_nothing(workspace):
    body = texts(workspace.command("campaign show Zebra").json)
    assert "There is no campaign called “Zebra”." in body and "Did you mean" not in body


def _address_form(bot, name: str):
    bot.command("address new")
    modal = bot.fake.modal().fill("Name", name)
    for label, value in {
        "Customer name": "Acme Oy",
        "Street": "Mannerheimintie 1",
        "Postal code": "00100",
        "City": "Helsinki",
        "Country": "FI",
        "Obligations": ["confirmed"],
    }.items():
        modal.fill(label, value)
    return modal.submit(bot.sender)


@pytest.mark.parametrize("name", ['HQ "Helsinki"', "HQ “Helsinki”", '"Best" offers "2025"'])
def test_a_new_address_name_with_quotes_is_refused_on_the_field(bot, name):
    r = _address_form(bot, name)
    assert r.json["response_action"] == "errors"
    assert "cannot contain quotes" in r.json["errors"]["name"]
    assert bot.inventory().address_list() == []


def test_a_name_in_quotes_is_taken_without_them(bot):
    r = _address_form(bot, '"HQ Helsinki"')
    assert r.json["response_action"] == "update"
    assert [a.name for a in bot.inventory().address_list()] == ["HQ Helsinki"]


def test_a_new_group_or_campaign_name_with_quotes_is_refused(bot):
    bot.command("group new")
    r = bot.fake.modal().fill("Name", 'Sales "DE"').submit(bot.sender)
    assert r.json["response_action"] == "errors"
    assert "cannot contain quotes" in r.json["errors"]["name"]
    bot.command("campaign new")
    r = bot.fake.modal(index=-1).fill("Name", "Oktoberfest “2025”").submit(bot.sender)
    assert r.json["response_action"] == "errors"
    assert "cannot contain quotes" in r.json["errors"]["name"]
    inventory = bot.inventory()
    assert inventory.group_list() == [] and inventory.campaign_list() == []
