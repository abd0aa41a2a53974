"""One suite, both stores: every case runs on SQLite and on PostgreSQL (``log_backend``).

Tampering is done from the outside with raw SQL on the store's own rows, as an attacker
with write access to the database (but not the key) would.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import privllm
from privllm.audit.chain import CHAIN_COLUMNS
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.writer import AuditWriter
from privllm.errors import AuditError, TamperedLogError, WrongKeyError
from support.audit_backends import altered, assert_names_record

T0 = datetime(2025, 3, 1, 23, 59, tzinfo=timezone.utc)
N = 6
BAD = 3  # the record each tamper test changes
EMAIL, CARD = "jane.roe@example.org", "4111 1111 1111 1111"
SRC = str(Path(privllm.__file__).resolve().parents[1])
TESTS = str(Path(__file__).resolve().parents[1])


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def record(i: int | str, **kw) -> AuditRecord:
    n = i if isinstance(i, int) else 1
    fields = dict(
        call_id=f"c{i}",
        time=T0,
        provider="openai",
        model="gpt-test",
        endpoint_host="api.openai.com",
        endpoint_kind="enterprise",
        decision="allow",
        rule="default",
        status="ok",
        latency_ms=10.5 + n,
        prompt_tokens=n,
        completion_tokens=2,
        total_tokens=n + 2,
        findings={"EMAIL": n},
        payload={"messages": [f"hello {i} <EMAIL_1>"]},
        placeholder_map={"<EMAIL_1>": f"user{i}@example.com"},
    )
    fields.update(kw)
    return AuditRecord(**fields)


@pytest.fixture
def key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


@pytest.fixture
def log(log_backend, key):
    """An open store of N full-mode records over two day periods (records 1-3, 4-6)."""
    clock = Clock()
    store = log_backend.open(key, content_mode="full", clock=clock)
    store.append_many([record(i) for i in range(1, 4)])
    clock.now = T0 + timedelta(minutes=2)  # the next UTC day
    store.append_many([record(i) for i in range(4, N + 1)])
    assert store.verify().ok
    store.clock = clock
    yield store
    store.close()


# -- reading and writing ---------------------------------------------------------------------


def test_round_trip_filters_stats_and_export(log_backend, key):
    with log_backend.open(key, content_mode="full") as store:
        assert store.append_many([record(1), record(2, provider="azure", status="error")]) == [1, 2]
        assert store.append(record(3, content_mode="metadata")) == 3
        got = store.get("c1")
        assert got.payload == {"messages": ["hello 1 <EMAIL_1>"]}
        assert got.placeholder_map == {"<EMAIL_1>": "user1@example.com"}
        assert (got.seq, got.latency_ms, got.findings, got.time) == (1, 11.5, {"EMAIL": 1}, T0)
        assert store.get("c3").payload is None
        assert store.get("nope") is None
        assert [r.call_id for r in store.iter_records(provider="azure")] == ["c2"]
        assert [r.call_id for r in store.iter_records(status="ok")] == ["c1", "c3"]
        assert store.count(since=T0) == 3
        assert store.count(since=T0 + timedelta(seconds=1)) == 0
        (row_azure, row_openai) = store.stats()
        assert (row_azure.provider, row_azure.calls, row_azure.errors) == ("azure", 1, 1)
        assert (row_openai.calls, row_openai.total_tokens, row_openai.findings) == (
            2,
            3 + 5,
            {"EMAIL": 4},
        )
        assert type(row_openai.total_tokens) is int
        out = io.StringIO()
        assert store.export_jsonl(out) == 3
        assert json.loads(out.getvalue().splitlines()[0])["placeholder_map"] == {
            "<EMAIL_1>": "user1@example.com"
        }
        assert store.verify().records == 3


def test_iter_records_pages_through_large_logs(log_backend, key):
    with log_backend.open(key, content_mode="metadata") as store:
        store.append_many([record(i) for i in range(1, 1203)])
        assert [r.seq for r in store.iter_records(decrypt=False)] == list(range(1, 1203))


def test_a_duplicate_call_id_is_refused_and_the_batch_is_not_half_written(log_backend, key):
    with log_backend.open(key) as store:
        store.append(record(1))
        with pytest.raises(AuditError):
            store.append_many([record(2), record(1)])
        assert store.count() == 1
        assert store.append(record(2)) == 2
        assert store.verify().ok


def test_no_payload_value_reaches_the_disk(log_backend, key):
    payload = {"messages": [f"mail {EMAIL} card {CARD}"]}
    with log_backend.open(key, content_mode="full") as store:
        for i in range(30):
            store.append(record(i, payload=payload, placeholder_map={"<E>": EMAIL, "<C>": CARD}))
        assert store.get("c7").payload == payload
        on_disk = log_backend.disk_bytes()
    assert b"c7" in on_disk  # sanity: we read the bytes the log is in
    for secret in (EMAIL, CARD, "jane.roe"):
        assert secret.encode() not in on_disk, secret


def test_a_read_only_store_refuses_every_write(log, log_backend):
    with log_backend.open(log._master, read_only=True) as reader:
        assert reader.verify().records == N
        for write in (
            lambda: reader.append(record(99)),
            lambda: reader.erase("c1"),
            lambda: reader.purge(timedelta(days=1)),
            lambda: reader.rotate_key(MasterKey.from_base64(generate_key())),
        ):
            with pytest.raises(AuditError, match="read-only"):
                write()
    assert log.verify().records == N


# -- retention, erasure, rotation ------------------------------------------------------------


def test_purge_shreds_old_periods_and_the_rest_still_verifies(log, log_backend):
    log.clock.now = T0 + timedelta(days=3)
    report = log.purge(timedelta(days=2))
    assert (report.records, report.periods, report.anchor_seq) == (3, ("2025-03-01",), 3)
    assert log_backend.sql("SELECT period FROM data_keys") == [("2025-03-02",)]
    assert log.verify().records == 3
    assert log.get("c5").placeholder_map == {"<EMAIL_1>": "user5@example.com"}
    # what remains is still guarded: deleting the new first record is detected
    log_backend.sql("DELETE FROM records WHERE seq = 4")
    assert_names_record(log.verify(), 4)


def test_purge_everything_then_append(log):
    log.clock.now = T0 + timedelta(days=10)
    assert log.purge(timedelta(days=1)).records == N
    assert log.verify().records == 0
    assert log.append(record(7)) == N + 1
    assert log.verify().records == 1


def test_purge_refuses_to_launder_a_tampered_record(log, log_backend):
    log_backend.sql("UPDATE records SET status = 'error' WHERE seq = 2")
    log.clock.now = T0 + timedelta(days=5)
    with pytest.raises(TamperedLogError, match="purge refused") as info:
        log.purge(timedelta(days=1))
    assert info.value.record == 2
    assert log_backend.sql("SELECT COUNT(*) FROM records") == [(N,)]


def test_erase_destroys_the_map_and_keeps_the_chain(log, log_backend):
    assert log.erase("c2")
    assert not log.erase("c2")
    got = log.get("c2")
    assert got.placeholder_map is None
    assert got.payload == {"messages": ["hello 2 <EMAIL_1>"]}
    assert log_backend.sql("SELECT COUNT(*) FROM map_keys WHERE call_id = 'c2'") == [(0,)]
    assert log.verify().records == N


def test_rotate_key_rewraps_and_the_old_key_is_refused(log, log_backend):
    old = log._master
    new = MasterKey.from_base64(generate_key())
    other = log_backend.open(old)  # another process, still on the old key
    try:
        log.rotate_key(new)
        assert log.verify().ok
        with pytest.raises(WrongKeyError, match=new.key_id):
            other.append(record(99))
    finally:
        other.close()
    with pytest.raises(WrongKeyError, match=f"this key \\(id {old.key_id}\\)"):
        log_backend.open(old)
    with log_backend.open(new) as reopened:
        assert reopened.get("c1").placeholder_map == {"<EMAIL_1>": "user1@example.com"}
        assert reopened.verify().records == N


# -- tampering -------------------------------------------------------------------------------


@pytest.mark.parametrize("column", [c for c in CHAIN_COLUMNS if c != "seq"] + ["mac"])
def test_changing_any_column_of_a_record_is_detected(log, log_backend, column):
    (original,) = log_backend.sql(f"SELECT {column} FROM records WHERE seq = ?", BAD)[0]  # noqa: S608
    assert original is not None
    size = len(original) if isinstance(original, bytes | str) else 1
    for pos in sorted({0, size // 2, size - 1}):
        log_backend.sql(
            f"UPDATE records SET {column} = ? WHERE seq = ?",  # noqa: S608
            altered(original, pos),
            BAD,
        )
        assert_names_record(log.verify(), BAD, None if column == "call_id" else f"c{BAD}")
    log_backend.sql(f"UPDATE records SET {column} = ? WHERE seq = ?", original, BAD)  # noqa: S608
    assert log.verify().ok


def test_changing_seq_is_detected(log, log_backend):
    log_backend.sql("UPDATE records SET seq = 1000 WHERE seq = ?", BAD)
    assert_names_record(log.verify(), BAD)


@pytest.mark.parametrize("seq", [1, BAD, N])
def test_deleting_a_record_is_detected(log, log_backend, seq):
    log_backend.sql("DELETE FROM records WHERE seq = ?", seq)
    report = log.verify()
    assert_names_record(report, seq)
    assert "missing" in report.problem or "truncated" in report.problem


def test_reordering_records_is_detected(log, log_backend):
    log_backend.sql("UPDATE records SET seq = -2 WHERE seq = 2")
    log_backend.sql("UPDATE records SET seq = 2 WHERE seq = 4")
    log_backend.sql("UPDATE records SET seq = 4 WHERE seq = -2")
    assert_names_record(log.verify(), 2, "c4")


@pytest.mark.parametrize(("seq", "source"), [(7, 6), (0, 1)], ids=["at-the-end", "before-first"])
def test_inserting_a_record_is_detected(log, log_backend, seq, source):
    cols = ", ".join(c for c in (*CHAIN_COLUMNS, "mac") if c not in ("seq", "call_id"))
    log_backend.sql(
        f"INSERT INTO records (seq, call_id, {cols}) SELECT ?, 'forged', {cols} "  # noqa: S608
        "FROM records WHERE seq = ?",
        seq,
        source,
    )
    assert_names_record(log.verify(), seq, "forged")


def test_replacing_a_record_with_another_logs_record_is_detected(log, log_backend):
    other = log_backend.other()
    with other.open(MasterKey.from_base64(generate_key()), content_mode="full") as store:
        store.append_many([record(i) for i in range(1, N + 1)])
    log_backend.sql("DELETE FROM records WHERE seq = ?", BAD)
    log_backend.copy_row(other, ", ".join((*CHAIN_COLUMNS, "mac")), BAD)
    assert_names_record(log.verify(), BAD, f"c{BAD}")
    other.drop()


@pytest.mark.parametrize("cut", [1, 2, N])
def test_tail_truncation_is_detected(log, log_backend, cut):
    log_backend.sql("DELETE FROM records WHERE seq > ?", N - cut)
    report = log.verify()
    assert_names_record(report, N - cut + 1)
    assert "truncated" in report.problem


def test_truncation_with_a_rewound_head_is_detected_and_never_built_on(log, log_backend):
    log_backend.sql("DELETE FROM records WHERE seq > 4")
    (mac,) = log_backend.sql("SELECT mac FROM records WHERE seq = 4")[0]
    log_backend.sql("UPDATE log_head SET last_seq = 4, last_mac = ?", mac)
    report = log.verify()
    assert not report.ok
    assert "signed head" in report.problem
    with pytest.raises(TamperedLogError, match="signed head"):
        log.append(record(99))
    with pytest.raises(TamperedLogError, match="signed head"):
        log.purge(timedelta(days=1))


@pytest.mark.parametrize("column", ["anchor_seq", "anchor_mac", "last_seq", "last_mac", "head_mac"])
def test_changing_the_signed_head_is_detected(log, log_backend, column):
    (original,) = log_backend.sql(f"SELECT {column} FROM log_head")[0]  # noqa: S608
    log_backend.sql(f"UPDATE log_head SET {column} = ?", altered(original))  # noqa: S608
    report = log.verify()
    assert not report.ok
    assert report.bad_seq is None
    assert "signed head" in report.problem


@pytest.mark.parametrize("options", [{}, {"read_only": True}], ids=["writer", "reader"])
def test_a_deleted_head_is_reported_and_never_re_created(log, log_backend, options):
    log_backend.sql("DELETE FROM log_head")
    with pytest.raises(TamperedLogError, match=r"signed head \(table log_head, row 1\) is missing"):
        log_backend.open(log._master, **options)
    assert log_backend.sql("SELECT COUNT(*) FROM log_head") == [(0,)]
    assert log_backend.sql("SELECT COUNT(*) FROM records") == [(N,)]


def test_altered_payload_is_reported_on_read(log, log_backend):
    (blob,) = log_backend.sql("SELECT payload FROM records WHERE seq = ?", BAD)[0]
    log_backend.sql("UPDATE records SET payload = ? WHERE seq = ?", altered(blob, 20), BAD)
    with pytest.raises(AuditError, match=f"record {BAD} \\(call c{BAD}\\)") as info:
        log.get(f"c{BAD}")
    chain, exc = [], info.value
    while exc is not None:  # the cryptography library's InvalidTag stays out of the chain
        chain.append(type(exc).__name__)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    assert "InvalidTag" not in chain


def test_altered_data_key_fails_verify_and_reads(log, log_backend):
    (period, wrapped) = log_backend.sql("SELECT period, wrapped FROM data_keys ORDER BY period")[1]
    log_backend.sql(
        "UPDATE data_keys SET wrapped = ? WHERE period = ?", altered(wrapped, 30), period
    )
    log._data_keys.clear()  # as a freshly opened store would be
    assert_names_record(log.verify(), 4, "c4")
    with pytest.raises(AuditError, match="record 4"):
        log.get("c4")


def test_deleted_data_key_fails_verify(log, log_backend):
    log_backend.sql("DELETE FROM data_keys WHERE period = '2025-03-01'")
    report = log.verify()
    assert_names_record(report, 1, "c1")
    assert "missing" in report.problem


def test_altered_map_key_fails_the_read(log, log_backend):
    (wrapped,) = log_backend.sql("SELECT wrapped FROM map_keys WHERE call_id = 'c2'")[0]
    log_backend.sql("UPDATE map_keys SET wrapped = ? WHERE call_id = 'c2'", altered(wrapped, 5))
    with pytest.raises(AuditError, match="record 2"):
        log.get("c2")


def test_wrong_key_names_both_key_ids(log, log_backend):
    wrong = MasterKey.from_base64(generate_key())
    with pytest.raises(WrongKeyError) as info:
        log_backend.open(wrong)
    assert str(info.value).startswith(
        f"this key (id {wrong.key_id}) does not open the log; it was written with key id "
        f"{log.key_id}"
    )
    assert info.value.__cause__ is None


# -- many writers ----------------------------------------------------------------------------

# A writer process: argv = kind target schema prefix count how ("writer" | "sync" | "forever").
# "forever" prints each seq after its commit, so the parent knows what must have survived.
CHILD = r"""
import sys
from support.audit_backends import open_child_log
from privllm.audit.crypto import MasterKey
from privllm.audit.record import AuditRecord
from privllm.audit.writer import AuditWriter

