"""``PostgresAuditStore``: the audit log in PostgreSQL, one log for many processes and hosts.

    >>> from privllm.audit.crypto import MasterKey
    >>> with PostgresAuditStore(os.environ["PRIVLLM_AUDIT_DSN"], MasterKey.from_env()) as log:
    ...     log.append(record)                                          # doctest: +SKIP
    ...     log.verify_or_raise()

The same rows, encryption and chain as the SQLite :class:`~privllm.audit.store.AuditStore`
(records copy across byte for byte and keep verifying); only the storage differs.
Needs ``pip install 'privllm[postgres]'`` (psycopg 3 and psycopg_pool).

**The chain under many writers.** Every write is one transaction that takes the log's
transaction-level advisory lock (``pg_advisory_xact_lock``), reads the signed head, inserts
its records after it and updates the head, then commits, which releases the lock. So
appends from any number of processes and hosts are serialised by the server, the chain
never forks, and a writer killed at any point leaves either its whole transaction or
nothing (the server rolls it back and frees the lock). The transaction runs at READ
COMMITTED, so the head it reads is the one the previous lock holder committed. The lock is
held for two network round trips per batch: the :class:`~privllm.audit.writer.AuditWriter`
batches records, so one lock serves hundreds of records. docs/audit.md has the numbers.

Keys never reach the database: only data keys and the chain key wrapped under the master
key, as in SQLite. A connection string's password is never in a message or ``repr``.

Opening and writing are here; reading and ``verify`` in :mod:`privllm.audit.pg_reading`,
the schema, migrations and connection target in :mod:`privllm.audit.pg_schema`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, get_args

import psycopg
from psycopg_pool import ConnectionPool

from privllm.audit import pg_schema, rows
from privllm.audit.chain import CHAIN_COLUMNS, Head, verify_chain
from privllm.audit.crypto import DataKey, KeyRing, MasterKey
from privllm.audit.pg_reading import PostgresReading, one
from privllm.audit.pg_schema import INSERT_ROW, SELECT_ROW, Target
from privllm.audit.record import AuditRecord, ContentMode, PurgeReport
from privllm.audit.store import period_of
from privllm.errors import AuditError, TamperedLogError

__all__ = ["PostgresAuditStore"]

_HEAD_COLS = "anchor_seq, anchor_mac, last_seq, last_mac, head_mac"
_COPY_ROWS = f"COPY records ({', '.join(CHAIN_COLUMNS)}, mac) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = (
    ["int8"] + ["text"] * 9 + ["float8", "int8", "int8", "int8"] + ["text"] * 3 + ["bytea"] * 3
)
_BEFORE_ALL = "0001-01-01"
_UPDATE_HEAD = (
    "UPDATE log_head SET last_seq = %s, last_mac = %s, last_period = %s, head_mac = %s WHERE id = 1"
)
_APPEND_ONE = f"WITH added AS ({INSERT_ROW}) {_UPDATE_HEAD}"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class PostgresAuditStore(PostgresReading):
    """An audit log in a PostgreSQL schema, opened with its master key.

    ``dsn`` is a libpq connection string or URI (it may hold a password: it is never shown).
    ``schema`` holds the log's tables (one log per schema); ``create=True`` makes or migrates
    it. ``durable=False`` (the default) commits with ``synchronous_commit = off``: a killed
    client loses nothing committed, a crash of the server may lose the last few hundred
    milliseconds of commits (never half of one); ``durable=True`` waits for the server's own
    setting (WAL flushed, and synchronous standbys if configured). ``timeout`` bounds the
    wait for a connection. Other arguments are those of the SQLite ``AuditStore``.
    """

    def __init__(
        self,
        dsn: str,
        key: MasterKey | None = None,
        *,
        schema: str = "privllm_audit",
        content_mode: ContentMode = "redacted",
        durable: bool = False,
        clock: Callable[[], datetime] | None = None,
        create: bool = True,
        read_only: bool = False,
        pool_size: int = 4,
        timeout: float = 30.0,
    ) -> None:
        if content_mode not in get_args(ContentMode):
            raise ValueError(f"content_mode must be one of {get_args(ContentMode)}")
        self._target = Target(dsn, schema)
        self.content_mode: ContentMode = content_mode
        self.durable = durable
        self.read_only = read_only
        self._clock = clock or _utc_now
        self._master = key if key is not None else MasterKey.from_env()
        self._ring = KeyRing(self._master)
        self._data_keys: dict[str, DataKey] = {}
        self._encoded_meta = rows.EncodingCache()
        self._lock = threading.Lock()  # guards _pool and the key cache
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        with self._target.errors("open"):
            conn = self._target.connect(read_only=read_only, timeout=timeout)
            try:
                self._log_id, self._mac = pg_schema.open_log(
                    conn, self._target, self._ring, create=create and not read_only
                )
            finally:
                conn.close()
            conninfo, kwargs = self._target.pool_args()
            self._pool = ConnectionPool(
                conninfo,
                kwargs=kwargs,
                min_size=1,
                max_size=max(1, pool_size),
                configure=self._target.setup(read_only),
                timeout=timeout,
                name="privllm-audit",
                open=True,
            )

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """The id of the master key this store is open with."""
        return self._ring.key_id

    @property
    def where(self) -> str:
        """The log's server, database and schema, safe to show (no password)."""
        return self._target.where

    def __repr__(self) -> str:
        return (
            f"PostgresAuditStore({self._target.where!r}, key_id={self.key_id}, "
            f"mode={self.content_mode})"
        )

    def close(self) -> None:
        """Close the connection pool. Idempotent. Close any ``AuditWriter`` on it first."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._data_keys.clear()
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresAuditStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
            new = Head.signed(self._mac, self._log_id, head.anchor_seq, head.anchor_mac, seq, prev)
            new_head = (new.last_seq, new.last_mac, period, new.head_mac)
            if len(new_rows) == 1 and not map_keys:
                # One call's record and the head in one statement: a round trip less for
                # the append a require_record caller waits for.
                conn.execute(_APPEND_ONE, (*new_rows[0], *new_head))
            else:
                with conn.cursor() as cur:
                    # binary COPY is several times faster per row than INSERTs
                    with cur.copy(_COPY_ROWS) as out:
                        out.set_types(_COPY_TYPES)
                        for new_row in new_rows:
                            out.write_row(new_row)
                    if map_keys:
                        cur.executemany(
                            "INSERT INTO map_keys (call_id, wrapped) VALUES (%s, %s)", map_keys
                        )
                conn.execute(_UPDATE_HEAD, new_head)
        with self._lock:
            self._data_keys[period] = dk  # committed: stored with the records
        return list(range(head.last_seq + 1, seq + 1))

    def erase(self, call_id: str) -> bool:
        """Destroy the key of a ``full`` record's placeholder map; False if there was none."""
        with self._write("erase") as conn:
            erased = conn.execute("DELETE FROM map_keys WHERE call_id = %s", (call_id,)).rowcount
        self._vacuum()
        return erased > 0

    def purge(self, older_than: timedelta) -> PurgeReport:
        """Crypto-shred and delete every day period that ended more than ``older_than`` ago.

        As in the SQLite store: the removed prefix is verified first, its data keys and rows
        are deleted, and the signed anchor moves to its last link.
        """
        if older_than < timedelta(0):
            raise ValueError("older_than must not be negative")
        try:
            cut = period_of(self._clock() - older_than)
        except OverflowError:
            cut = _BEFORE_ALL
        with self._write("purge") as conn:
            head, _ = self._head_for_write(conn)
            (first_kept,) = one(
                conn.execute("SELECT MIN(seq) FROM records WHERE period >= %s", (cut,))
            )
            last_gone = (head.last_seq + 1 if first_kept is None else first_kept) - 1
            anchor_seq, anchor_mac, removed = head.anchor_seq, head.anchor_mac, 0
            if last_gone > head.anchor_seq:
                anchor_mac = self._verified_prefix_end(conn, head, last_gone)
                anchor_seq = last_gone
                conn.execute(
                    "DELETE FROM map_keys WHERE call_id IN"
                    " (SELECT call_id FROM records WHERE seq <= %s)",
                    (last_gone,),
                )
                removed = conn.execute("DELETE FROM records WHERE seq <= %s", (last_gone,)).rowcount
            gone = conn.execute(
                "DELETE FROM data_keys WHERE period < %s AND NOT EXISTS"
                " (SELECT 1 FROM records WHERE records.period = data_keys.period)"
                " RETURNING period",
                (cut,),
            ).fetchall()
            periods = tuple(sorted(str(r[0]) for r in gone))
            new = Head.signed(
                self._mac, self._log_id, anchor_seq, anchor_mac, head.last_seq, head.last_mac
            )
            conn.execute(
                "UPDATE log_head SET anchor_seq = %s, anchor_mac = %s, head_mac = %s WHERE id = 1",
                (anchor_seq, anchor_mac, new.head_mac),
            )
        with self._lock:
            for p in periods:
                self._data_keys.pop(p, None)
        self._vacuum()
        return PurgeReport(records=removed, periods=periods, anchor_seq=anchor_seq)

    def _verified_prefix_end(self, conn: psycopg.Connection[Any], head: Head, last: int) -> bytes:
        # Purge must not launder tampering: check the rows it removes before it re-anchors.
        found = conn.execute("SELECT mac FROM records WHERE seq = %s", (last,)).fetchone()
        end = bytes(found[0]) if found is not None else b""
        segment = Head.signed(self._mac, self._log_id, head.anchor_seq, head.anchor_mac, last, end)
        with conn.cursor(name="privllm_purge") as cur:
            cur.itersize = 2000
            cur.execute(SELECT_ROW + " WHERE seq <= %s ORDER BY seq", (last,))
            report = verify_chain(self._mac, self._log_id, segment, cur)
        if not report.ok:
            raise TamperedLogError(f"purge refused: {report.problem}", record=report.bad_seq)
        return end

    def rotate_key(self, new_key: MasterKey) -> None:
        """Re-wrap every data key and the chain key under ``new_key``; records stay as is."""
        ring = KeyRing(new_key, previous=[self._master])
        with self._write("rotate key") as conn:
            self._head_for_write(conn)
            for period, wrapped in conn.execute("SELECT period, wrapped FROM data_keys").fetchall():
                label = rows.data_label(self._log_id, period)
                conn.execute(
                    "UPDATE data_keys SET wrapped = %s WHERE period = %s",
                    (ring.rewrap(wrapped, label, what=f"the data key of {period}"), period),
                )
            (chain_key,) = one(conn.execute("SELECT chain_key FROM log_head WHERE id = 1"))
            chain_key = ring.rewrap(chain_key, rows.chain_label(self._log_id), what="the chain key")
            conn.execute(
                "UPDATE log_head SET chain_key = %s, key_id = %s WHERE id = 1",
                (chain_key, new_key.key_id),
            )
        self._master, self._ring = new_key, KeyRing(new_key)
        self._vacuum()

    def load_copy(
        self,
        head: Sequence[Any],
        data_keys: Sequence[tuple[str, bytes]],
        map_keys: Sequence[tuple[str, bytes]],
        records: Iterable[Sequence[Any]],
    ) -> int:
        """Make this new, empty log a copy of another log (``privllm audit copy``, see
        :mod:`privllm.audit.copy`); returns how many records were copied.

        ``head`` is the source's ``log_id, key_id, chain_key, anchor_seq, anchor_mac,
        last_seq, last_mac, last_period, head_mac``; ``records`` its rows in chain order.
        One transaction: on any failure the log stays empty.
        """
        log_id, kid, chain_key = bytes(head[0]), str(head[1]), bytes(head[2])
        pg_schema.check_key_id(self._target, self.key_id, kid)
        mac = self._ring.open_mac_key(
            chain_key, rows.chain_label(log_id), what="the copied log's chain key"
        )
        count = 0
        with self._write("copy") as conn:
            current, _ = self._head_for_write(conn)
            (keys,) = one(conn.execute("SELECT COUNT(*) FROM data_keys"))
            if current.last_seq or current.anchor_seq or keys:
                raise AuditError(
                    f"audit log {self._target.where} is not empty: copy only into a new log"
                )
            conn.execute(
                "UPDATE log_head SET log_id = %s, key_id = %s, chain_key = %s, anchor_seq = %s,"
                " anchor_mac = %s, last_seq = %s, last_mac = %s, last_period = %s,"
                " head_mac = %s WHERE id = 1",
                tuple(head),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO data_keys (period, wrapped) VALUES (%s, %s)", data_keys
                )
                with cur.copy(_COPY_ROWS) as out:
                    out.set_types(_COPY_TYPES)
                    for row in records:
                        out.write_row(row)
                        count += 1
                cur.executemany("INSERT INTO map_keys (call_id, wrapped) VALUES (%s, %s)", map_keys)
        with self._lock:
            self._log_id, self._mac = log_id, mac
            self._data_keys.clear()
        return count

    @contextmanager
    def _write(self, action: str) -> Iterator[psycopg.Connection[Any]]:
        # Plain statements, one round trip each: on loopback psycopg's pipeline mode cost
        # more in Python than the round trips it saved (measured: 137 vs 81 us for
        # BEGIN, lock, head, COMMIT).
        if self.read_only:
            raise AuditError(f"audit log {self._target.where} is open read-only: cannot {action}")
        with self._conn(action) as conn, conn.transaction():
            self._lock_log(conn)
            yield conn

    def _lock_log(self, conn: psycopg.Connection[Any]) -> None:
        # One statement: set_config(..., true) is SET LOCAL. The head is read by the next
        # statement, whose snapshot is taken once this one holds the lock.
        if self.durable:  # the server's own synchronous_commit, whatever it is
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._target.lock_key,))
        else:
            conn.execute(
                "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(%s)",
                (self._target.lock_key,),
            )

    def _head_for_write(self, conn: psycopg.Connection[Any]) -> tuple[Head, str]:
        found = conn.execute(
            f"SELECT key_id, last_period, {_HEAD_COLS} FROM log_head WHERE id = 1"  # noqa: S608 - constant
        ).fetchone()
        if found is None:
            raise TamperedLogError(
                f"audit log {self._target.where}: the signed head (table log_head, row 1) is "
                "missing: it was deleted; refusing to write"
            )
        kid, period, *rest = found
        pg_schema.check_key_id(self._target, self.key_id, kid)
        head = Head(*rest)
        if not head.signature_ok(self._mac, self._log_id):
            raise TamperedLogError("the signed head was altered; refusing to write", record=None)
        return head, str(period)

    def _vacuum(self) -> None:
        # Deleted or re-wrapped keys stay in dead row versions until a vacuum: clear them now
        # (best effort: a long reader elsewhere can keep them a while; the WAL and backups
        # keep them until recycled, still wrapped under the master key).
        with self._conn("vacuum") as conn:
            conn.execute("VACUUM data_keys, map_keys, log_head")
