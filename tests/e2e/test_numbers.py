"""End to end: `/numbers` overview, help, list, show, add, remove, link, unlink and the
link and bulk-add forms, driven through the running bot exactly as Slack would."""

from __future__ import annotations

import json

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER
from tests.fakeslack import Modal

BOSS = Actor(MANAGER, True)
MUNICH = "+49891234567"
MUNICH2 = "+49891234568"
BERLIN = "+49301234567"
HAMBURG = "+49401234567"


def texts(obj) -> str:
    """Every text of a payload (blocks, views, options), joined: what a person can read."""
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(obj)
    return "\n".join(found)


def address_fields(name: str, city: str, postal: str, country: str = "DE", **extra) -> dict:
    return {
        "name": name,
        "customer_name": "Acme GmbH",
        "street": "Hauptstraße 1",
        "postal_code": postal,
        "city": city,
        "country": country,
        "confirmed": True,
        **extra,
    }


def seed(bot, numbers=(), addresses=()):
    """Data the test starts from, written through the core as another process would."""
    inventory = bot.inventory()
    for fields in addresses:
        inventory.addresses.create(BOSS, fields)
    if numbers:
        inventory.numbers.add(BOSS, list(numbers))
    return inventory


def buttons(blocks) -> dict[str, dict]:
    out = {}
    for block in blocks:
        for el in block.get("elements", []) if block.get("type") == "actions" else []:
            out[el["action_id"]] = el
        if isinstance(block.get("accessory"), dict) and "action_id" in block["accessory"]:
            out[block["accessory"]["action_id"]] = block["accessory"]
    return out


def last_respond(bot, count: int = 1) -> dict:
    return bot.fake.wait_for("response_url", count)[-1].body


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


# -- overview, help, unknown words -----------------------------------------------------


def test_overview_counts_and_buttons(bot):
    seed(bot, [MUNICH, BERLIN], [address_fields("HQ Munich", "München", "80331")])
    bot.command(f"link {MUNICH} to HQ Munich")
    r = bot.command("")
    assert r.status == 200 and r.json["response_type"] == "ephemeral"
    body = texts(r.json["blocks"])
    assert "*2* numbers" in body and "OK: *1*" in body and "Missing address: *1*" in body
    assert "+49 30 1234567" in body  # the one needing attention is named
    assert {"open_address_new", "open_link", "open_bulk_add"} <= set(buttons(r.json["blocks"]))


def test_help_lists_every_subcommand_with_an_example(bot):
    r = bot.command("help")
    body = texts(r.json["blocks"])
    for usage in (
        "list [all|attention|unaddressed|ok|blocked|restricted]",
        "show NUMBER",
        "add NUMBER",
        "remove",
        "link NUMBER... to NAME",
        "unlink",
        "address new",
        "access",
    ):
        assert usage in body, usage
    assert "e.g. `/numbers show" in body


def test_unknown_word_gets_help_with_a_hint(bot):
    r = bot.command("frobnicate now")
    assert r.status == 200 and r.json["response_type"] == "ephemeral"
    body = texts(r.json["blocks"])
    assert "I don't know “frobnicate”" in body
    assert "list [all|attention|unaddressed|ok|blocked|restricted]" in body


def test_unclosed_quote_and_bad_list_options_are_explained(bot):
    assert "quote is not closed" in texts(bot.command('address show "HQ').json)
    r = bot.command("list sideways")
    assert "sideways" in r.json["text"] and "Usage: `/numbers list" in r.json["text"]
    assert "page= takes a page number" in bot.command("list page=zero").json["text"]
    assert "colour=" in bot.command("list colour=red").json["text"]


# -- quoting, Slack's escaping ---------------------------------------------------------


@pytest.mark.parametrize("quoted", ['"HQ Munich"', "“HQ Munich”", "„HQ Munich“"])
def test_quoted_names_straight_and_typographic(bot, quoted):
    seed(bot, [MUNICH], [address_fields("HQ Munich", "Munich", "80331")])
    r = bot.command(f"link +49 89 1234567 to {quoted}")
    assert "Linked 1 number to *HQ Munich*" in r.json["text"]
    assert bot.inventory().info(MUNICH).address.name == "HQ Munich"
    r = bot.command(f"address show {quoted}")
    assert r.json["blocks"][0]["text"]["text"] == "HQ Munich"


