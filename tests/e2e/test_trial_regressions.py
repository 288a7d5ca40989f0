"""End to end, through the running bot: what a user trial found in `/numbers` (numbers with
their country code, search in forms, quoted names, wording, unknown subcommands)."""

from __future__ import annotations

import pytest

from tests.e2e.test_numbers import BOSS, address_fields, seed, texts


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def stored(bot) -> set[str]:
    return {i.e164 for i in bot.inventory().number_list()}


# -- numbers with a country code stay whole ----------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("+1 555 555 5555", "not a valid number for North America"),
        ("+32 2 123 45 67", "not a valid number in Belgium"),
        ("+44 7700 900123", "not a valid number in the United Kingdom"),
    ],
)
def test_add_an_invalid_international_number_reports_it_whole(bot, typed, reason):
    body = texts(bot.command(f"add {typed}").json)
    assert "Nothing added." in body
    assert f"{typed} — " in body and reason in body
    assert "+49" not in body.replace(typed, "")  # no part of it read as a German number
    assert stored(bot) == set()


def test_add_international_numbers_of_many_countries_with_spaces(bot):
    r = bot.command("add +1 201 555 0123 +32 2 555 12 12 +44 20 7946 0958 +358 9 1234567")
    assert "Added 4 numbers." in texts(r.json)
    assert stored(bot) == {"+12015550123", "+3225551212", "+442079460958", "+35891234567"}


def test_add_separated_by_commas_and_semicolons(bot):
    r = bot.command("add +4989333333, +4930444444;+4940555555")
    assert "Added 3 numbers." in texts(r.json)
    assert stored(bot) == {"+4989333333", "+4930444444", "+4940555555"}


def test_add_national_numbers_with_spaces_still_work(bot):
    r = bot.command("add 089 1234567 030 123 4567")
    assert "Added 2 numbers." in texts(r.json)
    assert stored(bot) == {"+49891234567", "+49301234567"}


def test_add_a_valid_and_an_invalid_international_number(bot):
    body = texts(bot.command("add +1 555 555 5555 +32 2 555 12 12").json)
    assert "Added 1 number." in body and "+1 555 555 5555 — " in body
    assert stored(bot) == {"+3225551212"}


def test_link_and_unlink_international_numbers_with_spaces(bot):
    seed(
        bot,
        ["+3225551212", "+442079460958", "+495555555555"],
        [address_fields("Brussels office", "Brussels", "1000", country="BE")],
    )
    r = bot.command('link +32 2 555 12 12 +44 20 7946 0958 to "Brussels office"')
    assert "Linked 2 numbers to *Brussels office*" in texts(r.json)
    inv = bot.inventory()
    assert inv.info("+3225551212").address.name == "Brussels office"
    assert inv.info("+442079460958").address.name == "Brussels office"

    # An invalid international number: refused whole, no German number touched.
    r = bot.command('link +1 555 555 5555 to "Brussels office"')
    assert "+1 555 555 5555" in r.json["text"] and "North America" in r.json["text"]
    assert bot.inventory().info("+495555555555").address is None

    r = bot.command("unlink +32 2 555 12 12, +44 20 7946 0958")
    assert "Unlinked 2 numbers from *Brussels office*" in texts(r.json)
    inv = bot.inventory()
    assert inv.info("+3225551212").address is None and inv.info("+442079460958").address is None
    r = bot.command("unlink +32 2 123 45 67")
    assert "+32 2 123 45 67" in r.json["text"] and "Belgium" in r.json["text"]


# -- search in forms ---------------------------------------------------------------------


def test_number_and_address_search_in_the_link_form(bot):
    seed(
        bot,
        ["+49 89 1234567", "+34 914 912 345", "+41 44 668 18 00", "+1 212 555 0100"],
        [
            address_fields("Zürich office", "Zürich", "8001", country="CH"),
            address_fields("HQ Munich", "München", "80331"),
        ],
    )
    bot.command("link")
    modal = bot.fake.modal()

    def numbers(text):
        return [
            o["value"]
            for o in bot.sender.options("numbers_search", text, view=modal).json["options"]
        ]

    def addresses(text):
        options = bot.sender.options("address_search", text, view=modal).json["options"]
        return [o["text"]["text"] for o in options]

    assert numbers("+49") == ["+49891234567"]  # not +34 914 912 345
    assert numbers("+1") == ["+12125550100"]
    assert numbers("München") == numbers("munchen") == ["+49891234567"]
    assert numbers("Zürich") == ["+41446681800"]
    assert numbers("089 123") == ["+49891234567"]
    assert addresses("zur") == ["Zürich office"]
    assert addresses("ZÜR") == ["Zürich office"]
    assert addresses("munich") == ["HQ Munich"]


# -- names typed in quotes -----------------------------------------------------------------


