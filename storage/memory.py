"""An in-memory repository: the storage port (``bot.core.ports.Repository``) without files.

For fast tests of the services: the same semantics as the TinyDB repository (pinned by
``tests/storage/test_contract.py``): writes only inside a transaction, transactions nest
and roll back on an exception, names unique per collection, outbox and audit in the
transaction. Nothing outlives the process.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

from bot.core.errors import DuplicateName
from bot.core.model import Address, Agent, AuditEntry, Campaign, Group, Number, Request
from bot.core.text import casefold

T = TypeVar("T")
_VERSIONS = itertools.count(1)


class MemoryCollection(Generic[T]):
    """One kind of domain object in a dict, keyed by one of its fields."""

    def __init__(self, repo: MemoryRepository, key: str, named: bool = False) -> None:
        self._repo = repo
        self.key = key
        self._named = named
        self._objects: dict[str, T] = {}
        self._version = next(_VERSIONS)
        self._log: list[tuple[int, str]] = []
        self._log_start = self._version

    # -- reading -----------------------------------------------------------------
    def get(self, key: str) -> T | None:
        with self._repo.reading():
            return self._objects.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        with self._repo.reading():
            return {k: self._objects[k] for k in keys if k in self._objects}

    def named(self, name: str) -> T | None:
        if not self._named:
            raise TypeError("this collection has no names")
        wanted = casefold(name)
        with self._repo.reading():
            for key in sorted(self._objects):
                if casefold(self._objects[key].name) == wanted:  # type: ignore[attr-defined]
                    return self._objects[key]
        return None

    def where(self, field: str, value: Any) -> list[T]:
        with self._repo.reading():
            found = []
            for key in sorted(self._objects):
                held = getattr(self._objects[key], field)
                if held == value or (isinstance(held, list | tuple) and value in held):
                    found.append(self._objects[key])
            return found

    def count(self) -> int:
        with self._repo.reading():
            return len(self._objects)

    def page(self, offset: int, limit: int) -> list[T]:
        offset, limit = max(offset, 0), max(limit, 0)
        with self._repo.reading():
            return [self._objects[k] for k in sorted(self._objects)[offset : offset + limit]]

    def all(self) -> list[T]:
        with self._repo.reading():
            return list(self._objects.values())

    @property
    def version(self) -> int:
        return self._version

    def changed_since(self, version: int) -> set[str] | None:
        with self._repo.reading():
            if version < self._log_start:
                return None
            return {key for v, key in self._log if v > version}

    # -- writing -----------------------------------------------------------------
    def _logged(self, keys: Iterable[str]) -> None:
        self._repo._wrote()
        self._version = next(_VERSIONS)
        self._log.extend((self._version, key) for key in keys)

    def _check_names(self, items: list[T]) -> None:
        taken: dict[str, str] = {}
        for key, obj in self._objects.items():
            taken.setdefault(casefold(obj.name), key)  # type: ignore[attr-defined]
        claimed: dict[str, str] = {}
        for item in items:
            key, folded = getattr(item, self.key), casefold(item.name)  # type: ignore[attr-defined]
            holder = claimed.get(folded, taken.get(folded))
            stored = self._objects.get(key)
            kept = stored is not None and casefold(stored.name) == folded  # type: ignore[attr-defined]
            if holder is not None and holder != key and not kept:
                raise DuplicateName(item.name)  # type: ignore[attr-defined]
            claimed[folded] = key

    def save_many(self, items: Iterable[T]) -> None:
        self._repo.require_transaction()
        items = list(items)
        if self._named:
            self._check_names(items)
        self._logged(getattr(item, self.key) for item in items)
        for item in items:
            self._objects[getattr(item, self.key)] = item

    def save(self, item: T) -> None:
        self.save_many([item])

    def delete(self, key: str) -> None:
        self._repo.require_transaction()
        self._logged([key])
        self._objects.pop(key, None)

    # -- transactions ------------------------------------------------------------
    def _snapshot(self) -> dict[str, T]:
        return dict(self._objects)

    def _restore(self, objects: dict[str, T]) -> None:
        self._objects = objects
        self._version = next(_VERSIONS)
        self._log, self._log_start = [], self._version


class MemoryRepository:
    """All of one workspace's data, in memory; its own unit of work."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._generation = 0
        self.numbers: MemoryCollection[Number] = MemoryCollection(self, "e164")
        self.addresses: MemoryCollection[Address] = MemoryCollection(self, "id", named=True)
        self.groups: MemoryCollection[Group] = MemoryCollection(self, "id", named=True)
        self.campaigns: MemoryCollection[Campaign] = MemoryCollection(self, "id", named=True)
        self.agents: MemoryCollection[Agent] = MemoryCollection(self, "id", named=True)
        self.requests: MemoryCollection[Request] = MemoryCollection(self, "id")
        self._collections = (
            self.numbers,
            self.addresses,
            self.groups,
            self.campaigns,
            self.agents,
            self.requests,
        )
        self._audit: list[AuditEntry] = []
        self._grants: set[str] = set()
        self._values: dict[str, Any] = {}
        self._outbox: list[dict] = []

    # -- unit of work --------------------------------------------------------------
    @property
    def generation(self) -> int:
        return self._generation

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0 and self._lock._is_owned()  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._lock:
            yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            saved = (
                [c._snapshot() for c in self._collections],
                len(self._audit),
                set(self._grants),
                copy.deepcopy(self._values),
                copy.deepcopy(self._outbox),
            )
            generation = self._generation
            self._depth = 1
            try:
                yield
            except BaseException:
                objects, audit_length, grants, values, outbox = saved
                for collection, kept in zip(self._collections, objects, strict=True):
                    collection._restore(kept)
                del self._audit[audit_length:]
                self._grants, self._values, self._outbox = grants, values, outbox
                if self._generation != generation:
                    self._generation += 1
                raise
            finally:
                self._depth = 0

    def require_transaction(self) -> None:
        if not self.in_transaction:
            raise RuntimeError("writes must happen inside repo.transaction()")

    def _wrote(self) -> None:
        self._generation += 1

    # -- audit log -------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        self.require_transaction()
        self._audit.append(copy.deepcopy(entry))

    def audit_entries(self, subjects: set[str] | None = None) -> list[AuditEntry]:
        with self._lock:
            return [
                copy.deepcopy(e)
                for e in reversed(self._audit)
                if subjects is None or e.subject in subjects
            ]

    def audit_page(
        self, subjects: set[str] | None, skip: int, limit: int
    ) -> tuple[list[AuditEntry], bool]:
        entries = self.audit_entries(subjects)
        return entries[skip : skip + limit], len(entries) > skip + limit

    # -- manager grants ----------------------------------------------------------------
    def grants(self) -> set[str]:
        with self._lock:
            return set(self._grants)

    def set_grant(self, user_id: str, granted: bool) -> None:
        self.require_transaction()
        self._wrote()
        if granted:
            self._grants.add(user_id)
        else:
            self._grants.discard(user_id)

    # -- key/value settings ------------------------------------------------------------
    def get_value(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return copy.deepcopy(self._values[key]) if key in self._values else default

    def set_value(self, key: str, value: Any) -> None:
        self.require_transaction()
        self._wrote()
        self._values[key] = copy.deepcopy(value)

    # -- outbox ------------------------------------------------------------------------
    def outbox_add(self, entry: dict) -> None:
        self.require_transaction()
        self._wrote()
        self._outbox.append(copy.deepcopy(entry))

    def _entry(self, entry_id: str) -> dict | None:
        return next((e for e in self._outbox if e.get("id") == entry_id), None)

    def outbox_get(self, entry_id: str) -> dict | None:
        with self._lock:
            entry = self._entry(entry_id)
            return copy.deepcopy(entry) if entry is not None else None

    def outbox_pending(self, now: float) -> list[dict]:
        with self._lock:
            return [
                copy.deepcopy(e)
                for e in self._outbox
                if "sent_at" in e
                and e["sent_at"] is None
                and e.get("next_attempt") is not None
                and e["next_attempt"] <= now
            ]

    def outbox_defer(
        self,
        entry_id: str,
        next_attempt: float,
        error: str | None = None,
        holder: dict | None = None,
    ) -> None:
        self.require_transaction()
        entry = self._entry(entry_id)
        if entry is None:
            return
        self._wrote()
        entry.update(next_attempt=next_attempt, holder=copy.deepcopy(holder))
        if error is not None:
            entry.update(attempts=entry.get("attempts", 0) + 1, last_error=error[:500])

    def outbox_mark_sent(self, entry_id: str, sent_at: str) -> None:
        self.require_transaction()
        entry = self._entry(entry_id)
        if entry is not None:
            self._wrote()
            entry["sent_at"] = sent_at

    def outbox_prune(self, sent_before: str) -> None:
        self.require_transaction()
        self._wrote()
        self._outbox = [
            e for e in self._outbox if e.get("sent_at") is None or not e["sent_at"] < sent_before
        ]