def test_slack_html_escapes_are_undone(bot):
    # Slack sends "Müller & Söhne" as "Müller &amp; Söhne".
    seed(bot, [MUNICH], [address_fields("Müller & Söhne", "Munich", "80331")])
    r = bot.command('link +49 89 1234567 to "Müller &amp; Söhne"')
    assert "Linked 1 number to *Müller &amp; Söhne*" in r.json["text"]
    assert bot.inventory().info(MUNICH).address.name == "Müller & Söhne"
    r = bot.command("address show Müller &amp; Söhne")
    assert r.json["blocks"][0]["text"]["text"] == "Müller & Söhne"  # plain_text header


# -- list and paging -----------------------------------------------------------------


def test_list_filters(bot):
    seed(
        bot,
        [MUNICH, MUNICH2, BERLIN, HAMBURG, "+358 9 1234567"],
        [
            address_fields("HQ Munich", "Munich", "80331"),
            address_fields("HQ Berlin", "Berlin", "10115"),
        ],
    )
    bot.command(f"link {MUNICH} to HQ Munich")
    bot.command(f"link {MUNICH2} {BERLIN} to HQ Berlin")  # MUNICH2: outside area

    def listed(text):
        r = bot.command(text)
        assert r.status == 200
        return texts(r.json["blocks"])

    everything = listed("list")
    assert all(n in everything for n in ("+49 89 1234567", "+49 40 1234567", "+358 9 1234567"))
    assert "5 numbers" in everything
    ok = listed("list ok")
    assert "+49 89 1234567" in ok and "+49 30 1234567" in ok and "+49 40" not in ok
    attention = listed("list attention")
    assert "+49 89 1234568" in attention and "Outside area" in attention
    assert "+49 40 1234567" in attention and "Missing address" in attention
    assert "*+49 89 1234567*" not in attention and "*+49 30 1234567*" not in attention
    unaddressed = listed("list unaddressed")
    assert "+49 40 1234567" in unaddressed and "+358 9 1234567" in unaddressed
    assert "+49 89 1234568" not in unaddressed
    finland = listed("list all country=FI")
    assert "+358 9 1234567" in finland and "+49" not in finland
    assert "in Finland" in finland
    assert "HQ Munich" in listed("LIST OK COUNTRY=de")


def test_list_lines_show_kind_area_address_and_reason(bot):
    seed(bot, [MUNICH], [address_fields("HQ Berlin", "Berlin", "10115")])
    bot.command(f"link {MUNICH} to HQ Berlin")
    line = texts(bot.command("list").json["blocks"])
    assert "Local" in line and "Munich" in line and "address: HQ Berlin" in line
    assert "Outside area" in line and "is in Berlin" in line


def test_paging_with_page_and_buttons(bot):
    seed(bot, [f"+49 89 12345{i:02d}" for i in range(45)])
    r = bot.command("list")
    blocks = r.json["blocks"]
    assert len(blocks) <= 50
    first = texts(blocks)
    assert "45 numbers · page 1 of 3" in first and "+49 89 1234500" in first
    assert "+49 89 1234520" not in first
    pager = {a for a in buttons(blocks) if a.startswith("list_page")}
    assert pager == {"list_page_next"}

    r = bot.command("list page=3")
    assert "page 3 of 3" in texts(r.json) and "+49 89 1234544" in texts(r.json)
    past = bot.command("list page=99").json["text"]
    assert "There are only 3 pages (45 numbers)" in past

    message = {"type": "message", "ts": "1.000200", "text": r.json["text"], "blocks": blocks}
    assert bot.sender.block_action("list_page_next", message=message).status == 200
    page2 = last_respond(bot)
    assert page2["replace_original"] is True
    assert "page 2 of 3" in texts(page2["blocks"]) and "+49 89 1234520" in texts(page2["blocks"])
    pager = {a for a in buttons(page2["blocks"]) if a.startswith("list_page")}
    assert pager == {"list_page_prev", "list_page_next"}

    message = {"type": "message", "ts": "1.000200", "blocks": page2["blocks"]}
    bot.sender.block_action("list_page_prev", message=message)
    page1 = last_respond(bot, 2)
    assert "page 1 of 3" in texts(page1["blocks"])


