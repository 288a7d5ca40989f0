"""Two managers name the same new agent at once (``/numbers agent X callerid …``).

The lookup by name decides between "create" and "update": it must happen inside the
write's transaction, or both see no agent called X and both create one. Each thread is
held at the transaction's door until the other arrived there too, so the two calls
overlap every time, on the TinyDB files and on the in-memory repository alike.
"""

from __future__ import annotations

import threading

import pytest

from bot.core.agents import Agents
from bot.core.compliance import Rules
from bot.core.model import Actor
from bot.core.services import Inventory
from storage.database import WorkspaceDatabase
from storage.memory import MemoryRepository
from storage.repository import WorkspaceRepository

MANAGER = Actor("UMANAGER", is_manager=True)
OTHER_MANAGER = Actor("UOTHER", is_manager=True)
FIRST, SECOND = "+49 89 2001001", "+49 89 2001002"


class HeldAtTheDoor:
    """A repository whose first ``transaction()`` in each thread waits for ``parties``."""

    def __init__(self, repo, parties: int) -> None:
        self._repo = repo
        self._barrier = threading.Barrier(parties, timeout=10)
        self._entered = threading.local()

    def transaction(self):
        if not getattr(self._entered, "yes", False):
            self._entered.yes = True
            self._barrier.wait()
        return self._repo.transaction()

    def __getattr__(self, name):
        return getattr(self._repo, name)


@pytest.fixture(params=["tinydb", "memory"])
def repo(request, tmp_path):
    if request.param == "tinydb":
        return WorkspaceRepository(WorkspaceDatabase(tmp_path / "team-T1.json"))
    return MemoryRepository()


def test_two_managers_naming_a_new_agent_at_once_create_one_agent(repo):
    inventory = Inventory(repo, Rules.shipped(), "DE")
    inventory.numbers.add(MANAGER, [FIRST, SECOND])
    racing = Agents(Inventory(HeldAtTheDoor(repo, 2), Rules.shipped(), "DE"))
    results, errors = {}, []

    def set_caller_id(actor: Actor, number: str) -> None:
        try:
            results[actor.user_id] = racing.set_caller_id(actor, "Maria", number)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=set_caller_id, args=(MANAGER, FIRST)),
        threading.Thread(target=set_caller_id, args=(OTHER_MANAGER, SECOND)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    agents = Agents(inventory).all()
    assert [v.agent.name for v in agents] == ["Maria"]
    # one created her, the other changed her caller ID: the last one's number stands
    created = sorted(r.created for r in results.values())
    assert created == [False, True]
    last = next(r for r in results.values() if not r.created)
    assert agents[0].agent.caller_id == last.view.agent.caller_id
    actions = [e.action for e in repo.audit_entries({agents[0].agent.id})]
    assert sorted(actions) == ["agent.callerid", "agent.create"]
