"""``require_record`` with ``AsyncClient``: the call waits for its record's commit by
awaiting, so the event loop keeps running while a PostgreSQL append is slow; the same
records as ``Client`` writes; and the same fail-closed refusals (issue 16, async path).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from typing import Any

import pytest

from privllm import AsyncClient, Client
from privllm.audit.crypto import MasterKey, generate_key
from privllm.errors import AuditError, ProviderError
from privllm.testing.replies import Reply

pytest.importorskip("psycopg", reason="the postgres extra: pip install 'privllm[postgres]'")
import psycopg


def client_args(pg_log: Any, server: Any, key_text: str) -> dict[str, Any]:
    return {
        "env": {"PRIVLLM_AUDIT_KEY": key_text, "PRIVLLM_AUDIT_DSN": pg_log.dsn},
        "provider": {**server.provider_config(), "max_retries": 0},
        "audit": {"backend": "postgresql", "pg_schema": pg_log.schema, "require_record": True},
    }


class TableLock:
    """Hold an exclusive lock on the log's head from another connection (and so stall
    every append, which reads and updates the head) until released."""

    def __init__(self, pg_log: Any) -> None:
        self._conn = psycopg.connect(pg_log.dsn, autocommit=False)
        self._conn.execute(f"LOCK TABLE {pg_log.schema}.log_head IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        self._conn.rollback()
        self._conn.close()


class DropinChat:
    """``privllm.openai.AsyncOpenAI`` with ``AsyncClient``'s ``chat(text)``: the drop-in
    awaits its record the same way."""

    def __init__(self, pg_log: Any, server: Any, key_text: str) -> None:
        from privllm.openai import AsyncOpenAI

        args = client_args(pg_log, server, key_text)
        self.client = AsyncOpenAI(
            base_url=server.url,
            api_key="sk-dropin-0000",
            max_retries=0,
            env=args["env"],
            audit=args["audit"],
        )

    async def __aenter__(self) -> DropinChat:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def chat(self, text: str) -> Any:
        completion = await self.client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": text}]
        )
        return type("Answer", (), {"text": completion.choices[0].message.content})


@pytest.mark.parametrize("kind", ["client", "openai_dropin"])
def test_the_loop_keeps_running_while_a_required_record_waits_on_a_pg_lock(
    pg_log, openai_server, kind
):
    key_text = generate_key()

    def make() -> Any:
        if kind == "client":
            return AsyncClient(**client_args(pg_log, openai_server, key_text))
        return DropinChat(pg_log, openai_server, key_text)

    async def scenario() -> tuple[int, int, bool, str]:
        async with make() as client:
            await client.chat("warm up: opens the log and its pool")
            ticks = 0
            stop = asyncio.Event()

            async def ticker() -> None:
                nonlocal ticks
                while not stop.is_set():
                    await asyncio.sleep(0.01)
                    ticks += 1

            tick_task = asyncio.create_task(ticker())
            lock = TableLock(pg_log)
            # Released by another thread: a loop blocked by the commit could not release it.
            released = threading.Timer(1.5, lock.release)
            released.start()
            try:
                chat = asyncio.create_task(client.chat("hello while the log is locked"))
                await asyncio.sleep(0.6)
                done_while_locked = chat.done()
                ticks_while_locked = ticks
                answer = await asyncio.wait_for(chat, 30)
            finally:
                released.join()
                stop.set()
                await tick_task
            return ticks_while_locked, ticks, done_while_locked, answer.text

    ticks_while_locked, _, done_while_locked, text = asyncio.run(scenario())
    # The answer arrived, but the call waits for its record (locked out of the log)...
    assert not done_while_locked
    assert text == "hello while the log is locked"
    # ...by awaiting: the loop ran the ticker meanwhile (about 60 ticks in 0.6 s; a loop
    # blocked by the commit would have run none). A loaded machine slows the ticker, so
    # the bound is loose.
    assert ticks_while_locked >= 10
    with pg_log.open(MasterKey.from_base64(key_text), read_only=True) as log:
        assert log.count() == 2
        assert log.verify().ok


def scripted_calls(server: Any) -> None:
    server.reply(
        Reply(content="first answer"),
        Reply(status=500, message="upstream broke"),
        Reply(content="streamed answer", chunks=3),
        Reply(content="second answer"),
    )


def comparable(log: Any) -> list[tuple[Any, ...]]:
    # The server numbers its requests (response and request ids): the only difference.
    return [
        (
            *(r.status, r.provider, r.model, r.endpoint_host, r.decision, r.rule, r.findings),
            re.sub(r"req_\d+", "req_N", json.dumps(r.payload, sort_keys=True)),
        )
        for r in log.iter_records()
    ]


def test_sync_and_async_clients_write_the_same_records(pg_log, openai_server):
    key_text = generate_key()
    messages = [
        "mail jane@example.com",
        "this one fails",
        "stream to bob@example.org",
        "call 555-0100",
    ]
    args = client_args(pg_log, openai_server, key_text)
    scripted_calls(openai_server)
    with Client(**args) as client:
        client.chat(messages[0])
        with pytest.raises(ProviderError):
            client.chat(messages[1])
        client.stream(messages[2]).text()
        client.chat(messages[3])

    async def run_async() -> None:
        async with AsyncClient(**args) as client:
            await client.chat(messages[0])
            with pytest.raises(ProviderError):
                await client.chat(messages[1])
            await client.stream(messages[2]).text()
            await client.chat(messages[3])

    scripted_calls(openai_server)
    asyncio.run(run_async())
    with pg_log.open(MasterKey.from_base64(key_text), read_only=True) as log:
        records = comparable(log)
        assert log.verify().records == 8
    assert [r[0] for r in records] == ["ok", "error", "ok", "ok"] * 2
    assert records[:4] == records[4:]
    assert "jane@example.com" not in repr(records)


def test_an_async_call_whose_record_fails_fails_and_the_next_is_refused(pg_log, openai_server):
    key_text = generate_key()
    args = client_args(pg_log, openai_server, key_text)

    async def scenario() -> list[str]:
        outcomes: list[str] = []
        async with AsyncClient(**args) as client:
            outcomes.append((await client.chat("recorded")).text)
            # From now on the server refuses every new record (as a full disk would).
            pg_log.sql("ALTER TABLE records ADD CONSTRAINT no_more CHECK (seq < 0) NOT VALID")
            for text in ("not recorded", "refused before sending"):
                try:
                    outcomes.append((await client.chat(text)).text)
                except AuditError as exc:
                    outcomes.append(f"AuditError: {exc}")
            with contextlib.suppress(AuditError):  # close reports the lost record again
                await client.close()
        return outcomes

    outcomes = asyncio.run(scenario())
    assert outcomes[0] == "recorded"
    # The answer of a call whose record was not committed is not returned...
    assert outcomes[1].startswith("AuditError: the audit writer failed; 1 record(s)")
    # ...and the failed log refuses the next call before anything is sent.
    assert outcomes[2].startswith("AuditError: the audit writer failed")
    sent = [r.json()["messages"][-1]["content"] for r in openai_server.requests]
    assert sent == ["recorded", "not recorded"]
    assert 'violates check constraint "no_more"' in outcomes[1]
    with pg_log.open(MasterKey.from_base64(key_text), read_only=True) as log:
        assert log.count() == 1
