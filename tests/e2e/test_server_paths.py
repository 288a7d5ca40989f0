"""End to end: what goes wrong on the server is told to people in Slack without the
server's paths (the data dir, the database files, the rules file); the log keeps them
for the operator.

Caused for real through the running bot: a database file that is not a database, a data
dir that cannot be created (a regular file where its parent should be), and a rules
table (NUMBERS_RULES_FILE) whose change is announced in the channel.
"""

from __future__ import annotations

import json
import logging
import re

import tests.e2e.test_request_outbox as outbox_tests
from bot.core.model import Actor
from bot.notify import RULES_KEY
from tests.conftest import MANAGER, bot_settings, start_bot, stop_bot
from tests.e2e.test_request_outbox import CHANNEL, ok_posts, wait_until
from tests.e2e.test_rule_change import RULE_ALERT, rules_file
from tests.fakeslack import TEAM_ID
from tests.slack_driver import ADDRESS_VALUES, command, opened_view, submit

harness = outbox_tests.harness

ABSOLUTE = re.compile(r"(?<![\w.:/])/[\w.-]+/")  # /tmp/…, /srv/…: an absolute path's start


def assert_no_path(text: str, *paths) -> None:
    for path in paths:
        assert str(path) not in text, text
    assert not ABSOLUTE.search(text), text


def test_a_damaged_database_is_told_without_its_path(bot, caplog):
    bot.inventory().numbers.add(Actor(MANAGER, True), ["+49 89 1234567"])
    r, trigger = command(bot.sender, "address new")
    modal = opened_view(bot.fake, trigger).fill("Name", "Branch")
    for label, value in ADDRESS_VALUES.items():
        modal.fill(label, value)
    main = bot.data_dir / f"team-{TEAM_ID}.json"
    main.write_text("this is not JSON")  # a bad restore, a disk fault
    journal = main.with_name(main.name + ".journal")
    if journal.exists():
        journal.write_bytes(b"")

    with caplog.at_level(logging.WARNING):
        told = [
            command(bot.sender, "list")[0].json["text"],
            command(bot.sender, "add +49 89 7654321")[0].json["text"],
            " ".join(submit(modal, bot.sender).json["errors"].values()),
        ]
    for text in told:
        assert "not a valid numbers-bot database" in text, text
        assert_no_path(text, bot.data_dir, main)
    # the operator still learns which file it is
    assert str(main) in caplog.text


def test_a_data_dir_that_cannot_be_created_is_told_without_its_path(fake, tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir's parent should be")
    settings = bot_settings(fake, blocker / "data")
    server, sender = start_bot(fake, settings)
    try:
        with caplog.at_level(logging.WARNING):
            text = sender.command("list", user=MANAGER).json["text"]
        assert "data directory" in text and "cannot be created" in text, text
        assert_no_path(text, blocker, tmp_path)
        assert str(blocker / "data") in caplog.text
    finally:
        stop_bot(server, settings)


def test_a_rules_change_alert_names_the_rules_file_without_its_path(harness, fake, tmp_path):
    bot = harness(
        NUMBERS_NOTIFY_CHANNEL=CHANNEL, NUMBERS_RULES_FILE=rules_file(tmp_path, "country")
    )
    boss = Actor(MANAGER, True)
    inventory = bot.inventory()
    inventory.addresses.create(
        boss,
        {
            "name": "HQ Berlin",
            "customer_name": "Acme GmbH",
            "street": "Hauptstraße 1",
            "postal_code": "10117",
            "city": "Berlin",
            "country": "DE",
            "confirmed": True,
        },
    )
    inventory.numbers.add(boss, ["+49 89 1000000"], address_name="HQ Berlin")
    bot.start()
    wait_until(lambda: bot.inventory().repo.get_value(RULES_KEY), "the rules recorded")
    bot.restart(NUMBERS_RULES_FILE=rules_file(tmp_path, "area"))
    (alert,) = wait_until(lambda: ok_posts(fake, CHANNEL, word=RULE_ALERT), "the rules alert")
    shown = json.dumps(alert.body, ensure_ascii=False)
    assert "rules-area.toml" in shown
    assert_no_path(shown, tmp_path)
