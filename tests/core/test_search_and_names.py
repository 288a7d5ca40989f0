"""Inventory.search_numbers (prefixes, accents, area names) and quote-insensitive names,
against the in-memory repository and real phonenumbers data."""

from __future__ import annotations

import pytest

from bot.core.compliance import Rules
from bot.core.model import Actor
from bot.core.services import Inventory
from storage.memory import MemoryRepository

MANAGER = Actor("UMANAGER", is_manager=True)

MUNICH = "+49893001234"
BERLIN = "+49303001234"
MADRID = "+34911234567"
ZURICH = "+41446681800"
NEW_YORK = "+12125550100"
TORONTO = "+14165550123"
HELSINKI = "+35891234567"
LONDON = "+442079460958"
ALL = [MUNICH, BERLIN, MADRID, ZURICH, NEW_YORK, TORONTO, HELSINKI, LONDON]


@pytest.fixture
def inv() -> Inventory:
    inventory = Inventory(MemoryRepository(), Rules.shipped(), "DE")
    inventory.numbers.add(MANAGER, ALL)
    return inventory


def found(inv: Inventory, text: str) -> set[str]:
    return {i.e164 for i in inv.search_numbers(text)}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+49", {MUNICH, BERLIN}),
        ("0049", {MUNICH, BERLIN}),
        ("+4989", {MUNICH}),
        ("+49 89 300", {MUNICH}),
        ("+1", {NEW_YORK, TORONTO}),
        ("001", {NEW_YORK, TORONTO}),
        ("+1 416", {TORONTO}),
        ("+34", {MADRID}),
        ("+358", {HELSINKI}),
        ("+44", {LONDON}),
        ("+41 44", {ZURICH}),
        ("+3", {MADRID, HELSINKI}),
        ("+7", set()),
    ],
)
def test_digits_with_plus_or_00_match_the_start(inv, typed, expected):
    assert found(inv, typed) == expected


def test_plus_49_does_not_find_a_spanish_number_holding_49(inv):
    inv.numbers.add(MANAGER, ["+34 914 912 345"])  # "34914912345" holds "49"
    assert "+34914912345" not in found(inv, "+49")
    assert "+34914912345" in found(inv, "49")  # bare digits still match anywhere


def test_bare_and_national_digits_keep_matching(inv):
    assert found(inv, "3001234") == {MUNICH, BERLIN}
    assert found(inv, "089 300") == {MUNICH}  # national form of the default country
    assert found(inv, "030 300") == {BERLIN}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("München", {MUNICH}),
        ("munchen", {MUNICH}),
        ("MÜNCHEN", {MUNICH}),
        ("Munich", {MUNICH}),
        ("Zürich", {ZURICH}),
        ("zurich", {ZURICH}),
        ("Zurigo", {ZURICH}),
        ("helsinki", {HELSINKI}),
    ],
)
def test_area_in_any_language_with_accents_folded(inv, typed, expected):
    assert found(inv, typed) == expected


def test_address_and_label_are_searched_with_accents_folded(inv):
    inv.addresses.create(
        MANAGER,
        {
            "name": "Zürich office",
            "customer_name": "Acme AG",
            "street": "Bahnhofstrasse 1",
            "postal_code": "8001",
            "city": "Zürich",
            "country": "CH",
            "confirmed": True,
        },
    )
    inv.addresses.link(MANAGER, [ZURICH], "Zürich office")
    inv.numbers.add(MANAGER, ["+49 40 3001234"], label="Hotline Süd")
    assert found(inv, "zurich office") == {ZURICH}
    assert found(inv, "zurichoff") == {ZURICH}
    assert found(inv, "hotline sud") == {"+49403001234"}


# -- names typed in quotes ------------------------------------------------------------------


def office(name: str) -> dict:
    return {
        "name": name,
        "customer_name": "Acme GmbH",
        "street": "Marienplatz 1",
        "postal_code": "80331",
        "city": "München",
        "country": "DE",
        "confirmed": True,
    }


@pytest.mark.parametrize(
    "typed", ["“Office B”", '"Office B"', "'Office B'", "„Office B“", "«Office B»", "‘Office B’"]
)
def test_quotes_around_a_name_are_not_saved(inv, typed):
    assert inv.addresses.create(MANAGER, office(typed)).name == "Office B"
    assert inv.groups.save(MANAGER, typed, [MUNICH]).name == "Office B"
    assert inv.campaigns.save(MANAGER, typed, [MUNICH]).campaign.name == "Office B"
    for lookup in ("Office B", "office b", "“Office B”", '"office b"', "„Office B“"):
        assert inv.address(lookup).name == "Office B"
        assert inv.group(lookup).name == "Office B"
        assert inv.campaign(lookup).name == "Office B"


def test_quotes_inside_a_new_name_are_refused_but_an_old_one_is_found(inv):
    from dataclasses import replace

    with pytest.raises(Exception, match="cannot contain quotes"):
        inv.addresses.create(MANAGER, office("Joe's “Corner” shop"))
    created = inv.addresses.create(MANAGER, office("Joe's shop"))
    with inv.repo.transaction():
        inv.repo.addresses.save(replace(created, name="Joe's “Corner” shop"))  # saved before
    assert inv.address("joe's “corner” shop").name == "Joe's “Corner” shop"


def test_a_name_saved_with_quotes_before_is_found_without_them(inv):
    from dataclasses import replace

    created = inv.addresses.create(MANAGER, office("Office B"))
    with inv.repo.transaction():
        inv.repo.addresses.save(replace(created, name="“Office B”"))  # as the trial left it
    assert inv.address("Office B").id == created.id
    assert inv.address("“Office B”").id == created.id
    with pytest.raises(Exception, match="exists already"):
        inv.addresses.create(MANAGER, office("Office B"))
