"""The storage port's contract (``bot.core.ports.Repository``), run against every implementation:
the TinyDB repository (files) and the in-memory one the services' unit tests use."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from bot.core.errors import DomainError, DuplicateName
from bot.core.model import Address, Agent, AuditEntry, Campaign, Group, Number
from bot.core.ports import Repository
from storage.database import WorkspaceDatabase
from storage.memory import MemoryRepository
from storage.repository import WorkspaceRepository


@pytest.fixture(params=["tinydb", "memory"])
def repo(request, tmp_path) -> Repository:
    if request.param == "tinydb":
        return WorkspaceRepository(WorkspaceDatabase(tmp_path / "team-T1.json"))
    return MemoryRepository()


def number(e164: str, address_id: str | None = None) -> Number:
    return Number(e164=e164, country="DE", kind="FIXED_LINE", address_id=address_id)


def address(id_: str, name: str) -> Address:
    return Address(id_, name, "ACME", "Street 1", "80331", "Munich", "DE")


def entry(subject: str, action: str = "x.edit") -> AuditEntry:
    return AuditEntry(at="2026-01-01T00:00:00+00:00", who="U1", action=action, subject=subject)


def outbox_entry(entry_id: str, next_attempt: float = 0.0) -> dict:
    return {
        "id": entry_id,
        "channel": "C1",
        "data": {"kind": "test"},
        "created_at": "2026-01-01T00:00:00+00:00",
        "next_attempt": next_attempt,
        "attempts": 0,
        "last_error": None,
        "sent_at": None,
    }


# -- collections --------------------------------------------------------------------
def test_saved_objects_are_found_by_key_and_counted_and_paged_in_key_order(repo):
    with repo.transaction():
        repo.numbers.save_many([number("+4930300"), number("+4930100"), number("+4930200")])
    assert repo.numbers.get("+4930100") == number("+4930100")
    assert repo.numbers.get("+4930999") is None
    assert set(repo.numbers.get_many(["+4930100", "+4930999", "+4930300"])) == {
        "+4930100",
        "+4930300",
    }
    assert repo.numbers.count() == 3
    assert [n.e164 for n in repo.numbers.page(0, 2)] == ["+4930100", "+4930200"]
    assert [n.e164 for n in repo.numbers.page(2, 2)] == ["+4930300"]
    assert repo.numbers.page(3, 2) == []
    assert sorted(n.e164 for n in repo.numbers.all()) == ["+4930100", "+4930200", "+4930300"]


def test_save_replaces_and_delete_removes(repo):
    with repo.transaction():
        repo.numbers.save(number("+4930100"))
    with repo.transaction():
        repo.numbers.save(replace(number("+4930100"), label="front desk"))
    assert repo.numbers.get("+4930100").label == "front desk"
    assert repo.numbers.count() == 1
    with repo.transaction():
        repo.numbers.delete("+4930100")
        repo.numbers.delete("+4930999")  # deleting what is not there is no error
    assert repo.numbers.get("+4930100") is None
    assert repo.numbers.count() == 0


def test_where_finds_by_a_field_or_a_list_member_in_key_order(repo):
    with repo.transaction():
        repo.numbers.save_many(
            [number("+4930200", "a1"), number("+4930100", "a1"), number("+4930300", "a2")]
        )
        repo.groups.save_many(
            [Group("g2", "Two", ["+4930100"]), Group("g1", "One", ["+4930100", "+4930300"])]
        )
        repo.agents.save(Agent("x1", "Ann", slack_user="U1", caller_id="+4930100"))
    assert [n.e164 for n in repo.numbers.where("address_id", "a1")] == ["+4930100", "+4930200"]
    assert repo.numbers.where("address_id", "nope") == []
    assert [g.id for g in repo.groups.where("numbers", "+4930100")] == ["g1", "g2"]
    assert [g.id for g in repo.groups.where("numbers", "+4930300")] == ["g1"]
    assert [a.name for a in repo.agents.where("slack_user", "U1")] == ["Ann"]
    assert [a.name for a in repo.agents.where("caller_id", "+4930100")] == ["Ann"]


def test_named_finds_regardless_of_case_spaces_and_quotes(repo):
    with repo.transaction():
        repo.addresses.save(address("a1", "HQ  Munich"))
    assert repo.addresses.named("hq munich").id == "a1"
    assert repo.addresses.named("“HQ Munich”").id == "a1"
    assert repo.addresses.named("HQ Berlin") is None


@pytest.mark.parametrize("taken", ["Ann", "ann", " ANN ", "“Ann”"])
def test_a_name_is_unique_within_a_collection(repo, taken):
    with repo.transaction():
        repo.agents.save(Agent("x1", "Ann"))
    with pytest.raises(DuplicateName) as raised, repo.transaction():
        repo.agents.save(Agent("x2", taken))
    assert isinstance(raised.value, DomainError)
    assert [a.id for a in repo.agents.all()] == ["x1"]
    # another collection may use it
    with repo.transaction():
        repo.groups.save(Group("g1", "Ann"))


def test_an_object_keeps_or_changes_its_own_name_and_a_freed_name_can_be_taken(repo):
    with repo.transaction():
        repo.groups.save_many([Group("g1", "One"), Group("g2", "Two")])
    with repo.transaction():
        repo.groups.save(Group("g1", "One", ["+4930100"]))  # same name
        repo.groups.save(Group("g1", "ONE"))  # same name, other case
    with pytest.raises(DuplicateName), repo.transaction():
        repo.groups.save(Group("g1", "two"))
    with repo.transaction():
        repo.groups.save(Group("g1", "Uno"))  # renamed: "One" is free again
        repo.groups.save(Group("g3", "One"))
        repo.groups.delete("g2")
        repo.groups.save(Group("g4", "Two"))
    assert {g.name for g in repo.groups.all()} == {"Uno", "One", "Two"}
    assert repo.groups.named("two").id == "g4"


def test_one_save_cannot_give_two_objects_one_name(repo):
    with pytest.raises(DuplicateName), repo.transaction():
        repo.campaigns.save_many([Campaign("c1", "Spring"), Campaign("c2", "spring")])
    assert repo.campaigns.count() == 0


def test_versions_tell_what_changed(repo):
    with repo.transaction():
        repo.numbers.save_many([number("+4930100"), number("+4930200")])
    version = repo.numbers.version
    assert repo.numbers.changed_since(version) == set()
    with repo.transaction():
        repo.numbers.save(replace(number("+4930100"), label="x"))
        repo.numbers.delete("+4930200")
    assert repo.numbers.version != version
    changed = repo.numbers.changed_since(version)
    assert changed is None or changed == {"+4930100", "+4930200"}


def test_generation_moves_with_a_write_and_not_with_a_read(repo):
    before = repo.generation
    repo.numbers.all()
    repo.get_value("k")
    assert repo.generation == before
    with repo.transaction():
        repo.numbers.save(number("+4930100"))
    assert repo.generation != before


# -- transactions -------------------------------------------------------------------
def test_writes_outside_a_transaction_are_refused(repo):
    assert not repo.in_transaction
    with pytest.raises(RuntimeError):
        repo.numbers.save(number("+4930100"))
    with pytest.raises(RuntimeError):
        repo.set_value("k", 1)
    with pytest.raises(RuntimeError):
        repo.append_audit(entry("s"))
    with pytest.raises(RuntimeError):
        repo.outbox_add(outbox_entry("o1"))
    with pytest.raises(RuntimeError):
        repo.set_grant("U1", True)
    assert repo.numbers.count() == 0


@pytest.mark.parametrize("error", [DomainError("no"), ValueError("bug")])
def test_an_exception_rolls_back_every_write_of_the_transaction(repo, error):
    with repo.transaction():
        repo.numbers.save(number("+4930100"))
        repo.set_value("k", 1)
    with pytest.raises(type(error)), repo.transaction():
        assert repo.in_transaction
        repo.numbers.save(replace(number("+4930100"), label="changed"))
        repo.numbers.save(number("+4930200"))
        repo.addresses.save(address("a1", "HQ"))
        repo.append_audit(entry("+4930200"))
        repo.set_value("k", 2)
        repo.set_grant("U1", True)
        repo.outbox_add(outbox_entry("o1"))
        assert repo.numbers.get("+4930200") is not None  # its own writes are seen
        raise error
    assert not repo.in_transaction
    assert repo.numbers.get("+4930100").label == ""
    assert repo.numbers.get("+4930200") is None
    assert repo.addresses.named("HQ") is None
    assert repo.audit_entries() == []
    assert repo.get_value("k") == 1
    assert repo.grants() == set()
    assert repo.outbox_get("o1") is None
    with repo.transaction():  # the name is free again
        repo.addresses.save(address("a2", "HQ"))


def test_transactions_nest_and_commit_or_roll_back_with_the_outermost(repo):
    with repo.transaction():
        with repo.transaction():
            repo.numbers.save(number("+4930100"))
        assert repo.in_transaction
        try:
            with repo.transaction():
                repo.numbers.save(number("+4930200"))
                raise DomainError("inner")
        except DomainError:
            pass  # caught inside the outer block: the outer one goes on
    assert repo.numbers.count() == 2
    with pytest.raises(ValueError), repo.transaction():
        with repo.transaction():
            repo.numbers.save(number("+4930300"))
        raise ValueError
    assert repo.numbers.get("+4930300") is None


def test_a_transaction_isolates_a_read_decide_write_from_other_threads(repo):
    with repo.transaction():
        repo.set_value("counter", 0)

    def increment() -> None:
        for _ in range(20):
            with repo.transaction():
                value = repo.get_value("counter")
                time.sleep(0.0005)
                repo.set_value("counter", value + 1)

    threads = [threading.Thread(target=increment) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert repo.get_value("counter") == 80


def test_another_thread_is_not_in_this_threads_transaction(repo):
    seen = []
    with repo.transaction():
        t = threading.Thread(target=lambda: seen.append(repo.in_transaction))
        t.start()
        t.join()
    assert seen == [False]


# -- audit, grants, values ----------------------------------------------------------
def test_the_audit_log_is_read_newest_first_by_subject_and_by_page(repo):
    with repo.transaction():
        for i in range(5):
            repo.append_audit(entry(f"s{i % 2}", f"a.{i}"))
        # this transaction's own entries are seen before it commits
        assert [e.action for e in repo.audit_entries({"s1"})] == ["a.3", "a.1"]
    assert [e.action for e in repo.audit_entries()] == ["a.4", "a.3", "a.2", "a.1", "a.0"]
    assert [e.action for e in repo.audit_entries({"s0"})] == ["a.4", "a.2", "a.0"]
    page, more = repo.audit_page(None, 0, 2)
    assert [e.action for e in page] == ["a.4", "a.3"] and more
    page, more = repo.audit_page({"s0"}, 1, 2)
    assert [e.action for e in page] == ["a.2", "a.0"] and not more
    page, more = repo.audit_page({"nobody"}, 0, 2)
    assert page == [] and not more
    with repo.transaction():
        repo.append_audit(
            AuditEntry("2026-01-02", "U1", "x.y", "s9", before={"a": 1}, after={"a": [1, 2]})
        )
    (latest,) = repo.audit_entries({"s9"})
    assert latest.before == {"a": 1} and latest.after == {"a": [1, 2]}


def test_grants_and_values_round_trip(repo):
    assert repo.grants() == set()
    assert repo.get_value("missing") is None
    assert repo.get_value("missing", 7) == 7
    with repo.transaction():
        repo.set_grant("U1", True)
        repo.set_grant("U2", True)
        repo.set_grant("U2", True)
        repo.set_value("digest", "2026-01-01")
        repo.set_value("usage", {"day": "2026-01-01", "counts": {"+4930100": 2}})
    with repo.transaction():
        repo.set_grant("U1", False)
        repo.set_grant("U3", False)
        repo.set_value("digest", "2026-01-02")
    assert repo.grants() == {"U2"}
    assert repo.get_value("digest") == "2026-01-02"
    assert repo.get_value("usage") == {"day": "2026-01-01", "counts": {"+4930100": 2}}


# -- outbox -------------------------------------------------------------------------
def test_the_outbox_hands_out_due_unsent_entries_oldest_first(repo):
    with repo.transaction():
        repo.outbox_add(outbox_entry("o1", 10.0))
        repo.outbox_add(outbox_entry("o2", 5.0))
        repo.outbox_add(outbox_entry("o3", 50.0))
    assert repo.outbox_get("o2")["channel"] == "C1"
    assert repo.outbox_get("nope") is None
    assert [e["id"] for e in repo.outbox_pending(20.0)] == ["o1", "o2"]
    with repo.transaction():
        repo.outbox_defer("o1", 30.0, error="timeout", holder={"pid": 1})
        repo.outbox_defer("o2", 1.0, holder={"pid": 2})
        repo.outbox_defer("nope", 1.0)  # gone: nothing to do
    o1, o2 = repo.outbox_get("o1"), repo.outbox_get("o2")
    assert (o1["attempts"], o1["last_error"], o1["next_attempt"]) == (1, "timeout", 30.0)
    assert o1["holder"] == {"pid": 1}
    assert (o2["attempts"], o2["holder"]) == (0, {"pid": 2})
    assert [e["id"] for e in repo.outbox_pending(20.0)] == ["o2"]
    with repo.transaction():
        repo.outbox_mark_sent("o2", "2026-01-01T00:00:00+00:00")
        repo.outbox_mark_sent("o3", "2026-03-01T00:00:00+00:00")
    assert repo.outbox_pending(float("inf")) == [repo.outbox_get("o1")]
    with repo.transaction():
        repo.outbox_prune("2026-02-01T00:00:00+00:00")
    assert repo.outbox_get("o2") is None  # sent before the cutoff
    assert repo.outbox_get("o3") is not None  # sent after it
    assert repo.outbox_get("o1") is not None  # never sent: kept


def test_an_outbox_entry_handed_out_is_a_copy(repo):
    with repo.transaction():
        repo.outbox_add(outbox_entry("o1"))
    repo.outbox_get("o1")["channel"] = "changed"
    repo.outbox_pending(1.0)[0]["channel"] = "changed"
    assert repo.outbox_get("o1")["channel"] == "C1"
