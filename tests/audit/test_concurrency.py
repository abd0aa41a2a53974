"""Many writers at once: threads, processes, SIGKILL, and the background writer."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

import privllm
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.audit.writer import AuditWriter
from privllm.errors import AuditError

SRC = str(Path(privllm.__file__).resolve().parents[1])

# A writer process: argv = path, prefix, count, how ("writer" | "sync" | "forever").
# "forever" prints each seq after its commit, so the parent knows what must have survived.
CHILD = r"""
import sys
from privllm.audit.crypto import MasterKey
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.audit.writer import AuditWriter

path, prefix, count, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
store = AuditStore(path, MasterKey.from_env(), content_mode="full")
def rec(i):
    return AuditRecord(call_id=f"{prefix}-{i}", provider="openai", model="m",
                       findings={"EMAIL": i % 3}, payload={"i": i, "text": "hello " * 20},
                       placeholder_map={"<EMAIL_1>": "a@example.com"})
if how == "writer":
    with AuditWriter(store, batch_size=64) as writer:
        for i in range(count):
            writer.append(rec(i))
else:
    for i in range(count):
        store.append(rec(i))
        if how == "forever":
            print(i, flush=True)
store.close()
"""


def child_env(key_text: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "PRIVLLM_AUDIT_KEY": key_text}


def record(call_id: str) -> AuditRecord:
    return AuditRecord(call_id=call_id, provider="openai", model="m", payload={"q": call_id})


def count_rows(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    finally:
        db.close()


class WriteLock:
    """Holds the database's write lock from outside, stalling every writer."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()


@pytest.mark.slow
def test_processes_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "audit.db"
    key_text = generate_key()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), f"p{n}", "500", "writer" if n % 2 else "sync"],
            env=child_env(key_text),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(8)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with AuditStore(path, MasterKey.from_base64(key_text)) as store:
        report = store.verify()
        assert report.ok, report.problem
        assert (report.records, report.first_seq, report.last_seq) == (4000, 1, 4000)
        ids = {r.call_id for r in store.iter_records(decrypt=False)}
    assert ids == {f"p{n}-{i}" for n in range(8) for i in range(500)}


def test_threads_and_stores_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "audit.db"
    key = MasterKey.from_base64(generate_key())
    stores = [AuditStore(path, key), AuditStore(path, key)]
    writer = AuditWriter(stores[0], batch_size=16)
    try:

        def work(n: int) -> None:
            for i in range(150):
                call_id = f"t{n}-{i}"
                if n % 3 == 0:
                    writer.append(record(call_id))
                else:
                    stores[n % 2].append(record(call_id))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        writer.close()
        report = stores[1].verify()
        assert report.ok, report.problem
        assert report.records == 900
        assert len({r.call_id for r in stores[1].iter_records()}) == 900
    finally:
        for s in stores:
            s.close()


@pytest.mark.slow
def test_sigkill_mid_write_leaves_a_log_that_opens_and_verifies(tmp_path):
    path = tmp_path / "audit.db"
    key_text = generate_key()
    key = MasterKey.from_base64(key_text)
    rng = random.Random(1234)
    expected = 0
    for round_ in range(20):
        how = "writer" if round_ % 4 == 3 else "forever"
        count = "1000000000"
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), f"r{round_}", count, how],
            env=child_env(key_text),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            if how == "forever" and round_ % 2 == 0:
                first = proc.stdout.readline()  # wait until it is writing, then kill mid-stream
                time.sleep(rng.uniform(0, 0.15))
            else:
                first = b""
                time.sleep(rng.uniform(0.05, 0.8))  # anywhere: import, open, or writing
            proc.send_signal(signal.SIGKILL)
            out = first + proc.stdout.read()  # through the same buffer readline used
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        printed = [int(line) for line in out.split()]
        with AuditStore(path, key) as store:
            report = store.verify()
            assert report.ok, f"round {round_}: {report.problem}"
        db = sqlite3.connect(path)
        try:
            (mine,) = db.execute(
                "SELECT COUNT(*) FROM records WHERE call_id LIKE ?", (f"r{round_}-%",)
            ).fetchone()
        finally:
            db.close()
        if printed:
            # every printed record was committed; at most the one in flight beyond it
            assert mine in (len(printed), len(printed) + 1), (round_, mine, len(printed))
        assert report.records == expected + mine
        expected = report.records