def test_paging_keeps_the_filter(bot):
    seed(bot, [f"+49 89 12345{i:02d}" for i in range(25)] + ["+358 9 1234567"])
    r = bot.command("list unaddressed country=DE")
    assert "25 numbers · page 1 of 2" in texts(r.json)
    message = {"type": "message", "ts": "1.000300", "blocks": r.json["blocks"]}
    bot.sender.block_action("list_page_next", message=message)
    page2 = texts(last_respond(bot)["blocks"])
    assert "page 2 of 2" in page2 and "without an address in Germany" in page2
    assert "+358" not in page2


# -- show -------------------------------------------------------------------------------


def test_show_munich_number_linked_to_berlin_is_outside_area(bot):
    seed(bot, [MUNICH], [address_fields("HQ Berlin", "Berlin", "10115")])
    bot.command('link "+49 (89) 123-4567" to "HQ Berlin"')
    r = bot.command("show 089 1234567")
    assert r.status == 200 and r.json["response_type"] == "ephemeral"
    body = texts(r.json["blocks"])
    assert "Outside area" in body
    why = next(
        b["text"]["text"] for b in r.json["blocks"] if "Why:" in b.get("text", {}).get("text", "")
    )
    assert "Munich" in why and "Berlin" in why
    assert "HQ Berlin" in body and "Local" in body


def test_show_unknown_and_invalid_number(bot):
    assert "is not in the inventory" in bot.command("show +49 89 7654321").json["text"]
    r = bot.command("show not-a-number")
    assert "not a phone number" in r.json["text"]
    assert "Which number?" in bot.command("show").json["text"]


# -- add ------------------------------------------------------------------------------


def test_add_several_numbers_with_an_invalid_one_and_one_already_present(bot):
    seed(bot, [HAMBURG])
    r = bot.command("add +49 89 1234567 030 1234567 +49 123 +49 40 1234567")
    assert r.status == 200
    body = texts(r.json["blocks"])
    assert "Added 2 numbers." in body
    assert "1 already in the inventory" in body
    assert "+49 123" in body and "too short" in body
    assert "2 of them need attention" in body  # DE local numbers need an address
    on_disk = {i.e164 for i in bot.inventory().number_list()}
    assert on_disk == {MUNICH, BERLIN, HAMBURG}


def test_add_only_invalid_adds_nothing(bot):
    r = bot.command("add garbage +999 1234")
    body = texts(r.json["blocks"])
    assert "Nothing added." in body and "garbage" in body and "+999" in body
    assert bot.inventory().number_list() == []


# -- remove ---------------------------------------------------------------------------


def test_remove_asks_and_the_confirm_button_removes(bot):
    seed(bot, [MUNICH, BERLIN])
    r = bot.command("remove +49 89 1234567")
    assert "Remove *+49 89 1234567*" in r.json["text"]
    button = buttons(r.json["blocks"])["remove_number"]
    assert button["confirm"]["title"]["text"] and button["value"] == MUNICH
    assert {i.e164 for i in bot.inventory().number_list()} == {MUNICH, BERLIN}  # not yet
    message = {"type": "message", "ts": "1.000400", "blocks": r.json["blocks"]}
    assert bot.sender.block_action("remove_number", message=message).status == 200
    assert "Removed +49 89 1234567" in last_respond(bot)["text"]
    assert {i.e164 for i in bot.inventory().number_list()} == {BERLIN}
    # Clicking again (Slack retries, a second click): a clear answer, nothing else changes.
    bot.sender.block_action("remove_number", message=message)
    assert "not in the inventory" in last_respond(bot, 2)["text"]
    assert "Which number?" in bot.command("remove").json["text"]


