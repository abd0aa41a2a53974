"""Tamper evidence on SQLite beyond the shared store suite (tests/audit/test_store_shared.py,
which runs every tamper case on SQLite and PostgreSQL): every byte of every column, the
exception ``verify_or_raise`` raises, and a corrupt file."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from privllm.audit.chain import CHAIN_COLUMNS
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.errors import AuditError, TamperedLogError
from support.audit_backends import altered, assert_names_record

T0 = datetime(2025, 3, 1, 23, 59, tzinfo=timezone.utc)
N = 6
BAD = 3  # the record each test tampers with


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def record(i: int) -> AuditRecord:
    return AuditRecord(
        call_id=f"c{i}",
        time=T0,
        provider="openai",
        model="gpt-test",
        endpoint_host="api.openai.com",
        endpoint_kind="enterprise",
        decision="allow",
        rule="default",
        status="ok",
        latency_ms=10.5 + i,
        prompt_tokens=i,
        completion_tokens=2,
        total_tokens=i + 2,
        findings={"EMAIL": i},
        payload={"messages": [f"hello {i}"]},
        placeholder_map={"<EMAIL_1>": f"user{i}@example.com"},
    )


@pytest.fixture
def log(tmp_path):
    """An open store of N full-mode records over two day periods (records 1-3, 4-6)."""
    clock = Clock()
    store = AuditStore(
        tmp_path / "audit.db",
        MasterKey.from_base64(generate_key()),
        content_mode="full",
        clock=clock,
    )
    store.append_many([record(i) for i in range(1, 4)])
    clock.now = T0 + timedelta(minutes=2)  # the next UTC day
    store.append_many([record(i) for i in range(4, N + 1)])
    assert store.verify().ok
    yield store
    store.close()


def sql(store: AuditStore, statement: str, *args) -> list[tuple]:
    db = sqlite3.connect(store.path, isolation_level=None)
    try:
        return db.execute(statement, args).fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("column", [c for c in CHAIN_COLUMNS if c != "seq"] + ["mac"])
def test_changing_any_byte_of_any_column_is_detected(log, column):
    # The shared suite changes three positions per column on both stores; here every one.
    (original,) = sql(log, f"SELECT {column} FROM records WHERE seq = ?", BAD)[0]  # noqa: S608
    assert original is not None
    positions = range(len(original)) if isinstance(original, bytes | str) else [0]
    for pos in positions:
        sql(log, f"UPDATE records SET {column} = ? WHERE seq = ?", altered(original, pos), BAD)  # noqa: S608
        report = log.verify()
        assert_names_record(report, BAD, None if column == "call_id" else f"c{BAD}")
    sql(log, f"UPDATE records SET {column} = ? WHERE seq = ?", original, BAD)  # noqa: S608
    assert log.verify().ok


def test_verify_or_raise_names_the_record(log):
    sql(log, "UPDATE records SET model = 'other' WHERE seq = ?", BAD)
    with pytest.raises(TamperedLogError, match=f"record {BAD} \\(call c{BAD}\\)") as info:
        log.verify_or_raise()
    assert info.value.record == BAD


def test_corrupt_file_raises_audit_error_not_sqlite_error(tmp_path):
    path = tmp_path / "big.db"
    key = MasterKey.from_base64(generate_key())
    with AuditStore(path, key) as store:
        store.append_many([record(i) for i in range(1, 400)])
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 4096
    data[3 * 4096 : 6 * 4096] = b"\xa5" * (3 * 4096)
    path.write_bytes(bytes(data))

    def open_and_verify() -> None:
        with AuditStore(path, key) as store:
            store.verify_or_raise()

    # Either on open (SQLite sees the damage) or on verify (a record no longer verifies);
    # never sqlite3.Error, and never a log that verifies.
    with pytest.raises(AuditError, match=r"is corrupt or not a privllm audit log|record \d+"):
        open_and_verify()