def test_writer_drains_its_queue_on_close(tmp_path):
    with AuditStore(tmp_path / "a.db", MasterKey.from_base64(generate_key())) as store:
        writer = AuditWriter(store, batch_size=7)
        for i in range(500):
            writer.append(record(f"c{i}"))
        writer.close()
        assert store.verify().records == 500
        with pytest.raises(AuditError, match="closed"):
            writer.append(record("late"))


def test_flush_waits_for_earlier_records(tmp_path):
    store = AuditStore(tmp_path / "a.db", MasterKey.from_base64(generate_key()))
    with store, AuditWriter(store) as writer:
        for i in range(50):
            writer.append(record(f"c{i}"))
        writer.flush()
        assert count_rows(store.path) == 50


def fill(writer: AuditWriter, limit: int = 10) -> tuple[int, AuditError]:
    """Append until the writer refuses; how many it accepted, and its error."""
    for i in range(limit):
        try:
            writer.append(record(f"c{i}"))
        except AuditError as exc:
            return i, exc
    pytest.fail(f"{limit} appends were all accepted")


def test_full_queue_fails_when_asked_to(tmp_path):
    path = tmp_path / "a.db"
    with AuditStore(path, MasterKey.from_base64(generate_key())) as store:
        lock = WriteLock(path)
        writer = AuditWriter(store, max_queue=2, batch_size=1, on_full="fail")
        try:
            accepted, error = fill(writer)
        finally:
            lock.release()
        assert "queue is full (2 records waiting)" in str(error)
        assert f"record c{accepted} was not logged" in str(error)
        assert 2 <= accepted <= 3  # one in the stalled writer's hands, two queued
        writer.close()
        assert count_rows(path) == accepted


def test_full_queue_blocks_then_times_out(tmp_path):
    path = tmp_path / "a.db"
    with AuditStore(path, MasterKey.from_base64(generate_key())) as store:
        lock = WriteLock(path)
        writer = AuditWriter(store, max_queue=1, batch_size=1, block_timeout=0.05)
        try:
            accepted, error = fill(writer)
        finally:
            lock.release()
        assert "queue is full" in str(error)
        writer.close()
        assert count_rows(path) == accepted


async def test_append_from_an_event_loop_returns_before_the_write(tmp_path):
    path = tmp_path / "a.db"
    with AuditStore(path, MasterKey.from_base64(generate_key())) as store:
        lock = WriteLock(path)  # nothing can be written while this is held
        writer = AuditWriter(store)
        try:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0)

            task = asyncio.create_task(ticker())
            await asyncio.sleep(0)
            start = time.perf_counter()
            for i in range(1000):
                writer.append(record(f"c{i}"))
                if i % 100 == 0:
                    await asyncio.sleep(0)
            elapsed = time.perf_counter() - start
            task.cancel()
            # Every append returned while the database was locked: none was written yet,
            # and the loop kept running in between.
            assert count_rows(path) == 0
            assert ticks >= 5  # the loop ran between appends (11 expected)
            assert elapsed < 2.0  # loose: ~microseconds each; only a blocking append fails
        finally:
            lock.release()
        writer.close()
        assert count_rows(path) == 1000


def test_a_failed_record_puts_the_writer_in_a_failed_state(tmp_path):
    with AuditStore(tmp_path / "a.db", MasterKey.from_base64(generate_key())) as store:
        writer = AuditWriter(store, batch_size=10)
        writer.append(record("dup"))
        writer.flush()
        for i in range(5):
            writer.append(record(f"ok{i}"))
        writer.append(record("dup"))
        with pytest.raises(AuditError, match=r"1 record\(s\) not logged"):
            writer.flush()
        with pytest.raises(AuditError, match="failed"):
            writer.append(record("later"))
        with pytest.raises(AuditError, match="failed"):
            writer.close()
        # the good records of the failing batch were still written
        assert {r.call_id for r in store.iter_records()} == {"dup", *(f"ok{i}" for i in range(5))}
        assert store.verify().ok


