"""The services against the in-memory repository (storage/memory.py) and real phonenumbers
data: fast. The few tests about files (a failed disk write, another process, a fresh
process reading the file) open real TinyDB files (``file_stocked``)."""

from __future__ import annotations

import csv
import errno
import io
import os
from pathlib import Path

import pytest

import handlers
import storage.database as database
from bot.core.compliance import Rules, Status
from bot.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    StorageBusy,
    StorageFailure,
    ValidationError,
)
from bot.core.model import Actor
from bot.core.services import Inventory
from storage.database import WorkspaceDatabase
from storage.memory import MemoryRepository
from storage.repository import WorkspaceRepository

MANAGER = Actor("UMANAGER", is_manager=True)
READER = Actor("UREADER", is_manager=False)

MUNICH_1 = "+49 89 2001001"
MUNICH_2 = "+49 89 2001002"
MUNICH_3 = "+49 89 2001003"
BERLIN = "+49 30 1234567"


def open_inventory(path: Path) -> Inventory:
    return Inventory(WorkspaceRepository(WorkspaceDatabase(path)), Rules.shipped(), "DE")


def memory_inventory() -> Inventory:
    return Inventory(MemoryRepository(), Rules.shipped(), "DE")


def address_fields(name: str = "Munich office", **overrides) -> dict:
    fields = {
        "name": name,
        "customer_name": "Example GmbH",
        "street": "Leopoldstraße 1",
        "postal_code": "80802",
        "city": "München",
        "country": "DE",
        "region": "",
        "confirmed": True,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "team-T1.json"


def state(inv: Inventory) -> tuple:
    """Everything the workspace holds (the port's view): equal when nothing was written."""
    repo = inv.repo
    kinds = (repo.numbers, repo.addresses, repo.groups, repo.campaigns, repo.agents)
    return (*(kind.all() for kind in kinds), repo.audit_entries(), repo.grants())


def on_disk(path: Path) -> bytes:
    """The database's files: the main file and its journal (storage/database.py)."""
    journal = path.with_name(path.name + ".journal")
    return path.read_bytes() + b"\0" + (journal.read_bytes() if journal.exists() else b"")


@pytest.fixture
def inv() -> Inventory:
    return memory_inventory()


@pytest.fixture
def stocked(inv) -> Inventory:
    return stock(inv)


@pytest.fixture
def file_stocked(path) -> Inventory:
    """The same stock in a real TinyDB file."""
    return stock(open_inventory(path))


def stock(inv: Inventory) -> Inventory:
    """Three Munich numbers and a Berlin one; a Munich address; a group and a campaign."""
    inv.numbers.add(MANAGER, [MUNICH_1, MUNICH_2, MUNICH_3, BERLIN], label="Sales")
    inv.addresses.create(MANAGER, address_fields())
    inv.addresses.link(MANAGER, [MUNICH_1], "Munich office")
    inv.groups.save(MANAGER, "Bavaria", [MUNICH_1, MUNICH_2])
    inv.campaigns.save(MANAGER, "Spring", numbers=[BERLIN], groups=["Bavaria"])
    return inv


# ---------------------------------------------------------------- permissions
REFUSED_CHANGES = {
    "add_numbers": lambda i, a: i.numbers.add(a, ["+49 89 2009999"]),
    "remove_number": lambda i, a: i.numbers.remove(a, MUNICH_2),
    "create_address": lambda i, a: i.addresses.create(a, address_fields("Other")),
    "update_address": lambda i, a: i.addresses.update(
        a, "Munich office", address_fields(city="Berlin")
    ),
    "delete_address": lambda i, a: i.addresses.delete(a, "Munich office"),
    "link": lambda i, a: i.addresses.link(a, [MUNICH_2], "Munich office"),
    "unlink": lambda i, a: i.addresses.unlink(a, [MUNICH_1]),
    "confirm_area": lambda i, a: i.numbers.confirm_area(a, MUNICH_1),
    "save_group": lambda i, a: i.groups.save(a, "New", [MUNICH_3]),
    "edit_group": lambda i, a: i.groups.save(a, "Bavaria", [], current_name="Bavaria"),
    "delete_group": lambda i, a: i.groups.delete(a, "Bavaria"),
    "save_campaign": lambda i, a: i.campaigns.save(a, "Autumn", numbers=[MUNICH_3]),
    "delete_campaign": lambda i, a: i.campaigns.delete(a, "Spring"),
    "set_access": lambda i, a: i.access.set(a, "UREADER", True),
    "import_csv": lambda i, a: i.csv.import_csv(a, "number\n+49 89 2009999\n"),
}


@pytest.mark.parametrize("change", sorted(REFUSED_CHANGES))
def test_a_non_manager_is_refused_every_change_and_nothing_is_written(stocked, change):
    before = state(stocked)
    with pytest.raises(PermissionDenied) as caught:
        REFUSED_CHANGES[change](stocked, READER)
    assert "Only managers can" in caught.value.message
    assert state(stocked) == before


@pytest.mark.parametrize(
    "change", sorted(set(REFUSED_CHANGES) - {"confirm_area", "delete_address"})
)
def test_the_same_change_works_for_a_manager(stocked, change):
    """The refusals above only mean something if the very same calls work for a manager
    (confirm_area and delete_address need other preconditions, tested elsewhere)."""
    before = state(stocked)
    REFUSED_CHANGES[change](stocked, MANAGER)
    assert state(stocked) != before


# ---------------------------------------------------------------- addresses
def test_country_by_code_or_name_is_stored_as_alpha_2(inv):
    assert inv.addresses.create(MANAGER, address_fields("A", country="Germany")).country == "DE"
    assert inv.addresses.create(MANAGER, address_fields("B", country="de")).country == "DE"
    assert inv.addresses.create(
        MANAGER, address_fields("C", country="AT", city="Wien")
    ).country == ("AT")


def test_unknown_country_is_refused_on_its_field(inv):
    with pytest.raises(ValidationError) as caught:
        inv.addresses.create(MANAGER, address_fields(country="Narnia"))
    assert "Narnia" in caught.value.errors["country"]
    assert inv.address_list() == []


@pytest.mark.parametrize("typed", ["BY", "DE-BY", "Bayern", "bayern"])
def test_region_by_code_or_name_is_checked_against_the_subdivisions(inv, typed):
    assert inv.addresses.create(MANAGER, address_fields(region=typed)).region == "DE-BY"


def test_a_region_not_of_that_country_is_refused_with_an_example(inv):
    with pytest.raises(ValidationError) as caught:
        inv.addresses.create(MANAGER, address_fields(region="Texas"))
    assert "not a region of Germany" in caught.value.errors["region"]
    assert inv.address_list() == []


def test_address_names_are_unique_ignoring_case_and_spaces(inv):
    inv.addresses.create(MANAGER, address_fields("Munich office"))
    with pytest.raises(ValidationError) as caught:
        inv.addresses.create(MANAGER, address_fields("  MUNICH   Office "))
    assert "exists already" in caught.value.errors["name"]
    assert len(inv.address_list()) == 1


def test_address_names_fit_a_slack_option(inv):
    assert inv.addresses.create(MANAGER, address_fields("x" * 75)).name == "x" * 75
    with pytest.raises(ValidationError) as caught:
        inv.addresses.create(MANAGER, address_fields("y" * 76))
    assert "too long" in caught.value.errors["name"]


def test_an_address_needs_its_fields_and_the_confirmation(inv):
    with pytest.raises(ValidationError) as caught:
        inv.addresses.create(
            MANAGER, address_fields(street=" ", city="", postal_code="", confirmed=False)
        )
    assert set(caught.value.errors) == {"street", "city", "postal_code", "confirmed"}
    assert inv.address_list() == []


def test_renaming_an_address_to_its_own_name_in_other_case_is_fine(stocked):
    change = stocked.addresses.update(MANAGER, "munich office", address_fields("MUNICH OFFICE"))
    assert change.address.name == "MUNICH OFFICE"
    assert stocked.address("Munich Office").id == change.address.id


def test_editing_an_address_reports_the_numbers_it_breaks(stocked):
    assert stocked.info(MUNICH_1).verdict.ok
    change = stocked.addresses.update(MANAGER, "Munich office", address_fields(city="Hamburg"))
    assert [i.e164 for i in change.newly_failing] == ["+49892001001"]
    assert stocked.info(MUNICH_1).verdict.status == Status.OUTSIDE_AREA


def test_delete_is_refused_while_numbers_are_linked_naming_them(stocked):
    stocked.addresses.link(MANAGER, [MUNICH_2], "Munich office")
    before = state(stocked)
    with pytest.raises(DomainError) as caught:
        stocked.addresses.delete(MANAGER, "Munich office")
    assert "+49 89 2001001" in caught.value.message
    assert "+49 89 2001002" in caught.value.message
    assert "2 numbers are linked" in caught.value.message
    assert state(stocked) == before

    stocked.addresses.unlink(MANAGER, [MUNICH_1, MUNICH_2])
    stocked.addresses.delete(MANAGER, "Munich office")
    assert stocked.address_list() == []


# ---------------------------------------------------------------- links
def test_link_and_unlink_many_at_once(stocked):
    result = stocked.addresses.link(MANAGER, [MUNICH_2, "0892001003", BERLIN], "Munich office")
    assert {i.e164 for i in result.changed} == {"+49892001002", "+49892001003", "+49301234567"}
    assert [i.e164 for i in result.needing_attention] == ["+49301234567"]
    linked = {i.e164 for i in stocked.address_numbers(stocked.address("Munich office").id)}
    assert linked == {"+49892001001", "+49892001002", "+49892001003", "+49301234567"}
    assert stocked.info(BERLIN).verdict.status == Status.OUTSIDE_AREA

    stocked.addresses.unlink(MANAGER, [MUNICH_1, BERLIN])
    assert stocked.info(MUNICH_1).number.address_id is None
    assert stocked.info(MUNICH_1).verdict.status == Status.MISSING
    assert stocked.info(MUNICH_2).number.address_id is not None


def test_link_with_one_unknown_number_links_the_others_and_names_it(stocked):
    result = stocked.addresses.link(
        MANAGER, [MUNICH_2, "+49 89 2009999", "garbage"], "Munich office"
    )
    assert [i.e164 for i in result.changed] == ["+49892001002"]
    assert result.unknown == ["+49892009999"]
    assert [text for text, _ in result.invalid] == ["garbage"]
    assert stocked.info(MUNICH_2).address.name == "Munich office"


def test_link_with_only_unknown_numbers_changes_nothing(stocked):
    before = state(stocked)
    result = stocked.addresses.link(MANAGER, ["+49 89 2009999"], "Munich office")
    assert result.changed == [] and result.unchanged == []
    assert result.unknown == ["+49892009999"]
    assert state(stocked) == before


def test_link_to_an_unknown_address_changes_nothing(stocked):
    before = state(stocked)
    with pytest.raises(NotFound):
        stocked.addresses.link(MANAGER, [MUNICH_2], "Hamburg office")
    assert state(stocked) == before


def test_a_failed_write_leaves_the_inventory_as_it_was(file_stocked, path, monkeypatch):
    """All or nothing even when the disk fails mid-change (OS fault injected)."""
    file_stocked.number_list()  # derived views cached
    before = on_disk(path)

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(database.os, "pwrite", disk_full)  # the journal append
    with pytest.raises(StorageFailure):
        file_stocked.addresses.link(MANAGER, [MUNICH_2, MUNICH_3], "Munich office")
    monkeypatch.undo()
    assert on_disk(path) == before
    assert file_stocked.info(MUNICH_2).number.address_id is None
    assert not any(
        e.action == "number.link" and e.subject == "+49892001002" for e in file_stocked.audit()
    )
    assert open_inventory(path).info(MUNICH_2).number.address_id is None


# ---------------------------------------------------------------- groups, campaigns, pools
def test_pool_is_numbers_and_group_members_with_unaddressed_numbers_as_warnings(stocked):
    pool = stocked.pool("spring")
    assert [g.name for g in pool.groups] == ["Bavaria"]
    assert [i.e164 for i in pool.usable] == ["+49892001001"]
    warned = {i.e164: why for i, why in pool.warnings}
    assert set(warned) == {"+49892001002", "+49301234567"}
    assert "none is linked" in str(warned["+49892001002"])
    assert pool.size == 1


def test_group_members_must_exist_and_names_are_unique(stocked):
    before = state(stocked)
    with pytest.raises(DomainError) as caught:
        stocked.groups.save(MANAGER, "Other", [MUNICH_3, "+49 89 2009999"])
    assert "+49 89 2009999" in caught.value.message
    with pytest.raises(DomainError) as caught:
        stocked.groups.save(MANAGER, "BAVARIA", [MUNICH_3])
    assert "exists already" in caught.value.message
    with pytest.raises(NotFound):
        stocked.campaigns.save(MANAGER, "Autumn", groups=["No such group"])
    assert state(stocked) == before


def test_deleting_a_group_takes_it_out_of_campaigns(stocked):
    stocked.groups.delete(MANAGER, "Bavaria")
    pool = stocked.pool("Spring")
    assert pool.groups == []
    assert [i.e164 for i, _ in pool.warnings] == ["+49301234567"]


def test_removing_a_number_takes_it_out_of_groups_and_campaigns(stocked):
    stocked.numbers.remove(MANAGER, MUNICH_1)
    stocked.numbers.remove(MANAGER, BERLIN)
    assert stocked.group("Bavaria").numbers == ["+49892001002"]
    assert stocked.campaign("Spring").numbers == []
    with pytest.raises(NotFound):
        stocked.info(MUNICH_1)


# ---------------------------------------------------------------- audit
def test_every_change_is_audited_with_who_before_and_after(stocked):
    office = stocked.address("Munich office")
    entries = stocked.audit()
    assert all(e.who == "UMANAGER" and e.at for e in entries)
    actions = [e.action for e in reversed(entries)]
    assert actions == (
        ["number.add"] * 4 + ["address.create", "number.link", "group.create", "campaign.create"]
    )
    link = next(e for e in entries if e.action == "number.link")
    assert (link.subject, link.before, link.after) == (
        "+49892001001",
        {"address_id": None},
        {"address_id": office.id},
    )

    stocked.addresses.update(MANAGER, "Munich office", address_fields(street="Neue Straße 2"))
    edit = stocked.audit("Munich office")[0]
    assert edit.action == "address.edit"
    assert edit.before["street"] == "Leopoldstraße 1"
    assert edit.after["street"] == "Neue Straße 2"

    stocked.groups.save(MANAGER, "Bavaria", [MUNICH_3], current_name="Bavaria")
    group_edit = stocked.audit("Bavaria")[0]
    assert group_edit.before["numbers"] == ["+49892001001", "+49892001002"]
    assert group_edit.after["numbers"] == ["+49892001003"]

    stocked.numbers.remove(MANAGER, MUNICH_2)
    removal = stocked.audit(MUNICH_2)[0]
    assert (removal.action, removal.before["e164"], removal.after) == (
        "number.remove",
        "+49892001002",
        None,
    )
    stocked.access.set(MANAGER, "UOTHER", True)
    assert stocked.audit()[0].action == "access.grant"
    assert stocked.grants() == {"UOTHER"}


def test_a_refused_change_writes_no_audit_entry(stocked):
    count = len(stocked.audit())
    with pytest.raises(DomainError):
        stocked.addresses.create(MANAGER, address_fields("munich OFFICE"))
    with pytest.raises(PermissionDenied):
        stocked.numbers.add(READER, ["+49 89 2009999"])
    assert len(stocked.audit()) == count


# ---------------------------------------------------------------- adding numbers
def test_add_numbers_reports_invalid_lines_and_duplicates(stocked):
    result = stocked.numbers.add(
        MANAGER,
        ["+49 89 2001004", "+49 123", "", "0049 89 2001001", "089 2001005", "+49 89 2001004", "x"],
        first_line=10,
    )
    assert [i.e164 for i in result.added] == ["+49892001004", "+49892001005"]
    assert [(line, text) for line, text, _ in result.invalid] == [(11, "+49 123"), (16, "x")]
    assert all(reason for _, _, reason in result.invalid)
    assert sorted(result.already) == ["+49892001001", "+49892001004"]
    assert len(stocked.number_list()) == 6
    assert stocked.info("+49 89 2001005").number.label == ""


def test_add_numbers_with_an_address_links_them(inv):
    inv.addresses.create(MANAGER, address_fields())
    result = inv.numbers.add(MANAGER, [MUNICH_1], address_name="munich office", label="Front")
    (info,) = result.added
    assert info.verdict.ok
    assert result.needing_attention == []
    assert inv.info(MUNICH_1).number.label == "Front"


def test_a_label_that_is_too_long_refuses_the_whole_add(inv):
    with pytest.raises(DomainError):
        inv.numbers.add(MANAGER, [MUNICH_1], label="x" * 76)
    assert inv.number_list() == []


# ---------------------------------------------------------------- CSV
def test_export_import_round_trip(stocked):
    exported = stocked.csv.export_csv()
    assert exported.splitlines()[0].startswith("number,country,kind,area,address,verdict")
    rows = list(csv.DictReader(io.StringIO(exported)))
    linked = [r for r in rows if r["address"]]
    assert linked, "the stock has linked numbers"
    for row in linked:  # the address in full, not only its name
        assert row["address_city"] and row["address_street"] and row["address_country"]
    assert all(r["address_city"] == "" for r in rows if not r["address"])

    other = memory_inventory()
    other.addresses.create(MANAGER, address_fields())
    other.campaigns.save(MANAGER, "Spring", numbers=[], groups=[])
    result = other.csv.import_csv(MANAGER, exported)
    assert (len(result.added), result.errors, result.skipped) == (4, [], [])
    other.campaigns.save(
        MANAGER, "Spring", numbers=[BERLIN], groups=["Bavaria"], current_name="Spring"
    )
    assert other.csv.export_csv() == exported

    again = other.csv.import_csv(MANAGER, exported)
    assert again.added == []
    assert [line for line, _ in again.skipped] == [2, 3, 4, 5]


def test_import_reports_bad_lines_by_number_and_keeps_the_good_ones(stocked):
    text = (
        "Number,Address,Label,Groups\n"
        "+49 89 2002001,Munich office,Front desk,Bavaria;New group\n"
        "+49 123,,,\n"
        "+49 89 2002002,Nowhere,,\n"
        "+49 89 2001001,,,\n"
        ",,,\n"
        "+49 89 2002003,,x,\n"
    )
    result = stocked.csv.import_csv(MANAGER, text)
    assert [i.e164 for i in result.added] == ["+49892002001", "+49892002003"]
    assert [line for line, _ in result.errors] == [3, 4]
    assert "Nowhere" in result.errors[1][1]
    assert [line for line, _ in result.skipped] == [5]
    assert stocked.info("+49 89 2002001").verdict.ok
    assert "+49892002001" in stocked.group("Bavaria").numbers
    assert stocked.group("new group").numbers == ["+49892002001"]


def test_import_needs_a_number_column(inv):
    with pytest.raises(DomainError) as caught:
        inv.csv.import_csv(MANAGER, "phone,address\n+49 89 2001001,\n")
    assert "number" in caught.value.message
    assert inv.number_list() == []


# ---------------------------------------------------------------- races with another process
@pytest.mark.parametrize("how", ["add", "import"])
def test_another_process_cannot_change_data_in_the_middle_of_a_change(file_stocked, path, how):
    """Checks, decision and write are one transaction: another process (a second
    Inventory on the same file) that tries to add and link the same number while this
    one is between its checks and its write (the injected clock is that moment) waits
    for the lock, here with a short timeout so that it gives up, and nothing is lost."""
    other = Inventory(
        WorkspaceRepository(WorkspaceDatabase(path, lock_timeout=0.2)), Rules.shipped(), "DE"
    )
    raced = []

    def clock() -> str:
        if not raced:
            with pytest.raises(StorageBusy):
                other.numbers.add(MANAGER, ["+49 89 2007777"], address_name="Munich office")
            raced.append(True)
        return "2026-01-01T00:00:00+00:00"

    file_stocked.clock = clock
    if how == "add":
        result = file_stocked.numbers.add(MANAGER, ["+49 89 2007777", "+49 89 2007778"])
    else:
        result = file_stocked.csv.import_csv(
            MANAGER, "number,label\n+49 89 2007777,x\n+49 89 2007778,y\n"
        )
    assert raced
    assert sorted(i.e164 for i in result.added) == ["+49892007777", "+49892007778"]
    # Afterwards the other process sees the number and does not add it twice.
    again = other.numbers.add(MANAGER, ["+49 89 2007777"], address_name="Munich office")
    assert again.added == [] and again.already == ["+49892007777"]
    adds = [e for e in open_inventory(path).audit("+49 89 2007777") if e.action == "number.add"]
    assert len(adds) == 1


def test_search_finds_numbers_by_international_national_and_text_forms(stocked):
    inv = stocked
    inv.numbers.add(MANAGER, ["+49 89 3001234", "+49 30 3001234"], label="Hotline Süd")
    found = lambda text: {i.e164 for i in inv.search_numbers(text)}  # noqa: E731
    assert "+49893001234" in found("+49 89 300")
    assert "+49893001234" in found("0049 89 300")
    assert "+49893001234" in found("089 300")  # national form of the default country (DE)
    assert "+49301234" not in found("089 300")
    assert {"+49893001234", "+49303001234"} <= found("hotline süd")
    assert "+49893001234" in found("munich")
    assert len(inv.search_numbers("", limit=1)) == 1


def test_verdicts_are_reused_until_a_number_or_address_changes(stocked):
    before = stocked.views().infos
    stocked.groups.save(MANAGER, "Derived views", [])
    stocked.campaigns.save(MANAGER, "Derived campaign", numbers=[], groups=["Derived views"])
    assert stocked.views().infos is before  # groups and campaigns judge no number again
    assert stocked.group("Derived views").name == "Derived views"  # but are seen
    stocked.numbers.add(MANAGER, ["+49 89 3009999"])
    after = stocked.views().infos
    assert after is not before and "+49893009999" in after
    stocked.addresses.update(MANAGER, "Munich office", {**address_fields(), "city": "Berlin"})
    moved = stocked.views().infos
    assert moved is not after
    assert not moved["+49893009999"].verdict.ok or moved["+49893009999"].address is None


def test_views_after_a_number_change_judge_only_that_number_and_stay_right(file_stocked):
    before = file_stocked.views()
    target = before.ordered[0].e164
    others = {e: i for e, i in before.infos.items() if e != target}
    file_stocked.addresses.link(MANAGER, [target], "Munich office")
    after = file_stocked.views()
    assert all(after.infos[e] is i for e, i in others.items())  # not judged again
    assert after.infos[target].address is not None
    assert [i.e164 for i in after.ordered] == sorted(after.infos)
    file_stocked.numbers.add(MANAGER, ["+49 89 3007777"])
    file_stocked.numbers.remove(MANAGER, target)
    latest = file_stocked.views()
    assert "+49893007777" in latest.infos and target not in latest.infos
    assert [i.e164 for i in latest.ordered] == sorted(latest.infos)
    # The same answers as a fresh process that builds everything from the file.
    fresh = open_inventory(file_stocked.repo.database.path).views()
    assert {e: i.verdict.status for e, i in fresh.infos.items()} == {
        e: i.verdict.status for e, i in latest.infos.items()
    }


# ---------------------------------------------------------------- a form's edit, by id
E1, E2, E3, EB = "+49892001001", "+49892001002", "+49892001003", "+49301234567"


def test_a_group_form_edit_removes_adds_and_keeps_what_the_form_did_not_show(stocked):
    group = stocked.group("Bavaria")  # E1, E2
    change = stocked.groups.edit(MANAGER, group.id, "Bavaria South", chosen=[EB], removed=[E1])
    assert change.before.numbers == [E1, E2]  # E2 was not shown: it stays
    assert (change.group.id, change.group.name, change.group.numbers) == (
        group.id,
        "Bavaria South",
        [E2, EB],
    )
    assert stocked.group("bavaria south").numbers == [E2, EB]


def test_a_group_form_edit_of_a_deleted_group_or_by_a_reader_is_refused(stocked):
    group = stocked.group("Bavaria")
    with pytest.raises(PermissionDenied):
        stocked.groups.edit(READER, group.id, "Bavaria", chosen=[E3])
    stocked.groups.delete(MANAGER, "Bavaria")
    before = state(stocked)
    with pytest.raises(NotFound, match="That group no longer exists"):
        stocked.groups.edit(MANAGER, group.id, "Bavaria", chosen=[E3])
    assert state(stocked) == before


def test_a_campaign_form_creates_then_edits_by_id_keeping_the_groups_it_did_not_show(stocked):
    stocked.groups.save(MANAGER, "Berlin", [EB])
    bavaria, berlin = stocked.group("Bavaria"), stocked.group("Berlin")
    stocked.campaigns.save_chosen(
        MANAGER, "Autumn", chosen=[E3], group_ids=[bavaria.id, berlin.id], origin="FI"
    )
    autumn = stocked.campaign("Autumn")
    assert (autumn.numbers, autumn.groups, autumn.origin) == ([E3], [bavaria.id, berlin.id], "FI")
    # The form showed the first group only (unticked) and E3 not at all.
    stocked.campaigns.save_chosen(
        MANAGER, "Autumn", campaign_id=autumn.id, chosen=[E1], keep_groups_from=1
    )
    autumn = stocked.campaign("Autumn")
    assert (autumn.numbers, autumn.groups, autumn.origin) == ([E3, E1], [berlin.id], "FI")
    stocked.campaigns.save_chosen(MANAGER, "Autumn", campaign_id=autumn.id, removed=[E3])
    assert (stocked.campaign("Autumn").numbers, stocked.campaign("Autumn").groups) == ([E1], [])


def test_a_campaign_form_naming_a_deleted_group_or_campaign_changes_nothing(stocked):
    spring, bavaria = stocked.campaign("Spring"), stocked.group("Bavaria")
    before = state(stocked)
    with pytest.raises(DomainError) as caught:
        stocked.campaigns.save_chosen(
            MANAGER, "Spring", campaign_id=spring.id, group_ids=[bavaria.id, "gone"]
        )
    assert caught.value.field == "groups"
    assert "1 of the chosen groups no longer exist" in caught.value.message
    with pytest.raises(NotFound, match="That campaign no longer exists"):
        stocked.campaigns.save_chosen(MANAGER, "Spring", campaign_id="gone")
    assert state(stocked) == before


def test_no_handler_opens_a_transaction_or_touches_the_repository_to_change_data():
    """Handlers call the domain services; the services open the transactions."""
    root = Path(handlers.__file__).parent
    found = [p.name for p in root.rglob("*.py") if "repo.transaction(" in p.read_text()]
    assert found == []
