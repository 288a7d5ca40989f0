"""Campaign settings (where calls enter the network, purpose) and the presentation verdicts
of the services, against the in-memory repository (one test opens a TinyDB file of before
the settings), real numbers and a clock the test controls."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.compliance import Rules
from bot.core.errors import DomainError
from bot.core.model import Actor
from bot.core.services import Inventory
from storage.database import WorkspaceDatabase
from storage.memory import MemoryRepository
from storage.repository import WorkspaceRepository

BOSS = Actor("UMANAGER", is_manager=True)
BERLIN = "+49 30 1234567"
TALLINN = "+372 612 3456"
HELSINKI = "+358 9 1234567"
PARIS_MOBILE = "+33 6 12 34 56 78"


class Clock:
    """The inventory's clock, set by the test."""

    def __init__(self, day: str) -> None:
        self.day = day

    def __call__(self) -> str:
        return f"{self.day}T08:00:00+00:00"


@pytest.fixture
def clock() -> Clock:
    return Clock("2026-11-20")


def open_inventory(path: Path, clock: Clock) -> Inventory:
    repo = WorkspaceRepository(WorkspaceDatabase(path))
    return Inventory(repo, Rules.shipped(), "DE", clock=clock)


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "team-T1.json"


@pytest.fixture
def inv(clock) -> Inventory:
    inventory = Inventory(MemoryRepository(), Rules.shipped(), "DE", clock=clock)
    inventory.numbers.add(BOSS, [BERLIN, TALLINN, HELSINKI, PARIS_MOBILE])
    inventory.groups.save(BOSS, "Nordics", [TALLINN, HELSINKI])
    return inventory


def test_a_new_campaign_calls_through_each_numbers_own_country_for_sales(inv) -> None:
    campaign = inv.campaigns.save(BOSS, "Spring", [BERLIN]).campaign
    assert (campaign.origin, campaign.purpose) == (None, "sales")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("FI", "FI"), ("fi", "FI"), ("Finland", "FI"), (" own ", None), ("", None), ("OWN", None)],
)
def test_origin_is_a_country_code_or_each_numbers_own_country(inv, typed, stored) -> None:
    campaign = inv.campaigns.save(BOSS, "Spring", [BERLIN], origin=typed).campaign
    assert campaign.origin == stored
    assert inv.campaign("Spring").origin == stored


def test_an_edit_that_names_neither_setting_keeps_both(inv) -> None:
    inv.campaigns.save(BOSS, "Spring", [BERLIN], origin="FI", purpose="Service")
    inv.campaigns.save(BOSS, "Spring 2", [BERLIN, TALLINN], current_name="Spring")
    campaign = inv.campaign("Spring 2")
    assert (campaign.origin, campaign.purpose) == ("FI", "service")
    inv.campaigns.save(BOSS, "Spring 2", [BERLIN], current_name="Spring 2", origin="own")
    assert (inv.campaign("Spring 2").origin, inv.campaign("Spring 2").purpose) == (
        None,
        "service",
    )
    after = inv.audit("Spring 2")[0].after
    assert after is not None and (after["origin"], after["purpose"]) == (None, "service")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"origin": "Narnia"},
            "origin",
            "“Narnia” is not a country: calls enter the phone network in a country",
        ),
        ({"origin": "XX"}, "origin", "“XX” is not a country"),
        (
            {"purpose": "marketing"},
            "purpose",
            "“marketing” is not a purpose: a campaign is for sales or service.",
        ),
        ({"origin": "FI", "purpose": ""}, "purpose", "“” is not a purpose"),
    ],
)
def test_bad_settings_are_named_and_nothing_is_half_changed(inv, fields, field, message) -> None:
    inv.campaigns.save(BOSS, "Spring", [BERLIN], origin="DE", purpose="service")
    audit_before = len(inv.audit())
    before = [inv.repo.campaigns.all(), inv.repo.audit_entries()]
    with pytest.raises(DomainError) as err:
        # A new name, new members and one bad setting: none of it is saved.
        inv.campaigns.save(BOSS, "Autumn", [TALLINN], current_name="Spring", **fields)
    assert err.value.field == field
    assert message in err.value.message
    assert [inv.repo.campaigns.all(), inv.repo.audit_entries()] == before
    campaign = inv.campaign("Spring")
    assert (campaign.numbers, campaign.origin, campaign.purpose) == (
        ["+49301234567"],
        "DE",
        "service",
    )
    assert len(inv.audit()) == audit_before


