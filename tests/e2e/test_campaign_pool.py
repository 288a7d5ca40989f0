"""`/numbers campaign show NAME` shows the pool itself (issue #12, item 2): every number,
a page at a time, with its area and verdict, whether it is the campaign's own or from
which groups, why one is left out, and an Edit button for managers."""

from __future__ import annotations

import time

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import address_fields, buttons, last_respond, seed, texts
from tests.fakeslack import assert_within_limits

BOSS = Actor(MANAGER, True)
OWN_OK = "+49891234567"
OWN_AND_GROUP = "+49891234568"
GROUP_ONLY = "+49301234567"  # no address: left out


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def _message(reply: dict) -> dict:
    return {"type": "message", "ts": "1.000100", "text": reply["text"], "blocks": reply["blocks"]}


def _section_with(blocks: list[dict], shown: str) -> str:
    for block in blocks:
        if block.get("type") == "section" and shown in block.get("text", {}).get("text", ""):
            return block["text"]["text"]
    raise AssertionError(f"{shown} is not listed")


def test_campaign_show_lists_each_number_with_source_area_verdict_and_why(bot):
    inventory = seed(
        bot, [OWN_OK, OWN_AND_GROUP, GROUP_ONLY], [address_fields("HQ Munich", "München", "80331")]
    )
    inventory.addresses.link(BOSS, [OWN_OK, OWN_AND_GROUP], "HQ Munich")
    inventory.groups.save(BOSS, "Sales DE", [OWN_AND_GROUP, GROUP_ONLY])
    inventory.campaigns.save(BOSS, "Oktoberfest", [OWN_OK, OWN_AND_GROUP], ["Sales DE"])

    r = bot.command('campaign show "Oktoberfest"')
    blocks = r.json["blocks"]
    assert_within_limits(text=r.json["text"], blocks=blocks)
    assert "3 numbers · page 1 of 1" in texts(blocks)
    left_out = _section_with(blocks, "+49 30 1234567")
    assert "from group Sales DE" in left_out and "left out" in left_out
    assert "Missing address" in left_out and "no address" in left_out
    own = _section_with(blocks, "+49 89 1234567")
    assert "Munich" in own and "OK" in own and "own number · in the pool" in own
    both = _section_with(blocks, "+49 89 1234568")
    assert "own number, also from group Sales DE · in the pool" in both
    # The left-out number comes first, with the button that fixes it.
    order = [b["text"]["text"][:20] for b in blocks if "text" in b and b["type"] == "section"]
    assert "+49 30 1234567" in order[0]
    assert "open_link" in buttons(blocks)

    # Edit (managers) opens the campaign form.
    edit = buttons(blocks)["open_campaign_edit"]
    before = len(bot.fake.calls_to("views.open"))
    bot.sender.block_action("open_campaign_edit", edit["value"], message=_message(r.json))
    modal = bot.fake.modal(index=before)
    assert modal.callback_id == "campaign_form"
    assert modal.element("Name")["initial_value"] == "Oktoberfest"
    # A reader sees the pool, without Edit.
    r = bot.command('campaign show "Oktoberfest"', user=READER)
    assert "+49 89 1234567" in texts(r.json) and "open_campaign_edit" not in buttons(
        r.json["blocks"]
    )


def test_campaign_of_5000_numbers_pages_within_slacks_limits(bot):
    numbers = [f"+4989{2000000 + i}" for i in range(5000)]
    inventory = seed(bot, numbers, [address_fields("HQ Munich", "München", "80331")])
    inventory.addresses.link(BOSS, numbers[:4000], "HQ Munich")  # the other 1,000 are left out
    inventory.groups.save(BOSS, "Everyone", numbers[10:])
    inventory.campaigns.save(BOSS, "Big", numbers[:10], ["Everyone"])

    started = time.monotonic()
    r = bot.command("campaign show Big")
    assert time.monotonic() - started < 2.5  # inside Slack's 3 s
    blocks = r.json["blocks"]
    assert_within_limits(text=r.json["text"], blocks=blocks)
    assert len(blocks) <= 50
    body = texts(blocks)
    assert "5000 numbers · page 1 of 250" in body
    assert "+49 89 2004000" in body and "left out" in body  # left-out ones first
    assert {"campaign_page_next", "open_campaign_edit"} <= set(buttons(blocks))
    assert "campaign_page_prev" not in buttons(blocks)

    bot.sender.block_action("campaign_page_next", message=_message(r.json))
    page2 = last_respond(bot)
    assert page2["replace_original"] is True
    assert_within_limits(text=page2["text"], blocks=page2["blocks"])
    assert "page 2 of 250" in texts(page2["blocks"])
    assert {"campaign_page_prev", "campaign_page_next"} <= set(buttons(page2["blocks"]))

    r = bot.command("campaign show Big page=250")
    assert_within_limits(text=r.json["text"], blocks=r.json["blocks"])
    last = texts(r.json["blocks"])
    assert "page 250 of 250" in last and "+49 89 2003999" in last and "in the pool" in last
    assert "own number" not in last
    r = bot.command("campaign show Big page=3")
    assert "own number" not in texts(r.json["blocks"])  # own ones are OK: in the pool pages
    r = bot.command("campaign show Big page=251")
    assert "Big has only 250 pages (5000 numbers)" in r.json["text"]
