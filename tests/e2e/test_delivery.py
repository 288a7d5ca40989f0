"""The presentation verdict ("will the call get through?") on every surface, end to end:
the bot as a real HTTP server against the fake Slack, with a clock the test controls
(``Settings.clock``, which only code can set), real numbers and the shipped rules."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.csvsafe import read_csv
from bot.core.model import Actor
from tests.conftest import MANAGER, READER, bot_settings, start_bot, stop_bot
from tests.e2e.test_numbers import address_fields, buttons, texts
from tests.fakeslack import TEAM_ID, assert_within_limits

BOSS = Actor(MANAGER, True)
BERLIN = "+49 30 1234567"  # German: blocked on calls entering Germany from Finland
TALLINN = "+372 612 3456"  # Estonian: blocked from Finland from March 2027 (planned)
PARIS_MOBILE = "+33 6 12 34 56 78"  # French mobile: may not be caller ID at all
PARIS_LANDLINE = "+33 1 23 45 67 89"  # outside France's telemarketing ranges: restricted
HELSINKI = "+358 9 1234567"  # Finnish, calls entering in Finland: deliverable
BRUSSELS_078 = "+32 78 10 23 45"  # Belgian national: barred as caller ID


class Clock:
    """The bot's clock (UTC), set by the test."""

    def __init__(self, day: str) -> None:
        self.day = day

    def __call__(self) -> str:
        return f"{self.day}T09:00:00+00:00"


class DeliveryBot:
    def __init__(self, fake, data_dir, clock: Clock, **env) -> None:
        self.fake = fake
        self.clock = clock
        settings = bot_settings(fake, data_dir, **env)
        self.settings = dataclasses.replace(settings, clock=clock)
        self.server, self.sender = start_bot(fake, self.settings)

    def inventory(self):
        from bot.bootstrap import Workspaces

        return Workspaces(self.settings).inventory(TEAM_ID)

    def command(self, text: str, user: str = MANAGER):
        r = self.sender.command(text, user=user)
        assert r.status == 200, r.body_text
        return r

    def stop(self) -> None:
        stop_bot(self.server, self.settings)


@pytest.fixture
def dbot(fake, tmp_path):
    bot = DeliveryBot(fake, tmp_path / "data", Clock("2027-02-15"))
    try:
        yield bot
    finally:
        bot.stop()
        assert fake.violations == []


def seed(bot: DeliveryBot) -> None:
    """Berlin (linked, OK for its address), Tallinn, a Paris mobile and landline, Helsinki;
    "From Finland" (calls enter in Finland, sales) and "Local" (own country, service)."""
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Berlin", "Berlin", "10117"))
    inventory.numbers.add(BOSS, [BERLIN], address_name="HQ Berlin")
    inventory.numbers.add(BOSS, [TALLINN, PARIS_MOBILE, PARIS_LANDLINE, HELSINKI])
    inventory.groups.save(BOSS, "Nordics", [TALLINN, HELSINKI])
    inventory.campaigns.save(BOSS, "From Finland", [BERLIN, PARIS_MOBILE], ["Nordics"], origin="FI")
    inventory.campaigns.save(BOSS, "Local", [BERLIN, PARIS_LANDLINE], purpose="service")
    inventory.campaigns.save(BOSS, "Sales FR", [PARIS_LANDLINE])


def test_show_gives_the_verdict_per_campaign_with_reason_and_date(dbot):
    seed(dbot)
    r = dbot.command(f"show {BERLIN}")
    assert_within_limits(text=r.json["text"], blocks=r.json["blocks"])
    shown = texts(r.json["blocks"])
    assert "OK" in shown  # the address verdict, kept apart
    assert (
        "*From Finland* — :no_entry: Blocked: calls entering Germany from Finland may not show "
        "German numbers (BNetzA, since 1 Dec 2022)" in shown
    )
    assert "*Local* — :telephone_receiver: Deliverable: calls enter the network in Germany" in shown

    # A rule not yet in force: deliverable today, blocked from its date.
    shown = texts(dbot.command(f"show {TALLINN}").json["blocks"])
    assert "*From Finland* — :telephone_receiver: Deliverable today; blocked from Mar 2027" in shown
    # Restricted for sales in France: the dedicated ranges.
    shown = texts(dbot.command(f"show {PARIS_LANDLINE}", user=READER).json["blocks"])
    assert "*Sales FR* — :warning: Restricted: sales calls in France must show a number" in shown
    assert "*Local* — :telephone_receiver: Deliverable" in shown

    # The clock moves to the day: the Estonian number is blocked since then.
    dbot.clock.day = "2027-03-01"
    shown = texts(dbot.command(f"show {TALLINN}").json["blocks"])
    assert "*From Finland* — :no_entry: Blocked: calls entering Estonia from Finland" in shown
    assert "since Mar 2027" in shown