kind, target, schema, prefix, count, how = sys.argv[1:7]
store = open_child_log(kind, target, schema, MasterKey.from_env(), content_mode="full")
def rec(i):
    return AuditRecord(call_id=f"{prefix}-{i}", provider="openai", model="m",
                       findings={"EMAIL": i % 3}, payload={"i": i, "text": "hello " * 20},
                       placeholder_map={"<EMAIL_1>": "a@example.com"})
if how == "writer":
    with AuditWriter(store, batch_size=64) as writer:
        for i in range(int(count)):
            writer.append(rec(i))
else:
    for i in range(int(count)):
        store.append(rec(i))
        if how == "forever":
            print(i, flush=True)
store.close()
"""


def child_env(key_text: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (SRC, TESTS, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "PRIVLLM_AUDIT_KEY": key_text}


def run_writers(log_backend, key_text: str, processes: int, calls: int) -> None:
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                *log_backend.child_args(),
                f"p{n}",
                str(calls),
                "writer" if n % 2 else "sync",
            ],
            env=child_env(key_text),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(processes)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()


def check_all_there(log_backend, key_text: str, processes: int, calls: int) -> None:
    with log_backend.open(MasterKey.from_base64(key_text)) as store:
        report = store.verify()
        assert report.ok, report.problem
        total = processes * calls
        assert (report.records, report.first_seq, report.last_seq) == (total, 1, total)
        ids = {r.call_id for r in store.iter_records(decrypt=False)}
    assert ids == {f"p{n}-{i}" for n in range(processes) for i in range(calls)}


def test_processes_appending_at_once_lose_nothing(log_backend):
    # The log is created by whichever process gets there first: they all race to make it.
    key_text = generate_key()
    run_writers(log_backend, key_text, processes=4, calls=60)
    check_all_there(log_backend, key_text, processes=4, calls=60)


@pytest.mark.slow
def test_eight_processes_times_500_calls_make_one_valid_chain(log_backend):
    key_text = generate_key()
    run_writers(log_backend, key_text, processes=8, calls=500)
    check_all_there(log_backend, key_text, processes=8, calls=500)


def test_threads_and_stores_appending_at_once_lose_nothing(log_backend, key):
    stores = [log_backend.open(key), log_backend.open(key)]
    writer = AuditWriter(stores[0], batch_size=16)
    try:

        def work(n: int) -> None:
            for i in range(60):
                if n % 3 == 0:
                    writer.append(record(f"t{n}-{i}"))
                else:
                    stores[n % 2].append(record(f"t{n}-{i}"))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        writer.close()
        report = stores[1].verify()
        assert report.ok, report.problem
        assert report.records == 360
    finally:
        for s in stores:
            s.close()


def test_kill_9_of_writers_mid_run_leaves_a_log_that_verifies(log_backend):
    key_text = generate_key()
    key = MasterKey.from_base64(key_text)
    with log_backend.open(key):
        pass  # made once, so every round below kills writers, not the first open
    rng = random.Random(4321)
    expected = 0
    for round_ in range(4):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    *log_backend.child_args(),
                    f"r{round_}.{n}",
                    "1000000000",
                    "writer" if n == 2 else "forever",
                ],
                env=child_env(key_text),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            for n in range(3)
        ]
        printed = []
        try:
            firsts = [p.stdout.readline() if n != 2 else b"" for n, p in enumerate(procs)]
            time.sleep(rng.uniform(0.05, 0.3))  # all writing now: kill them mid-stream
            for proc in procs:
                proc.send_signal(signal.SIGKILL)
            for first, proc in zip(firsts, procs, strict=True):
                printed.append(len((first + proc.stdout.read()).split()))
                proc.wait(timeout=30)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                proc.stdout.close()
        assert all(p.returncode == -signal.SIGKILL for p in procs)
        with log_backend.open(key) as store:
            report = store.verify()
            assert report.ok, f"round {round_}: {report.problem}"
            for n in (0, 1):  # every printed record was committed; at most one more
                prefix = f"r{round_}.{n}-"
                records = store.iter_records(decrypt=False)
                mine = sum(1 for r in records if r.call_id.startswith(prefix))
                assert mine in (printed[n], printed[n] + 1), (round_, n, mine, printed[n])
            assert report.records >= expected + printed[0] + printed[1]
            expected = report.records
            assert store.append(record(f"after-{round_}")) == report.last_seq + 1
            expected += 1


def test_a_failed_first_write_of_a_day_loses_no_later_record(log_backend, key):
    # The first write of a day makes that day's data key. If its transaction rolls back,
    # the key was never stored: later records must not be encrypted under it from memory
    # (they could never be read, and verify would find the key missing).
    with log_backend.open(key) as store:
        with pytest.raises(AuditError):
            store.append_many([record(1), record(1)])
        store.append(record(2))
        assert store.verify().ok, store.verify().problem
    with log_backend.open(key) as reopened:
        assert reopened.get("c2").payload == {"messages": ["hello 2 <EMAIL_1>"]}


def test_short_call_ids_are_unique_prefixes_in_both_stores(log):
    # git-like short ids for `audit show`, and `erase --call` given a prefix: the same
    # answers on SQLite and PostgreSQL, wildcard characters in a prefix taken literally.
    ids = ["4f2a0c9d11aa", "4f2a0c9d22bb", "9e01ffff0000", "a_b%c0000000"]
    log.append_many([record(i, call_id=i) for i in ids])
    assert log.short_id_length(["4f2a0c9d11aa", "9e01ffff0000"]) == 9
    assert log.short_id_length(["9e01ffff0000"]) == 8
    assert log.call_ids_starting("4f2a") == ["4f2a0c9d11aa", "4f2a0c9d22bb"]
    assert log.call_ids_starting("9e01") == ["9e01ffff0000"]
    assert log.call_ids_starting("a_b%") == ["a_b%c0000000"]
    assert log.call_ids_starting("a%") == []
    assert log.call_ids_starting("4F2A") == []  # ids are case-sensitive
