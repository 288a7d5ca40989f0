"""End to end: the address form (new and edit, inline errors), show, list, delete."""

from __future__ import annotations

import pytest

from tests.e2e.test_numbers import (
    BERLIN,
    MUNICH,
    address_fields,
    buttons,
    last_respond,
    seed,
    texts,
)
from tests.fakeslack import Modal

LABELS = [
    "Name",
    "Customer name",
    "Street",
    "Postal code",
    "City",
    "Region",
    "Country",
    "Obligations",
]
OBLIGATIONS = "This is the real business address of the numbers' user"


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def open_new(bot) -> Modal:
    opened = len(bot.fake.calls_to("views.open"))  # views.open comes after the ack
    assert bot.command("address new").status == 200
    modal = bot.fake.modal(index=opened)
    assert modal.callback_id == "address_form" and modal.title == "New address"
    return modal


def fill(modal: Modal, **fields) -> Modal:
    values = {
        "Name": "HQ Munich",
        "Customer name": "Acme GmbH",
        "Street": "Marienplatz 1",
        "Postal code": "80331",
        "City": "München",
        "Region": "BY",
        "Country": "DE",
        "Obligations": [OBLIGATIONS],
    }
    values.update(fields)
    for label, value in values.items():
        modal.fill(label, value)
    return modal


def test_new_address_form_creates_the_address(bot):
    modal = open_new(bot)
    assert modal.labels() == LABELS
    country = modal.element("Country")
    options = [o for g in country["option_groups"] for o in g["options"]]
    assert len(options) > 200 and all(len(g["options"]) <= 100 for g in country["option_groups"])
    r = fill(modal).submit(bot.sender)
    assert r.status == 200 and r.json["response_action"] == "update"
    assert "Address *HQ Munich* created" in texts(r.json["view"])
    saved = bot.inventory().address("hq munich")
    assert (saved.city, saved.country, saved.region, saved.postal_code) == (
        "München",
        "DE",
        "DE-BY",
        "80331",
    )
    assert saved.created_by == "UMANAGER"


def test_new_address_inline_errors(bot):
    seed(bot, addresses=[address_fields("HQ Munich", "Munich", "80331")])
    modal = open_new(bot)
    # Name taken (case-insensitive), obligations unchecked, region not in Germany.
    fill(modal, Name="hq MUNICH", Region="XX", Obligations=[])
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors"
    errors = r.json["errors"]
    assert set(errors) == {"name", "region", "confirmed"}
    assert "exists already" in errors["name"]
    assert "XX" in errors["region"] and "Germany" in errors["region"]
    assert "real business address" in errors["confirmed"]
    # Every error is keyed by an input block of the form (only those can show errors).
    inputs = {b["block_id"] for b in modal.blocks if b["type"] == "input"}
    assert set(errors) <= inputs

    # Missing fields and no country chosen.
    modal = open_new(bot)
    fill(modal, Name="Branch", Street="", City="   ", Country=None)
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors"
    assert {"street", "city", "country"} <= set(r.json["errors"])
    assert len(bot.inventory().address_list()) == 1


def test_region_is_optional_and_accepts_names(bot):
    modal = fill(open_new(bot), Name="Berlin office", City="Berlin", Region=None)
    assert modal.submit(bot.sender).json["response_action"] == "update"
    modal = fill(open_new(bot), Name="Bavaria office", Region="bayern")
    assert modal.submit(bot.sender).json["response_action"] == "update"
    inv = bot.inventory()
    assert inv.address("Berlin office").region == ""
    assert inv.address("Bavaria office").region == "DE-BY"


