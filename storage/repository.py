"""Repositories: the domain's objects in and out of a workspace's TinyDB.

Objects handed out are shared with a per-process cache: treat them as read-only
and save a changed copy (``dataclasses.replace``). The cache is rebuilt when the
database is reloaded (another process's commit, or a rolled-back transaction).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from tinydb import Query, TinyDB

from bot.core.errors import DuplicateName
from bot.core.model import Address, Agent, AuditEntry, Campaign, Group, Number, Request
from bot.core.text import casefold
from storage.database import WorkspaceDatabase

T = TypeVar("T")
_VERSIONS = itertools.count(1)  # versions unique across collections and reloads
MAX_CHANGE_LOG = 20_000


class Collection(Generic[T]):
    """One table of domain objects, keyed by one of their fields (``bot.core.ports.Collection``).

    Every object is held in memory (the whole table is read at a reload): lookups by a
    field or a page are scans of that copy.
    """

    def __init__(
        self,
        repo: WorkspaceRepository,
        table: str,
        key: str,
        from_doc: Callable[[dict], T],
        to_doc: Callable[[T], dict] = dataclasses.asdict,
        named: bool = False,
    ) -> None:
        self._repo = repo
        self.table = table
        self.key = key
        self._from_doc = from_doc
        self._to_doc = to_doc
        self._epoch = -1
        self._objects: dict[str, T] = {}
        self._doc_ids: dict[str, int] = {}
        # casefold(name) -> key, for named kinds: unique names (data written before this
        # check may hold a duplicate: it loads, and keeps its name when saved).
        self._named = named
        self._names: dict[str, str] = {}
        self._version = 0
        # (version, key) of each save and delete since the last reload: lets derived data
        # be updated by what changed instead of rebuilt (see changed_since).
        self._log: list[tuple[int, str]] = []
        self._log_start = 0

    def _load(self) -> None:
        database = self._repo.database
        if self._epoch == database.epoch:
            return
        objects: dict[str, T] = {}
        doc_ids: dict[str, int] = {}
        for doc in database.db.table(self.table).all():
            key = doc[self.key]
            objects[key] = self._from_doc(doc)
            doc_ids[key] = doc.doc_id
        self._objects, self._doc_ids, self._epoch = objects, doc_ids, database.epoch
        if self._named:
            self._names = {}
            for key, obj in objects.items():
                self._names.setdefault(casefold(obj.name), key)  # type: ignore[attr-defined]
        self._version = next(_VERSIONS)
        self._log, self._log_start = [], self._version

    @property
    def version(self) -> int:
        """Changes whenever an object of this collection may have changed (a save, a
        delete, a reload): derived data built from an equal version is still right."""
        with self._repo.database.reading():
            self._load()
            return self._version

    def changed_since(self, version: int) -> set[str] | None:
        """Keys saved or deleted after ``version``; None when that is not known (the
        collection was reloaded since, or too much changed): rebuild from ``all()``."""
        with self._repo.database.reading():
            self._load()
            if version < self._log_start:
                return None
            return {key for v, key in self._log if v > version}

    def _logged(self, keys: Iterable[str]) -> None:
        self._version = next(_VERSIONS)
        self._log.extend((self._version, key) for key in keys)
        if len(self._log) > MAX_CHANGE_LOG:
            self._log, self._log_start = [], self._version

    def get(self, key: str) -> T | None:
        with self._repo.database.reading():
            self._load()
            return self._objects.get(key)

    def all(self) -> list[T]:
        with self._repo.database.reading():
            self._load()
            return list(self._objects.values())

    def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        with self._repo.database.reading():
            self._load()
            objects = self._objects
            return {k: objects[k] for k in keys if k in objects}

    def named(self, name: str) -> T | None:
        if not self._named:
            raise TypeError(f"{self.table} have no names")
        with self._repo.database.reading():
            self._load()
            key = self._names.get(casefold(name))
            return self._objects.get(key) if key is not None else None

    def where(self, field: str, value: Any) -> list[T]:
        with self._repo.database.reading():
            self._load()
            found = []
            for key in sorted(self._objects):
                obj = self._objects[key]
                held = getattr(obj, field)
                if held == value or (isinstance(held, list | tuple) and value in held):
                    found.append(obj)
            return found

    def count(self) -> int:
        with self._repo.database.reading():
            self._load()
            return len(self._objects)

    def page(self, offset: int, limit: int) -> list[T]:
        with self._repo.database.reading():
            self._load()
            keys = sorted(self._objects)[max(offset, 0) : max(offset, 0) + max(limit, 0)]
            return [self._objects[k] for k in keys]

    def _claim_names(self, items: list[T]) -> None:
        """Refuse a name another object holds (before any write); then index the names."""
        claimed: dict[str, str] = {}
        for item in items:
            key, folded = getattr(item, self.key), casefold(item.name)  # type: ignore[attr-defined]
            holder = claimed.get(folded, self._names.get(folded))
            stored = self._objects.get(key)
            kept = stored is not None and casefold(stored.name) == folded  # type: ignore[attr-defined]
            if holder is not None and holder != key and not kept:
                raise DuplicateName(item.name)  # type: ignore[attr-defined]
            claimed[folded] = key
        for item in items:
            key = getattr(item, self.key)
            stored = self._objects.get(key)
            if stored is not None and self._names.get(casefold(stored.name)) == key:  # type: ignore[attr-defined]
                del self._names[casefold(stored.name)]  # type: ignore[attr-defined]
        for folded, key in claimed.items():
            self._names.setdefault(folded, key)

    def save_many(self, items: Iterable[T]) -> None:
        """Insert or replace; must run inside a transaction."""
        self._repo.require_transaction()
        self._load()
        table = self._repo.database.db.table(self.table)
        items = list(items)
        if self._named:
            self._claim_names(items)
        self._logged(getattr(item, self.key) for item in items)
        inserts: list[T] = []
        updates: dict[str, dict] = {}
        for item in items:
            key = getattr(item, self.key)
            if key in self._doc_ids:
                updates[key] = self._to_doc(item)
            else:
                inserts.append(item)
            self._objects[key] = item
        if updates:

            def replace(doc: dict) -> None:
                new = updates[doc[self.key]]
                doc.clear()
                doc.update(new)

            ids = [self._doc_ids[k] for k in updates]
            table.update(replace, doc_ids=ids)
        if inserts:
            new_ids = table.insert_multiple(self._to_doc(i) for i in inserts)
            for item, doc_id in zip(inserts, new_ids, strict=True):
                self._doc_ids[getattr(item, self.key)] = doc_id

    def save(self, item: T) -> None:
        self.save_many([item])

    def delete(self, key: str) -> None:
        self._repo.require_transaction()
        self._load()
        doc_id = self._doc_ids.pop(key, None)
        gone = self._objects.pop(key, None)
        if gone is not None and self._named and self._names.get(casefold(gone.name)) == key:  # type: ignore[attr-defined]
            del self._names[casefold(gone.name)]  # type: ignore[attr-defined]
        self._logged([key])
        if doc_id is not None:
            self._repo.database.db.table(self.table).remove(doc_ids=[doc_id])


def _number(doc: dict) -> Number:
    fields = {k: v for k, v in doc.items() if k in _NUMBER_FIELDS}
    names = tuple(fields.get("area_names", ()))
    # Numbers of one area share one tuple (tens of thousands of numbers, a few areas).
    fields["area_names"] = _AREA_NAMES.setdefault(names, names)
    return Number(**fields)


# Every distinct area_names tuple seen: small (one entry per geocoded area in use).
_AREA_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _copy(value: dict | None) -> dict | None:
    """A shallow copy of an audit before/after (plain data already): cheaper than asdict."""
    return dict(value) if value is not None else None


def _only(cls: type[T]) -> Callable[[dict], T]:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return lambda doc: cls(**{k: v for k, v in doc.items() if k in names})


_NUMBER_FIELDS = {f.name for f in dataclasses.fields(Number)}
_NUMBER_ORDER = tuple(f.name for f in dataclasses.fields(Number))


def _number_doc(number: Number) -> dict:
    """``dataclasses.asdict`` of a Number (flat: strings, None, a tuple of strings), made
    without asdict's recursive deep copy, which was a quarter of a bulk import."""
    return {name: getattr(number, name) for name in _NUMBER_ORDER}