def test_an_address_named_in_typographic_quotes_in_the_form_is_found_by_name(bot):
    from tests.e2e.test_addresses import fill, open_new

    r = fill(open_new(bot), Name="“Office B”").submit(bot.sender)
    assert r.json["response_action"] == "update" and "*Office B*" in texts(r.json["view"])
    assert bot.inventory().address("Office B").name == "Office B"
    for typed in ("Office B", "“Office B”", '"office b"'):
        r = bot.command(f"address show {typed}")
        assert r.json["blocks"][0]["text"]["text"] == "Office B", typed
    assert bot.command("address edit Office B").status == 200
    assert bot.fake.modal(index=1).callback_id == "address_form"
    r = bot.command("address delete “Office B”")
    assert "delete_address" in {
        el["action_id"] for b in r.json["blocks"] if b["type"] == "actions" for el in b["elements"]
    }


def test_group_and_campaign_names_in_quotes(bot):
    seed(bot, ["+49 89 1234567"])
    bot.inventory().groups.save(BOSS, "„Sales DE“", ["+49 89 1234567"])
    assert "Sales DE" in texts(bot.command("group show Sales DE").json)
    assert "„" not in texts(bot.command("group list").json)


# -- wording ---------------------------------------------------------------------------------


def test_bulk_add_says_which_numbers_need_attention_and_why(bot):
    seed(bot, [], [address_fields("HQ Berlin", "Berlin", "10115")])
    bot.command("add")
    modal = bot.fake.modal()
    address = bot.sender.options("address_search", "berlin", view=modal).json["options"][0]
    modal.fill("Numbers", "+49 89 1234567\n+49 30 1234567\nnonsense").fill("Address", address)
    body = texts(modal.submit(bot.sender).json["view"])
    assert "Added 2 numbers." in body
    assert "1 of them needs attention." in body and "still need an address" not in body
    assert "+49 89 1234567" in body and "Outside area" in body
    assert "1 not added." in body and "line 3: nonsense — not added" in body


def test_singular_and_plural(bot):
    body = texts(bot.command("add +49 89 1234567 garbage").json)
    assert "Added 1 number. 1 not added." in body
    assert "1 of them needs attention" in body
    assert "number(s)" not in body and "(s)" not in body
    assert "1 number · page 1 of 1" in texts(bot.command("list").json)


def test_unlink_a_number_without_an_address_says_so(bot):
    seed(bot, ["+49 89 1234567", "+49 30 1234567"], [address_fields("HQ", "Berlin", "10115")])
    r = bot.command("unlink +49 89 1234567")
    assert "+49 89 1234567 has no address: nothing to unlink." in r.json["text"]
    bot.command("link +49 30 1234567 to HQ")
    r = bot.command("unlink +49 30 1234567 +49 89 1234567")
    assert "Unlinked 1 number from *HQ*: +49 30 1234567." in r.json["text"]
    assert "+49 89 1234567 has no address: left as it was." in r.json["text"]
    assert bot.inventory().info("+49 30 1234567").address is None


def test_group_new_with_a_name_prefills_it(bot):
    assert bot.command('group new "Sales DE"').status == 200
    modal = bot.fake.modal()
    assert modal.callback_id == "group_form"
    assert modal.element("Name")["initial_value"] == "Sales DE"
    bot.command("group new")
    assert "initial_value" not in bot.fake.modal(index=1).element("Name")


def test_list_past_the_last_page_and_country_names(bot):
    seed(bot, ["+49 89 1234567", "+358 9 1234567"])
    r = bot.command("list page=2")
    assert "There is only 1 page (2 numbers)." in r.json["text"]
    assert "Numbers in Germany" in texts(bot.command("list country=de").json)
    assert "Numbers in Finland" in texts(bot.command("list country=FI").json)
    assert "There is only 1 page (0 numbers)." in bot.command("list ok page=3").json["text"]


def test_link_form_without_an_address_asks_for_one(bot):
    seed(bot, ["+49 89 1234567"])
    bot.command("link")
    modal = bot.fake.modal()
    found = bot.sender.options("numbers_search", "+49", view=modal).json["options"]
    r = modal.fill("Numbers", found).submit(bot.sender)
    assert r.json["response_action"] == "errors"
    assert r.json["errors"] == {"address": "Choose an address."}


# -- unknown subcommands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("lst", "list"),
        ("LIST2", "list"),
        ("adress", "address"),
        ("shwo", "show"),
        ("unlnk", "unlink"),
    ],
)
def test_an_unknown_subcommand_suggests_the_closest(bot, typed, meant):
    body = texts(bot.command(f"{typed} something").json)
    assert f"I don't know “{typed}”. Did you mean `/numbers {meant} something`?" in body
    assert f"`/numbers {meant}" in body and "`/numbers help` lists everything." in body
    assert "list [all|attention|unaddressed|ok]" not in body or meant == "list"  # short help


def test_no_suggestion_when_nothing_is_close(bot):
    body = texts(bot.command("frobnicate").json)
    assert "I don't know “frobnicate”." in body and "Did you mean" not in body
