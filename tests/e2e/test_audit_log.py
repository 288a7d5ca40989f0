"""End to end: the audit log reads as sentences a team lead understands, is paged with
Previous/Next buttons from the newest entry without reading the whole log, and an
address's log includes the numbers linked to it (issue 12 item 14, issue 11 item 7)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from bot.core.model import Actor, AuditEntry
from bot.core.requests import Requests
from storage import database
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import address_fields, texts

BOSS = Actor(MANAGER, True)


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def buttons(payload: dict) -> dict[str, dict]:
    return {
        e["action_id"]: e
        for b in payload.get("blocks", [])
        if b.get("type") == "actions"
        for e in b["elements"]
    }


def test_entries_are_sentences_with_mentions_and_singular_counts(bot):
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("HQ Munich", "München", "80331"))
    assert bot.command("add +49 89 1234567").status == 200  # typed in Slack
    assert bot.command('link +49 89 1234567 to "HQ Munich"').status == 200
    service = Requests(inventory)
    hq = inventory.address("HQ Munich")
    fields = {"country": "DE", "kind": "local", "area": "89", "quantity": "2"}
    request = service.create_purchase(
        Actor(READER, False), {**fields, "address": hq.id, "reason": "team"}
    )
    service.reject(BOSS, request.id, "No budget <!channel>")

    shown = texts(bot.command("audit").json)
    for developer_words in ("request.reject", "number.add", "source:", "address_id", "1 entries"):
        assert developer_words not in shown, developer_words
    assert "<@UMANAGER> added *+49 89 1234567* (typed in Slack)" in shown
    assert "<@UMANAGER> linked *+49 89 1234567* to *HQ Munich*" in shown
    assert "<@UREADER> asked to buy 2 local numbers in Germany (Munich) (request *R1*)" in shown
    assert "<@UMANAGER> rejected request *R1*: _No budget &lt;!channel&gt;_" in shown
    assert "<@UMANAGER> created the address *HQ Munich* (München, DE)" in shown
    assert "5 entries, newest first" in shown

    shown = texts(bot.command(f"audit {request.id}").json)
    assert "2 entries" in shown
    one = texts(bot.command("audit +49 89 1234567").json)
    assert "2 entries" in one
    inventory.numbers.add(BOSS, ["+49 30 1234567"], source="slack")
    assert "1 entry, newest first" in texts(bot.command("audit +49 30 1234567").json)


def test_address_log_includes_the_numbers_linked_to_it(bot):
    inventory = bot.inventory()
    inventory.addresses.create(BOSS, address_fields("Munich office", "München", "80331"))
    inventory.numbers.add(BOSS, ["+49 89 1234567", "+49 89 7654321", "+49 30 1234567"])
    inventory.addresses.link(BOSS, ["+49 89 1234567", "+49 89 7654321"], "Munich office")
    shown = texts(bot.command('audit "Munich office"').json)
    assert "created the address *Munich office*" in shown
    assert "linked *+49 89 1234567* to *Munich office*" in shown
    assert "added *+49 89 7654321*" in shown  # the numbers' own history too
    assert "+49 30 1234567" not in shown  # not linked to it


def test_next_and_previous_buttons_page_the_log(bot):
    inventory = bot.inventory()
    inventory.numbers.add(BOSS, [f"+49 89 {1000000 + i}" for i in range(25)])
    first = bot.command("audit").json
    shown = texts(first)
    assert "page=" not in shown
    assert "Entries 1–20, newest first" in shown and "+49 89 1000024" in shown
    assert set(buttons(first)) == {"audit_older"}
    bot.sender.block_action("audit_older", buttons(first)["audit_older"]["value"], message=first)
    second = bot.fake.wait_for("response_url")[-1].body
    assert second["replace_original"] is True
    shown = texts(second)
    assert "Entries 21–25 of 25" in shown and "+49 89 1000000" in shown
    assert "+49 89 1000024" not in shown
    assert set(buttons(second)) == {"audit_newer"}
    bot.sender.block_action("audit_newer", buttons(second)["audit_newer"]["value"], message=second)
    back = bot.fake.wait_for("response_url", 2)[-1].body
    assert "Entries 1–20" in texts(back)


def test_pages_are_read_from_the_newest_end_in_blocks(tmp_path, monkeypatch):
    """Storage: pages of any size, across block boundaries, journal entries first, equal
    the whole log read forwards."""
    from storage.database import WorkspaceDatabase
    from storage.repository import WorkspaceRepository

    monkeypatch.setattr(database, "_AUDIT_BACK_CHUNK", 97)  # lines straddle blocks
    db = WorkspaceDatabase(tmp_path / "team-T1.json")
    repo = WorkspaceRepository(db)
    for batch in range(3):
        with repo.transaction():
            for i in range(7):
                n = batch * 7 + i
                repo.append_audit(AuditEntry(f"2026-01-01T00:{n:02d}", "U1", "x", "abc"[n % 3]))
    db.compact()
    with repo.transaction():
        repo.append_audit(AuditEntry("2026-01-01T01:00", "U1", "x", "a"))  # in the journal
    whole = repo.audit_entries()
    for size in (1, 4, 22, 30):
        pages, skip, more = [], 0, True
        while more:
            page, more = repo.audit_page(None, skip, size)
            pages += page
            skip += size
        assert pages == whole, size
    only_a = [e for e in whole if e.subject == "a"]
    assert repo.audit_page({"a"}, 2, 3) == (only_a[2:5], True)
    assert repo.audit_page({"zzz"}, 0, 3) == ([], False)


def test_audit_of_50000_entries_reads_little(bot):
    repo = bot.inventory().repo
    for batch in range(10):
        with repo.transaction():
            for i in range(5000):
                n = batch * 5000 + i
                e164 = f"+4989{1000000 + n}"
                repo.append_audit(
                    AuditEntry(
                        "2026-01-01T00:00:00+00:00",
                        MANAGER,
                        "number.add",
                        e164,
                        after={"e164": e164, "source": "import", "label": "x" * 40},
                    )
                )
        repo.database.compact()
    bot.command("audit")  # warm up (imports, caches)
    tracemalloc.start()
    started = time.monotonic()
    r = bot.command("audit")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shown = texts(r.json)
    assert "+49 89 1049999" in shown and "Entries 1–20" in shown
    assert peak < 8_000_000, f"{peak / 1e6:.1f} MB"
    assert elapsed < 1.0, elapsed
    r = bot.command("audit +49 89 1049990", user=READER)
    assert "1 entry" in texts(r.json)
