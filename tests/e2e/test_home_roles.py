"""End to end: App Home and the `/numbers` overview show each person what they can do
(issue 12 item 12): managers the forms that change the inventory, members how to ask
for numbers and which managers to ask for the rest."""

from __future__ import annotations

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import buttons, texts

MANAGER_ONLY = {"open_address_new", "open_link", "open_bulk_add", "open_group_new"}


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def home_of(bot, user: str) -> dict:
    before = len(bot.fake.calls_to("views.publish"))
    bot.sender.app_home_opened(user)
    call = bot.fake.wait_for("views.publish", before + 1)[before]
    assert call.ok and call.body["user_id"] == user
    return call.body["view"]


def test_a_member_sees_what_they_can_do_and_whom_to_ask(bot):
    bot.inventory().access.set(Actor(MANAGER, True), "UMIA", True)
    view = home_of(bot, READER)
    shown = set(buttons(view["blocks"]))
    assert not shown & MANAGER_ONLY, shown & MANAGER_ONLY
    assert {"open_buy", "open_mandate"} <= shown
    said = texts(view)
    assert "Ask <@UMANAGER>, <@UMIA>" in said

    n = len(bot.fake.calls_to("views.open"))
    bot.sender.block_action("open_buy", view=view, user=READER)
    assert bot.fake.modal(index=n).callback_id == "buy_form"  # no refusal

    overview = bot.command("", user=READER).json
    assert not set(buttons(overview["blocks"])) & MANAGER_ONLY
    assert "Ask <@UMANAGER>, <@UMIA>" in texts(overview)


def test_a_manager_sees_the_forms_that_change_the_inventory(bot):
    view = home_of(bot, MANAGER)
    shown = set(buttons(view["blocks"]))
    assert MANAGER_ONLY | {"open_import"} <= shown
    assert "Ask <@" not in texts(view)
    assert set(buttons(bot.command("").json["blocks"])) >= MANAGER_ONLY


def test_fix_buttons_are_for_managers_only(bot):
    """A member sees the numbers needing attention, but not the buttons that fix them (a
    click would be refused); a manager sees both."""
    inventory = bot.inventory()
    inventory.numbers.add(Actor(MANAGER, True), ["+49 89 1234567", "+49 30 1234567"])
    fixes = {"open_link", "open_address_edit"}
    for view in (home_of(bot, READER), bot.command("", user=READER).json):
        assert "+49 89 1234567" in texts(view)
        assert not set(buttons(view["blocks"])) & fixes
    for view in (home_of(bot, MANAGER), bot.command("").json):
        assert "open_link" in set(buttons(view["blocks"]))
