"""Opening a workspace's TinyDB database safely.

One JSON file per Slack workspace (``team-X.json``), plus a write-ahead journal next to
it (``team-X.json.journal``), so that a commit costs what it changed, not the size of
the database.

- A commit appends one line to the journal: a checksum and a JSON record of the
  documents it changed (``{"seq": n, "clear": [table…], "docs": {table: {doc_id: doc
  or null}}}``), then fsyncs the journal. A line cut short by a crash fails its checksum
  and is ignored (it was never acknowledged); the next writer cuts it off before
  appending.
- Loading reads the main file and replays the journal's valid records on top of it.
- Compaction rewrites the main file whole (temporary file, fsync, rename, directory
  fsync) and then replaces the journal by an empty one the same way. It runs when the
  journal outgrows a quarter of the main file, when a commit changes much of the
  database (a bulk import), and after a write the journal cannot describe. The main
  file stays a plain TinyDB JSON document (with one extra table, ``_journal``, holding
  the sequence number it includes): TinyDB's own JSONStorage opens it after compaction.
- Sequence numbers make every pair of files consistent: the journal's first line names
  the sequence its records follow, records up to the main file's sequence are skipped,
  and a crash between the two renames of a compaction leaves a main file that already
  includes the old journal's records.

The audit log is not kept in memory (it is append-only and read only to show it). A
commit's audit entries go into its journal record (``"audit": [entry…]``), so a change and
its entries are durable together or not at all; loading keeps only the journal's entries.
Compaction first appends them (and a compacting commit's own) to ``team-X.audit.jsonl``,
one CRC'd line per entry tagged with its commit's sequence number, fsyncs it, and then
writes the main file, whose ``_journal`` row also records the audit file's valid length
(``audit_end``). Bytes past that length are left by a compaction that never committed:
readers ignore them and the next compaction cuts them off before appending, so a crash at
any step neither loses nor duplicates an entry. Reading the audit streams the file's valid
part (a byte search finds the lines about the wanted subjects) and adds the journal's.

A transaction holds a thread lock (Bolt runs listeners on threads) and an advisory
file lock (other processes on the same data dir), so that a read-modify-write never
interleaves with another. Reads are served from an in-memory copy. Another process's
commit is seen by the files' identity (inode, size, mtime): when only the journal grew,
just its new records are replayed; when the main file changed (a compaction), both are
read again. Both files are kept open so that their inode numbers cannot be reused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import stat
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from bot.core.errors import DomainError, StorageBusy, StorageFailure

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
# Inside Slack's 3 s to acknowledge: a change that cannot get the lock by then is refused
# with a clear "busy" message rather than left unanswered.
LOCK_TIMEOUT_SECONDS = 2.0

# Migrations from version N to N+1, applied in order when a database is opened.
MIGRATIONS: dict[int, Callable[[TinyDB], None]] = {}


def _audit_out_of_memory(db: TinyDB) -> None:
    """1 -> 2: the "audit" table moves to the audit file (see the module docstring)."""
    storage = db.storage
    assert isinstance(storage, AtomicJSONStorage)
    table = (storage.read() or {}).get("audit") or {}
    entries = [dict(table[key]) for key in sorted(table, key=int)]
    db.drop_table("audit")
    if entries:
        storage.add_audit(entries, first=True)


MIGRATIONS[1] = _audit_out_of_memory

_TEAM_ID = re.compile(r"[A-Z0-9]{1,32}")
TEMP_SUFFIX = ".tmp"
JOURNAL_SUFFIX = ".journal"
AUDIT_SUFFIX = ".audit.jsonl"
# Bytes of the audit file read at a time.
_AUDIT_CHUNK = 1 << 20
# ... and read backwards when a page of the newest entries is shown.
_AUDIT_BACK_CHUNK = 1 << 16
# The main file's table that records the journal sequence number it includes.
SEQ_TABLE = "_journal"
# Compact when the journal is larger than this share of the main file (and than the
# minimum: rewriting a small file costs little) ...
COMPACT_SHARE = 0.25
COMPACT_MIN_BYTES = 256 * 1024
# ... or when one commit changes more than this share of all documents (a bulk import:
# the rewrite then costs little more than the journal record would).
COMPACT_CHANGED_SHARE = 0.25
# A reader without the file lock may catch a compaction between its two renames: it
# reads again, for up to about two seconds.
_LOAD_ATTEMPTS = 200


# Customers' addresses: only the bot's own account reads the data dir and its files (the
# lock file too: whoever can open it can hold it and block every change). Set with
# fchmod/chmod, so the umask does not matter.
FILE_MODE = 0o600
DIR_MODE = 0o700


def _private(fd: int) -> None:
    """Take group and other users' access away from an open file (usually a no-op)."""
    if os.fstat(fd).st_mode & 0o077:
        os.fchmod(fd, FILE_MODE)


