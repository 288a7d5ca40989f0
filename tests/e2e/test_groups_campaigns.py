"""`/numbers group …` and `/numbers campaign …` end to end through the running bot."""

from __future__ import annotations

import json

from bot.core.phone import format_number
from tests.conftest import READER
from tests.fakeslack import assert_within_limits

MUNICH = ["+49 89 1234567", "+49 89 1234568", "+49 89 1234569"]
E164 = ["+49891234567", "+49891234568", "+49891234569"]
BERLIN = "+49301234567"


def add_numbers(bot, *numbers: str) -> None:
    r = bot.command("add " + " ".join(numbers))
    assert r.status == 200 and "Added" in r.body_text, r.body_text


def new_address(bot, name: str = "HQ Munich") -> None:
    bot.command("address new")
    (
        bot.fake.modal()
        .fill("Name", name)
        .fill("Customer name", "ACME GmbH")
        .fill("Street", "Marienplatz 1")
        .fill("Postal code", "80331")
        .fill("City", "München")
        .fill("Country", "DE")
        .fill("Obligations", ["confirmed"])
        .submit(bot.sender)
    )


def open_form(bot, text: str, user: str = "UMANAGER"):
    before = len(bot.fake.calls_to("views.open"))
    r = bot.command(text, user=user)
    assert r.status == 200
    modal = bot.fake.modal(index=before)
    assert_within_limits(view=modal.view)
    return modal


def save_group(bot, name: str, numbers: list[str]):
    r = open_form(bot, "group new").fill("Name", name).fill("Numbers", numbers).submit(bot.sender)
    assert r.status == 200 and r.json["response_action"] == "update", r.body_text
    return r


def mrkdwn_texts(payload) -> list[str]:
    """The top-level text and every mrkdwn text of a message or view (what Slack parses)."""
    found = [payload["text"]] if isinstance(payload.get("text"), str) else []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks", []))
    return found


def blocks_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_group_new_edit_show_list_delete(bot):
    add_numbers(bot, *MUNICH, BERLIN)
    r = save_group(bot, "Sales DE", E164[:2])
    assert "Group created" in r.body_text
    assert bot.inventory().group("sales de").numbers == E164[:2]

    # The same name again: inline error on the Name field, nothing saved.
    r = (
        open_form(bot, "group new")
        .fill("Name", "SALES DE")
        .fill("Numbers", [BERLIN.replace(" ", "")])
    )
    r = r.submit(bot.sender)
    assert r.json["response_action"] == "errors"
    assert "exists already" in r.json["errors"]["name"]
    assert len(bot.inventory().group_list()) == 1

    # Edit shows the members preselected; renaming only keeps them.
    modal = open_form(bot, 'group edit "sales de"')
    assert [o["value"] for o in modal.element("Numbers")["initial_options"]] == E164[:2]
    r = modal.fill("Name", "Sales Germany").submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    group = bot.inventory().group("Sales Germany")
    assert group.numbers == E164[:2]

    # Deselect one, add another.
    modal = open_form(bot, 'group edit "Sales Germany"')
    r = modal.fill("Numbers", [E164[0], "+49301234567"]).submit(bot.sender)
    assert "1 added, 1 removed" in r.body_text
    assert bot.inventory().group("Sales Germany").numbers == [E164[0], "+49301234567"]

    r = bot.command('group show "Sales Germany"')
    assert "+49 30 1234567" in r.body_text or "+49 30 123 4567" in r.body_text
    assert_within_limits(text=r.json["text"], blocks=r.json["blocks"])
    r = bot.command("group list")
    assert "Sales Germany" in r.body_text and "2 numbers" in r.body_text

    # Delete asks first; the button (danger, with a confirm dialog) deletes.
    r = bot.command('group delete "Sales Germany"')
    assert bot.inventory().group_list()  # nothing deleted yet
    button = r.json["blocks"][1]["elements"][0]
    assert button["style"] == "danger" and button["confirm"]
    message = {
        "type": "message",
        "ts": "1.000100",
        "text": r.json["text"],
        "blocks": r.json["blocks"],
    }
    bot.sender.block_action("delete_group", message=message)
    responses = bot.fake.wait_for("response_url")
    assert "deleted" in responses[-1].body["text"]
    assert bot.inventory().group_list() == []


