"""End to end: confirming an unverifiable number's area by hand (`/numbers confirm`, the
"Confirm area by hand" button of `/numbers show`), and the confirmation lapsing when the
number's address link changes or its address moves."""

from __future__ import annotations

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import address_fields, buttons, last_respond, texts

BOSS = Actor(MANAGER, True)
MANILA = "+63281234567"  # PH local numbers need an address in the area; the geocoder names none
MANILA_SHOWN = "+63 2 8123 4567"
MUNICH = "+49891234567"


def seed(bot, numbers=(MANILA,), link_to="Manila office"):
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("Manila office", "Manila", "1000", "PH"))
    inventory.addresses.create(BOSS, address_fields("Makati office", "Makati", "1200", "PH"))
    inventory.addresses.create(BOSS, address_fields("HQ Munich", "München", "80331", "DE"))
    inventory.numbers.add(BOSS, list(numbers))
    if link_to:
        inventory.addresses.link(BOSS, [MANILA], link_to)
    return inventory


def status(bot, e164=MANILA) -> str:
    return bot.inventory().info(e164).verdict.status


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def test_confirm_command_makes_the_verdict_ok_and_is_audited(bot):
    seed(bot)
    assert status(bot) == "unverifiable"
    r = bot.command(f"confirm {MANILA_SHOWN}")
    text = r.json["text"]
    assert "<@UMANAGER> confirmed by hand" in text and "*Manila office*" in text, text
    info = bot.inventory().info(MANILA)
    assert info.verdict.status == "ok" and info.number.area_confirmed_by == MANAGER
    assert MANAGER in info.verdict.reason  # the reason says who confirmed
    entries = [e for e in bot.inventory().audit(MANILA) if e.action == "number.confirm_area"]
    assert len(entries) == 1 and entries[0].who == MANAGER
    # /numbers show says who confirmed, as a mention, and offers no second confirmation.
    blocks = bot.command(f"show {MANILA_SHOWN}").json["blocks"]
    assert "Area confirmed by hand by <@UMANAGER>" in texts(blocks)
    assert "confirm_area" not in buttons(blocks)
    # Confirming again: refused, nothing new in the audit log.
    r = bot.command(f"confirm {MANILA_SHOWN}")
    assert ":warning:" in r.json["text"] and "confirmed already" in r.json["text"]
    assert len([e for e in bot.inventory().audit(MANILA) if e.action.endswith("area")]) == 1


def test_confirm_is_refused_for_readers_other_verdicts_and_unknown_numbers(bot):
    seed(bot, numbers=(MANILA, MUNICH))
    r = bot.command(f"confirm {MANILA_SHOWN}", user=READER)
    assert ":warning:" in r.json["text"] and "manager" in r.json["text"]
    assert status(bot) == "unverifiable"
    # An OK number (Munich number, Munich address) needs no confirmation.
    bot.inventory().addresses.link(BOSS, [MUNICH], "HQ Munich")
    r = bot.command("confirm +49 89 1234567")
    assert "Only a number whose area cannot be determined" in r.json["text"]
    # A number without an address: it needs an address first, not a confirmation.
    bot.inventory().addresses.unlink(BOSS, [MANILA])
    r = bot.command(f"confirm {MANILA_SHOWN}")
    assert "none is linked" in r.json["text"] and status(bot) == "missing"
    assert "Which number?" in bot.command("confirm").json["text"]
    assert "not in the inventory" in bot.command("confirm +49 30 9999999").json["text"]
    assert not [e for e in bot.inventory().audit() if e.action == "number.confirm_area"]


def test_show_button_confirms_after_a_dialog(bot):
    seed(bot)
    r = bot.command(f"show {MANILA_SHOWN}")
    button = buttons(r.json["blocks"])["confirm_area"]
    assert button["value"] == MANILA and button["text"]["text"] == "Confirm area by hand"
    assert "Manila office" in button["confirm"]["text"]["text"]
    message = {"type": "message", "ts": "1.000500", "blocks": r.json["blocks"]}
    # A reader clicking it is refused; the verdict stays.
    assert bot.sender.block_action("confirm_area", message=message, user=READER).status == 200
    assert "manager" in last_respond(bot)["text"] and status(bot) == "unverifiable"
    bot.sender.block_action("confirm_area", message=message)
    assert "<@UMANAGER> confirmed by hand" in last_respond(bot, 2)["text"]
    assert status(bot) == "ok"
    # A number with another verdict gets no button.
    bot.inventory().numbers.add(BOSS, [MUNICH], address_name="HQ Munich")
    assert "confirm_area" not in buttons(bot.command("show +49 89 1234567").json["blocks"])


def test_relinking_or_unlinking_drops_the_confirmation(bot):
    seed(bot)
    bot.command(f"confirm {MANILA_SHOWN}")
    assert status(bot) == "ok"
    bot.command(f'link {MANILA_SHOWN} to "Makati office"')
    info = bot.inventory().info(MANILA)
    assert info.number.area_confirmed_by is None and info.verdict.status == "unverifiable"
    link = [e for e in bot.inventory().audit(MANILA) if e.action == "number.link"][0]
    assert link.before["area_confirmed_by"] == MANAGER and link.after["area_confirmed_by"] is None
    bot.command(f"confirm {MANILA_SHOWN}")
    bot.command(f"unlink {MANILA_SHOWN}")
    bot.command(f'link {MANILA_SHOWN} to "Makati office"')  # the same address again
    assert status(bot) == "unverifiable"


def test_moving_the_address_drops_the_confirmation_other_edits_keep_it(bot):
    seed(bot)
    bot.command(f"confirm {MANILA_SHOWN}")
    # A new customer name: the address is where it was, the confirmation stands.
    bot.command('address edit "Manila office"')
    bot.fake.modal().fill("Customer name", "Acme Philippines Inc.").submit(bot.sender)
    assert bot.inventory().address("Manila office").customer_name == "Acme Philippines Inc."
    assert status(bot) == "ok"
    # Another city: the confirmation no longer applies, and the edit says the number fails.
    bot.command('address edit "Manila office"')
    r = bot.fake.modal(index=1).fill("City", "Cebu City").submit(bot.sender)
    assert MANILA_SHOWN in texts(r.json["view"]["blocks"])
    info = bot.inventory().info(MANILA)
    assert info.number.area_confirmed_by is None and info.verdict.status == "unverifiable"
    dropped = [e for e in bot.inventory().audit(MANILA) if e.action == "number.unconfirm_area"]
    assert len(dropped) == 1 and dropped[0].before == {"area_confirmed_by": MANAGER}
