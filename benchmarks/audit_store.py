"""Audit store throughput: background writer, durable per-record appends, and verify.

Run: ``.venv/bin/python benchmarks/audit_store.py [records] [rounds]``

Prints records/s for
  * the background ``AuditWriter`` (batched transactions, encryption in its thread), timed
    from the first ``append`` until ``close()`` has drained the queue; bar: >= 20,000/s
  * the caller's cost of one ``append`` (what an event loop pays)
  * ``AuditStore(durable=True).append``: one transaction and WAL fsync per record
  * ``verify`` over the whole log
and two baselines in the same run, plain sqlite3 loops batched the same way (1,024 rows per
transaction, WAL, ``synchronous=NORMAL``):
  * "7 columns": the same records as a 7-column unindexed table (issue 14's baseline);
  * "store's row": the store's own schema (its DDL: 20 columns, ``STRICT``, the ``call_id``
    UNIQUE index and the ``time`` index, ``secure_delete``), each row with its columns as
    stored but unencrypted (payload as plain JSON) and unchained (a constant MAC).
So writer / 7 columns is the whole cost, and writer / store's row is privllm's own cost
(encryption, the keyed chain, the queue and its thread) without the row we chose to keep.
The writer and the baselines alternate in ``rounds`` rounds (default 5), each round's
ratios taken side by side, so a loaded machine's swings hit all; medians and ranges are
printed, and the ratio to the 7-column loop is held to the bar (>= 0.8x).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.schema import _DDL as STORE_DDL  # the store's own tables and indexes
from privllm.audit.schema import INSERT_ROW
from privllm.audit.store import AuditStore
from privllm.audit.writer import AuditWriter

BAR = 20_000
RATIO_BAR = 0.8


def make_records(n: int, prefix: str) -> list[AuditRecord]:
    payload = {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant for <ORG_1>."},
            {"role": "user", "content": "Summarise the contract with <PERSON_1> " * 8},
        ],
        "answer": "The contract between <ORG_1> and <PERSON_1> covers ... " * 6,
    }
    return [
        AuditRecord(
            call_id=f"{prefix}-{i}",
            provider="openai",
            model="gpt-4.1-mini",
            endpoint_host="api.openai.com",
            endpoint_kind="enterprise",
            status="ok",
            latency_ms=812.5,
            prompt_tokens=420,
            completion_tokens=180,
            total_tokens=600,
            findings={"PERSON": 1, "ORG": 1},
            payload=payload,
        )
        for i in range(n)
    ]


def bench_writer(path: Path, key: MasterKey, n: int) -> tuple[float, float]:
    records = make_records(n, "w")
    with AuditStore(path, key) as store:
        writer = AuditWriter(store, max_queue=n + 1, batch_size=1024)
        start = time.perf_counter()
        for r in records:
            writer.append(r)
        appended = time.perf_counter()
        writer.close()
        done = time.perf_counter()
    return n / (done - start), (appended - start) / n * 1e6


def bench_durable(path: Path, key: MasterKey, n: int) -> float:
    records = make_records(n, "d")
    with AuditStore(path, key, durable=True) as store:
        start = time.perf_counter()
        for r in records:
            store.append(r)
        return n / (time.perf_counter() - start)


def bench_verify(path: Path, key: MasterKey) -> tuple[float, int]:
    with AuditStore(path, key) as store:
        start = time.perf_counter()
        report = store.verify_or_raise()
        return report.records / (time.perf_counter() - start), report.records


def plain_loop(
    path: Path, n: int, ddl: str, insert: str, row: Callable[[int, AuditRecord], tuple[Any, ...]]
) -> float:
    """records/s of a plain sqlite3 loop: ``ddl``, then ``insert`` of ``row(seq, record)``
    in transactions of 1,024 rows (WAL, ``synchronous=NORMAL``, as the store)."""
    records = make_records(n, path.stem)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")  # as the store; it only costs on deletes
        db.executescript(ddl)
        start = time.perf_counter()
        for i in range(0, n, 1024):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(insert, [row(i + j + 1, r) for j, r in enumerate(records[i : i + 1024])])
            db.execute("COMMIT")
        return n / (time.perf_counter() - start)
    finally:
        db.close()


def bench_raw_sqlite(path: Path, n: int) -> float:
    """Issue 14's baseline: the same records as a 7-column unindexed table."""
    ddl = (
        "CREATE TABLE t (call_id TEXT, time TEXT, provider TEXT, model TEXT,"
        " tokens INTEGER, findings TEXT, payload BLOB)"
    )
    return plain_loop(
        path,
        n,
        ddl,
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
        lambda _, r: (
            r.call_id,
            r.time.isoformat(),
            r.provider,
            r.model,
            r.total_tokens,
            json.dumps(r.findings),
            json.dumps(r.payload).encode(),
        ),
    )