def test_large_group_edit_adds_and_removes_keeping_the_rest(bot):
    many = [f"+4989123450{i:02d}" if i < 100 else f"+498912345{i}" for i in range(150)]
    add_numbers(bot, *many[:75])
    add_numbers(bot, *many[75:], BERLIN)
    save_group(bot, "Big", many)
    assert len(bot.inventory().group("Big").numbers) == 150

    modal = open_form(bot, "group edit Big")
    assert modal.labels() == ["Name", "Add numbers", "Remove numbers"]
    assert "150" in blocks_text(modal.blocks)
    # "Remove numbers" searches only the group's members.
    remove_action = modal.element("Remove numbers")["action_id"]
    r = bot.sender.options(remove_action, "+4930", view=modal)
    assert r.json["options"] == []
    r = bot.sender.options(remove_action, "1234501", view=modal)
    assert [o["value"] for o in r.json["options"]] == [f"+49891234501{i}" for i in range(10)]
    r = bot.sender.options(remove_action, "", view=modal)
    assert len(r.json["options"]) == 100 and all(o["value"] in many for o in r.json["options"])

    r = (
        modal.fill("Add numbers", ["+49301234567"])
        .fill("Remove numbers", many[:3])
        .submit(bot.sender)
    )
    assert r.json["response_action"] == "update", r.body_text
    members = bot.inventory().group("Big").numbers
    assert len(members) == 148
    assert set(members) == set(many[3:]) | {"+49301234567"}


def test_campaign_pool_and_warnings(bot):
    add_numbers(bot, *MUNICH, BERLIN)
    new_address(bot)
    r = bot.command(f'link {MUNICH[0]} {MUNICH[1]} to "HQ Munich"')
    assert "Linked 2" in r.body_text
    save_group(bot, "Munich", E164[:2])

    modal = open_form(bot, "campaign new Spring promo")
    assert modal.element("Name")["initial_value"] == "Spring promo"
    groups = modal.element("Groups")
    assert groups["type"] == "checkboxes"
    r = (
        modal.fill("Groups", ["Munich"])
        .fill("Numbers", [BERLIN.replace(" ", "")])
        .submit(bot.sender)
    )
    assert r.json["response_action"] == "update", r.body_text
    view = r.json["view"]
    assert_within_limits(view=view)
    text = blocks_text(view["blocks"])
    assert "pool of *2 usable numbers*" in text
    assert "+49 30" in text and "left out" in text
    pool = bot.inventory().pool("spring promo")
    assert [i.e164 for i in pool.usable] == E164[:2]
    assert [i.e164 for i, _ in pool.warnings] == ["+49301234567"]

    r = bot.command('campaign show "Spring promo"')
    assert_within_limits(text=r.json["text"], blocks=r.json["blocks"])
    assert "Munich" in r.body_text and "+49 30" in r.body_text
    r = bot.command("campaign list")
    assert "Spring promo" in r.body_text and "pool 2" in r.body_text

    # Edit keeps groups and numbers when only the name changes.
    r = open_form(bot, 'campaign edit "Spring promo"').fill("Name", "Summer").submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    c = bot.inventory().campaign("Summer")
    assert c.numbers == ["+49301234567"] and len(c.groups) == 1

    r = bot.command("campaign delete Summer")
    message = {
        "type": "message",
        "ts": "1.000100",
        "text": r.json["text"],
        "blocks": r.json["blocks"],
    }
    bot.sender.block_action("delete_campaign", message=message)
    bot.fake.wait_for("response_url")
    assert bot.inventory().campaign_list() == []


def test_campaign_with_many_groups_uses_external_select(bot):
    add_numbers(bot, MUNICH[0])
    for i in range(11):
        save_group(bot, f"Team {i:02d}", [E164[0]])
    modal = open_form(bot, "campaign new")
    groups = modal.element("Groups")
    assert groups["type"] == "multi_external_select"
    r = bot.sender.options(groups["action_id"], "1", view=modal)
    names = [o["text"]["text"] for o in r.json["options"]]
    assert names == ["Team 01", "Team 10"]
    ids = [o["value"] for o in r.json["options"]]
    r = modal.fill("Name", "Wide").fill("Groups", ids).submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    assert len(bot.inventory().campaign("Wide").groups) == 2
    # The buttons of App Home / the overview open the same forms.
    bot.sender.block_action("open_campaign_new", action_type="button")
    assert bot.fake.modal().callback_id == "campaign_form"
    bot.sender.block_action("open_group_new", action_type="button")
    assert bot.fake.modal().callback_id == "group_form"