# -- link / unlink ----------------------------------------------------------------------


def test_link_several_then_unlink(bot):
    seed(bot, [MUNICH, MUNICH2, BERLIN], [address_fields("HQ Munich", "München", "80331")])
    r = bot.command('link +49 89 1234567 +49 89 1234568 +49 30 1234567 to "hq munich"')
    body = texts(r.json["blocks"])
    assert "Linked 3 numbers to *HQ Munich*" in body
    assert "1 still needs attention" in body and "+49 30 1234567" in body
    inv = bot.inventory()
    assert {i.e164 for i in inv.address_numbers(inv.address("HQ Munich").id)} == {
        MUNICH,
        MUNICH2,
        BERLIN,
    }
    r = bot.command("unlink +49 30 1234567 +49 89 1234568")
    assert "Unlinked 2 numbers" in texts(r.json)
    inv = bot.inventory()
    assert inv.info(BERLIN).address is None and inv.info(MUNICH2).address is None
    assert inv.info(MUNICH).address.name == "HQ Munich"


def test_link_errors_change_nothing(bot):
    seed(bot, [MUNICH], [address_fields("HQ Munich", "München", "80331")])
    assert "to NAME" in bot.command("link +49 89 1234567").json["text"]
    assert "not in the inventory" in bot.command("link +49 40 1234567 to HQ Munich").json["text"]
    r = bot.command("link +49 89 1234567 to Nowhere")
    assert "Nowhere" in r.json["text"]
    assert bot.inventory().info(MUNICH).address is None
    assert "Which numbers?" in bot.command("unlink").json["text"]


# -- the link form ----------------------------------------------------------------------


def test_link_modal_with_searched_numbers_and_address(bot):
    seed(
        bot,
        [MUNICH, MUNICH2, BERLIN],
        [
            address_fields("HQ Munich", "München", "80331"),
            address_fields("HQ Berlin", "Berlin", "10115"),
        ],
    )
    assert bot.command("link").status == 200
    modal = bot.fake.modal()
    assert modal.callback_id == "link_form" and modal.labels() == ["Numbers", "Address"]

    found = bot.sender.options("numbers_search", "+4989", view=modal).json["options"]
    assert [o["value"] for o in found] == [MUNICH, MUNICH2]
    assert "Munich" in found[0]["text"]["text"]
    addresses = bot.sender.options("address_search", "munich", view=modal).json["options"]
    assert [o["text"]["text"] for o in addresses] == ["HQ Munich"]

    modal.fill("Numbers", found).fill("Address", addresses[0])
    r = modal.submit(bot.sender)
    assert r.status == 200 and r.json["response_action"] == "update"
    assert "Linked 2 numbers to *HQ Munich*" in texts(r.json["view"])
    inv = bot.inventory()
    assert inv.info(MUNICH).address.name == "HQ Munich"
    assert inv.info(MUNICH2).address.name == "HQ Munich"
    assert inv.info(BERLIN).address is None

    # Linking a Munich number to Berlin: the confirmation names what is still not OK.
    bot.command("link")
    modal = bot.fake.modal(index=1)
    berlin = bot.sender.options("address_search", "berlin", view=modal).json["options"][0]
    modal.fill("Numbers", [found[0]]).fill("Address", berlin)
    view = modal.submit(bot.sender).json["view"]
    assert "Linked 1 number" in texts(view) and "Outside area" in texts(view)


def test_link_modal_without_address_is_an_inline_error(bot):
    seed(bot, [MUNICH], [address_fields("HQ Munich", "München", "80331")])
    bot.command("link")
    modal = bot.fake.modal()
    found = bot.sender.options("numbers_search", "1234567", view=modal).json["options"]
    modal.fill("Numbers", found)
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors" and "address" in r.json["errors"]
    assert bot.inventory().info(MUNICH).address is None


def test_link_button_on_show_opens_the_form_prefilled(bot):
    seed(bot, [MUNICH])
    r = bot.command("show +49 89 1234567")
    bot.sender.block_action("open_link", message={"ts": "1.1", "blocks": r.json["blocks"]})
    modal = bot.fake.modal()
    assert modal.callback_id == "link_form"
    assert [o["value"] for o in modal.element("Numbers")["initial_options"]] == [MUNICH]


