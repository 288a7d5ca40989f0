"""End to end: the audit log and request messages name things the way people know them:
addresses and groups by name (also after they were deleted), users as mentions, times in
Slack's date formatting; never internal ids or raw ISO times."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.core.model import Actor
from bot.core.requests import Requests
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import address_fields, texts

BOSS = Actor(MANAGER, True)
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SLACK_DATE = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]+)>")


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def test_audit_names_addresses_groups_and_users_never_ids(bot):
    inventory = bot.inventory()
    hq = inventory.addresses.create(BOSS, address_fields("HQ <Munich>", "München", "80331"))
    inventory.numbers.add(BOSS, ["+49 89 1234567"], address_name=hq.name)
    group = inventory.groups.save(BOSS, "Sales & DE", ["+49 89 1234567"])
    campaign = inventory.campaigns.save(BOSS, "Spring", [], ["Sales & DE"])
    inventory.addresses.unlink(BOSS, ["+49 89 1234567"])
    inventory.addresses.delete(BOSS, hq.name)
    inventory.groups.delete(BOSS, group.name)

    shown = texts(bot.command("audit").json)
    for internal_id in (hq.id, group.id, campaign.campaign.id):
        assert internal_id not in shown, internal_id
    assert "deleted the address *HQ &lt;Munich&gt;*" in shown  # name as recorded
    assert "deleted the group *Sales &amp; DE*" in shown
    assert "unlinked *+49 89 1234567* from *HQ &lt;Munich&gt;*" in shown  # the unlink
    assert "created the campaign *Spring* with 0 numbers and 1 group" in shown
    assert "· <@UMANAGER> " in shown  # who, as a mention
    assert not ISO_TIME.search(shown), ISO_TIME.search(shown)
    dates = SLACK_DATE.findall(shown)
    assert len(dates) >= 6
    unix, fallback = dates[0]
    assert abs(int(unix) - datetime.now().timestamp()) < 600 and fallback.endswith(" UTC")

    # One number's log: the deleted address is still named (from the whole log).
    shown = texts(bot.command("audit +49 89 1234567").json)
    assert "from *HQ &lt;Munich&gt;*" in shown and hq.id not in shown
    assert "+49 89 1234567" in shown


def test_audit_of_area_confirmation_shows_a_mention(bot):
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("Manila office", "Manila", "1000", "PH"))
    inventory.numbers.add(BOSS, ["+63 2 8123 4567"], address_name="Manila office")
    inventory.numbers.confirm_area(BOSS, "+63 2 8123 4567")
    shown = texts(bot.command("audit +63 2 8123 4567").json)
    assert "<@UMANAGER> confirmed by hand that the address of *+63 2 8123 4567*" in shown
    assert "linked to *Manila office*" in shown


def test_request_messages_show_decider_as_mention_and_time_formatted(bot):
    inventory = bot.inventory()
    hq = inventory.addresses.create(BOSS, address_fields("HQ Munich", "München", "80331"))
    service = Requests(inventory)
    fields = {"country": "DE", "kind": "local", "area": "89", "quantity": "1"}
    request = service.create_purchase(
        Actor(READER, False), {**fields, "address": hq.id, "reason": "team"}
    )
    service.approve(BOSS, request.id)
    shown = texts(bot.command("requests").json)
    match = re.search(r"Approved by <@UMANAGER> on " + SLACK_DATE.pattern, shown)
    assert match, shown
    assert not ISO_TIME.search(shown)
    shown = texts(bot.command(f"audit {request.id}").json)
    assert "<@UMANAGER> approved request *R1*" in shown
    assert "<@UREADER> asked to buy 1 local number in Germany" in shown
    assert not ISO_TIME.search(shown)