def test_after_a_failure_every_refused_record_is_counted(tmp_path):
    with AuditStore(tmp_path / "a.db", MasterKey.from_base64(generate_key())) as store:
        writer = AuditWriter(store)
        writer.append(record("dup"))
        writer.flush()
        writer.check()  # healthy: nothing raised
        writer.append(record("dup"))
        with pytest.raises(AuditError, match=r"1 record\(s\) not logged"):
            writer.flush()
        with pytest.raises(AuditError, match=r"1 record\(s\) not logged"):
            writer.check()  # asking costs nothing and loses nothing
        for lost in (2, 3):
            with pytest.raises(AuditError, match=rf"{lost} record\(s\) not logged"):
                writer.append(record(f"later{lost}"))
        with pytest.raises(AuditError, match=r"3 record\(s\) not logged"):
            writer.close()


def test_waited_appends_return_only_once_committed_and_share_commits(tmp_path):
    path = tmp_path / "a.db"
    with AuditStore(path, MasterKey.from_base64(generate_key())) as store:
        writer = AuditWriter(store, linger=0.0)
        missing: list[str] = []

        def one(i: int) -> None:
            writer.append(record(f"w{i}"), wait=True)
            # Read by another connection the instant append returns: committed.
            with closing(sqlite3.connect(path)) as db:
                ids = {row[0] for row in db.execute("SELECT call_id FROM records")}
            if f"w{i}" not in ids:
                missing.append(f"w{i}")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert missing == []
        assert count_rows(path) == 40
        with pytest.raises(AuditError, match=r"1 record\(s\) not logged"):
            writer.append(record("w0"), wait=True)  # a duplicate: it fails, and says so
        with pytest.raises(AuditError, match="not logged"):
            writer.close()


def test_an_append_waiting_for_room_fails_when_the_writer_closes(tmp_path):
    # Nothing may be queued behind the stop marker: it would be accepted, never written.
    path = tmp_path / "a.db"
    with AuditStore(path, MasterKey.from_base64(generate_key())) as store:
        lock = WriteLock(path)
        writer = AuditWriter(store, max_queue=1, batch_size=1)
        outcome: list[BaseException | None] = []

        def append_late() -> None:
            try:
                writer.append(record("late"))
                outcome.append(None)
            except AuditError as exc:
                outcome.append(exc)

        try:
            writer.append(record("c0"))  # the stalled writer takes it...
            deadline = time.monotonic() + 5
            while writer.queued and time.monotonic() < deadline:
                time.sleep(0.005)
            writer.append(record("c1"))  # ...and this one fills the queue
            late = threading.Thread(target=append_late)
            late.start()
            time.sleep(0.1)  # it waits for room
            closer = threading.Thread(target=writer.close)
            closer.start()
            late.join(5)
        finally:
            lock.release()
        closer.join(10)
        assert len(outcome) == 1
        assert isinstance(outcome[0], AuditError)
        assert "closed" in str(outcome[0])
        assert {r.call_id for r in store.iter_records()} == {"c0", "c1"}


def test_a_burst_of_appends_is_written_in_few_transactions(tmp_path):
    # The thread is woken for a full batch, not for every append while it lingers.
    with AuditStore(tmp_path / "a.db", MasterKey.from_base64(generate_key())) as store:
        batches: list[int] = []
        append_many = store.append_many

        def counting(records):  # type: ignore[no-untyped-def]
            batches.append(len(records))
            return append_many(records)

        store.append_many = counting  # type: ignore[method-assign]
        with AuditWriter(store, batch_size=100, linger=5.0) as writer:
            for i in range(250):
                writer.append(record(f"c{i}"))
            writer.flush()
        assert sum(batches) == 250
        assert batches[:2] == [100, 100]  # full batches went at once, not after 5 s
        assert store.verify().records == 250
