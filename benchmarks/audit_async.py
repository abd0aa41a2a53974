"""``require_record`` on an event loop, PostgreSQL: the design used against the alternative.

Run: ``.venv/bin/python benchmarks/audit_async.py [records] [tasks]``

Starts its own PostgreSQL (``privllm.testing.postgres``, fsync on) and, on one event loop,
measures waiting for a record's commit two ways:

``hand-off``  what ``AsyncClient`` does: the record goes to the ``AuditWriter`` thread (the
              real store: encrypted, chained) and the task awaits ``PendingRecord.
              wait_async()``; the writer wakes it with ``call_soon_threadsafe``.
``native``    a native async append with psycopg's ``AsyncConnectionPool``: one transaction
              per record (BEGIN, the advisory lock, read the head, insert, move the head,
              COMMIT, ``synchronous_commit = off`` as the store's default), the shape of
              the store's append, with plain unencrypted rows: a lower bound on what a
              native async store would cost.

For each: the median time one task waits for its commit (tasks one after another), then
records/s and the event loop's longest stall (a 5 ms ticker's worst lateness) with
``tasks`` tasks appending at once.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_store import make_records
from psycopg_pool import AsyncConnectionPool

from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store_postgres import PostgresAuditStore
from privllm.audit.writer import AuditWriter
from privllm.testing.postgres import PostgresServer

_NATIVE_SCHEMA = """
CREATE TABLE IF NOT EXISTS native_head (id int PRIMARY KEY, last_seq bigint NOT NULL);
INSERT INTO native_head VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS native_records (seq bigint PRIMARY KEY, call_id text UNIQUE,
  time text, provider text, model text, status text, findings text, payload bytea);
"""


async def ticking(stop: asyncio.Event) -> float:
    """The worst lateness (ms) of a 5 ms ticker until ``stop``: how long the loop stalled."""
    worst = 0.0
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.005)
        worst = max(worst, (time.perf_counter() - t - 0.005) * 1000)
    return worst


async def measure(
    append: Callable[[AuditRecord], Awaitable[None]], records: list[AuditRecord], tasks: int
) -> tuple[float, float, float]:
    half = len(records) // 2
    waits = []
    for r in records[:50]:
        t = time.perf_counter()
        await append(r)
        waits.append((time.perf_counter() - t) * 1000)
    rest = iter(records[half:])

    async def worker() -> None:
        for r in rest:
            await append(r)

    stop = asyncio.Event()
    ticker = asyncio.create_task(ticking(stop))
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    rate = (len(records) - half) / (time.perf_counter() - start)
    stop.set()
    return statistics.median(waits), rate, await ticker


async def hand_off(dsn: str, records: list[AuditRecord], tasks: int) -> tuple[float, ...]:
    key = MasterKey.from_base64(generate_key())
    with PostgresAuditStore(dsn, key, schema="handoff") as store:
        writer = AuditWriter(store, linger=0.0)

        async def append(r: AuditRecord) -> None:
            await writer.submit(r).wait_async()

        try:
            return await measure(append, records, tasks)
        finally:
            writer.close()


async def native(dsn: str, records: list[AuditRecord], tasks: int) -> tuple[float, ...]:
    async with AsyncConnectionPool(dsn, min_size=4, max_size=4, open=False) as pool:
        async with pool.connection() as conn:
            await conn.execute(_NATIVE_SCHEMA)

        async def append(r: AuditRecord) -> None:
            async with pool.connection() as conn, conn.transaction():
                # As the store commits by default (durable=False): no wait for the WAL flush.
                await conn.execute(
                    "SELECT set_config('synchronous_commit', 'off', true),"
                    " pg_advisory_xact_lock(42)"
                )
                cur = await conn.execute("SELECT last_seq FROM native_head WHERE id = 1")
                row = await cur.fetchone()
                assert row is not None
                seq = row[0] + 1
                await conn.execute(
                    "INSERT INTO native_records VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (seq, r.call_id, r.time.isoformat(), r.provider, r.model, r.status,
                     str(r.findings), str(r.payload).encode()),
                )  # fmt: skip
                await conn.execute("UPDATE native_head SET last_seq = %s WHERE id = 1", (seq,))

        return await measure(append, records, tasks)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    with PostgresServer(fast=False) as pg:
        dsn = pg.dsn()
        rows = []
        for name, run in (("hand-off", hand_off), ("native", native)):
            wait, rate, stall = asyncio.run(run(dsn, make_records(n, name), tasks))
            rows.append((name, wait, rate, stall))
    print(f"{n:,} records; one task, then {tasks} tasks at once")
    print("design     commit wait (1 task)   records/s (tasks)   worst loop stall")
    for name, wait, rate, stall in rows:
        print(f"{name:<10} {wait:>14.2f} ms {rate:>17,.0f} {stall:>15.1f} ms")


if __name__ == "__main__":
    main()
