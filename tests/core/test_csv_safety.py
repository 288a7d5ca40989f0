"""CSV export and import: no cell a spreadsheet would run, the same values read back,
and a line the CSV reader refuses (a field over 131,072 characters) reported on its own.

Through the core (Inventory.export_csv / import_csv), the command line (`numbers-bot
export` / `import`, a real subprocess) and Slack (`/numbers export`, the upload the fake
Slack records).
"""

from __future__ import annotations

import csv
import io

import pytest

from bot.core.csvsafe import protect, unprotect
from tests.core.test_services import address_fields, open_inventory
from tests.e2e.test_cli import MANAGER, inventory, run_cli

# OWASP's examples and friends: each must reach a spreadsheet as text.
PAYLOADS = [
    "=1+1",
    "@SUM(1)",
    '=HYPERLINK("http://x")',
    "=cmd|' /C calc'!A0",
    "-2+3",
    "+1 555",
    "'=1+1",  # already quoted by someone: still read back as typed
]
EVIL = "=cmd|' /C calc'!A0"
RUNS = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = ["+49 89 2001001", "+49 89 2001002", "+49 89 2001003", "+49 89 2001004"]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_safe(text: str) -> None:
    rows = cells(text)
    assert len(rows) > 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(RUNS), f"a spreadsheet would run {cell!r}"