def test_a_data_dir_of_before_the_settings_opens_unchanged(path, clock) -> None:
    inventory = open_inventory(path, clock)
    inventory.numbers.add(BOSS, [BERLIN])
    repo = inventory.repo
    with repo.transaction():  # a campaign as an older version wrote it
        repo.database.db.table("campaigns").insert(
            {"id": "c0ffee", "name": "Old", "numbers": ["+49301234567"], "groups": []}
        )
    fresh = open_inventory(path, clock)
    old = fresh.campaign("Old")
    assert (old.origin, old.purpose, old.numbers) == (None, "sales", ["+49301234567"])
    assert fresh.presentation(BERLIN, "Old").status == "deliverable"
    # Saved again, it carries both settings.
    fresh.campaigns.save(BOSS, "Old", [BERLIN], current_name="Old", purpose="service")
    doc = open_inventory(path, clock).repo.database.db.table("campaigns").all()[0]
    assert (doc["origin"], doc["purpose"]) == (None, "service")


def test_the_presentation_verdict_of_a_number_for_a_campaign(inv, clock) -> None:
    inv.campaigns.save(BOSS, "From Finland", [BERLIN, PARIS_MOBILE], ["Nordics"], origin="FI")
    inv.campaigns.save(BOSS, "Local", [BERLIN], purpose="service")

    blocked = inv.presentation(BERLIN, "from finland")
    assert blocked.status == "blocked"
    assert blocked.reason == (
        "Blocked: calls entering Germany from Finland may not show German numbers "
        "(BNetzA, since 1 Dec 2022)"
    )
    assert inv.presentation(BERLIN, "Local").status == "deliverable"
    # The address verdict is another matter: the Berlin number has no address at all.
    assert inv.info(BERLIN).verdict.status == "missing"

    # Per campaign the number is in, by name.
    per_campaign = inv.number_presentations(BERLIN)
    assert [(p.campaign.name, p.presentation.status) for p in per_campaign] == [
        ("From Finland", "blocked"),
        ("Local", "deliverable"),
    ]
    assert inv.number_presentations(TALLINN)[0].presentation.upcoming is not None

    # The whole campaign: its own numbers and its groups', in E.164 order.
    pool = inv.campaign_presentations("From Finland")
    assert [(p.info.e164, p.presentation.status) for p in pool] == [
        ("+33612345678", "blocked"),  # a French mobile number, whatever the origin
        ("+35891234567", "deliverable"),  # Finnish, and the calls enter in Finland
        ("+3726123456", "deliverable"),  # Estonia blocks only from March 2027
        ("+49301234567", "blocked"),
    ]
    assert "from Mar 2027" in pool[2].presentation.reason

    # The clock decides: from 1 March 2027 the Estonian number is blocked too.
    clock.day = "2027-03-01"
    assert inv.presentation(TALLINN, "From Finland").status == "blocked"
    assert inv.presentation(TALLINN, "From Finland", today=date(2027, 2, 28)).deliverable


def test_upcoming_blocks_are_found_within_the_notice_days_and_on_the_day(inv, clock) -> None:
    inv.campaigns.save(BOSS, "From Finland", [BERLIN], ["Nordics"], origin="FI")
    inv.campaigns.save(BOSS, "Local", [TALLINN])  # a local carrier: never blocked

    clock.day = "2027-02-10"  # 19 days before
    assert inv.upcoming_blocks(14) == []
    found = inv.upcoming_blocks(19)
    assert [(u.campaign.name, u.info.e164, u.days) for u in found] == [
        ("From Finland", "+3726123456", 19)
    ]
    assert found[0].starts == date(2027, 3, 1)
    assert found[0].presentation.reason.endswith("(draft law, en.reflect.ee, from Mar 2027)")

    clock.day = "2027-02-15"  # 14 days before
    assert [u.days for u in inv.upcoming_blocks(14)] == [14]
    on_the_day = inv.upcoming_blocks(14, today=date(2027, 3, 1))
    assert [(u.info.e164, u.days) for u in on_the_day] == [("+3726123456", 0)]
    assert on_the_day[0].presentation.reason.endswith("since Mar 2027)")
    assert inv.upcoming_blocks(14, today=date(2027, 3, 2)) == []  # blocked, no longer news