def test_group_search_folds_accents_and_spaces(bot):
    add_numbers(bot, MUNICH[0])
    for i in range(10):
        save_group(bot, f"Team {i:02d}", [E164[0]])
    save_group(bot, "Zürich Desk", [E164[0]])
    modal = open_form(bot, "campaign new")
    groups = modal.element("Groups")
    r = bot.sender.options(groups["action_id"], "zurich d", view=modal)
    assert [o["text"]["text"] for o in r.json["options"]] == ["Zürich Desk"]


def test_non_manager_refused(bot):
    add_numbers(bot, MUNICH[0])
    save_group(bot, "Sales", [E164[0]])
    opened = len(bot.fake.calls_to("views.open"))
    for text in ("group new", "group edit Sales", "group delete Sales", "campaign new X"):
        r = bot.command(text, user=READER)
        assert r.status == 200 and ":warning:" in r.body_text, text
    assert len(bot.fake.calls_to("views.open")) == opened
    # Reading is open.
    assert "Sales" in bot.command("group list", user=READER).body_text
    # A forged submission of the manager's form is refused by the service too.
    modal = open_form(bot, "group new").fill("Name", "Forged")
    r = modal.submit(bot.sender, user=READER)
    assert r.json["response_action"] == "errors"
    modal = open_form(bot, "campaign new").fill("Name", "Forged")
    r = modal.submit(bot.sender, user=READER)
    assert r.json["response_action"] == "errors"
    inventory = bot.inventory()
    assert [g.name for g in inventory.group_list()] == ["Sales"] and inventory.campaign_list() == []
    # The delete button pressed by a reader changes nothing.
    r = bot.command("group delete Sales")
    message = {
        "type": "message",
        "ts": "1.000100",
        "text": r.json["text"],
        "blocks": r.json["blocks"],
    }
    bot.sender.block_action("delete_group", message=message, user=READER)
    bot.fake.wait_for("response_url")
    assert [g.name for g in bot.inventory().group_list()] == ["Sales"]


def test_names_are_escaped(bot):
    add_numbers(bot, MUNICH[0])
    save_group(bot, "<!channel> & co", [E164[0]])
    r = open_form(bot, "campaign new").fill("Name", "<!here>").fill("Groups", []).submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    replies = [
        bot.command("group list").json,
        bot.command('group show "<!channel> & co"').json,
        bot.command("campaign list").json,
        bot.command('campaign show "<!here>"').json,
        {"blocks": r.json["view"]["blocks"]},
    ]
    shown = [mrkdwn_texts(reply) for reply in replies]
    for texts in shown:
        assert texts and not any("<!" in t for t in texts), texts
    assert any("&lt;!channel&gt; &amp; co" in t for t in shown[0])
    assert any("&lt;!here&gt;" in t for t in shown[2])


def test_large_campaign_report_and_edit_stay_bounded(bot):
    many = [f"+49891234{i:04d}" for i in range(5000, 5150)]
    add_numbers(bot, *many[:75])
    add_numbers(bot, *many[75:])
    modal = open_form(bot, "campaign new Big").fill("Numbers", many)
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    view = r.json["view"]
    assert_within_limits(view=view)
    text = blocks_text(view["blocks"])
    assert "*150 numbers* are left out" in text and "and 110 more" in text

    # `campaign show` pages through every number (20 a page), each page under 50 blocks.
    seen = set()
    for page in range(1, 9):
        r = bot.command(f"campaign show Big page={page}")
        assert_within_limits(text=r.json["text"], blocks=r.json["blocks"])
        assert len(r.json["blocks"]) < 50
        seen |= {e for e in many if format_number(e) in r.body_text}
    assert seen == set(many)

    modal = open_form(bot, "campaign edit Big")
    assert modal.labels() == [
        "Name",
        "Calls enter the phone network in",
        "Purpose",
        "Add numbers",
        "Remove numbers",
    ]
    r = modal.fill("Remove numbers", [many[-1]]).submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    assert bot.inventory().campaign("Big").numbers == many[:-1]


def test_group_edit_keeps_members_added_meanwhile(bot):
    add_numbers(bot, *MUNICH)
    save_group(bot, "Team", E164[:2])
    first = open_form(bot, "group edit Team")
    second = open_form(bot, "group edit Team")
    second.fill("Numbers", E164).submit(bot.sender)
    # The first form never showed the third number: removing the second keeps it.
    r = first.fill("Numbers", [E164[0]]).submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    assert bot.inventory().group("Team").numbers == [E164[0], E164[2]]
