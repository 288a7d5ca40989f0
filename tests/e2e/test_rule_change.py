"""A rules change between two starts (NUMBERS_RULES_FILE) that turns linked numbers from OK
to not OK is alerted once, naming them with their new reasons; never again at the next
start, and never for numbers an address edit already broke (that edit alerted)."""

from __future__ import annotations

import tests.e2e.test_request_outbox as outbox_tests
from bot.core.model import Actor
from bot.notify import RULES_KEY
from tests.conftest import MANAGER
from tests.e2e.test_numbers import address_fields, texts
from tests.e2e.test_request_outbox import CHANNEL, ok_posts, settle, wait_until

harness = outbox_tests.harness  # the fixture: the bot started and restarted on one data dir

RULES = """
[defaults]
local = "country"
source = "test defaults"

[[rule]]
country = "DE"
kind = "local"
level = "{level}"
confidence = "H"
source = "test rule"
"""

RULE_ALERT = "compliance rules changed"


def rules_file(tmp_path, level: str) -> str:
    path = tmp_path / f"rules-{level}.toml"
    path.write_text(RULES.format(level=level))
    return str(path)


def munich(i: int) -> str:
    return f"+49 89 {1000000 + i}"


def test_rule_change_alerts_once_and_not_for_what_an_address_edit_broke(harness, fake, tmp_path):
    bot = harness(
        NUMBERS_NOTIFY_CHANNEL=CHANNEL, NUMBERS_RULES_FILE=rules_file(tmp_path, "country")
    )
    boss = Actor(MANAGER, True)
    inventory = bot.inventory()
    inventory.addresses.create(boss, address_fields("HQ Berlin", "Berlin", "10117"))
    inventory.addresses.create(boss, address_fields("Branch", "Berlin", "10115"))
    # 20 Munich numbers at a Berlin address: OK while an address in Germany will do
    inventory.numbers.add(boss, [munich(i) for i in range(20)], address_name="HQ Berlin")
    inventory.numbers.add(boss, ["+49 30 1234567"], address_name="HQ Berlin")  # OK either way
    inventory.numbers.add(boss, ["+49 89 9999999"], address_name="Branch")
    assert all(i.verdict.ok for i in bot.inventory().number_list())

    # First start: the rule levels are recorded, nothing is said.
    bot.start()
    wait_until(lambda: bot.inventory().repo.get_value(RULES_KEY), "the rules recorded")
    # An address edit breaks the Branch number: its own alert, at once.
    bot.inventory().addresses.update(
        boss, "Branch", address_fields("Branch", "Paris", "75001", country="FR")
    )
    (edited,) = wait_until(lambda: ok_posts(fake, CHANNEL, word="no longer are"), "edit alert")
    assert "+49 89 9999999" in texts(edited.body)
    settle()
    assert ok_posts(fake, CHANNEL, word=RULE_ALERT) == []

    # Restart with rules that want an address in the number's area: one alert.
    bot.restart(NUMBERS_RULES_FILE=rules_file(tmp_path, "area"))
    (alert,) = wait_until(lambda: ok_posts(fake, CHANNEL, word=RULE_ALERT), "the rules alert")
    shown = texts(alert.body)
    assert "20 linked numbers that were OK no longer are" in shown
    assert "+49 89 1000000" in shown and "+49 89 1000014" in shown
    assert "+49 89 1000019" not in shown and "and 5 more" in shown  # bounded
    assert "HQ Berlin is in Berlin" in shown and "Munich" in shown  # the new reason
    assert "+49 89 9999999" not in shown  # the address edit already said so
    assert "+49 30 1234567" not in shown  # still OK
    assert len(alert.body["blocks"]) <= 50
    statuses = {i.e164: i.verdict.status for i in bot.inventory().number_list()}
    assert statuses["+49891000000"] == "outside_area" and statuses["+49301234567"] == "ok"

    # Not again: neither at the next start with the same rules, nor for the edit.
    bot.restart()
    settle()
    bot.restart()
    settle()
    assert len(ok_posts(fake, CHANNEL, word=RULE_ALERT)) == 1
    assert len(ok_posts(fake, CHANNEL, word="no longer are")) == 2

    # Back to the looser rules: numbers becoming OK again are not announced.
    bot.restart(NUMBERS_RULES_FILE=rules_file(tmp_path, "country"))
    wait_until(
        lambda: bot.inventory().repo.get_value(RULES_KEY)["rows"] == {"DE/local": "country"},
        "the looser rules recorded",
    )
    settle()
    assert len(ok_posts(fake, CHANNEL, word=RULE_ALERT)) == 1
