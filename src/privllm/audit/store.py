"""``AuditStore``: the encrypted, tamper-evident log of LLM calls, in one SQLite file.

    >>> from privllm.audit.crypto import MasterKey, generate_key
    >>> key = MasterKey.from_base64(generate_key())
    >>> with AuditStore(tmp / "audit.db", key) as store:          # doctest: +SKIP
    ...     store.append(AuditRecord(call_id="c1", provider="openai", model="gpt-x",
    ...                              payload={"messages": [...]}))
    ...     store.verify_or_raise()

Writes are serialised across threads and processes by ``BEGIN IMMEDIATE``: the transaction
that reads the chain's last link is the one that inserts after it, so concurrent writers
can neither fork nor lose the chain. Each record is encrypted inside that transaction
because its associated data binds its chain position (``seq``). For many records per
second use :class:`privllm.audit.writer.AuditWriter`, which batches them.

Day periods: each record is encrypted under the data key of the UTC day it is *stored*
(by the store's clock), never earlier than the previous record's, so each period is one
contiguous run of the chain and purging old periods removes a prefix.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, get_args

from pydantic import ValidationError

from privllm.audit import rows
from privllm.audit.chain import Head, verify_chain
from privllm.audit.crypto import DataKey, KeyRing, MasterKey
from privllm.audit.record import AuditRecord, ContentMode, PurgeReport, StatsRow, VerifyReport
from privllm.audit.schema import (
    INSERT_ROW,
    SELECT_ROW,
    check_key_id,
    checkpoint,
    connect,
    open_log,
    sqlite_errors,
)
from privllm.errors import AuditError, TamperedLogError, WrongKeyError

__all__ = ["AuditStore", "period_of"]

_HEAD_COLS = "anchor_seq, anchor_mac, last_seq, last_mac, head_mac"
_SELECT_HEAD = f"SELECT {_HEAD_COLS} FROM log_head WHERE id = 1"  # noqa: S608 - constant
_PAGE = 500
_BEFORE_ALL = "0001-01-01"  # no period sorts before it


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def period_of(when: datetime) -> str:
    """The data-key period (UTC day, ``YYYY-MM-DD``) of a moment."""
    return rows.utc_text(when)[:10]  # zero-padded: periods are compared as text


class AuditStore:
    """An audit log file opened with its master key.

    ``key`` defaults to ``MasterKey.from_env()`` (``PRIVLLM_AUDIT_KEY``). ``content_mode``
    applies to records that do not set their own. ``durable=True`` makes SQLite fsync the
    WAL at every commit (``synchronous=FULL``); the default survives a killed process but
    not a power cut. ``clock`` (returning an aware datetime) picks day periods and purge
    cut-offs; tests inject one. A wrong key raises ``WrongKeyError`` here, naming both ids.

    ``read_only=True`` opens an existing log for reading and verifying only: nothing is
    created or written (the file and its folder may be read-only), and every write method
    raises ``AuditError``. A log whose signed head was deleted raises ``TamperedLogError``
    here, in either mode: the head is never re-created over existing evidence.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        key: MasterKey | None = None,
        *,
        content_mode: ContentMode = "redacted",
        durable: bool = False,
        clock: Callable[[], datetime] | None = None,
        busy_timeout: float = 30.0,
        read_only: bool = False,
    ) -> None:
        if content_mode not in get_args(ContentMode):
            raise ValueError(f"content_mode must be one of {get_args(ContentMode)}")
        self.path = Path(path)
        self.content_mode: ContentMode = content_mode
        self.durable = durable
        self.read_only = read_only
        self._clock = clock or _utc_now
        self._busy_timeout = busy_timeout
        self._master = key if key is not None else MasterKey.from_env()
        self._ring = KeyRing(self._master)
        self._lock = threading.RLock()
        self._data_keys: dict[str, DataKey] = {}
        self._encoded_meta = rows.EncodingCache()
        self._conn: sqlite3.Connection | None = connect(
            self.path, durable=durable, busy_timeout=busy_timeout, read_only=read_only
        )
        try:
            self._log_id, self._mac = open_log(
                self._conn, self.path, self._ring, create=not read_only
            )
        except BaseException:
            self.close()
            raise

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """The id of the master key this store is open with."""
        return self._ring.key_id

    def __repr__(self) -> str:
        return f"AuditStore({str(self.path)!r}, key_id={self.key_id}, mode={self.content_mode})"

    def close(self) -> None:
        """Close the database. Idempotent. Close any ``AuditWriter`` on it first."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._data_keys.clear()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AuditError(f"audit log {self.path} is closed")
        return self._conn

    def _check_key_id(self, stored: str) -> None:
        check_key_id(self.path, self.key_id, stored)

    # -- writing ------------------------------------------------------------------------

    def append(self, record: AuditRecord) -> int:
        """Write one record in its own transaction; returns its ``seq``."""
        return self.append_many([record])[0]

    def append_many(self, records: Sequence[AuditRecord]) -> list[int]:
        """Write records in one transaction (all or none); returns their ``seq`` numbers."""
        if not records:
            return []
        cache = self._encoded_meta
        prepared = [rows.Prepared(r, r.content_mode or self.content_mode, cache) for r in records]
        with self._write("append") as conn:
            head, last_period = self._head_for_write(conn)
            period = max(last_period, period_of(self._clock()))
            dk = self._data_key(conn, period, create=True)
            chained = rows.chain_rows(prepared, head, period, dk, self._mac, self._log_id)
            new_rows, map_keys, seq, prev = chained
            conn.executemany(INSERT_ROW, new_rows)
            if map_keys:
                conn.executemany("INSERT INTO map_keys (call_id, wrapped) VALUES (?, ?)", map_keys)
            new = Head.signed(self._mac, self._log_id, head.anchor_seq, head.anchor_mac, seq, prev)
            conn.execute(
                "UPDATE log_head SET last_seq = ?, last_mac = ?, last_period = ?, head_mac = ?"
                " WHERE id = 1",
                (new.last_seq, new.last_mac, period, new.head_mac),
            )
        self._data_keys[period] = dk  # committed: stored with the records
        return list(range(head.last_seq + 1, seq + 1))

    def erase(self, call_id: str) -> bool:
        """Destroy the key of a ``full`` record's placeholder map; False if there was none.

        The record, its metadata, its (placeholder-form) payload and the chain stay; the
        real values behind the placeholders can no longer be decrypted by anyone.
        """
        with self._write("erase") as conn:
            erased = conn.execute("DELETE FROM map_keys WHERE call_id = ?", (call_id,)).rowcount
        self._checkpoint()
        return erased > 0

    def purge(self, older_than: timedelta) -> PurgeReport:
        """Crypto-shred and delete every day period that ended more than ``older_than`` ago.

        The expired periods' data keys are deleted (so any copy of their rows is
        unreadable), then their rows, which form a prefix of the chain. The removed segment
        is verified first, and the signed anchor moves to its last link, so ``verify``
        passes afterwards and still detects any change to what remains.
        """
        if older_than < timedelta(0):
            raise ValueError("older_than must not be negative")
        try:
            cut = period_of(self._clock() - older_than)
        except OverflowError:
            cut = _BEFORE_ALL  # an age reaching back past year 1 expires nothing
        with self._write("purge") as conn:
            head, _ = self._head_for_write(conn)
            (first_kept,) = conn.execute(
                "SELECT MIN(seq) FROM records WHERE period >= ?", (cut,)
            ).fetchone()
            last_gone = (head.last_seq + 1 if first_kept is None else first_kept) - 1
            anchor_seq, anchor_mac, removed = head.anchor_seq, head.anchor_mac, 0
            if last_gone > head.anchor_seq:
                anchor_mac = self._verified_prefix_end(conn, head, last_gone)
                anchor_seq = last_gone
                conn.execute(
                    "DELETE FROM map_keys WHERE call_id IN"
                    " (SELECT call_id FROM records WHERE seq <= ?)",
                    (last_gone,),
                )
                removed = conn.execute("DELETE FROM records WHERE seq <= ?", (last_gone,)).rowcount
            periods = tuple(
                r[0]
                for r in conn.execute(
                    "SELECT period FROM data_keys WHERE period < ? AND period NOT IN"
                    " (SELECT DISTINCT period FROM records) ORDER BY period",
                    (cut,),
                )
            )
            conn.execute(
                "DELETE FROM data_keys WHERE period < ? AND period NOT IN"
                " (SELECT DISTINCT period FROM records)",
                (cut,),
            )
            new = Head.signed(
                self._mac, self._log_id, anchor_seq, anchor_mac, head.last_seq, head.last_mac
            )
            conn.execute(
                "UPDATE log_head SET anchor_seq = ?, anchor_mac = ?, head_mac = ? WHERE id = 1",
                (anchor_seq, anchor_mac, new.head_mac),
            )
            for p in periods:
                self._data_keys.pop(p, None)
        self._checkpoint()
        return PurgeReport(records=removed, periods=periods, anchor_seq=anchor_seq)

    def _verified_prefix_end(self, conn: sqlite3.Connection, head: Head, last: int) -> bytes:
        # Purge must not launder tampering: check the rows it removes before it re-anchors.
        found = conn.execute("SELECT mac FROM records WHERE seq = ?", (last,)).fetchone()
        end = found[0] if found is not None else b""
        segment = Head.signed(self._mac, self._log_id, head.anchor_seq, head.anchor_mac, last, end)
        segment_rows = conn.execute(SELECT_ROW + " WHERE seq <= ? ORDER BY seq", (last,))
        report = verify_chain(self._mac, self._log_id, segment, segment_rows)
        if not report.ok:
            raise TamperedLogError(f"purge refused: {report.problem}", record=report.bad_seq)
        return bytes(end)

    def rotate_key(self, new_key: MasterKey) -> None:
        """Re-wrap every data key and the chain key under ``new_key``; records stay as is.

        From then on only ``new_key`` opens the log (old and new records alike). Other
        processes still holding the old key get ``WrongKeyError`` on their next write.
        """
        ring = KeyRing(new_key, previous=[self._master])
        with self._write("rotate key") as conn:
            self._head_for_write(conn)
            for period, wrapped in conn.execute("SELECT period, wrapped FROM data_keys").fetchall():
                label = rows.data_label(self._log_id, period)
                conn.execute(
                    "UPDATE data_keys SET wrapped = ? WHERE period = ?",
                    (ring.rewrap(wrapped, label, what=f"the data key of {period}"), period),
                )
            (chain_key,) = conn.execute("SELECT chain_key FROM log_head WHERE id = 1").fetchone()
            chain_key = ring.rewrap(chain_key, rows.chain_label(self._log_id), what="the chain key")
            conn.execute(
                "UPDATE log_head SET chain_key = ?, key_id = ? WHERE id = 1",
                (chain_key, new_key.key_id),
            )
        self._master, self._ring = new_key, KeyRing(new_key)
        self._checkpoint()

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the database's write lock up front (waiting up to
        # busy_timeout), so reading the head and inserting after it cannot interleave with
        # another writer, in this process or another.
        with self._lock, sqlite_errors(self.path, action):
            conn = self._db()
            if self.read_only:
                raise AuditError(f"audit log {self.path} is open read-only: cannot {action}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _head_for_write(self, conn: sqlite3.Connection) -> tuple[Head, str]:
        kid, period, *rest = conn.execute(
            f"SELECT key_id, last_period, {_HEAD_COLS} FROM log_head WHERE id = 1"  # noqa: S608 - constant
        ).fetchone()
        # Another process may have rotated the key since this store opened.
        self._check_key_id(kid)
        head = Head(*rest)
        if not head.signature_ok(self._mac, self._log_id):
            # Writing after a forged head and re-signing it would launder the forgery
            # (e.g. a truncated tail): refuse, and leave the evidence for verify.
            raise TamperedLogError("the signed head was altered; refusing to write", record=None)
        return head, period

    def _data_key(self, conn: sqlite3.Connection, period: str, *, create: bool) -> DataKey:
        dk = self._data_keys.get(period)
        if dk is not None:
            return dk
        label = rows.data_label(self._log_id, period)
        row = conn.execute("SELECT wrapped FROM data_keys WHERE period = ?", (period,)).fetchone()
        if row is not None:
            dk = self._ring.open_data_key(period, row[0], label, what=f"the data key of {period}")
        elif create:
            # Not cached here: the transaction may still roll back, and a key kept in memory
            # but never stored would encrypt records nobody can read. append_many caches it
            # once committed.
            dk, wrapped = self._ring.new_data_key(period, label)
            conn.execute("INSERT INTO data_keys (period, wrapped) VALUES (?, ?)", (period, wrapped))
            return dk
        else:
            raise AuditError(f"the data key of {period} was destroyed (purged)")
        self._data_keys[period] = dk
        return dk

    def _checkpoint(self) -> None:
        with self._lock:
            checkpoint(self._db(), self.path, self._busy_timeout)

    # -- reading ------------------------------------------------------------------------

    def get(self, call_id: str, *, decrypt: bool = True) -> AuditRecord | None:
        """The record of one call, or None."""
        with self._lock, sqlite_errors(self.path, "read"):
            conn = self._db()
            row = conn.execute(SELECT_ROW + " WHERE call_id = ?", (call_id,)).fetchone()
            return None if row is None else self._to_record(conn, row, decrypt)

    def short_id_length(self, call_ids: Iterable[str]) -> int:
        """How many leading characters tell each of ``call_ids`` apart from every other call
        in the log (at least 8), for short ids like git's."""
        from privllm.audit.call_ids import prefix_length

        with self._lock, sqlite_errors(self.path, "read"):
            return prefix_length(self._db(), call_ids)

    def call_ids_starting(self, prefix: str, limit: int = 10) -> list[str]:
        """The call ids starting with ``prefix`` (a short id), the first ``limit`` of them."""
        from privllm.audit.call_ids import matching

        with self._lock, sqlite_errors(self.path, "read"):
            return matching(self._db(), prefix, limit)

    def iter_records(
        self,
        since: datetime | None = None,
        provider: str | None = None,
        status: str | None = None,
        decrypt: bool = True,
    ) -> Iterator[AuditRecord]:
        """Records in chain order, filtered by call time (>= ``since``), provider, status.

        Reads page by page, so appends can go on while a long export runs.
        """
        where, args = rows.filters(since, provider, status)
        after = 0
        while True:
            with self._lock, sqlite_errors(self.path, "read"):
                conn = self._db()
                found = conn.execute(
                    f"{SELECT_ROW} WHERE seq > ?{where} ORDER BY seq LIMIT {_PAGE}",
                    (after, *args),
                ).fetchall()
                page = [self._to_record(conn, row, decrypt) for row in found]
            yield from page
            if len(found) < _PAGE:
                return
            after = found[-1][0]

    def count(
        self, since: datetime | None = None, provider: str | None = None, status: str | None = None
    ) -> int:
        """How many records :meth:`iter_records` with the same filters would give."""
        where, args = rows.filters(since, provider, status)
        query = f"SELECT COUNT(*) FROM records WHERE 1 = 1{where}"  # noqa: S608 - constant
        with self._lock, sqlite_errors(self.path, "count"):
            return int(self._db().execute(query, args).fetchone()[0])

    def stats(self) -> list[StatsRow]:
        """Calls, errors, tokens and finding counts per (UTC day of the call, provider)."""
        with self._lock, sqlite_errors(self.path, "stats"):
            return rows.stats(self._db())

    def export_jsonl(self, fp: Any, *, decrypt: bool = True, since: datetime | None = None) -> int:
        """Write records as JSON lines to the text file ``fp``; returns how many.

        With ``decrypt=True`` the output holds payloads (and maps) in clear: protect it.
        """
        count = 0
        for record in self.iter_records(since=since, decrypt=decrypt):
            fp.write(record.model_dump_json() + "\n")
            count += 1
        return count

    def _to_record(
        self, conn: sqlite3.Connection, row: Sequence[Any], decrypt: bool
    ) -> AuditRecord:
        seq, call_id, period = row[0], row[1], row[16]
        payload = mapping = None
        if decrypt and (row[17] is not None or row[18] is not None):
            try:
                dk = self._data_key(conn, period, create=False)
                payload, mapping = rows.decrypt(conn, dk, self._log_id, row)
            except WrongKeyError:
                raise
            except AuditError as exc:
                raise AuditError(f"record {seq} (call {call_id}): {exc}") from exc
        try:
            return rows.to_record(row, payload, mapping)
        except (ValidationError, ValueError, TypeError) as exc:
            raise AuditError(
                f"record {seq} (call {call_id}) has invalid metadata: run verify"
            ) from exc

    # -- verification -------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Check the whole chain, the signed head, and that every period's key unwraps.

        Returns a report naming the first bad record (never raises for a bad log; raises
        ``AuditError`` if the file cannot be read at all).
        """
        with self._lock:
            self._db()  # a closed store raises, as for every other operation
        conn = connect(
            self.path, durable=False, busy_timeout=self._busy_timeout, read_only=self.read_only
        )
        try:
            with sqlite_errors(self.path, "verify"):
                conn.execute("BEGIN")  # one snapshot for head and rows
                head = Head(*conn.execute(_SELECT_HEAD).fetchone())
                report = verify_chain(
                    self._mac, self._log_id, head, conn.execute(SELECT_ROW + " ORDER BY seq")
                )
                if report.ok:
                    report = rows.check_data_keys(conn, self._ring, self._log_id, report)
                conn.execute("COMMIT")
                return report
        finally:
            conn.close()

    def verify_or_raise(self) -> VerifyReport:
        """:meth:`verify`, raising ``TamperedLogError(problem, record=seq)`` on failure."""
        report = self.verify()
        report.raise_for_problem()
        return report