def test_edit_is_prefilled_and_saves(bot):
    seed(bot, [MUNICH], [address_fields("HQ Munich", "München", "80331", region="BY")])
    bot.command("link +49 89 1234567 to HQ Munich")
    assert bot.command('address edit "HQ Munich"').status == 200
    modal = bot.fake.modal()
    assert modal.title == "Edit address"
    values = modal.values
    assert values["name"]["name"]["value"] == "HQ Munich"
    assert values["city"]["city"]["value"] == "München"
    assert values["postal_code"]["postal_code"]["value"] == "80331"
    assert values["country"]["country"]["selected_option"]["value"] == "DE"
    assert [o["value"] for o in values["confirmed"]["confirmed"]["selected_options"]] == [
        "confirmed"
    ]

    # Moving it to Berlin turns the linked Munich number non-compliant: the form says so.
    modal.fill("City", "Berlin").fill("Postal code", "10115").fill("Region", "BE")
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "update"
    view = texts(r.json["view"])
    assert "Address *HQ Munich* saved" in view
    assert "1 is now Outside area" in view and "+49 89 1234567" in view
    inv = bot.inventory()
    assert len(inv.address_list()) == 1 and inv.address("HQ Munich").city == "Berlin"
    assert inv.info(MUNICH).verdict.status == "outside_area"

    # Renaming it to its own name in another case is fine; to another's name is not.
    seed(bot, addresses=[address_fields("HQ Berlin", "Berlin", "10115")])
    bot.command("address edit HQ Munich")
    modal = bot.fake.modal(index=1)
    r = modal.fill("Name", "HQ Berlin").submit(bot.sender)
    assert "exists already" in r.json["errors"]["name"]
    r = modal.fill("Name", "hq munich").submit(bot.sender)
    assert r.json["response_action"] == "update"
    assert bot.inventory().address("HQ MUNICH").name == "hq munich"


def test_edit_unknown_address(bot):
    r = bot.command("address edit Nowhere")
    assert "Nowhere" in r.json["text"]
    assert bot.fake.calls_to("views.open") == []


def test_show_and_list(bot):
    seed(bot, [MUNICH, BERLIN], [address_fields("HQ Munich", "München", "80331")])
    bot.command("link +49 89 1234567 to HQ Munich")
    r = bot.command('address show "hq munich"')
    assert r.status == 200 and r.json["response_type"] == "ephemeral"
    body = texts(r.json["blocks"])
    assert "Acme GmbH" in body and "80331 München" in body and "Germany" in body
    assert "+49 89 1234567" in body and "+49 30 1234567" not in body
    assert "Which address" in bot.command("address show").json["text"]
    assert "Nowhere" in bot.command("address show Nowhere").json["text"]
    assert "I don't know “frob”" in bot.command("address frob").json["text"]

    body = texts(bot.command("address list").json["blocks"])
    assert "HQ Munich" in body and "· 1 number" in body


def test_address_list_pages(bot):
    seed(bot, addresses=[address_fields(f"Office {i:03d}", "Berlin", "10115") for i in range(90)])
    first = bot.command("address list")
    assert len(first.json["blocks"]) <= 50
    body = texts(first.json["blocks"])
    assert "90 in all · page 1 of 3" in body and "Office 000" in body and "Office 040" not in body
    assert "page=2" in body
    third = texts(bot.command("address list page=3").json["blocks"])
    assert "Office 089" in third and "Office 000" not in third
    assert "page= takes" in bot.command("address list page=x").json["text"]


def test_delete_refused_while_linked_then_allowed(bot):
    seed(bot, [MUNICH, BERLIN], [address_fields("HQ Munich", "München", "80331")])
    bot.command("link +49 89 1234567 +49 30 1234567 to HQ Munich")
    r = bot.command("address delete HQ Munich")
    body = texts(r.json["blocks"])
    assert "cannot be deleted" in body and "+49 89 1234567" in body and "+49 30 1234567" in body
    assert "delete_address" not in buttons(r.json["blocks"])
    assert bot.inventory().address("HQ Munich")

    bot.command("unlink +49 89 1234567 +49 30 1234567")
    r = bot.command("address delete HQ Munich")
    button = buttons(r.json["blocks"])["delete_address"]
    assert button["confirm"]["text"]["text"]
    assert bot.inventory().address("HQ Munich")  # not before the click
    message = {"type": "message", "ts": "1.000500", "blocks": r.json["blocks"]}
    bot.sender.block_action("delete_address", message=message)
    assert "HQ Munich deleted" in last_respond(bot)["text"]
    assert bot.inventory().address_list() == []


def test_delete_button_refused_if_numbers_were_linked_meanwhile(bot):
    seed(bot, [MUNICH], [address_fields("HQ Munich", "München", "80331")])
    r = bot.command("address delete HQ Munich")
    message = {"type": "message", "ts": "1.000600", "blocks": r.json["blocks"]}
    bot.command("link +49 89 1234567 to HQ Munich")
    bot.sender.block_action("delete_address", message=message)
    reply = last_respond(bot)
    assert "cannot be deleted" in reply["text"] and "+49 89 1234567" in reply["text"]
    assert bot.inventory().address("HQ Munich")