_NO_MAC = bytes(32)


def bench_store_schema(path: Path, n: int) -> float:
    """The store's row, unencrypted and unchained: its DDL, pragmas and INSERT statement."""
    return plain_loop(
        path,
        n,
        STORE_DDL,
        INSERT_ROW,
        lambda seq, r: (
            seq,
            r.call_id,
            r.time.isoformat(),
            r.provider,
            r.model,
            r.endpoint_host,
            r.endpoint_kind,
            r.decision,
            r.rule,
            r.status,
            r.latency_ms,
            r.prompt_tokens,
            r.completion_tokens,
            r.total_tokens,
            json.dumps(r.findings, sort_keys=True),
            "redacted",
            r.time.date().isoformat(),
            json.dumps(r.payload).encode(),
            None,
            _NO_MAC,
        ),
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    per_round = max(n // rounds, 1)
    key = MasterKey.from_base64(generate_key())
    raws: list[float] = []
    rows: list[float] = []
    rates: list[float] = []
    appends: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for i in range(rounds):
            raws.append(bench_raw_sqlite(d / f"raw{i}.db", per_round))
            rows.append(bench_store_schema(d / f"row{i}.db", per_round))
            rate, append_us = bench_writer(d / f"audit{i}.db", key, per_round)
            rates.append(rate)
            appends.append(append_us)
        durable = bench_durable(d / "durable.db", key, min(n, 500))
        verify, count = bench_verify(d / "audit0.db", key)
    ratios = sorted(r / b for r, b in zip(rates, raws, strict=True))
    own = sorted(r / b for r, b in zip(rates, rows, strict=True))
    ratio = statistics.median(ratios)
    rate = statistics.median(rates)
    verdict = "ok" if rate >= BAR else "BELOW BAR"
    print(f"{rounds} rounds of {per_round:,} records; medians, then [min-max]")
    print(
        f"background writer, batched:   {rate:>10,.0f} records/s  (bar {BAR:,}: {verdict})"
        f"  [{min(rates):,.0f}-{max(rates):,.0f}]"
    )
    print(
        f"  caller cost of append():    {statistics.median(appends):>10.1f} us/record"
        f"  [{min(appends):.1f}-{max(appends):.1f}]"
    )
    print(f"durable, fsync per record:    {durable:>10,.0f} records/s")
    print(f"verify:                       {verify:>10,.0f} records/s  ({count:,} records)")
    print(
        f"baseline, plain sqlite3, 7 columns: {statistics.median(raws):>10,.0f} records/s"
        f"  [{min(raws):,.0f}-{max(raws):,.0f}]"
    )
    print(
        f"baseline, plain sqlite3, store's row: {statistics.median(rows):>8,.0f} records/s"
        f"  [{min(rows):,.0f}-{max(rows):,.0f}]"
    )
    verdict = "ok" if ratio >= RATIO_BAR else "BELOW BAR"
    print(
        f"audit writer / 7 columns:     {ratio:>10.2f}x  [{ratios[0]:.2f}-{ratios[-1]:.2f}]"
        f"  (bar {RATIO_BAR}x: {verdict}): the whole cost"
    )
    print(
        f"audit writer / store's row:   {statistics.median(own):>10.2f}x"
        f"  [{own[0]:.2f}-{own[-1]:.2f}]  privllm's own cost (crypto, chain, queue)"
    )


if __name__ == "__main__":
    main()
