"""Tamper evidence from the outside: edit the database with plain sqlite3, then verify."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from privllm.audit.chain import CHAIN_COLUMNS
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.errors import AuditError, TamperedLogError, WrongKeyError

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


def altered(value, position: int = 0):
    """``value`` with one byte/character/number changed."""
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


def assert_names_record(report, seq: int, call_id: str | None = None) -> None:
    assert not report.ok
    assert report.bad_seq == seq, report.problem
    if call_id is not None:
        assert report.bad_call_id == call_id
        assert call_id in report.problem


@pytest.mark.parametrize("column", [c for c in CHAIN_COLUMNS if c != "seq"] + ["mac"])
def test_changing_any_column_of_a_record_is_detected(log, column):
    (original,) = sql(log, f"SELECT {column} FROM records WHERE seq = ?", BAD)[0]  # noqa: S608
    assert original is not None
    positions = range(len(original)) if isinstance(original, bytes | str) else [0]
    for pos in positions:
        sql(log, f"UPDATE records SET {column} = ? WHERE seq = ?", altered(original, pos), BAD)  # noqa: S608
        report = log.verify()
        assert_names_record(report, BAD, None if column == "call_id" else f"c{BAD}")
    sql(log, f"UPDATE records SET {column} = ? WHERE seq = ?", original, BAD)  # noqa: S608
    assert log.verify().ok


def test_changing_seq_is_detected(log):
    sql(log, "UPDATE records SET seq = 1000 WHERE seq = ?", BAD)
    assert_names_record(log.verify(), BAD)


@pytest.mark.parametrize("seq", [1, BAD, N])
def test_deleting_a_record_is_detected(log, seq):
    sql(log, "DELETE FROM records WHERE seq = ?", seq)
    report = log.verify()
    assert_names_record(report, seq)
    assert "missing" in report.problem or "truncated" in report.problem


def test_reordering_records_is_detected(log):
    sql(log, "UPDATE records SET seq = -2 WHERE seq = 2")
    sql(log, "UPDATE records SET seq = 2 WHERE seq = 4")
    sql(log, "UPDATE records SET seq = 4 WHERE seq = -2")
    assert_names_record(log.verify(), 2, "c4")


def test_inserting_a_record_at_the_end_is_detected(log):
    cols = ", ".join(c for c in (*CHAIN_COLUMNS, "mac") if c not in ("seq", "call_id"))
    sql(
        log,
        f"INSERT INTO records (seq, call_id, {cols}) SELECT 7, 'forged', {cols} "  # noqa: S608
        "FROM records WHERE seq = 6",
    )
    report = log.verify()
    assert_names_record(report, 7, "forged")
    assert "inserted" in report.problem


def test_inserting_a_record_before_the_first_is_detected(log):
    cols = ", ".join(c for c in (*CHAIN_COLUMNS, "mac") if c not in ("seq", "call_id"))
    sql(
        log,
        f"INSERT INTO records (seq, call_id, {cols}) SELECT 0, 'forged', {cols} "  # noqa: S608
        "FROM records WHERE seq = 1",
    )
    assert_names_record(log.verify(), 0, "forged")


def test_replacing_a_record_with_another_logs_record_is_detected(log, tmp_path):
    other = AuditStore(
        tmp_path / "other.db", MasterKey.from_base64(generate_key()), content_mode="full"
    )
    try:
        other.append_many([record(i) for i in range(1, N + 1)])
    finally:
        other.close()
    cols = ", ".join((*CHAIN_COLUMNS, "mac"))
    sql(log, "DELETE FROM records WHERE seq = ?", BAD)
    db = sqlite3.connect(log.path, isolation_level=None)
    try:
        db.execute("ATTACH DATABASE ? AS o", (str(tmp_path / "other.db"),))
        db.execute(f"INSERT INTO main.records SELECT {cols} FROM o.records WHERE seq = ?", (BAD,))  # noqa: S608
        db.execute("DETACH DATABASE o")
    finally:
        db.close()
    assert_names_record(log.verify(), BAD, f"c{BAD}")


@pytest.mark.parametrize("cut", [1, 2, N])
def test_tail_truncation_is_detected(log, cut):
    sql(log, "DELETE FROM records WHERE seq > ?", N - cut)
    report = log.verify()
    assert_names_record(report, N - cut + 1)
    assert "truncated" in report.problem


def test_truncation_with_a_rewound_head_is_detected(log):
    sql(log, "DELETE FROM records WHERE seq > 4")
    (mac,) = sql(log, "SELECT mac FROM records WHERE seq = 4")[0]
    sql(log, "UPDATE log_head SET last_seq = 4, last_mac = ?", mac)
    report = log.verify()
    assert not report.ok
    assert "signed head" in report.problem


@pytest.mark.parametrize("column", ["anchor_seq", "anchor_mac", "last_seq", "last_mac", "head_mac"])
def test_changing_the_signed_head_is_detected(log, column):
    (original,) = sql(log, f"SELECT {column} FROM log_head")[0]  # noqa: S608
    sql(log, f"UPDATE log_head SET {column} = ?", altered(original))  # noqa: S608
    report = log.verify()
    assert not report.ok
    assert report.bad_seq is None
    assert "signed head" in report.problem


def test_no_write_builds_on_a_forged_head(log):
    # cut the tail and point the head at the new end: appending and re-signing would hide it
    sql(log, "DELETE FROM records WHERE seq > 4")
    (mac,) = sql(log, "SELECT mac FROM records WHERE seq = 4")[0]
    sql(log, "UPDATE log_head SET last_seq = 4, last_mac = ?", mac)
    with pytest.raises(TamperedLogError, match="signed head"):
        log.append(record(99))
    with pytest.raises(TamperedLogError, match="signed head"):
        log.purge(timedelta(days=1))
    assert not log.verify().ok


@pytest.mark.parametrize("options", [{}, {"read_only": True}], ids=["writer", "reader"])
def test_a_deleted_head_is_reported_and_never_re_created(log, options):
    sql(log, "DELETE FROM log_head")
    with pytest.raises(TamperedLogError, match=r"signed head \(table log_head, row 1\) is missing"):
        AuditStore(log.path, log._master, **options)
    # Opening wrote no new head over the evidence (the old code signed a fresh one).
    assert sql(log, "SELECT COUNT(*) FROM log_head") == [(0,)]
    assert sql(log, "SELECT COUNT(*) FROM records") == [(N,)]


def test_verify_or_raise_names_the_record(log):
    sql(log, "UPDATE records SET model = 'other' WHERE seq = ?", BAD)
    with pytest.raises(TamperedLogError, match=f"record {BAD} \\(call c{BAD}\\)") as info:
        log.verify_or_raise()
    assert info.value.record == BAD


def test_altered_payload_is_reported_on_read_without_crypto_traces(log):
    (blob,) = sql(log, "SELECT payload FROM records WHERE seq = ?", BAD)[0]
    sql(log, "UPDATE records SET payload = ? WHERE seq = ?", altered(blob, 20), BAD)
    with pytest.raises(AuditError, match=f"record {BAD} \\(call c{BAD}\\)") as info:
        log.get(f"c{BAD}")
    chain, exc = [], info.value
    while exc is not None:
        chain.append(type(exc).__name__)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    assert "InvalidTag" not in chain


def test_altered_data_key_fails_verify_and_reads(log):
    (period, wrapped) = sql(log, "SELECT period, wrapped FROM data_keys ORDER BY period")[1]
    sql(log, "UPDATE data_keys SET wrapped = ? WHERE period = ?", altered(wrapped, 30), period)
    log._data_keys.clear()  # as a freshly opened store would be
    report = log.verify()
    assert_names_record(report, 4, "c4")
    with pytest.raises(AuditError, match="record 4"):
        log.get("c4")


def test_deleted_data_key_fails_verify(log):
    sql(log, "DELETE FROM data_keys WHERE period = '2025-03-01'")
    report = log.verify()
    assert_names_record(report, 1, "c1")
    assert "missing" in report.problem


def test_altered_map_key_fails_the_read(log):
    (wrapped,) = sql(log, "SELECT wrapped FROM map_keys WHERE call_id = 'c2'")[0]
    sql(log, "UPDATE map_keys SET wrapped = ? WHERE call_id = 'c2'", altered(wrapped, 5))
    with pytest.raises(AuditError, match="record 2"):
        log.get("c2")


def test_purge_refuses_to_launder_a_tampered_record(log):
    sql(log, "UPDATE records SET status = 'error' WHERE seq = 2")
    log._clock.now = T0 + timedelta(days=5)  # type: ignore[attr-defined]
    with pytest.raises(TamperedLogError, match="purge refused") as info:
        log.purge(timedelta(days=1))
    assert info.value.record == 2
    assert sql(log, "SELECT COUNT(*) FROM records") == [(N,)]


def test_wrong_key_names_both_key_ids(log):
    path, right = log.path, log.key_id
    wrong = MasterKey.from_base64(generate_key())
    with pytest.raises(WrongKeyError, match="does not open the log") as info:
        AuditStore(path, wrong)
    assert str(info.value).startswith(
        f"this key (id {wrong.key_id}) does not open the log; it was written with key id {right}"
    )
    assert info.value.__cause__ is None


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
