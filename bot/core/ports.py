"""The storage port: what the services need from a workspace's storage.

Two implementations: ``storage.repository`` (TinyDB files) and ``storage.memory``
(in memory, for fast tests); ``tests/storage/test_contract.py`` pins their common
semantics. Shaped for a SQL engine too: every lookup names a key, an indexed field or
a page, so none needs the whole workspace in memory (``all()`` is there for the read
models that do hold it).

One way to open a transaction: ``with repo.transaction():``. Transactions nest (an
inner block joins the outer one); writes happen only inside one; an exception that
leaves the outermost block rolls every write of it back (audit and outbox included).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from bot.core.model import Address, Agent, AuditEntry, Campaign, Group, Number, Request

T = TypeVar("T")


class Collection(Protocol[T]):
    """One kind of domain object, keyed by one field (``Number.e164``, else ``id``).

    Objects handed out may be shared: treat them as read-only and save a changed copy.
    """

    def get(self, key: str) -> T | None: ...

    def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        """The objects of those keys that exist."""
        ...

    def named(self, name: str) -> T | None:
        """The object whose ``casefold``-ed name is ``casefold(name)`` (named kinds only)."""
        ...

    def where(self, field: str, value: Any) -> list[T]:
        """Objects whose ``field`` equals ``value`` or, for a list field, contains it
        (numbers by ``address_id``, groups by ``numbers``, agents by ``slack_user``…),
        in key order."""
        ...

    def count(self) -> int: ...

    def page(self, offset: int, limit: int) -> list[T]:
        """``limit`` objects in key order after the first ``offset``."""
        ...

    def all(self) -> list[T]: ...

    @property
    def version(self) -> int:
        """Changes whenever an object may have changed: derived data built from an equal
        version is still right."""
        ...

    def changed_since(self, version: int) -> set[str] | None:
        """Keys saved or deleted after ``version``; None when unknown (rebuild)."""
        ...

    def save(self, item: T) -> None:
        """Insert or replace (inside a transaction); ``bot.core.errors.DuplicateName`` when
        another object of the collection holds the name."""
        ...

    def save_many(self, items: Iterable[T]) -> None: ...

    def delete(self, key: str) -> None: ...


class UnitOfWork(Protocol):
    """Transactions and consistent reads over one workspace's data."""

    def transaction(self) -> AbstractContextManager[Any]:
        """Everything written inside is kept together when the outermost block ends, or
        nothing is (an exception rolls back). Other threads and processes wait."""
        ...

    def reading(self) -> AbstractContextManager[Any]:
        """A consistent view for several reads (another transaction is not half-seen)."""
        ...

    @property
    def in_transaction(self) -> bool: ...

    @property
    def generation(self) -> int:
        """Changes with every commit (of any process): caches of equal generation hold."""
        ...


class Repository(UnitOfWork, Protocol):
    """All of one workspace's data; its own unit of work."""

    numbers: Collection[Number]
    addresses: Collection[Address]
    groups: Collection[Group]
    campaigns: Collection[Campaign]
    agents: Collection[Agent]
    requests: Collection[Request]

    # audit log: append-only
    def append_audit(self, entry: AuditEntry) -> None: ...

    def audit_entries(self, subjects: set[str] | None = None) -> list[AuditEntry]:
        """Newest first; with ``subjects``, only entries about those."""
        ...

    def audit_page(
        self, subjects: set[str] | None, skip: int, limit: int
    ) -> tuple[list[AuditEntry], bool]:
        """``limit`` entries newest first after ``skip``, and whether older ones exist."""
        ...

    # manager grants
    def grants(self) -> set[str]: ...

    def set_grant(self, user_id: str, granted: bool) -> None: ...

    # small key/value settings (digest dates, counters, message refs)
    def get_value(self, key: str, default: Any = None) -> Any: ...

    def set_value(self, key: str, value: Any) -> None: ...

    # outbox: notifications recorded with the change, sent afterwards
    def outbox_add(self, entry: dict) -> None: ...

    def outbox_get(self, entry_id: str) -> dict | None: ...

    def outbox_pending(self, now: float) -> list[dict]:
        """Unsent entries due at ``now`` (epoch seconds), oldest first."""
        ...

    def outbox_defer(
        self,
        entry_id: str,
        next_attempt: float,
        error: str | None = None,
        holder: dict | None = None,
    ) -> None: ...

    def outbox_mark_sent(self, entry_id: str, sent_at: str) -> None: ...

    def outbox_prune(self, sent_before: str) -> None: ...
