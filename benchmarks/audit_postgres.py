"""The PostgreSQL audit store: 8 writer processes into one log, and the latency per call.

Run: ``ROUNDS=3 .venv/bin/python benchmarks/audit_postgres.py [records per writer]``

Starts its own PostgreSQL (``privllm.testing.postgres``, fsync on, as a server would run)
and prints, in one run:
  * records/s from 8 processes, each through an ``AuditWriter`` (batched, encrypted,
    chained) into ONE log; bar: >= 10,000/s. With the chain serialised under
    ``pg_advisory_xact_lock`` (the design the store uses) and, to compare, under a row lock
    on the head (``SELECT ... FOR UPDATE``) instead.
  * the same rows, unencrypted and unchained, from 8 processes with a plain psycopg
    ``executemany`` loop in batches of the same size: what the database alone costs.
  * the latency of one ``append`` (one transaction per call), median and p99, on
    PostgreSQL and on SQLite;
  * the added latency per call of a ``Client`` (local OpenAI wire server in its own process,
    redaction on) with its log on PostgreSQL instead of SQLite, by default (the background
    writer) and with ``require_record`` (each call waits for its commit); bar: <= +0.3 ms
    median.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from audit_store import make_records  # the same records, for figures that compare

from privllm.audit.chain import Head
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.audit.store_postgres import PostgresAuditStore
from privllm.audit.writer import AuditWriter
from privllm.testing.postgres import PostgresServer

PROMPT = "Summarise the call with Jane Doe (jane.doe@acme-corp.com) in three lines."

WRITERS = 8
ROUNDS = int(os.environ.get("ROUNDS", "3"))
BATCH = 512
BAR_RATE = 10_000
BAR_LATENCY_MS = 0.3


class RowLockStore(PostgresAuditStore):
    """The alternative measured: serialise on a row lock of the head, no advisory lock."""

    def _lock_log(self, conn: Any) -> None:
        if not self.durable:
            conn.execute("SET LOCAL synchronous_commit = off")

    def _head_for_write(self, conn: Any) -> tuple[Head, str]:
        conn.execute("SELECT 1 FROM log_head WHERE id = 1 FOR UPDATE")
        return super()._head_for_write(conn)


# -- child processes: wait for "go" on stdin, write, print start and end times --------------


def child(design: str, dsn: str, schema: str, key_text: str, n: int, prefix: str) -> None:
    key = MasterKey.from_base64(key_text)
    records = make_records(n, prefix)
    if design == "plain":
        conn = psycopg.connect(dsn, autocommit=True)
        rows = [
            (r.call_id, r.time.isoformat(), r.provider, r.model, json.dumps(r.payload).encode())
            for r in records
        ]
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()
        start = time.time()
        with conn.cursor() as cur:
            for i in range(0, n, BATCH):
                with conn.transaction():
                    cur.executemany(
                        f"INSERT INTO {schema}.plain (call_id, time, provider, model, payload)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        rows[i : i + BATCH],
                    )
        end = time.time()
        conn.close()
    else:
        cls = RowLockStore if design == "rowlock" else PostgresAuditStore
        store = cls(dsn, key, schema=schema)
        writer = AuditWriter(store, batch_size=BATCH, max_queue=n + 1)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()
        start = time.time()
        for r in records:
            writer.append(r)
        writer.close()
        end = time.time()
        store.close()
    sys.stdout.write(f"{start} {end}\n")


def run_writers(design: str, dsn: str, schema: str, key_text: str, n: int) -> float:
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", design, dsn, schema, key_text, str(n), f"p{w}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    for p in procs:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    spans = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0
        start, end = map(float, out.split())
        spans.append((start, end))
    elapsed = max(e for _, e in spans) - min(s for s, _ in spans)
    return WRITERS * n / elapsed


def latencies(append: Any, records: list[AuditRecord]) -> list[float]:
    out = []
    for r in records:
        t = time.perf_counter()
        append(r)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        design, dsn, schema, key_text, n, prefix = sys.argv[2:8]
        child(design, dsn, schema, key_text, int(n), prefix)
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    key_text = generate_key()
    key = MasterKey.from_base64(key_text)
    with PostgresServer(fast=False, settings={"max_connections": "100"}) as pg:
        dsn = pg.dsn()
        # Rounds interleave the designs, so load from elsewhere hits each alike.
        runs: dict[str, list[float]] = {"advisory": [], "rowlock": [], "plain": []}
        verify_rates = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            for r in range(ROUNDS):
                conn.execute(f"CREATE SCHEMA bench_plain{r}")
                conn.execute(
                    f"CREATE TABLE bench_plain{r}.plain (seq bigserial PRIMARY KEY,"
                    " call_id text UNIQUE, time text, provider text, model text, payload bytea)"
                )
        for r in range(ROUNDS):
            order = ("advisory", "rowlock") if r % 2 == 0 else ("rowlock", "advisory")
            for design in order:
                schema = f"bench_{design}{r}"
                PostgresAuditStore(dsn, key, schema=schema).close()  # create it once
                runs[design].append(run_writers(design, dsn, schema, key_text, n))
                with PostgresAuditStore(dsn, key, schema=schema, read_only=True) as store:
                    t = time.perf_counter()
                    report = store.verify()
                    verify_rates.append(report.records / (time.perf_counter() - t))
                    assert report.ok, report
                    assert report.records == WRITERS * n, report
            runs["plain"].append(run_writers("plain", dsn, f"bench_plain{r}", key_text, n))
        rates = {design: statistics.median(values) for design, values in runs.items()}
        verify_rate = statistics.median(verify_rates)

        calls = 500
        with PostgresAuditStore(dsn, key, schema="bench_latency") as store:
            latencies(store.append, make_records(50, "warm"))
            pg_ms = latencies(store.append, make_records(calls, "l"))
        with tempfile.TemporaryDirectory() as tmp, AuditStore(Path(tmp) / "a.db", key) as lite:
            latencies(lite.append, make_records(50, "warm"))
            lite_ms = latencies(lite.append, make_records(calls, "l"))
        client_ms = client_latencies(dsn, key, calls)

    def p(ms: list[float], q: float) -> float:
        return statistics.quantiles(ms, n=100)[int(q) - 1]

    print(f"{WRITERS} writer processes x {n} records into one log (batches of up to {BATCH}),"
          f" median of {ROUNDS} rounds:")  # fmt: skip
    for design, label in (
        ("advisory", "privllm, advisory lock (the store)"),
        ("rowlock", "privllm, head row lock (alternative)"),
        ("plain", "plain psycopg executemany, no crypto/chain"),
    ):
        spread = f"{min(runs[design]):,.0f}-{max(runs[design]):,.0f}"
        print(f"  {label:<44} {rates[design]:>9,.0f} records/s  (rounds: {spread})")
    print(f"  store / plain: {rates['advisory'] / rates['plain']:.2f}x   bar >= {BAR_RATE:,}/s: "
          f"{'ok' if rates['advisory'] >= BAR_RATE else 'MISSED'}")  # fmt: skip
    print(f"verify: {verify_rate:,.0f} records/s")
    pg_med, lite_med = statistics.median(pg_ms), statistics.median(lite_ms)
    print(f"one append per call ({calls} calls, a transaction each):")
    print(f"  PostgreSQL  median {pg_med:.3f} ms  p99 {p(pg_ms, 99):.3f} ms")
    print(f"  SQLite      median {lite_med:.3f} ms  p99 {p(lite_ms, 99):.3f} ms")
    print(f"  added over SQLite: {pg_med - lite_med:+.3f} ms median")
    print(f"a Client call (local server, redaction on), {calls} calls, interleaved:")
    for mode in ("default", "require_record"):
        lite_c, pg_c = (statistics.median(client_ms[(b, mode)]) for b in ("sqlite", "pg"))
        added = pg_c - lite_c
        print(f"  {mode:<15} SQLite {lite_c:.3f} ms  PostgreSQL {pg_c:.3f} ms  added "
              f"{added:+.3f} ms   bar <= +{BAR_LATENCY_MS} ms: "
              f"{'ok' if added <= BAR_LATENCY_MS else 'MISSED'}")  # fmt: skip


def client_latencies(dsn: str, key: MasterKey, calls: int) -> dict[tuple[str, str], list[float]]:
    from overhead import TEXT, _serve, interleaved

    from privllm import Client

    ctx = mp.get_context("spawn")
    port_queue, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_serve, args=(port_queue, stop, TEXT), daemon=True)
    proc.start()
    base_url = f"http://127.0.0.1:{port_queue.get(timeout=30)}/v1"
    provider = {"name": "openai", "model": "m",
                "openai": {"base_url": base_url, "api_key": "sk-bench"}}  # fmt: skip
    out: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, strict in (("default", False), ("require_record", True)):
            lite = Client(env={}, provider=provider, redaction={"terms": {"PERSON": ["Jane Doe"]}},
                          audit={"path": Path(tmp) / f"{mode}.db", "key": key,
                                 "require_record": strict})  # fmt: skip
            pg = Client(env={"PRIVLLM_AUDIT_DSN": dsn}, provider=provider,
                        redaction={"terms": {"PERSON": ["Jane Doe"]}},
                        audit={"backend": "postgresql", "pg_schema": f"bench_client_{mode}",
                               "key": key, "require_record": strict})  # fmt: skip
            for _ in range(30):
                lite.chat(PROMPT)
                pg.chat(PROMPT)
            a, b = interleaved(lambda c=lite: c.chat(PROMPT), lambda c=pg: c.chat(PROMPT), calls)
            out[("sqlite", mode)] = [x * 1000 for x in a]
            out[("pg", mode)] = [x * 1000 for x in b]
            lite.close()
            pg.close()
    stop.set()
    proc.join(timeout=10)
    return out


if __name__ == "__main__":
    main()