# -- the bulk-add form ------------------------------------------------------------------


def open_bulk_add(bot) -> Modal:
    assert bot.command("add").status == 200
    modal = bot.fake.modal()
    assert modal.callback_id == "bulk_add_form"
    return modal


def test_bulk_add_valid_lines_added_invalid_reported_by_line(bot):
    seed(bot, [HAMBURG], [address_fields("HQ Munich", "München", "80331")])
    modal = open_bulk_add(bot)
    assert modal.labels() == ["Numbers", "Label", "Address"]
    pasted = "+49 89 1234567\nnot a number\n+49 30 1234567, +49 123;+49 40 1234567\n\n089 1234568"
    address = bot.sender.options("address_search", "HQ", view=modal).json["options"][0]
    modal.fill("Numbers", pasted).fill("Label", "Sales").fill("Address", address)
    r = modal.submit(bot.sender)
    assert r.status == 200 and r.json["response_action"] == "update"
    body = texts(r.json["view"])
    assert "Added 3 numbers." in body
    assert "line 2: not a number" in body
    assert "line 3: +49 123" in body and "too short" in body
    assert "1 already in the inventory" in body
    inv = bot.inventory()
    assert {i.e164 for i in inv.number_list()} == {MUNICH, MUNICH2, BERLIN, HAMBURG}
    assert inv.info(MUNICH).number.label == "Sales"
    assert inv.info(MUNICH).address.name == "HQ Munich"
    assert inv.info(BERLIN).verdict.status == "outside_area"
    assert inv.info(HAMBURG).number.label == ""  # already there: left as it was


def test_bulk_add_all_invalid_is_an_inline_error_and_adds_nothing(bot):
    modal = open_bulk_add(bot)
    modal.fill("Numbers", "garbage\n+49 123")
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors"
    error = r.json["errors"]["numbers"]
    assert "line 1: garbage" in error and "line 2: +49 123" in error
    assert bot.inventory().number_list() == []
    modal.fill("Numbers", "   ")
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors" and "numbers" in r.json["errors"]


def test_bulk_add_with_a_bad_label_adds_nothing(bot):
    modal = open_bulk_add(bot)
    modal.fill("Numbers", "+49 89 1234567\n+49 30 1234567").fill("Label", "x" * 500)
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors"
    assert bot.inventory().number_list() == []  # nothing half-added


def test_bulk_add_all_at_once_is_atomic_on_disk(bot):
    lines = "\n".join(f"+49 89 12345{i:02d}" for i in range(60))
    modal = open_bulk_add(bot)
    modal.fill("Numbers", lines)
    r = modal.submit(bot.sender)
    assert "Added 60 numbers." in texts(r.json["view"])
    assert len(bot.inventory().number_list()) == 60
    audit = bot.inventory().audit()
    assert len([e for e in audit if e.action == "number.add"]) == 60


def test_pager_value_survives_a_round_trip(bot):
    seed(bot, [f"+49 89 12345{i:02d}" for i in range(21)])
    r = bot.command("list all country=DE")
    value = buttons(r.json["blocks"])["list_page_next"]["value"]
    page, _, raw = value.partition("|")
    assert page == "2" and json.loads(raw)["c"] == "DE"


def test_a_form_slack_refuses_to_open_gets_an_apology(bot):
    bot.fake.fail("views.open", error="expired_trigger_id")
    assert bot.command("add").status == 200
    told = last_respond(bot)
    assert told["response_type"] == "ephemeral" and "did not open the form" in told["text"]
    assert bot.command("add").status == 200  # the next try works
    assert bot.fake.modal(index=1).callback_id == "bulk_add_form"


def test_overlong_command_text_is_refused(bot):
    r = bot.command("add " + "+49 89 1234567 " * 400)
    assert "too long for a command" in r.json["text"]
    assert bot.inventory().number_list() == []