def values(text: str) -> list[dict]:
    """Each exported row as the values it stands for (the protective quote removed)."""
    return [{k: unprotect(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def stock(inv) -> None:
    """Numbers, an address, a group and a campaign whose texts are formulas."""
    inv.addresses.create(
        MANAGER,
        address_fields(EVIL, customer_name="@SUM(1)", street="-2+3 Leopoldstraße"),
    )
    inv.numbers.add(MANAGER, NUMBERS[:1], label="=1+1", address_name=EVIL)
    inv.numbers.add(MANAGER, NUMBERS[1:2], label='=HYPERLINK("http://x")')
    inv.numbers.add(MANAGER, NUMBERS[2:3], label="-2+3")
    inv.numbers.add(MANAGER, NUMBERS[3:], label="'=1+1")
    inv.groups.save(MANAGER, "@SUM(1)", NUMBERS[:2])
    inv.campaigns.save(MANAGER, "=1+1", numbers=NUMBERS[2:3], groups=["@SUM(1)"])


@pytest.mark.parametrize("value", [*PAYLOADS, "\t=1+1", "\r=1+1", "''+1", "'quoted'", "O'Brien"])
def test_protect_gives_a_safe_cell_that_unprotect_reads_back(value):
    cell = protect(value)
    assert not cell.startswith(RUNS)
    assert unprotect(cell) == value
    out = io.StringIO()
    csv.writer(out).writerow([cell])
    assert cells(out.getvalue()) == [[cell]]


@pytest.mark.parametrize("value", ["", "Sales", "'quoted'", "O'Brien", "München"])
def test_text_that_runs_nothing_is_written_as_it_is(value):
    assert protect(value) == value
    assert unprotect(value) == value


def test_export_has_no_cell_a_spreadsheet_would_run(tmp_path):
    inv = open_inventory(tmp_path / "team-T1.json")
    stock(inv)
    exported = inv.csv.export_csv()
    assert_safe(exported)
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(exported))}
    # numbers stay readable E.164, as text
    assert sorted(rows) == ["'+49892001001", "'+49892001002", "'+49892001003", "'+49892001004"]
    first = rows["'+49892001001"]
    assert first["label"] == "'=1+1"
    assert first["address"] == "'=cmd|' /C calc'!A0"
    assert first["address_customer"] == "'@SUM(1)"
    assert first["groups"] == "'@SUM(1)"
    assert rows["'+49892001003"]["campaigns"] == "'=1+1"
    assert rows["'+49892001004"]["label"] == "''=1+1"
    assert first["address_city"] == "München"  # nothing to protect: as it is
    # the values behind the cells are the stored ones
    labels = {r["number"]: r["label"] for r in values(exported)}
    assert labels == {
        "+49892001001": "=1+1",
        "+49892001002": '=HYPERLINK("http://x")',
        "+49892001003": "-2+3",
        "+49892001004": "'=1+1",
    }


def test_import_reads_an_export_back_to_the_same_values(tmp_path):
    inv = open_inventory(tmp_path / "team-T1.json")
    stock(inv)
    exported = inv.csv.export_csv()

    other = open_inventory(tmp_path / "team-T2.json")
    other.addresses.create(
        MANAGER,
        address_fields(EVIL, customer_name="@SUM(1)", street="-2+3 Leopoldstraße"),
    )
    other.campaigns.save(MANAGER, "=1+1", numbers=[], groups=[])
    result = other.csv.import_csv(MANAGER, exported)
    assert (len(result.added), result.errors, result.skipped) == (4, [], [])
    assert other.info(NUMBERS[0]).number.label == "=1+1"
    assert other.info(NUMBERS[0]).address.name == "=cmd|' /C calc'!A0"
    assert other.info(NUMBERS[3]).number.label == "'=1+1"
    assert other.group("@SUM(1)").numbers == ["+49892001001", "+49892001002"]
    other.campaigns.save(
        MANAGER, "=1+1", numbers=NUMBERS[2:3], groups=["@SUM(1)"], current_name="=1+1"
    )
    assert other.csv.export_csv() == exported


def test_import_takes_plain_and_quoted_numbers(tmp_path):
    inv = open_inventory(tmp_path / "team-T1.json")
    result = inv.csv.import_csv(
        MANAGER,
        "number,label\n'+49 89 2001001,'-2+3\n+49 89 2001002,'quoted'\n089 2001003,O'Brien\n",
    )
    assert result.errors == []
    assert [(i.e164, i.number.label) for i in result.added] == [
        ("+49892001001", "-2+3"),
        ("+49892001002", "'quoted'"),
        ("+49892001003", "O'Brien"),
    ]


# ----------------------------------------------------------------------- command line
def test_cli_export_is_safe_and_cli_import_reads_it_back(tmp_path):
    work, data_dir = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    inv = inventory(data_dir, "T1")
    stock(inv)
    exported = run_cli(work, "export", "out.csv", "--team", "T1", data_dir=data_dir)
    assert exported.returncode == 0, exported.stderr
    text = (work / "out.csv").read_bytes().decode("utf-8")
    assert_safe(text)
    assert text == inv.csv.export_csv()

    other = inventory(data_dir, "T2")
    other.addresses.create(
        MANAGER,
        address_fields(EVIL, customer_name="@SUM(1)", street="-2+3 Leopoldstraße"),
    )
    imported = run_cli(work, "import", "out.csv", "--team", "T2", data_dir=data_dir)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("Imported 4 numbers")
    again = run_cli(work, "export", "--team", "T2", data_dir=data_dir)
    keep = ("number", "address", "label", "groups", "verdict", "address_customer")
    assert [{k: r[k] for k in keep} for r in values(again.stdout)] == [
        {k: r[k] for k in keep} for r in values(text)
    ]


# ----------------------------------------------------------------------- Slack
def test_slack_export_upload_is_safe(bot):
    stock(bot.inventory())
    r = bot.command("export")
    assert r.status == 200
    bot.fake.wait_for("files.completeUploadExternal")
    (content,) = bot.fake.uploads.values()
    text = content.decode("utf-8")
    assert_safe(text)
    assert text == bot.inventory().csv.export_csv()
    assert {r["number"]: r["label"] for r in values(text)}["+49892001002"] == (
        '=HYPERLINK("http://x")'
    )


# ----------------------------------------------------------------------- a huge field
BIG = "x" * 140_000


def huge_field_csv() -> str:
    return (
        "number,address,label,groups\n"
        "+49 89 2001001,,first,\n"
        f"+49 89 2001002,,{BIG},\n"
        "+49 89 2001003,,third,\n"
        f'+49 89 2001004,,"two\nlines {BIG}",\n'
        "+49 89 2001005,,fifth,\n"
    )


def test_a_field_over_the_csv_limit_is_reported_and_the_other_lines_kept(tmp_path):
    inv = open_inventory(tmp_path / "team-T1.json")
    result = inv.csv.import_csv(MANAGER, huge_field_csv())
    assert [i.e164 for i in result.added] == ["+49892001001", "+49892001003", "+49892001005"]
    assert [line for line, _ in result.errors] == [3, 5]
    assert all("131,072 characters" in why for _, why in result.errors)


def test_cli_import_with_a_huge_field_reports_its_line(tmp_path):
    work, data_dir = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    (work / "big.csv").write_text(huge_field_csv(), encoding="utf-8")
    result = run_cli(work, "import", "big.csv", "--team", "T1", data_dir=data_dir)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert [e.split(": ")[0] for e in errors] == ["big.csv:3", "big.csv:5"]
    assert result.stdout.strip() == (
        "Imported 3 numbers (3 need attention), 0 skipped, 2 lines with errors."
    )
    assert [i.e164 for i in inventory(data_dir, "T1").number_list()] == [
        "+49892001001",
        "+49892001003",
        "+49892001005",
    ]


def test_a_huge_header_is_one_clear_error(tmp_path):
    inv = open_inventory(tmp_path / "team-T1.json")
    from bot.core.errors import DomainError

    with pytest.raises(DomainError, match="header"):
        inv.csv.import_csv(MANAGER, f"number,{BIG}\n+49 89 2001001\n")
    assert inv.number_list() == []
