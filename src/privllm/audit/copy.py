"""Move an SQLite audit log into PostgreSQL as it is: same log id, chain key, data keys,
rows and MACs, so the copy verifies under the same master key and proves the same history.

    report = copy_to_postgres(AuditStore(path, key, read_only=True), pg_store)
    report.records, report.last_seq  # what was copied, and where the chain ends

Both ends are verified: the source before anything is written, the target after the copy
(from a fresh connection, with the copied head). The target must be a new, empty log; the
copy is one transaction, so a failure leaves it empty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from privllm.audit.record import VerifyReport
from privllm.audit.schema import SELECT_ROW, sqlite_errors
from privllm.audit.store import AuditStore
from privllm.audit.store_postgres import PostgresAuditStore
from privllm.errors import AuditError, TamperedLogError

__all__ = ["copy_to_postgres"]

_HEAD = (
    "log_id, key_id, chain_key, anchor_seq, anchor_mac, last_seq, last_mac, last_period, head_mac"
)
_PAGE = 2000


@dataclass(frozen=True)
class _Snapshot:
    head: tuple[Any, ...]
    data_keys: list[tuple[str, bytes]]
    map_keys: list[tuple[str, bytes]]
    conn: sqlite3.Connection

    def records(self) -> Iterator[tuple[Any, ...]]:
        cursor = self.conn.execute(SELECT_ROW + " ORDER BY seq")
        while page := cursor.fetchmany(_PAGE):
            yield from page


def copy_to_postgres(source: AuditStore, target: PostgresAuditStore) -> VerifyReport:
    """Copy ``source`` into the empty log ``target`` and verify both; returns the target's
    report. Raises ``TamperedLogError`` if the source does not verify (nothing is copied),
    and ``AuditError`` if the target is not empty or its copy does not verify."""
    before = source.verify()
    if not before.ok:
        raise TamperedLogError(f"copy refused: {before.problem}", record=before.bad_seq)
    conn = sqlite3.connect(
        source.path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None
    )
    try:
        with sqlite_errors(source.path, "copy"):
            conn.execute("BEGIN")  # one snapshot: the head and the rows it signs
            snapshot = _Snapshot(
                head=conn.execute(f"SELECT {_HEAD} FROM log_head WHERE id = 1").fetchone(),  # noqa: S608
                data_keys=conn.execute("SELECT period, wrapped FROM data_keys").fetchall(),
                map_keys=conn.execute("SELECT call_id, wrapped FROM map_keys").fetchall(),
                conn=conn,
            )
            copied = target.load_copy(
                snapshot.head, snapshot.data_keys, snapshot.map_keys, snapshot.records()
            )
            conn.execute("COMMIT")
    finally:
        conn.close()
    after = target.verify()
    if not after.ok or (after.records, after.last_seq) != (copied, snapshot.head[5]):
        raise AuditError(
            f"the copy in {target.where} does not verify: {after.problem or 'records differ'}"
        )
    return after