def _section_with(blocks: list[dict], shown: str) -> str:
    for block in blocks:
        if block.get("type") == "section" and shown in block.get("text", {}).get("text", ""):
            return block["text"]["text"]
    raise AssertionError(f"{shown} is not listed")


def test_campaign_show_gives_both_verdicts_and_a_warning_summary(dbot):
    seed(dbot)
    dbot.inventory().numbers.add(BOSS, [BRUSSELS_078])
    dbot.inventory().campaigns.save(
        BOSS,
        "From Finland",
        [BERLIN, PARIS_MOBILE, BRUSSELS_078],
        ["Nordics"],
        current_name="From Finland",
    )
    r = dbot.command('campaign show "From Finland"')
    blocks = r.json["blocks"]
    assert_within_limits(text=r.json["text"], blocks=blocks)
    summary = _section_with(blocks, "will not reach callees")
    assert (
        "3 numbers will not reach callees:* +32 78 10 23 45, +33 6 12 34 56 78, +49 30 1234567"
        in summary
    )
    assert "1 number will be blocked from Mar 2027:* +372 612 3456" in summary

    berlin = _section_with(blocks, "*+49 30 1234567*")
    assert "OK" in berlin  # its address verdict …
    assert "calls: :no_entry: Blocked: calls entering Germany from Finland" in berlin  # … and this
    assert "left out* (see why above)" in berlin
    tallinn = _section_with(blocks, "*+372 612 3456*")
    assert "calls: :telephone_receiver: Deliverable today; blocked from Mar 2027" in tallinn
    assert "Missing address" in tallinn  # left out for its address, not for its calls
    # A Belgian national number is barred: said once, not again as a presentation verdict.
    brussels = _section_with(blocks, "*+32 78 10 23 45*")
    assert brussels.count("caller ID") == 1 and "calls:" not in brussels
    helsinki = _section_with(blocks, "*+358 9 1234567*")
    assert "calls: :telephone_receiver: Deliverable: calls enter the network in Finland" in helsinki

    # Restricted numbers are counted too.
    shown = texts(dbot.command('campaign show "Sales FR"').json["blocks"])
    assert "1 number is restricted:* +33 1 23 45 67 89" in shown


def test_list_blocked_and_restricted_with_pages(dbot):
    seed(dbot)
    inventory = dbot.inventory()
    more = [f"+49 30 {2000000 + i}" for i in range(24)]
    inventory.numbers.add(BOSS, more)
    inventory.groups.save(BOSS, "Berlin", more)
    inventory.campaigns.save(BOSS, "Berlin from Finland", [], ["Berlin"], origin="FI")

    r = dbot.command("list blocked", user=READER)
    blocks = r.json["blocks"]
    assert_within_limits(text=r.json["text"], blocks=blocks)
    shown = texts(blocks)
    assert "Numbers blocked in a campaign" in shown
    assert "26 numbers · page 1 of 2" in shown  # 24 + Berlin + the Paris mobile
    assert (
        ":no_entry: in *Berlin from Finland*: _Blocked: calls entering Germany from Finland"
        in shown
    )
    # Paged like the other lists.
    pager = buttons(blocks)["list_page_next"]
    dbot.sender.block_action(
        "list_page_next",
        pager["value"],
        message={"type": "message", "ts": "1.0", "text": r.json["text"], "blocks": blocks},
    )
    page2 = dbot.fake.wait_for("response_url")[-1].body
    assert "page 2 of 2" in texts(page2["blocks"])
    assert "+49 30 2000023" in texts(page2["blocks"])
    # In E.164 order: the Paris mobile first, with the campaign it is blocked in.
    assert ":no_entry: in *From Finland*: _Blocked: French mobile numbers" in shown

    shown = texts(dbot.command("list restricted").json["blocks"])
    assert "Numbers restricted in a campaign" in shown and "1 number · page 1 of 1" in shown
    assert ":warning: in *Sales FR*: _Restricted: sales calls in France" in shown
    # With the other filters.
    shown = texts(dbot.command("list blocked country=FR").json["blocks"])
    assert "1 number · page 1 of 1" in shown and "+33 6 12 34 56 78" in shown


def test_csv_export_carries_the_verdict_per_campaign(dbot):
    seed(dbot)
    dbot.command("export", user=READER)
    dbot.fake.wait_for("files.completeUploadExternal")
    (content,) = dbot.fake.uploads.values()
    header, records = read_csv(content.decode())  # numbers come protected: '+49…
    rows = {row["number"]: row for _, row in records}
    assert rows["+49301234567"]["delivery"] == "From Finland: blocked; Local: deliverable"
    assert rows["+33123456789"]["delivery"] == "Local: deliverable; Sales FR: restricted"
    assert rows["+3726123456"]["delivery"] == "From Finland: deliverable"
    assert rows["+49301234567"]["verdict"] == "ok"


