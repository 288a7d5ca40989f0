"""End to end: `/numbers add` and the bulk-add form never put a piece of a typed number
into the inventory (issue 12, item 1), name what is already there (item 9), and answer
one line per number typed. Real numbers of many countries; a Finnish workspace (default
country FI) expanding into Germany and Spain, as in the trial."""

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


def on_disk(bot) -> set[str]:
    return {i.e164 for i in bot.inventory().number_list()}


def bullets(body: str) -> list[str]:
    return [line for line in body.splitlines() if line.startswith("•")]


def test_a_german_number_typed_nationally_is_not_cut_into_a_finnish_one(fi_bot):
    """The trial: "089 2345 6782" became +358 2 3456782 (Turku) and "089 is too short"."""
    r = fi_bot.command("add 089 2345 6782")
    body = texts(r.json["blocks"])
    assert on_disk(fi_bot) == set()
    assert body.startswith("Nothing added.")
    assert len(bullets(body)) == 1  # one line for the one number typed
    # No other country in use yet: asked among the common markets, each named.
    assert (
        "089 2345 6782 is not a Finnish number — did you mean +49 89 23456782 (Germany)"
        in body
    )


def test_a_number_valid_nowhere_says_how_it_was_read(fi_bot):
    r = fi_bot.command("add 12")
    body = texts(r.json["blocks"])
    assert on_disk(fi_bot) == set()
    assert "12 is too short for Finland" in body and "+358" not in body
    assert "read as Finnish numbers" in body and "with + and its country code" in body


def test_a_nationally_typed_number_of_a_country_in_use_is_asked_about(fi_bot):
    inventory = fi_bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Munich", "München", "80331"))
    inventory.numbers.add(BOSS, ["+49 89 1234567"])
    r = fi_bot.command("add 089 2345 6782")
    body = texts(r.json["blocks"])
    assert "089 2345 6782 is not a Finnish number — did you mean +49 89 23456782?" in body
    assert on_disk(fi_bot) == {"+49891234567"}


def test_three_numbers_on_one_line_are_three_results(fi_bot):
    r = fi_bot.command("add +49 (0)89 2345 6781 089 23456782 0049 89 2345 6783")
    body = texts(r.json["blocks"])
    assert on_disk(fi_bot) == {"+498923456781", "+498923456783"}
    assert "Added 2 numbers. 1 not added." in body
    lines = bullets(body)
    assert len(lines) == 3, lines
    # The German numbers typed beside it are the hint.
    assert "089 23456782 is not a Finnish number — did you mean +49 89 23456782?" in body


def test_an_overlong_number_is_refused(fi_bot):
    r = fi_bot.command("add +49 89 2345 678901234")
    body = texts(r.json["blocks"])
    assert "Nothing added." in body and "too long for Germany" in body
    assert on_disk(fi_bot) == set()


def test_numbers_of_many_countries_and_finnish_ones_with_spaces(fi_bot):
    r = fi_bot.command(
        "add +34 911 23 45 67 +44 20 7946 0958 +1 201 555 0123 +33 1 42 68 53 00 "
        "+46 8 123 456 78 09 1234 5678 040 123 4567"
    )
    body = texts(r.json["blocks"])
    assert "Added 7 numbers." in body
    assert len(bullets(body)) == 7
    assert on_disk(fi_bot) == {
        "+34911234567",
        "+442079460958",
        "+12015550123",
        "+33142685300",
        "+46812345678",
        "+358912345678",
        "+358401234567",
    }
    # Each shown in its country's international format.
    for shown in ("+34 911 23 45 67", "+44 20 7946 0958", "+1 201-555-0123", "+33 1 42 68 53 00"):
        assert shown in body


def test_the_bulk_form_reads_each_line_the_same_way(fi_bot):
    inventory = fi_bot.inventory()
    inventory.numbers.add(BOSS, ["+49 40 1234567"])
    assert fi_bot.command("add").status == 200
    modal = fi_bot.fake.modal()
    pasted = (
        "+49 (0)89 2345 6781 089 23456782 0049 89 2345 6783\n"
        "+34 911 23 45 67\n"
        "+49 89 2345 678901234\n"
        "+49 40 1234567"
    )
    r = modal.fill("Numbers", pasted).submit(fi_bot.sender)
    assert r.json["response_action"] == "update"
    body = texts(r.json["view"])
    assert on_disk(fi_bot) == {"+498923456781", "+498923456783", "+34911234567", "+49401234567"}
    assert "line 1: 089 23456782 — not added" in body and "did you mean +49 89 23456782" in body
    assert "line 3: +49 89 2345 678901234 — not added" in body and "too long" in body
    # Item 9: what was already there is named, not only counted.
    assert "line 4: *+49 40 1234567* is already in the inventory" in body
    assert len(bullets(body)) == 6


def test_the_bulk_form_stays_open_when_every_line_is_a_piece_of_doubt(fi_bot):
    modal_r = fi_bot.command("add")
    assert modal_r.status == 200
    modal = fi_bot.fake.modal()
    r = modal.fill("Numbers", "089 2345 6782").submit(fi_bot.sender)
    assert r.json["response_action"] == "errors"
    assert "is not a Finnish number — did you mean +49 89 23456782" in r.json["errors"]["numbers"]
    assert on_disk(fi_bot) == set()


def test_already_in_the_inventory_is_named_on_the_command_too(fi_bot):
    fi_bot.inventory().numbers.add(BOSS, ["+46 8 123 456 78"])
    r = fi_bot.command("add +46812345678 +34 911 23 45 67")
    body = texts(r.json["blocks"])
    assert "*+46 8 123 456 78* is already in the inventory: left as it was." in body
