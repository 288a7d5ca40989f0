"""Opening a workspace's TinyDB database safely.

One JSON file per Slack workspace. TinyDB's stock JSONStorage truncates and
rewrites the file in place, which a crash can leave half-written; here every
commit writes a temporary file, fsyncs it, renames it over the old one and
fsyncs the directory, so the file on disk is always a whole database.

A transaction holds a thread lock (Bolt runs listeners on threads) and an
advisory file lock (other processes on the same data dir), so that a
read-modify-write never interleaves with another. Reads are served from an
in-memory copy that is reloaded only when the file's identity (inode, size,
mtime) changes, so another process's commit is seen without re-parsing the
file on every query.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from bot.errors import DomainError, StorageBusy, StorageFailure

SCHEMA_VERSION = 1
# Inside Slack's 3 s to acknowledge: a change that cannot get the lock by then is refused
# with a clear "busy" message rather than left unanswered.
LOCK_TIMEOUT_SECONDS = 2.0

# Migrations from version N to N+1, applied in order when a database is opened.
MIGRATIONS: dict[int, Callable[[TinyDB], None]] = {}

_TEAM_ID = re.compile(r"^[A-Z0-9]{1,32}$")
TEMP_SUFFIX = ".tmp"


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, or a new file's usual mode (0666 & ~umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# Tables whose entries are only ever added, never changed or removed (bot/repository.py's
# audit log): a commit encodes only their new entries.
APPEND_ONLY_TABLES = frozenset({"audit"})


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _appended(cached: tuple[dict, str], table: dict) -> str:
    """The JSON of ``table`` from the JSON of an earlier state of it, if it only grew."""
    old, text = cached
    if not old or len(table) < len(old):
        return _dumps(table)
    items = iter(table.items())
    for (key, doc), (new_key, new_doc) in zip(old.items(), items, strict=False):
        if key != new_key or doc is not new_doc:
            return _dumps(table)
    added = dict(items)
    if not added:
        return text
    return text[:-1] + "," + _dumps(added)[1:]


class AtomicJSONStorage(Storage):
    """TinyDB storage: a cached whole-database dict, committed by atomic replace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None
        self._signature: tuple[int, int, int] | None = None
        # The file the cached copy came from, kept open so that its inode number cannot be
        # reused by a later commit of another process (the signature would then match).
        self._held: int | None = None
        self._batch = False
        self._dirty = False
        # table name -> (the table dict serialised, its JSON): see _serialise.
        self._fragments: dict[str, tuple[dict, str]] = {}

    # -- TinyDB's Storage interface -------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._load()
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if self._batch:
            self._dirty = True
        else:
            self._flush()

    def close(self) -> None:
        pass

    def __del__(self) -> None:
        if self._held is not None:
            with contextlib.suppress(OSError):
                os.close(self._held)
            self._held = None

    # -- batching and freshness -----------------------------------------------------
    def begin(self) -> None:
        self._batch = True
        self._dirty = False

    def commit(self) -> bool:
        """Write the batch to disk; returns whether anything was written."""
        self._batch = False
        if self._dirty:
            self._dirty = False
            self._flush()
            return True
        return False

    @property
    def dirty(self) -> bool:
        return self._dirty

    def rollback(self, keep: bool = False) -> None:
        """End the batch without writing; unless ``keep``, forget the in-memory copy."""
        self._batch = False
        self._dirty = False
        if not keep:
            self.invalidate()

    def invalidate(self) -> None:
        self._data = None
        self._signature = None
        self._fragments = {}

    def changed_on_disk(self) -> bool:
        return self._data is not None and self._disk_signature() != self._signature

    def _disk_signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _hold(self) -> tuple[int, int, int] | None:
        """Open the current file, keep it open, and return its signature."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        if self._held is not None:
            os.close(self._held)
        self._held = fd
        st = os.fstat(fd)
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _load(self) -> None:
        signature = self._hold()
        if signature is None:
            self._data, self._signature = {}, None
            return
        assert self._held is not None
        with os.fdopen(os.dup(self._held), "rb") as f:
            raw = f.read()
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise StorageFailure(
                f"{self.path} is not a valid numbers-bot database ({exc}); restore it from "
                "a backup or move it away."
            ) from None
        if not isinstance(data, dict):
            raise StorageFailure(f"{self.path} is not a valid numbers-bot database.")
        self._data = data
        self._signature = signature

    def _serialise(self, data: dict[str, Any]) -> str:
        """``json.dumps(data)``, byte for byte, re-encoding only the tables that changed.

        TinyDB never edits a table's dict in place: every write builds a new dict for the
        table it touches and leaves the others' dicts as they were. So a table whose dict is
        the very object serialised last time has the same JSON. An append-only table (the
        audit log) that grew keeps its old entries (the same objects, in the same order):
        only the new entries are encoded and added to the old JSON.
        """
        fragments: dict[str, tuple[dict, str]] = {}
        parts = []
        for name, table in data.items():
            cached = self._fragments.get(name)
            if cached is not None and cached[0] is table:
                text = cached[1]
            elif cached is not None and name in APPEND_ONLY_TABLES:
                text = _appended(cached, table)
            else:
                text = _dumps(table)
            fragments[name] = (table, text)
            parts.append(f"{_dumps(name)}:{text}")
        self._fragments = fragments
        return "{" + ",".join(parts) + "}"

    def _flush(self) -> None:
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=TEMP_SUFFIX, dir=directory)
        try:
            os.fchmod(fd, _file_mode(self.path))
            with os.fdopen(fd, "wb") as f:
                f.write(self._serialise(self._data or {}).encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            self.invalidate()
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._signature = self._hold()


class WorkspaceDatabase:
    """One workspace's TinyDB, with transactions that are atomic, durable and isolated."""

    def __init__(self, path: Path, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._storage = AtomicJSONStorage(path)
        self._db = TinyDB(storage=lambda: self._storage)
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._touched = False
        self._lock_fd: int | None = None
        # Per-transaction buffers (name -> (items, flush)), written just before the commit.
        self._buffers: dict[str, tuple[list, Callable[[list], None]]] = {}
        # Increases whenever the data may have changed: caches key on it.
        self.generation = 0
        # Increases when the in-memory copy is dropped (another process's commit, a
        # rollback): caches of objects that this process keeps up to date key on it.
        self.epoch = 0
        with self.transaction() as db:
            self._migrate(db)
            self._remove_stale_temp_files()

    @property
    def db(self) -> TinyDB:
        return self._db

    def touch(self) -> None:
        """A write is about to change the in-memory copy: a rollback must drop it."""
        self._touched = True

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def _refresh(self) -> None:
        if self._storage.changed_on_disk():
            self._reset()

    def _reset(self) -> None:
        # A fresh TinyDB forgets cached tables (their next ids, query caches).
        self._storage.invalidate()
        self._db = TinyDB(storage=lambda: self._storage)
        self.generation += 1
        self.epoch += 1

    @contextlib.contextmanager
    def reading(self) -> Iterator[TinyDB]:
        """A consistent view for reads (another thread's transaction is not half-seen)."""
        with self._thread_lock:
            if self._depth == 0:
                self._refresh()
            yield self._db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[TinyDB]:
        """All writes inside happen on disk together when the block ends, or not at all."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                    # Reads later in the outer transaction must see this block's writes.
                    self.generation += 1
                return
            self._acquire_file_lock()
            self._depth = 1
            self._touched = False
            try:
                self._refresh()
                self._buffers = {}
                self._storage.begin()
                try:
                    yield self._db
                    for items, flush in self._buffers.values():
                        if items:
                            flush(items)
                    written = self._storage.commit()
                except DomainError:
                    # A refusal before any write (the usual case) keeps the loaded copy.
                    touched = self._touched or self._storage.dirty
                    self._storage.rollback(keep=not touched)
                    if touched:
                        self._reset()
                    raise
                except OSError as exc:
                    self._storage.rollback()
                    self._reset()
                    raise StorageFailure(
                        "The change could not be saved (the data directory is not writable "
                        f"or the disk is full: {exc.strerror or exc}). Nothing was changed."
                    ) from exc
                except BaseException:
                    self._storage.rollback()
                    self._reset()
                    raise
                if written:
                    self.generation += 1
            finally:
                self._buffers = {}
                self._depth = 0
                self._release_file_lock()

    def buffer(self, name: str, flush: Callable[[list], None]) -> list:
        """A list that lives as long as the current transaction; ``flush(items)`` writes it
        just before the commit (a rollback discards it). Lets many appends become one write.
        """
        if not self._depth:
            raise RuntimeError("buffers exist only inside a transaction")
        if name not in self._buffers:
            self._buffers[name] = ([], flush)
        return self._buffers[name][0]

    def _acquire_file_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageFailure(
                f"The data directory cannot be written ({exc.strerror}). Nothing was changed."
            ) from exc
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StorageBusy(
                        "The database is busy (another numbers-bot process holds it). "
                        "Nothing was changed; try again in a moment."
                    ) from None
                time.sleep(0.01)
        self._lock_fd = fd

    def _release_file_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _remove_stale_temp_files(self) -> None:
        # Left by a process killed mid-commit; the file lock is ours, so none is in use.
        for stale in self.path.parent.glob(self.path.name + ".*" + TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                stale.unlink()

    def _migrate(self, db: TinyDB) -> None:
        meta = db.table("meta")
        row = meta.get(doc_id=1)
        version = row["schema"] if row else 0
        if version > SCHEMA_VERSION:
            raise StorageFailure(
                f"{self.path} has schema version {version}, newer than this numbers-bot "
                f"understands ({SCHEMA_VERSION}); upgrade numbers-bot."
            )
        if version == 0:
            version = SCHEMA_VERSION  # a new database starts at the current schema
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](db)
            version += 1
        if not row:
            meta.insert({"schema": version})
        elif row["schema"] != version:
            meta.update({"schema": version}, doc_ids=[row.doc_id])


class Databases:
    """The workspaces' databases under one data dir, opened once per process."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self._open: dict[str, WorkspaceDatabase] = {}
        self._lock = threading.Lock()

    def for_team(self, team_id: str) -> WorkspaceDatabase:
        if not _TEAM_ID.match(team_id or ""):
            raise DomainError(f"Unknown workspace id {team_id!r}.")
        with self._lock:
            db = self._open.get(team_id)
            if db is None:
                try:
                    self.data_dir.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StorageFailure(
                        f"The data directory {self.data_dir} cannot be created "
                        f"({exc.strerror or exc})."
                    ) from None
                db = WorkspaceDatabase(self.data_dir / f"team-{team_id}.json")
                self._open[team_id] = db
            return db

    def team_ids(self) -> list[str]:
        if not self.data_dir.is_dir():
            return []
        found = (p.name[len("team-") : -len(".json")] for p in self.data_dir.glob("team-*.json"))
        return sorted(t for t in found if _TEAM_ID.match(t))