def seed_caller_ids(bot: DeliveryBot) -> None:
    """Berlin and Helsinki, both OK for their addresses, in a campaign whose calls enter
    the network in Finland: the Berlin number is blocked there, the Helsinki one is not."""
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Berlin", "Berlin", "10117"))
    inventory.addresses.create(
        BOSS, address_fields("HQ Helsinki", "Helsinki", "00100", country="FI")
    )
    inventory.numbers.add(BOSS, [BERLIN], address_name="HQ Berlin")
    inventory.numbers.add(BOSS, [HELSINKI], address_name="HQ Helsinki")
    assert all(i.verdict.ok for i in inventory.number_list())
    inventory.campaigns.save(BOSS, "From Finland", [BERLIN, HELSINKI], origin="FI")
    inventory.campaigns.save(BOSS, "Local", [BERLIN, HELSINKI])


def test_callerid_skips_blocked_numbers_and_says_why(dbot):
    seed_caller_ids(dbot)
    text = texts(dbot.command('callerid "From Finland" to="+49 30 7654321"').json["blocks"])
    # The Berlin number shares the area prefix, but calls from Finland may not show it.
    assert "*+358 9 1234567* (Helsinki) — chosen by: any number that is not toll-free" in text
    assert "*Left out (1)*" in text
    assert (
        "*+49 30 1234567* — Blocked: calls entering Germany from Finland may not show German "
        "numbers (BNetzA, since 1 Dec 2022)" in text
    )
    # Through a local carrier the same call shows the Berlin number.
    text = texts(dbot.command('callerid Local to="+49 30 7654321"').json["blocks"])
    assert "*+49 30 1234567* (Berlin) — chosen by: same area prefix (30)" in text


def test_an_agents_own_caller_id_that_would_be_blocked_is_said_so(dbot):
    seed_caller_ids(dbot)
    # Setting it: compliant for its address, yet blocked in a campaign's calls.
    r = dbot.command(f"agent Maria callerid {BERLIN}")
    said = texts(r.json)
    assert "New agent *Maria* presents *+49 30 1234567*" in said
    assert (
        ":no_entry: Would be blocked in *From Finland*: Blocked: calls entering Germany from "
        "Finland may not show German numbers" in said
    )
    assert "Local" not in said
    shown = texts(dbot.command("agent list").json["blocks"])
    assert ":no_entry: Would be blocked in *From Finland*" in shown

    # Resolving: the override is skipped in that campaign, with why; it wins elsewhere.
    text = texts(dbot.command('callerid "From Finland" agent=Maria').json["blocks"])
    assert (
        "Agent Maria's own caller ID +49 30 1234567 would be blocked in this campaign: calls "
        "entering Germany from Finland may not show German numbers" in text
    )
    assert "*+358 9 1234567* (Helsinki) — chosen by:" in text
    text = texts(dbot.command("callerid Local agent=Maria").json["blocks"])
    assert "chosen by: the agent's own caller ID" in text


def test_the_kept_verdicts_follow_every_change(dbot):
    """One inventory, as the running bot holds it: its kept verdicts (App Home counts over
    every campaign on every request) follow the day, the campaign, its groups, the numbers."""
    seed(dbot)
    inventory = dbot.inventory()

    def blocked() -> list[str]:
        return sorted(inventory.delivery_summary().blocked)

    assert blocked() == ["+33612345678", "+49301234567"]
    assert inventory.summary().blocked == 2 and inventory.summary().restricted == 1
    # Through a local carrier: the Berlin number is no longer blocked.
    inventory.campaigns.save(BOSS, "x", [BERLIN, PARIS_MOBILE], ["Nordics"], "From Finland", "own")
    assert blocked() == ["+33612345678"]
    # Back to Finland, and a German number joins through the group.
    inventory.campaigns.save(BOSS, "From Finland", [PARIS_MOBILE], ["Nordics"], "x", "FI")
    inventory.numbers.add(BOSS, ["+49 30 7654321"])
    inventory.groups.save(BOSS, "Nordics", [TALLINN, HELSINKI, "+49 30 7654321"], "Nordics")
    assert blocked() == ["+33612345678", "+49307654321"]
    # A number removed; the day of Estonia's block.
    inventory.numbers.remove(BOSS, PARIS_MOBILE)
    assert blocked() == ["+49307654321"]
    dbot.clock.day = "2027-03-01"
    assert blocked() == ["+3726123456", "+49307654321"]
    inventory.campaigns.delete(BOSS, "From Finland")
    assert blocked() == [] and inventory.summary().restricted == 1