CHUNK_DOCS = 1000  # documents encoded at once when the main file is rewritten


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _line(record: dict) -> bytes:
    """One journal line: the CRC-32 of the JSON (8 hex digits), a space, the JSON."""
    body = _dumps(record).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _load_shared(raw: bytes) -> Any:
    """``json.loads``, with equal short strings shared: 50,000 numbers repeat "DE", "local",
    "import", an address id, a user id… as one object each instead of 50,000 (about a
    third less memory for a loaded workspace, for about a quarter more parsing time)."""
    shared: dict[str, str] = {}

    def pairs(items: list[tuple[str, Any]]) -> dict:
        return {
            k: shared.setdefault(v, v) if type(v) is str and len(v) <= _SHARED_MAX else v
            for k, v in items
        }

    return json.loads(raw, object_pairs_hook=pairs)


_SHARED_MAX = 40  # longer strings (street names, reasons) rarely repeat


def _audit_needles(subjects: set[str] | None) -> list[bytes] | None:
    """What a line about one of ``subjects`` contains (a cheap test before parsing it)."""
    if subjects is None:
        return None
    return [f'"subject":{_dumps(s)}'.encode() for s in sorted(subjects)]


def _parse_line(line: bytes) -> dict | None:
    """The record of a whole journal line (without its newline), or None if damaged."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


class _Replay:
    """Applies journal records to loaded data, copying each table at most once."""

    def __init__(self, data: dict[str, Any], copy: bool) -> None:
        self.data = data
        self.copied: set[str] = set() if copy else set(data)
        self.audit: list[tuple[int, dict]] = []  # (commit seq, entry), in commit order

    def _table(self, name: str) -> dict:
        if name not in self.copied:
            self.data[name] = dict(self.data.get(name, {}))
            self.copied.add(name)
        return self.data.setdefault(name, {})

    def apply(self, record: dict) -> None:
        seq = record.get("seq", 0)
        self.audit.extend((seq, entry) for entry in record.get("audit", ()))
        for name in record.get("clear", ()):
            self.data[name] = {}
            self.copied.add(name)
        for name, docs in record.get("docs", {}).items():
            table = self._table(name)
            for doc_id, doc in docs.items():
                if doc is None:
                    table.pop(doc_id, None)
                else:
                    table[doc_id] = doc


class _TrackedTable(Table):
    """A TinyDB table that tells the storage which documents each write changed."""

    _storage: AtomicJSONStorage

    def insert(self, document):
        with self._storage.tracking():
            doc_id = super().insert(document)
            self._storage.mark(self.name, [doc_id])
        return doc_id

    def insert_multiple(self, documents):
        with self._storage.tracking():
            ids = super().insert_multiple(documents)
            self._storage.mark(self.name, ids)
        return ids

    def update(self, fields, cond=None, doc_ids=None):
        with self._storage.tracking():
            ids = super().update(fields, cond, doc_ids)
            self._storage.mark(self.name, ids)
        return ids

    def update_multiple(self, updates):
        with self._storage.tracking():
            ids = super().update_multiple(updates)
            self._storage.mark(self.name, ids)
        return ids

    def upsert(self, document, cond=None):
        with self._storage.tracking():
            ids = super().upsert(document, cond)
            self._storage.mark(self.name, ids)
        return ids

    def remove(self, cond=None, doc_ids=None):
        with self._storage.tracking():
            ids = super().remove(cond, doc_ids)
            self._storage.mark(self.name, ids)
        return ids

    def truncate(self) -> None:
        with self._storage.tracking():
            super().truncate()
            self._storage.mark_cleared(self.name)


class _TinyDB(TinyDB):
    table_class = _TrackedTable


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class AtomicJSONStorage(Storage):
    """TinyDB storage: a cached whole-database dict, committed by appending the changed
    documents to a journal (compacted into the main file by atomic replace)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal_path = path.with_name(path.name + JOURNAL_SUFFIX)
        self.audit_path = path.with_name(path.stem + AUDIT_SUFFIX)
        self._data: dict[str, Any] | None = None
        self._signature: tuple[int, int, int] | None = None
        # The files the cached copy came from, kept open so that their inode numbers
        # cannot be reused by a later commit of another process (the signature would then
        # match).
        self._held: int | None = None
        self._journal_held: int | None = None
        self._journal_inode: int | None = None
        self._journal_end = 0  # bytes of the journal read and valid
        self._main_size = 0
        self._seq = 0  # the last commit included in the cached copy
        self._base = 0  # the last commit included in the main file
        self._audit_end = 0  # the audit file's valid length (as the main file says)
        # Audit entries of the journal's records (commit seq, entry), and of this batch.
        self._journal_audit: list[tuple[int, dict]] = []
        self._batch_audit: list[dict] = []
        self._batch = False
        self._dirty = False
        # What the batch changed: table -> doc ids; tables emptied; whether a write came
        # that the journal cannot describe (then the commit compacts).
        self._marks: dict[str, set[int]] = {}
        self._cleared: set[str] = set()
        self._full = False
        self._tracking = 0
        # Counts writes to tables other than the append-only ones (see WorkspaceDatabase
        # .generation).
        self.changes = 0

    # -- TinyDB's Storage interface -------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._load()
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if not self._tracking:
            # Not through a _TrackedTable method (drop_table, a migration's own writes):
            # the commit rewrites the whole file.
            self._full = True
            self.changes += 1
        if self._batch:
            self._dirty = True
        else:
            self._full = True
            self._persist()

    def close(self) -> None:
        pass

    def __del__(self) -> None:
        self._release()

    def _release(self) -> None:
        for name in ("_held", "_journal_held"):
            fd = getattr(self, name, None)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, None)

    # -- what a batch changed ---------------------------------------------------------
    @contextlib.contextmanager
    def tracking(self) -> Iterator[None]:
        self._tracking += 1
        try:
            yield
        except BaseException:
            self._full = True  # a write may have been half done: describe it all
            raise
        finally:
            self._tracking -= 1

    def mark(self, table: str, doc_ids: Iterable[int]) -> None:
        ids = self._marks.setdefault(table, set())
        ids.update(doc_ids)
        self.changes += 1

    def mark_cleared(self, table: str) -> None:
        self._cleared.add(table)
        self._marks.pop(table, None)
        self.changes += 1

    def force_compaction(self) -> None:
        """The next commit rewrites the main file (even if nothing else changed)."""
        self._full = True
        self._dirty = True

    def _forget_marks(self) -> None:
        self._marks = {}
        self._cleared = set()
        self._full = False
        self._batch_audit = []

    # -- the audit log --------------------------------------------------------------
    def add_audit(self, entries: Iterable[dict], first: bool = False) -> None:
        """Audit entries committed with this batch (``first``: before the others)."""
        if not self._batch:
            raise RuntimeError("audit entries are written only inside a transaction")
        if first:
            self._batch_audit[:0] = list(entries)
        else:
            self._batch_audit.extend(entries)
        self._dirty = True

    def audit(self, subjects: set[str] | None = None) -> list[dict]:
        """The committed audit entries, oldest first; with ``subjects``, only those about
        them. Streams the audit file's valid part, then adds the journal's entries."""
        self.read()
        found = list(self._audit_file(subjects))
        found.extend(
            entry
            for _, entry in self._journal_audit
            if subjects is None or entry.get("subject") in subjects
        )
        return found

    def _audit_file(self, subjects: set[str] | None) -> Iterator[dict]:
        if not self._audit_end:
            return
        needles = _audit_needles(subjects)
        with self._open_audit() as f:
            remaining, carry = self._audit_end, b""
            while remaining:
                chunk = f.read(min(_AUDIT_CHUNK, remaining))
                if not chunk:
                    raise self._audit_missing()
                remaining -= len(chunk)
                cut = chunk.rfind(b"\n") + 1
                if not cut:
                    carry += chunk
                    continue
                text, carry = carry + chunk[:cut], chunk[cut:]
                if needles is not None and not any(n in text for n in needles):
                    continue
                yield from self._audit_lines(text.split(b"\n")[:-1], needles, subjects)
            if carry:
                raise self._audit_missing()

    def audit_newest(
        self, subjects: set[str] | None, skip: int, limit: int
    ) -> tuple[list[dict], bool]:
        """``limit`` committed entries newest first after skipping ``skip`` (only about
        ``subjects``, if given), and whether older ones exist. The journal's entries come
        first, then the audit file read backwards in blocks: a page near the newest end
        costs a block, not the whole log."""
        self.read()
        page: list[dict] = []
        seen = 0

        def take(entry: dict) -> bool:  # True when the page and one more were seen
            nonlocal seen
            seen += 1
            if seen > skip and len(page) < limit:
                page.append(entry)
            return seen > skip + limit

        for _, entry in reversed(self._journal_audit):
            if (subjects is None or entry.get("subject") in subjects) and take(entry):
                return page, True
        for entry in self._audit_file_backwards(subjects):
            if take(entry):
                return page, True
        return page, False

    def _audit_file_backwards(self, subjects: set[str] | None) -> Iterator[dict]:
        """The audit file's valid part, newest line first (see ``audit_newest``)."""
        if not self._audit_end:
            return
        needles = _audit_needles(subjects)
        with self._open_audit() as f:
            end, carry = self._audit_end, b""
            while end > 0:
                start = max(0, end - _AUDIT_BACK_CHUNK)
                f.seek(start)
                chunk = f.read(end - start)
                if len(chunk) != end - start:
                    raise self._audit_missing()
                end = start
                data = chunk + carry
                if start:  # the first line may have begun in the block before
                    cut = data.find(b"\n") + 1
                    if not cut:
                        carry = data
                        continue
                    carry, data = data[:cut], data[cut:]
                else:
                    carry = b""
                if needles is not None and not any(n in data for n in needles):
                    continue
                lines = reversed(data.split(b"\n")[:-1])
                yield from self._audit_lines(lines, needles, subjects)

    def _open_audit(self):
        try:
            return open(self.audit_path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise self._audit_missing() from None

    def _audit_lines(
        self, lines: Iterable[bytes], needles: list[bytes] | None, subjects: set[str] | None
    ) -> Iterator[dict]:
        """The entries of whole audit-file lines (in the order given), only those about
        ``subjects`` if given; a damaged line is refused, never skipped."""
        for line in lines:
            if needles is not None and not any(n in line for n in needles):
                continue
            entry = _parse_line(line)
            if entry is None:
                raise StorageFailure(f"{self.audit_path} is damaged; restore it from a backup.")
            entry.pop("seq", None)
            if subjects is None or entry.get("subject") in subjects:
                yield entry

    def _audit_missing(self, expected: int | None = None) -> StorageFailure:
        expected = self._audit_end if expected is None else expected
        return StorageFailure(
            f"{self.audit_path} is shorter than {self.path} says ({expected} bytes): "
            "restore it from a backup."
        )

    def _append_audit(self, seq: int) -> int:
        """Append the journal's and this batch's audit entries (the latter tagged ``seq``)
        to the audit file after its valid part, durably; returns its new valid length."""
        entries = [*self._journal_audit, *((seq, e) for e in self._batch_audit)]
        if not entries:
            return self._audit_end
        content = b"".join(_line({"seq": s, **e}) for s, e in entries)
        created = not self.audit_path.exists()
        fd = os.open(self.audit_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            _private(fd)
            size = os.fstat(fd).st_size
            if size < self._audit_end:
                raise self._audit_missing()
            if size > self._audit_end:
                os.ftruncate(fd, self._audit_end)  # a compaction that never committed
            written = 0
            while written < len(content):
                written += os.pwrite(fd, content[written:], self._audit_end + written)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.audit_path.parent)
        return self._audit_end + len(content)

    # -- batching and freshness -----------------------------------------------------
    def begin(self) -> None:
        self._batch = True
        self._dirty = False
        self._forget_marks()

    def commit(self) -> bool:
        """Write the batch to disk; returns whether anything was written."""
        self._batch = False
        if self._dirty:
            self._dirty = False
            self._persist()
            return True
        self._forget_marks()
        return False

    @property
    def dirty(self) -> bool:
        return self._dirty

    def rollback(self, keep: bool = False) -> None:
        """End the batch without writing; unless ``keep``, forget the in-memory copy."""
        self._batch = False
        self._dirty = False
        self._forget_marks()
        if not keep:
            self.invalidate()

    def invalidate(self) -> None:
        self._data = None
        self._signature = None
        self._journal_audit = []

    def refresh(self) -> bool:
        """Catch up with other processes' commits; returns whether the data changed.

        A new main file (a compaction) means reading everything again; a journal that
        only grew means replaying its new records.
        """
        if self._data is None:
            return False
        try:
            main = _signature(os.stat(self.path))
        except FileNotFoundError:
            main = None
        if main != self._signature:
            self.invalidate()
            return True
        try:
            st = os.stat(self.journal_path)
        except FileNotFoundError:
            st = None
        if st is None and self._journal_inode is None:
            return False
        if st is None or st.st_ino != self._journal_inode:
            self.invalidate()
            return True
        if st.st_size == self._journal_end or not self._journal_end:
            # Nothing new, or a journal without its header line: the next writer compacts
            # (which replaces both files) before appending to it.
            return False
        return self._replay_tail()

    def _replay_tail(self) -> bool:
        assert self._journal_held is not None and self._data is not None
        size = os.fstat(self._journal_held).st_size
        tail = os.pread(self._journal_held, size - self._journal_end, self._journal_end)
        replay = _Replay(self._data, copy=True)
        applied, start = False, self._journal_end
        try:
            for record, end in self._records(tail):
                if record.get("seq") != self._seq + 1:
                    self.invalidate()  # not the next commit: read everything again
                    return True
                replay.apply(record)
                self._seq += 1
                self._journal_end = start + end
                applied = True
        except _Damaged:
            self.invalidate()  # read everything again (and report the damage if it stays)
            return True
        self._journal_audit.extend(replay.audit)
        return applied

    @staticmethod
    def _records(text: bytes) -> Iterator[tuple[dict, int]]:
        """The valid whole records at the start of ``text``, each with the offset after it."""
        pos = 0
        while True:
            newline = text.find(b"\n", pos)
            if newline < 0:
                return
            record = _parse_line(text[pos:newline])
            if record is None:
                if AtomicJSONStorage._has_record(text[newline + 1 :]):
                    raise _Damaged(pos)
                return
            pos = newline + 1
            yield record, pos

    @staticmethod
    def _has_record(text: bytes) -> bool:
        return any(_parse_line(line) is not None for line in text.split(b"\n")[:-1])

    def _open_held(self, path: Path) -> tuple[int, os.stat_result] | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        return fd, os.fstat(fd)

    def _load(self) -> None:
        damaged: _Damaged | None = None
        mismatch: _AuditMismatch | None = None
        for _ in range(_LOAD_ATTEMPTS):
            try:
                if self._try_load():
                    return
            except _Damaged as exc:
                damaged = exc
            except _AuditMismatch as exc:
                # Read again: another process may have committed between our reads.
                mismatch = exc
            time.sleep(0.01)
        self._release()
        if mismatch is not None:
            raise StorageFailure(
                f"{self.audit_path} is longer than {self.path.name} says ({mismatch.size} "
                f"bytes, {mismatch.audit_end} expected): the database is older than its "
                "audit log (restored without it?); restore both from one backup. Nothing "
                "was changed."
            )
        if damaged is not None:
            raise StorageFailure(
                f"{self.journal_path} is damaged at byte {damaged.offset} (valid records "
                "follow a damaged one); restore the database from a backup."
            )
        raise StorageFailure(
            f"{self.journal_path} follows a newer database than {self.path} (was the main "
            "file restored from a backup without its journal?); move one of them away."
        )

    def _try_load(self) -> bool:
        """Read the main file and replay the journal; False if a compaction by another
        process got between the two reads (the caller tries again)."""
        self._release()
        main = self._open_held(self.path)
        if main is None:
            # A new database, unless the files beside it say there was one: starting
            # afresh would put a new database beside an audit log that does not match it.
            for other in (self.journal_path, self.audit_path):
                if other.exists() and other.stat().st_size:
                    raise StorageFailure(
                        f"{self.path} is missing but {other.name} is there: restore the "
                        "database from a backup (or move its files away to start afresh). "
                        "Nothing was changed."
                    )
            data: dict[str, Any] = {}
            self._signature, self._main_size = None, 0
        else:
            fd, st = main
            self._held = fd
            with os.fdopen(os.dup(fd), "rb") as f:
                raw = f.read()
            if not raw.strip():
                # Never written so: a commit replaces the file whole (rename), so an empty
                # main file is a disk fault or a bad restore, not a new database.
                raise StorageFailure(
                    f"{self.path} is empty: restore it from a backup (or move the "
                    "workspace's files away to start afresh). Nothing was changed."
                )
            try:
                data = _load_shared(raw)
            except ValueError as exc:
                raise StorageFailure(
                    f"{self.path} is not a valid numbers-bot database ({exc}); restore it "
                    "from a backup or move it away. Nothing was changed."
                ) from None
            if not isinstance(data, dict):
                raise StorageFailure(f"{self.path} is not a valid numbers-bot database.")
            self._signature, self._main_size = _signature(st), len(raw)
        marker = (data.pop(SEQ_TABLE, None) or {}).get("1") or {}
        base = int(marker.get("seq", 0))
        audit_end = int(marker.get("audit_end", 0))
        seq = base
        replay = _Replay(data, copy=False)

        journal = self._open_held(self.journal_path)
        end, inode = 0, None
        if journal is not None:
            fd, st = journal
            self._journal_held, inode = fd, st.st_ino
            with os.fdopen(os.dup(fd), "rb") as f:
                raw = f.read()
            records = self._records(raw)
            header = next(records, None)
            if header is not None and isinstance(header[0].get("base"), int):
                header_record, end = header
                if header_record["base"] > base:
                    return False  # the main file was read before another's compaction
                for record, after in records:
                    record_seq = record.get("seq")
                    if not isinstance(record_seq, int):
                        break
                    if record_seq > seq:
                        if record_seq != seq + 1:
                            return False
                        replay.apply(record)
                        seq = record_seq
                    end = after
        self._check_audit_length(audit_end, base, seq)
        self._data = data
        self._seq, self._base, self._audit_end = seq, base, audit_end
        self._journal_audit = replay.audit
        self._journal_inode, self._journal_end = inode, end
        return True

    def _check_audit_length(self, audit_end: int, base: int, seq: int) -> None:
        """The audit file must be as long as the main file says. Longer is fine only when
        the rest is what an unfinished compaction appended: entries of the commits after
        the main file's (the journal's, and the compacting one). Anything else means the
        main file is older than its audit log (a restore of one without the other), and
        the next compaction would cut entries off."""
        try:
            size = os.stat(self.audit_path).st_size
        except FileNotFoundError:
            size = 0
        if size < audit_end:
            raise self._audit_missing(audit_end)
        if size == audit_end:
            return
        with open(self.audit_path, "rb") as f:
            f.seek(audit_end)
            tail = f.read(size - audit_end)
        for line in tail.split(b"\n")[:-1]:
            entry = _parse_line(line)
            if entry is None:
                continue  # cut short by the crash (or being written right now)
            entry_seq = entry.get("seq")
            if not isinstance(entry_seq, int) or not base < entry_seq <= seq + 1:
                raise _AuditMismatch(size, audit_end)

    @staticmethod
    def _main_chunks(data: dict[str, Any], marker: str) -> Iterator[bytes]:
        """The main file's JSON (as ``json.dumps`` writes it) in pieces of at most
        CHUNK_DOCS documents, so that a compaction never holds the whole text at once."""
        yield b"{"
        for name, table in data.items():
            yield f"{_dumps(name)}:{{".encode()
            items = list(table.items())
            for start in range(0, len(items), CHUNK_DOCS):
                body = _dumps(dict(items[start : start + CHUNK_DOCS]))[1:-1]
                yield (("," if start else "") + body).encode()
            yield b"},"
        yield f"{marker}}}".encode()

    # -- writing ----------------------------------------------------------------------
    def _persist(self) -> None:
        try:
            if self._needs_compaction():
                self._compact(self._seq + 1)
            else:
                line = self._record()
                limit = max(COMPACT_MIN_BYTES, self._main_size * COMPACT_SHARE)
                if self._journal_end + len(line) > limit or not self._append(line):
                    self._compact(self._seq + 1)
        except BaseException:
            self.invalidate()
            raise
        finally:
            self._forget_marks()

    def _needs_compaction(self) -> bool:
        if self._full or self._signature is None or not self._journal_end:
            return True
        changed = sum(len(ids) for ids in self._marks.values())
        total = sum(len(table) for table in (self._data or {}).values())
        return changed > 64 and changed > total * COMPACT_CHANGED_SHARE

    def _record(self) -> bytes:
        data = self._data or {}
        docs: dict[str, dict[str, Any]] = {}
        for name, ids in self._marks.items():
            table = data.get(name, {})
            docs[name] = {str(i): table.get(str(i)) for i in sorted(ids)}
        record: dict[str, Any] = {"seq": self._seq + 1, "clear": sorted(self._cleared)}
        record["docs"] = docs
        if self._batch_audit:
            record["audit"] = self._batch_audit
        return _line(record)

    def _append(self, line: bytes) -> bool:
        """Append one record and fsync; False if the journal is not the one read."""
        try:
            fd = os.open(self.journal_path, os.O_WRONLY)
        except FileNotFoundError:
            return False
        try:
            st = os.fstat(fd)
            if st.st_ino != self._journal_inode:
                return False  # replaced since it was read (not under the lock): compact
            if st.st_size != self._journal_end:
                os.ftruncate(fd, self._journal_end)  # a killed writer's cut-off line
            try:
                written = 0
                while written < len(line):
                    written += os.pwrite(fd, line[written:], self._journal_end + written)
                os.fsync(fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._journal_end)  # not acknowledged: not there
                raise
        finally:
            os.close(fd)
        self._journal_end += len(line)
        self._seq += 1
        self._journal_audit.extend((self._seq, entry) for entry in self._batch_audit)
        return True

    def _write_replacing(self, path: Path, content: bytes | Iterable[bytes]) -> int:
        """Write a temporary file, fsync it, rename it over ``path``, fsync the directory;
        returns the number of bytes written."""
        directory = path.parent
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=TEMP_SUFFIX, dir=directory)
        size = 0
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as f:
                for chunk in [content] if isinstance(content, bytes) else content:
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(directory)
        return size

    def _compact(self, seq: int) -> None:
        """Rewrite the main file whole (including commit ``seq``), then start an empty
        journal after it. Each rename is made durable before the next: a new journal never
        follows an old main file. The journal's audit entries (and the batch's) are first
        appended to the audit file, whose new length the main file records."""
        data = {k: v for k, v in (self._data or {}).items() if k != SEQ_TABLE}
        audit_end = self._append_audit(seq)
        row = {"seq": seq, "audit_end": audit_end} if audit_end else {"seq": seq}
        marker = f"{_dumps(SEQ_TABLE)}:{_dumps({'1': row})}"
        size = self._write_replacing(self.path, self._main_chunks(data, marker))
        self._base, self._audit_end, self._journal_audit = seq, audit_end, []
        # The commit is done: the old journal's records are all included (and skipped).
        held = self._open_held(self.path)
        assert held is not None  # we hold the lock
        if self._held is not None:
            os.close(self._held)
        self._held, self._signature = held[0], _signature(held[1])
        self._main_size, self._seq = size, seq
        header = _line({"base": seq})
        try:
            self._write_replacing(self.journal_path, header)
        except OSError:
            return  # the old journal stays valid after this main file; compact again later
        journal = self._open_held(self.journal_path)
        assert journal is not None
        if self._journal_held is not None:
            os.close(self._journal_held)
        self._journal_held, self._journal_inode = journal[0], journal[1].st_ino
        self._journal_end = len(header)

    def compact(self) -> None:
        """Rewrite the main file now (bench floor (b); callers hold the file lock)."""
        self.read()
        self._compact(self._seq)


