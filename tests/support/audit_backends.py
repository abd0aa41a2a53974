"""One audit log under test, on either store: open it, edit its rows with raw SQL, and
point child processes at it. The shared store suite (tests/audit/test_store_shared.py)
runs every test through both.

Raw SQL is written once with ``?`` parameters; on PostgreSQL it runs with ``%s`` and the
log's schema as ``search_path``.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

from privllm.audit.crypto import MasterKey


class SqliteLog:
    kind = "sqlite"

    def __init__(self, tmp_path: Path, name: str = "audit.db") -> None:
        self.path = tmp_path / name
        self._tmp = tmp_path

    def open(self, key: MasterKey, **kw: Any):
        from privllm.audit.store import AuditStore

        return AuditStore(self.path, key, **kw)

    def sql(self, statement: str, *args: Any) -> list[tuple]:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            return db.execute(statement, args).fetchall()
        finally:
            db.close()

    def other(self) -> SqliteLog:
        return SqliteLog(self._tmp, f"other-{uuid.uuid4().hex[:8]}.db")

    def copy_row(self, source: SqliteLog, columns: str, seq: int) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("ATTACH DATABASE ? AS o", (str(source.path),))
            db.execute(
                f"INSERT INTO main.records SELECT {columns} FROM o.records WHERE seq = ?",  # noqa: S608
                (seq,),
            )
            db.execute("DETACH DATABASE o")
        finally:
            db.close()

    def child_args(self) -> list[str]:
        return ["sqlite", str(self.path), ""]

    def disk_bytes(self) -> bytes:
        data = b""
        for suffix in ("", "-wal"):
            p = self.path.with_name(self.path.name + suffix)
            if p.exists():
                data += p.read_bytes()
        return data

    def drop(self) -> None:
        pass


class PostgresLog:
    kind = "postgresql"

    def __init__(self, server: Any) -> None:
        self.server = server
        self.dsn = server.dsn()
        self.schema = f"t_{uuid.uuid4().hex[:16]}"

    def open(self, key: MasterKey, **kw: Any):
        from privllm.audit.store_postgres import PostgresAuditStore

        kw.pop("busy_timeout", None)
        return PostgresAuditStore(self.dsn, key, schema=self.schema, **kw)

    def _connect(self):
        import psycopg

        conn = psycopg.connect(self.dsn, autocommit=True)
        conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def sql(self, statement: str, *args: Any) -> list[tuple]:
        with self._connect() as conn:
            cur = conn.execute(statement.replace("?", "%s"), args)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def other(self) -> PostgresLog:
        return PostgresLog(self.server)

    def copy_row(self, source: PostgresLog, columns: str, seq: int) -> None:
        self.sql(
            f'INSERT INTO records SELECT {columns} FROM "{source.schema}".records WHERE seq = ?',  # noqa: S608
            seq,
        )

    def child_args(self) -> list[str]:
        return ["postgresql", self.dsn, self.schema]

    def disk_bytes(self) -> bytes:
        # Everything the server has written: tables, indexes, WAL, after a checkpoint.
        with self._connect() as conn:
            conn.execute("CHECKPOINT")
        data = bytearray()
        for p in sorted(self.server.data_dir.rglob("*")):
            if p.is_file():
                try:
                    data += p.read_bytes()
                except OSError:
                    continue
        return bytes(data)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def open_child_log(kind: str, target: str, schema: str, key: MasterKey, **kw: Any):
    """In a child process: the log the parent's ``child_args`` named."""
    if kind == "sqlite":
        from privllm.audit.store import AuditStore

        return AuditStore(target, key, **kw)
    from privllm.audit.store_postgres import PostgresAuditStore

    return PostgresAuditStore(target, key, schema=schema, **kw)


def altered(value: Any, position: int = 0) -> Any:
    """``value`` with one byte/character/number changed (for the tamper tests)."""
    if isinstance(value, bytes):
        b = bytearray(value)
        b[position] ^= 0x01
        return bytes(b)
    if isinstance(value, str):
        return value[:position] + chr(ord(value[position]) ^ 0x40) + value[position + 1 :]
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.25
    raise AssertionError(f"unexpected {value!r}")


def assert_names_record(report: Any, seq: int, call_id: str | None = None) -> None:
    """``verify`` failed and named record ``seq`` (and its call id)."""
    assert not report.ok
    assert report.bad_seq == seq, report.problem
    if call_id is not None:
        assert report.bad_call_id == call_id
        assert call_id in report.problem
