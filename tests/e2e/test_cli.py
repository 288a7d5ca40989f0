"""`numbers-bot` on the command line: import, export, report, and starting without Slack.

Each command runs as a real subprocess with a clean environment in a directory without
a .env file, against a data dir in tmp.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core.compliance import Rules
from bot.core.model import Actor
from bot.core.services import Inventory
from storage.database import Databases
from storage.repository import WorkspaceRepository

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "numbers-bot"
MANAGER = Actor("UMANAGER", is_manager=True)


def run_cli(cwd: Path, *args: str, data_dir: Path | None = None, script: bool = False, **env):
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    if data_dir is not None:
        clean["NUMBERS_DATA_DIR"] = str(data_dir)
    clean["NUMBERS_DEFAULT_REGION"] = "DE"
    clean.update(env)
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "bot"]
    return subprocess.run(
        [*command, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )


def inventory(data_dir: Path, team: str = "T1") -> Inventory:
    repo = WorkspaceRepository(Databases(data_dir).for_team(team))
    return Inventory(repo, Rules.shipped(), "DE")


def add_address(inv: Inventory, name: str, city: str, country: str = "DE") -> None:
    inv.addresses.create(
        MANAGER,
        {
            "name": name,
            "customer_name": "Example GmbH",
            "street": "Hauptstraße 1",
            "postal_code": "10115",
            "city": city,
            "country": country,
            "confirmed": True,
        },
    )


@pytest.fixture
def cwd(tmp_path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    assert not (work / ".env").exists()
    return work


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def test_import_reports_bad_lines_by_number_and_keeps_the_good_ones(cwd, data_dir):
    add_address(inventory(data_dir), "Munich office", "München")
    (cwd / "numbers.csv").write_text(
        "number,address,label,groups\n"
        "+49 89 2001001,Munich office,Front desk,Bavaria\n"
        "+49 123,,,\n"
        "089 2001002,,Back office,Bavaria;Spare\n"
        "+49 89 2001003,No such office,,\n"
        "+49 89 2001001,,,\n",
        encoding="utf-8",
    )
    result = run_cli(cwd, "import", "numbers.csv", data_dir=data_dir)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert errors[0].startswith("numbers.csv:3: ")
    assert "+49 123" in errors[0] or "short" in errors[0]
    assert errors[1].startswith("numbers.csv:5: ") and "No such office" in errors[1]
    assert errors[2].startswith("numbers.csv:6: skipped: ")
    assert len(errors) == 3
    assert result.stdout.strip() == (
        "Imported 2 numbers (1 need attention), 1 skipped, 2 lines with errors."
    )

    inv = inventory(data_dir)
    assert [i.e164 for i in inv.number_list()] == ["+49892001001", "+49892001002"]
    assert inv.info("+49892001001").verdict.ok
    assert inv.info("+49892001002").number.label == "Back office"
    assert inv.group("Bavaria").numbers == ["+49892001001", "+49892001002"]
    assert inv.group("Spare").numbers == ["+49892001002"]
    assert {e.who for e in inv.audit()} >= {"UMANAGER"}
    assert any(e.who.startswith("cli:") and e.action == "number.add" for e in inv.audit())


def test_a_clean_import_exits_zero_and_an_unreadable_file_creates_nothing(cwd, data_dir):
    (cwd / "ok.csv").write_text("\ufeffNumber\n+49 89 2001001\n", encoding="utf-8")
    result = run_cli(cwd, "import", "ok.csv", "--team", "t1", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert [i.e164 for i in inventory(data_dir).number_list()] == ["+49892001001"]

    (cwd / "latin1.csv").write_bytes("number,label\n+49 89 2001002,Büro\n".encode("latin-1"))
    for name in ("missing.csv", "latin1.csv"):
        result = run_cli(cwd, "import", name, "--team", "T2", data_dir=data_dir)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("numbers-bot: ") and name in result.stderr
    assert sorted(p.name for p in data_dir.glob("team-*.json")) == ["team-T1.json"]


def test_import_of_10000_lines(cwd, data_dir):
    rng = random.Random(2)
    numbers = rng.sample(range(2_000_000, 9_999_999), 10_000)
    lines = ["number,address,label,groups"]
    lines += [f"+49 89 {n},,Line {i},Group {i % 7}" for i, n in enumerate(numbers)]
    (cwd / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    started = time.monotonic()
    result = run_cli(cwd, "import", "big.csv", "--team", "T1", data_dir=data_dir)
    elapsed = time.monotonic() - started
    print(f"numbers-bot import of 10,000 lines: {elapsed:.1f} s (including start-up)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 10000 numbers")

    exported = run_cli(cwd, "export", data_dir=data_dir)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 10_000
    assert {r["number"] for r in rows} == {f"'+4989{n}" for n in numbers}  # text, not a formula


def test_export_writes_the_same_csv_to_a_file_or_standard_output(cwd, data_dir):
    inv = inventory(data_dir)
    add_address(inv, "Munich office", "München")
    inv.numbers.add(MANAGER, ["+49 89 2001001", "+49 30 1234567"], label="Sales")
    inv.addresses.link(MANAGER, ["+49 89 2001001"], "Munich office")
    inv.groups.save(MANAGER, "Bavaria", ["+49 89 2001001"])

    to_file = run_cli(cwd, "export", "out.csv", data_dir=data_dir)
    assert to_file.returncode == 0, to_file.stderr
    assert to_file.stdout.strip() == "Wrote 2 numbers to out.csv."
    to_stdout = run_cli(cwd, "export", data_dir=data_dir)
    assert to_stdout.returncode == 0
    written = (cwd / "out.csv").read_bytes().decode("utf-8")
    assert written == inv.csv.export_csv()
    rows = list(csv.DictReader(io.StringIO(to_stdout.stdout)))
    assert rows == list(csv.DictReader(io.StringIO(written)))
    first = rows[0]
    assert (first["number"], first["address"], first["verdict"], first["groups"]) == (
        "'+49301234567",
        "",
        "missing",
        "",
    )
    assert (rows[1]["address"], rows[1]["verdict"], rows[1]["groups"]) == (
        "Munich office",
        "ok",
        "Bavaria",
    )


def test_report_prints_the_numbers_needing_attention_by_verdict(cwd, data_dir):
    inv = inventory(data_dir)
    add_address(inv, "Munich office", "München")
    add_address(inv, "Berlin office", "Berlin")
    add_address(inv, "Vienna office", "Wien", country="AT")
    inv.numbers.add(
        MANAGER, ["+49 89 2001001", "+49 89 2001002", "+49 89 2001003", "+49 89 2001004"]
    )
    inv.addresses.link(MANAGER, ["+49 89 2001001"], "Munich office")
    inv.addresses.link(MANAGER, ["+49 89 2001002"], "Berlin office")
    inv.addresses.link(MANAGER, ["+49 89 2001003"], "Vienna office")

    result = run_cli(cwd, "report", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("4 numbers, 3 need attention.")
    sections = dict(re.findall(r"^(\S[^\n]*) \((\d+)\):$", out, flags=re.M))
    assert sections == {"Missing address": "1", "Wrong country": "1", "Outside area": "1"}
    assert "+49 89 2001001" not in out
    for heading, number in [
        ("Missing address", "+49 89 2001004"),
        ("Wrong country", "+49 89 2001003"),
        ("Outside area", "+49 89 2001002"),
    ]:
        block = out.split(f"{heading} (1):\n", 1)[1].split("\n\n", 1)[0]
        assert block.startswith(f"  {number}  ")
    assert "Berlin" in out.split("Outside area (1):\n", 1)[1]


def test_team_is_needed_when_several_workspaces_have_data(cwd, data_dir):
    inventory(data_dir, "T1").numbers.add(MANAGER, ["+49 89 2001001"])
    inventory(data_dir, "T2").numbers.add(MANAGER, ["+49 89 2001002", "+49 89 2001003"])

    for command in (["report"], ["export"]):
        result = run_cli(cwd, *command, data_dir=data_dir)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "numbers-bot: Several workspaces have data (T1, T2): choose one with --team."
        )
    one = run_cli(cwd, "report", "--team", "t2", data_dir=data_dir)
    assert one.stdout.startswith("2 numbers, 2 need attention.")
    other = run_cli(cwd, "export", "--team", "T1", data_dir=data_dir)
    assert "+49892001001" in other.stdout and "+49892001002" not in other.stdout

    bad = run_cli(cwd, "report", "--team", "../T1", data_dir=data_dir)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "numbers-bot: Unknown workspace id '../T1'."


def test_report_without_any_data_says_so(cwd, data_dir):
    result = run_cli(cwd, "report", data_dir=data_dir)
    assert result.returncode == 2
    assert result.stderr.strip() == f"numbers-bot: No workspace has data in {data_dir}."


@pytest.mark.parametrize("script", [True, False], ids=["numbers-bot", "python -m bot"])
def test_without_a_slack_token_it_exits_with_one_line_naming_the_variable(cwd, script):
    if script and not SCRIPT.exists():
        pytest.skip("the console script is not installed in this environment")
    result = run_cli(cwd, script=script)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    section = re.search(r"README\.md, section “([^”]+)”", lines[0])
    assert section, lines[0]
    headings = re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), flags=re.M)
    assert section.group(1) in headings


@pytest.mark.parametrize(
    "token, expected",
    [
        ("xoxb-test", None),
        ("xoxb-wrong", "Slack refused SLACK_BOT_TOKEN (invalid_auth)"),
    ],
)
def test_a_bad_token_stops_start_up_with_one_line(cwd, token, expected):
    from tests.fakeslack import FakeSlack

    with FakeSlack() as fake:
        env = dict(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET="s", SLACK_API_URL=fake.url)
        if expected is None:
            # The good token passes auth.test; the bot would then serve, so stop there:
            # a PORT that is taken makes it exit after the token check.
            import socket

            with socket.socket() as taken:
                taken.bind(("127.0.0.1", 0))
                taken.listen()
                env["PORT"] = str(taken.getsockname()[1])
                result = run_cli(cwd, data_dir=cwd / "data", **env)
            assert fake.calls_to("auth.test")
            assert result.returncode == 2
            assert result.stderr.splitlines()[-1].startswith(f"numbers-bot: PORT {env['PORT']}")
            return
        result = run_cli(cwd, data_dir=cwd / "data", **env)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[-1].startswith(f"numbers-bot: {expected}"), result.stderr
