"""The reading half of :class:`~privllm.audit.store_postgres.PostgresAuditStore`: records,
counts, stats, export and ``verify``, over the store's connection pool.

Reads run outside the chain's lock: each page or query is its own statement, and
``verify`` reads one REPEATABLE READ snapshot through a server-side cursor, so both go on
while others append.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from privllm.audit import rows
from privllm.audit.chain import Head, verify_chain
from privllm.audit.crypto import DataKey, KeyRing, MacKey
from privllm.audit.pg_schema import SELECT_ROW, Target
from privllm.audit.record import AuditRecord, StatsRow, VerifyReport
from privllm.errors import AuditError, TamperedLogError, WrongKeyError

__all__ = ["PostgresReading", "one"]

_SELECT_HEAD = (
    "SELECT anchor_seq, anchor_mac, last_seq, last_mac, head_mac FROM log_head WHERE id = 1"
)
_PAGE = 500
_STATS_TOTALS = (
    "SELECT substr(time, 1, 10), provider, COUNT(*), COUNT(*) FILTER (WHERE status = 'error'),"
    " COUNT(*) FILTER (WHERE status = 'blocked'), COALESCE(SUM(prompt_tokens), 0)::bigint,"
    " COALESCE(SUM(completion_tokens), 0)::bigint, COALESCE(SUM(total_tokens), 0)::bigint"
    " FROM records GROUP BY 1, 2 ORDER BY 1, 2"
)
_STATS_FIRST = (
    "SELECT seq, call_id FROM records WHERE substr(time, 1, 10) IS NOT DISTINCT FROM ?"
    " AND provider IS NOT DISTINCT FROM ? ORDER BY seq LIMIT 1"
)
_PERIOD_FIRSTS = (
    "SELECT * FROM (SELECT DISTINCT ON (period) period, seq, call_id FROM records"
    " WHERE payload IS NOT NULL OR map IS NOT NULL ORDER BY period, seq) AS firsts ORDER BY 2"
)


class _Qmark:
    """Runs the shared ``?``-parameter queries of :mod:`privllm.audit.rows` on psycopg."""

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        # The shared queries hold no literal ? or %: the swap cannot touch a value.
        return self._conn.execute(sql.replace("?", "%s"), parameters)


class PostgresReading:
    """Reading and verifying a PostgreSQL log; the store adds opening and writing."""

    _target: Target
    _pool: ConnectionPool[psycopg.Connection[Any]] | None
    _lock: threading.Lock
    _ring: KeyRing
    _log_id: bytes
    _mac: MacKey
    _data_keys: dict[str, DataKey]

    @contextmanager
    def _conn(self, action: str) -> Iterator[psycopg.Connection[Any]]:
        pool = self._pool
        if pool is None:
            raise AuditError(f"audit log {self._target.where} is closed")
        with self._target.errors(action), pool.connection() as conn:
            yield conn

    def _data_key(self, conn: psycopg.Connection[Any], period: str, *, create: bool) -> DataKey:
        dk = self._data_keys.get(period)
        if dk is not None:
            return dk
        label = rows.data_label(self._log_id, period)
        row = conn.execute("SELECT wrapped FROM data_keys WHERE period = %s", (period,)).fetchone()
        if row is not None:
            dk = self._ring.open_data_key(period, row[0], label, what=f"the data key of {period}")
        elif create:
            # Not cached here: the transaction may still roll back, and a key kept in memory
            # but never stored would encrypt records nobody can read. append_many caches it
            # once committed.
            dk, wrapped = self._ring.new_data_key(period, label)
            conn.execute(
                "INSERT INTO data_keys (period, wrapped) VALUES (%s, %s)", (period, wrapped)
            )
            return dk
        else:
            raise AuditError(f"the data key of {period} was destroyed (purged)")
        with self._lock:
            self._data_keys[period] = dk
        return dk

    # -- reading ------------------------------------------------------------------------

    def get(self, call_id: str, *, decrypt: bool = True) -> AuditRecord | None:
        """The record of one call, or None."""
        with self._conn("read") as conn:
            row = conn.execute(SELECT_ROW + " WHERE call_id = %s", (call_id,)).fetchone()
            return None if row is None else self._to_record(conn, row, decrypt)

    def short_id_length(self, call_ids: Iterable[str]) -> int:
        """How many leading characters tell each of ``call_ids`` apart from every other call
        in the log (at least 8), for short ids like git's."""
        from privllm.audit.call_ids import prefix_length

        with self._conn("read") as conn:
            return prefix_length(conn, call_ids, mark="%s")

    def call_ids_starting(self, prefix: str, limit: int = 10) -> list[str]:
        """The call ids starting with ``prefix`` (a short id), the first ``limit`` of them."""
        from privllm.audit.call_ids import matching_postgres

        with self._conn("read") as conn:
            return matching_postgres(conn, prefix, limit)

    def iter_records(
        self,
        since: datetime | None = None,
        provider: str | None = None,
        status: str | None = None,
        decrypt: bool = True,
    ) -> Iterator[AuditRecord]:
        """Records in chain order, filtered by call time (>= ``since``), provider, status."""
        where, args = rows.filters(since, provider, status)
        query = f"{SELECT_ROW} WHERE seq > %s{where.replace('?', '%s')} ORDER BY seq LIMIT {_PAGE}"
        after = 0
        while True:
            with self._conn("read") as conn:
                found = conn.execute(query, (after, *args)).fetchall()
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
        query = f"SELECT COUNT(*) FROM records WHERE true{where.replace('?', '%s')}"  # noqa: S608
        with self._conn("count") as conn:
            return int(one(conn.execute(query, args))[0])

    def stats(self) -> list[StatsRow]:
        """Calls, errors, tokens and finding counts per (UTC day of the call, provider)."""
        with self._conn("stats") as conn:
            return rows.stats(_Qmark(conn), _STATS_TOTALS, _STATS_FIRST)

    def export_jsonl(self, fp: Any, *, decrypt: bool = True, since: datetime | None = None) -> int:
        """Write records as JSON lines to the text file ``fp``; returns how many."""
        count = 0
        for record in self.iter_records(since=since, decrypt=decrypt):
            fp.write(record.model_dump_json() + "\n")
            count += 1
        return count

    def _to_record(
        self, conn: psycopg.Connection[Any], row: Sequence[Any], decrypt: bool
    ) -> AuditRecord:
        seq, call_id, period = row[0], row[1], row[16]
        payload = mapping = None
        if decrypt and (row[17] is not None or row[18] is not None):
            try:
                dk = self._data_key(conn, period, create=False)
                payload, mapping = rows.decrypt(_Qmark(conn), dk, self._log_id, row)
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

        Reads one snapshot (REPEATABLE READ), streaming the rows through a server-side
        cursor, so it runs while others append.
        """
        with self._conn("verify") as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            found = conn.execute(_SELECT_HEAD).fetchone()
            if found is None:
                raise TamperedLogError(
                    f"audit log {self._target.where}: the signed head (table log_head, row 1) "
                    "is missing: it was deleted, so no record can be checked against it"
                )
            with conn.cursor(name="privllm_verify") as cur:
                cur.itersize = 2000
                cur.execute(SELECT_ROW + " ORDER BY seq")
                report = verify_chain(self._mac, self._log_id, Head(*found), cur)
            if report.ok:
                report = rows.check_data_keys(
                    _Qmark(conn), self._ring, self._log_id, report, _PERIOD_FIRSTS
                )
            return report

    def verify_or_raise(self) -> VerifyReport:
        """:meth:`verify`, raising ``TamperedLogError(problem, record=seq)`` on failure."""
        report = self.verify()
        report.raise_for_problem()
        return report


def one(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    row = cursor.fetchone()
    if row is None:  # aggregates and the head row always give one
        raise AuditError("the database returned no row where one was expected")
    return tuple(row)