class WorkspaceRepository:
    """All of one workspace's data."""

    def __init__(self, database: WorkspaceDatabase) -> None:
        self.database = database
        self.numbers: Collection[Number] = Collection(self, "numbers", "e164", _number, _number_doc)
        self.addresses: Collection[Address] = Collection(
            self, "addresses", "id", _only(Address), named=True
        )
        self.groups: Collection[Group] = Collection(self, "groups", "id", _only(Group), named=True)
        self.campaigns: Collection[Campaign] = Collection(
            self, "campaigns", "id", _only(Campaign), named=True
        )
        self.agents: Collection[Agent] = Collection(self, "agents", "id", _only(Agent), named=True)
        self.requests: Collection[Request] = Collection(self, "requests", "id", _only(Request))

    @property
    def generation(self) -> int:
        return self.database.generation

    @property
    def in_transaction(self) -> bool:
        return self.database.in_transaction

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.database.transaction():
            yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self.database.reading():
            yield

    def require_transaction(self) -> None:
        """Called first by every write: it must be inside a transaction."""
        self.database.touch()
        if not self.database.in_transaction:
            raise RuntimeError("writes must happen inside repo.transaction()")

    # -- audit log (append-only) ---------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        # Buffered and written with one insert at commit: TinyDB's insert copies the
        # whole table, so one insert per entry made a 10,000-number import quadratic.
        self.require_transaction()
        self.database.buffer("audit", self._write_audit).append(
            {
                "at": entry.at,
                "who": entry.who,
                "action": entry.action,
                "subject": entry.subject,
                "before": _copy(entry.before),
                "after": _copy(entry.after),
            }
        )

    def _write_audit(self, docs: list[dict]) -> None:
        # Not a TinyDB table: the log lives in the journal and the audit file, not in memory.
        self.database.add_audit(docs)

    def audit_entries(self, subjects: set[str] | None = None) -> list[AuditEntry]:
        """Newest first; with ``subjects``, only entries about those."""
        with self.database.reading():
            # Streamed from disk: with subjects, only the matching entries are parsed.
            docs = self.database.audit(subjects)
            if self.database.in_transaction:  # this thread's entries not yet written
                pending = self.database.buffer("audit", self._write_audit)
                if subjects is not None:
                    pending = [d for d in pending if d["subject"] in subjects]
                docs = docs + pending
        return [AuditEntry(**doc) for doc in reversed(docs)]

    def audit_page(
        self, subjects: set[str] | None, skip: int, limit: int
    ) -> tuple[list[AuditEntry], bool]:
        """``limit`` entries newest first after ``skip`` (only about ``subjects``, if
        given), and whether older ones exist; the log is read from its newest end."""
        with self.database.reading():
            pending: list[dict] = []
            if self.database.in_transaction:  # this thread's entries not yet written
                pending = self.database.buffer("audit", self._write_audit)
                if subjects is not None:
                    pending = [d for d in pending if d["subject"] in subjects]
                pending = pending[::-1]
            first = pending[skip : skip + limit]
            docs, more = self.database.audit_newest(
                subjects, max(0, skip - len(pending)), limit - len(first)
            )
            docs = first + docs
            more = more or len(pending) > skip + limit
        return [AuditEntry(**doc) for doc in docs], more

    # -- manager grants ------------------------------------------------------------
    def grants(self) -> set[str]:
        with self.database.reading():
            return {doc["user_id"] for doc in self._table("access").all()}

    def set_grant(self, user_id: str, granted: bool) -> None:
        self.require_transaction()
        table = self._table("access")
        table.remove(Query().user_id == user_id)
        if granted:
            table.insert({"user_id": user_id})

    # -- small key/value settings (digest dates, counters) ------------------------
    def get_value(self, key: str, default: Any = None) -> Any:
        with self.database.reading():
            doc = self._table("values").get(Query().key == key)
        return doc["value"] if doc else default

    def set_value(self, key: str, value: Any) -> None:
        self.require_transaction()
        self._table("values").upsert({"key": key, "value": value}, Query().key == key)

    # -- outbox: notifications recorded with the change, sent afterwards ------------
    def outbox_add(self, entry: dict) -> None:
        """Queue a notification (a plain dict with a unique "id"); inside a transaction."""
        self.require_transaction()
        self._table("outbox").insert(dict(entry))

    def outbox_get(self, entry_id: str) -> dict | None:
        with self.database.reading():
            doc = self._table("outbox").get(Query().id == entry_id)
        return dict(doc) if doc else None

    def outbox_pending(self, now: float) -> list[dict]:
        """Unsent entries due at ``now`` (epoch seconds), oldest first."""
        with self.database.reading():
            docs = self._table("outbox").search(
                (Query().sent_at == None) & (Query().next_attempt <= now)  # noqa: E711
            )
        return [dict(d) for d in sorted(docs, key=lambda d: d.doc_id)]

    def outbox_defer(
        self,
        entry_id: str,
        next_attempt: float,
        error: str | None = None,
        holder: dict | None = None,
    ) -> None:
        """Not before ``next_attempt``; with ``error``, count a failed attempt; ``holder``:
        the process that claimed it (None: nobody)."""
        self.require_transaction()
        table = self._table("outbox")
        doc = table.get(Query().id == entry_id)
        if doc is None:
            return
        fields: dict[str, Any] = {"next_attempt": next_attempt, "holder": holder}
        if error is not None:
            fields.update(attempts=doc.get("attempts", 0) + 1, last_error=error[:500])
        table.update(fields, doc_ids=[doc.doc_id])

    def outbox_mark_sent(self, entry_id: str, sent_at: str) -> None:
        self.require_transaction()
        self._table("outbox").update({"sent_at": sent_at}, Query().id == entry_id)

    def outbox_prune(self, sent_before: str) -> None:
        """Forget entries sent before ``sent_before`` (ISO time); unsent ones stay."""
        self.require_transaction()
        self._table("outbox").remove(
            (Query().sent_at != None) & (Query().sent_at < sent_before)  # noqa: E711
        )

    def _table(self, name: str):
        db: TinyDB = self.database.db
        return db.table(name)
