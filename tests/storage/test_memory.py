"""Memory: what the bot keeps loaded (issue 7: peak RSS at 50,000 numbers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.errors import DomainError
from bot.core.phone import number_key, parse_number

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "text",
    [
        "+49 89 1234567",
        "089 1234567",
        "+1 415 555 0100",
        "+44 20 7946 0000",
        "+358 9 1234567",
        "+49 151 23456789",
        "tel:+33 1 23 45 67 89",
        "０８９ １２３４５６７",
    ],
)
def test_number_key_is_the_parsed_e164(text: str) -> None:
    assert number_key(text, "DE") == parse_number(text, "DE").e164


@pytest.mark.parametrize(
    "text",
    ["", "hello", "+999 123", "089 12", "+49 89 1234567 ext. 12", "1" * 70, "+800 1234 5678"],
)
def test_number_key_refuses_what_parse_refuses_with_the_same_reason(text: str) -> None:
    with pytest.raises(DomainError) as parsed:
        parse_number(text, "DE")
    with pytest.raises(DomainError) as keyed:
        number_key(text, "DE")
    assert keyed.value.message == parsed.value.message


def test_geocoder_data_is_loaded_only_to_add_a_number(tmp_path: Path) -> None:
    script = f"""
import sys
import bot.app, bot.server, bot.cli, handlers  # what the server imports
from bot.bootstrap import Workspaces
from bot.config import load_settings
from bot.core.model import Actor
settings = load_settings({{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                          "NUMBERS_DATA_DIR": {str(tmp_path)!r}}}, dotenv=False)
inventory = Workspaces(settings).inventory("T1")
loaded = lambda: "phonenumbers.geodata" in sys.modules
assert not loaded(), "at start"
inventory.number_list()
try:
    inventory.info("+49 89 1234567")
except Exception:
    pass
inventory.audit("+49 89 1234567")
assert not loaded(), "after reads"
inventory.numbers.add(Actor("UM", True), ["+49 89 1234567"])
assert loaded(), "adding a number needs the area"
assert inventory.info("+49 89 1234567").number.area == "Munich"
print("ok")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_audit_entries_of_subjects_are_those_of_the_whole_log_newest_first(tmp_path: Path) -> None:
    from bot.core.model import AuditEntry
    from storage.database import WorkspaceDatabase
    from storage.repository import WorkspaceRepository

    repo = WorkspaceRepository(WorkspaceDatabase(tmp_path / "team-T1.json"))

    def entry(i: int) -> AuditEntry:
        return AuditEntry(
            at=f"2026-01-01T00:00:{i:02d}+00:00", who="U1", action="x", subject="abc"[i % 3]
        )

    with repo.transaction():
        for i in range(9):
            repo.append_audit(entry(i))
    with repo.transaction():
        repo.append_audit(entry(9))  # not yet written: seen inside its own transaction
        inside = repo.audit_entries({"a", "c"})
        assert inside == [e for e in repo.audit_entries() if e.subject in {"a", "c"}]
        assert [e.at[-8:-6] for e in inside] == ["09", "08", "06", "05", "03", "02", "00"]
    reopened = WorkspaceRepository(WorkspaceDatabase(tmp_path / "team-T1.json"))
    assert reopened.audit_entries({"a", "c"}) == inside
    assert [e.subject for e in reopened.audit_entries({"b"})] == ["b", "b", "b"]
    assert reopened.audit_entries({"zzz"}) == []