class _AuditMismatch(Exception):
    def __init__(self, size: int, audit_end: int) -> None:
        super().__init__(size, audit_end)
        self.size, self.audit_end = size, audit_end


class _Damaged(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class WorkspaceDatabase:
    """One workspace's TinyDB, with transactions that are atomic, durable and isolated."""

    def __init__(self, path: Path, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._storage = AtomicJSONStorage(path)
        self._db: TinyDB = _TinyDB(storage=lambda: self._storage)
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._touched = False
        self._lock_fd: int | None = None
        # Per-transaction buffers (name -> (items, flush)), written just before the commit.
        self._buffers: dict[str, tuple[list, Callable[[list], None]]] = {}
        # Increases whenever the data may have changed (see .generation).
        self._generation = 0
        self._seen_changes = 0
        # Increases when the in-memory copy is dropped (another process's commit, a
        # rollback): caches of objects that this process keeps up to date key on it.
        self.epoch = 0
        with self.transaction() as db:
            self._migrate(db)
            self._remove_stale_temp_files()

    @property
    def db(self) -> TinyDB:
        return self._db

    def add_audit(self, entries: Iterable[dict]) -> None:
        """Audit entries (plain dicts) committed with the current transaction."""
        if not self._depth:
            raise RuntimeError("writes must happen inside a transaction")
        self._storage.add_audit(entries)

    def audit(self, subjects: set[str] | None = None) -> list[dict]:
        """Committed audit entries, oldest first (only about ``subjects``, if given)."""
        with self.reading():
            return self._storage.audit(subjects)

    def audit_newest(
        self, subjects: set[str] | None, skip: int, limit: int
    ) -> tuple[list[dict], bool]:
        """A page of committed audit entries, newest first, and whether older ones exist."""
        with self.reading():
            return self._storage.audit_newest(subjects, skip, limit)

    def touch(self) -> None:
        """A write is about to change the in-memory copy: a rollback must drop it."""
        self._touched = True

    @property
    def in_transaction(self) -> bool:
        """True in the thread that runs the transaction (not in another one meanwhile)."""
        return self._depth > 0 and self._thread_lock._is_owned()  # type: ignore[attr-defined]

    @property
    def generation(self) -> int:
        """Increases whenever the data may have changed: caches key on it.

        It moves at the write itself, not at the commit, so that data derived inside a
        transaction after its last write is still current once the transaction commits.
        Writes to the append-only audit log do not move it (nothing derived depends on it).
        """
        changes = self._storage.changes
        if changes != self._seen_changes:
            self._seen_changes = changes
            self._generation += 1
        return self._generation

    def _refresh(self) -> None:
        if self._storage.refresh():
            self._new_db()

    def _reset(self) -> None:
        self._storage.invalidate()
        self._new_db()

    def _new_db(self) -> None:
        # A fresh TinyDB forgets cached tables (their next ids, query caches).
        self._db = _TinyDB(storage=lambda: self._storage)
        self._generation += 1
        self.epoch += 1

    def compact(self) -> None:
        """Rewrite the main file with every commit and start an empty journal."""
        with self.transaction():
            self._storage.force_compaction()

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
                    self._storage.commit()
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
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            _private(fd)
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
            # A migrated database is written whole: its main file says its schema.
            self._storage.force_compaction()


class Databases:
    """The workspaces' databases under one data dir, opened once per process."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self._open: dict[str, WorkspaceDatabase] = {}
        self._lock = threading.Lock()
        self.repair_modes()

    def repair_modes(self) -> None:
        """Take group and other users' access away from an existing data dir and its
        database files (a data dir of an earlier version, or restored from a backup).
        The owner's bits stay: a data dir made read-only on purpose stays read-only."""
        if not self.data_dir.is_dir():
            return
        try:
            for path in [self.data_dir, *self.data_dir.glob("team-*")]:
                st = path.lstat()
                if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                    continue
                if stat.S_IMODE(st.st_mode) & 0o077:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
        except OSError as exc:  # not ours to change: say so, the bot still works
            log.warning("could not make %s private: %s", self.data_dir, exc)

    def for_team(self, team_id: str) -> WorkspaceDatabase:
        if not _TEAM_ID.fullmatch(team_id or ""):  # not .match: "$" accepts a final newline
            raise DomainError(f"Unknown workspace id {team_id!r}.")
        with self._lock:
            db = self._open.get(team_id)
            if db is None:
                try:
                    created = not self.data_dir.exists()
                    self.data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
                    if created:
                        os.chmod(self.data_dir, DIR_MODE)  # mkdir's mode is cut by the umask
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
        # Any of a workspace's files names it: a main file gone missing is reported, not
        # taken for a workspace without data.
        found = set()
        for suffix in (".json", ".json" + JOURNAL_SUFFIX, AUDIT_SUFFIX):
            for p in self.data_dir.glob("team-*" + suffix):
                found.add(p.name[len("team-") : -len(suffix)])
        return sorted(t for t in found if _TEAM_ID.fullmatch(t))
