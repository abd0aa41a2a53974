"""The audit log end to end: Client -> local OpenAI server -> one encrypted record per call.

Every outcome (ok, provider error, blocked, streamed) through both clients; what reaches the
disk; content modes; key sources; a full queue; retention.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sqlite3
import stat
import time
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from privllm import AsyncClient, Client
from privllm.audit import AuditRecord, AuditStore, MasterKey, generate_key
from privllm.audit.middleware import AuditMiddleware
from privllm.client import StructuredOutputError
from privllm.config import Config
from privllm.errors import (
    AuditError,
    ClientClosedError,
    ConfigError,
    PolicyViolation,
    ProviderConnectionError,
    RedactionBlocked,
    ServerError,
    WrongKeyError,
)
from privllm.testing import Reply
from privllm.types import ChatRequest, Message

NAME = "Jane Doe"
EMAIL = "jane.doe@acme-corp.com"
CARD = "4111 1111 1111 1111"
WORDS = ["quokka", "zanzibar", "marmalade"]  # nothing else in the file could hold them
PROMPT = f"Quokka zanzibar marmalade memo for {NAME} ({EMAIL})."
SENT = "Quokka zanzibar marmalade memo for [PERSON_1] ([EMAIL_1])."


@pytest.fixture
def key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


@pytest.fixture
def log(tmp_path):
    return tmp_path / "audit.db"


def settings(server, log, key, **audit):
    return {
        "provider": {**server.provider_config(), "max_retries": 0},
        "redaction": {"terms": {"PERSON": [NAME]}, "actions": {"CREDIT_CARD": "block"}},
        "audit": {"path": log, "key": key, **audit},
    }


def audit_of(client) -> AuditMiddleware:
    return next(m for m in client._core.chain.middleware if isinstance(m, AuditMiddleware))


def records(run_or_client, log, key) -> list[AuditRecord]:
    client = getattr(run_or_client, "client", run_or_client)
    audit_of(client).flush()
    with AuditStore(log, key) as store:
        return list(store.iter_records())


def every_outcome(run, server):
    """ok chat, streamed chat, provider 500, and a call redaction blocks."""
    run.chat(PROMPT)
    chunks, _ = run.stream(PROMPT)
    assert "".join(c.text for c in chunks) == PROMPT  # restored for the caller...
    server.reply(Reply.error(500, "upstream failed on [PERSON_1]"))
    with pytest.raises(ServerError):
        run.chat(PROMPT)
    with pytest.raises(RedactionBlocked, match="CREDIT_CARD"):
        run.chat(f"{PROMPT} card {CARD}")


def test_one_record_per_call_for_every_outcome(runner_factory, openai_server, log, key):
    run = runner_factory(**settings(openai_server, log, key))
    every_outcome(run, openai_server)
    ok, streamed, failed, blocked = records(run, log, key)

    # ...but recorded as sent and as received: placeholders, never restored values.
    assert ok.status == "ok"
    assert ok.payload["operation"] == "chat"
    assert ok.payload["request"]["messages"] == [{"role": "user", "content": SENT}]
    assert ok.payload["response"]["text"] == SENT
    assert ok.findings == {"EMAIL": 1, "PERSON": 1}
    assert ok.total_tokens == ok.prompt_tokens + ok.completion_tokens > 0
    assert (ok.provider, ok.model, ok.endpoint_host) == ("openai", "test-model", "127.0.0.1")
    assert ok.decision == "allow"
    assert ok.latency_ms > 0

    assert streamed.status == "ok"
    assert streamed.payload["operation"] == "stream"
    assert streamed.payload["response"]["text"] == SENT  # assembled from the chunks
    assert streamed.payload["response"]["finish_reason"] == "stop"
    assert streamed.total_tokens > 0

    assert failed.status == "error"
    assert failed.payload["error"]["type"] == "ServerError"
    assert failed.payload["error"]["status_code"] == 500
    assert "[PERSON_1]" in failed.payload["error"]["message"]
    assert failed.payload["request"]["messages"][0]["content"] == SENT

    assert blocked.status == "blocked"
    assert (blocked.decision, blocked.rule) == ("deny", "redaction.block")
    assert "request" not in blocked.payload  # refused before redaction finished: not recorded
    assert blocked.payload["error"]["type"] == "RedactionBlocked"

    assert len({r.call_id for r in (ok, streamed, failed, blocked)}) == 4


@pytest.mark.parametrize("content", ["redacted", "full"])
def test_database_bytes_hold_no_prompt_word_or_detected_value(
    runner_factory, openai_server, log, key, content
):
    run = runner_factory(**settings(openai_server, log, key, content=content))
    every_outcome(run, openai_server)
    assert len(records(run, log, key)) == 4  # flushed: everything is on disk
    raw = b"".join(p.read_bytes() for p in log.parent.glob("audit.db*"))
    assert log.with_name("audit.db-wal").exists()  # the WAL is checked too, not skipped
    for needle in [*WORDS, NAME, EMAIL, CARD, "[PERSON_1]", "[EMAIL_1]"]:
        for form in (needle, needle.lower(), needle.upper()):
            assert form.encode() not in raw, f"{form!r} is on disk in clear"


def test_full_mode_keeps_the_placeholder_map_until_erased(runner_factory, openai_server, log, key):
    run = runner_factory(**settings(openai_server, log, key, content="full"))
    run.chat(PROMPT)
    (record,) = records(run, log, key)
    assert record.placeholder_map == {"[PERSON_1]": NAME, "[EMAIL_1]": EMAIL}
    assert record.payload["request"]["messages"][0]["content"] == SENT
    with AuditStore(log, key) as store:
        assert store.erase(record.call_id)
        assert store.get(record.call_id).placeholder_map is None
        assert store.verify()


def test_metadata_mode_stores_no_content(runner_factory, openai_server, log, key):
    run = runner_factory(**settings(openai_server, log, key, content="metadata"))
    run.chat(PROMPT)
    run.stream(PROMPT)
    ok, streamed = records(run, log, key)
    assert ok.payload is None
    assert streamed.payload is None
    assert ok.findings == {"EMAIL": 1, "PERSON": 1}
    assert streamed.total_tokens > 0


def test_policy_refusal_is_a_blocked_record_naming_the_rule(
    runner_factory, openai_server, log, key
):
    s = settings(openai_server, log, key)
    run = runner_factory(**s, policy={"denied_hosts": ["127.0.0.1"]})
    with pytest.raises(PolicyViolation, match="denied_hosts"):
        run.chat(PROMPT)
    assert openai_server.requests == []
    (record,) = records(run, log, key)
    assert (record.status, record.decision, record.rule) == ("blocked", "deny", "denied_hosts")


def test_streamed_tool_call_is_assembled_in_placeholder_form(
    runner_factory, openai_server, log, key
):
    run = runner_factory(**settings(openai_server, log, key))
    openai_server.reply(Reply.tool_call("send_mail", {"to": "[EMAIL_1]"}, chunks=5))
    _, assembled = run.stream(f"Mail {EMAIL}", tools=[{"name": "send_mail"}])
    assert assembled.tool_calls[0].args() == {"to": EMAIL}  # the app gets the real value
    (record,) = records(run, log, key)
    (call,) = record.payload["response"]["tool_calls"]
    assert (call["name"], call["arguments"]) == ("send_mail", '{"to": "[EMAIL_1]"}')


def test_a_broken_stream_is_an_error_record_with_the_partial_answer(
    runner_factory, openai_server, log, key
):
    run = runner_factory(**settings(openai_server, log, key))
    openai_server.reply(Reply.echo(drop_after=3))
    with pytest.raises(ProviderConnectionError):
        run.stream(PROMPT)
    (record,) = records(run, log, key)
    assert record.status == "error"
    assert record.payload["error"]["type"] == "ProviderConnectionError"
    partial = record.payload["response"]["text"]
    assert partial
    assert SENT.startswith(partial)


async def test_a_cancelled_async_call_is_recorded(openai_server, log, key):
    openai_server.reply(Reply.echo(delay=2))
    async with AsyncClient(env={}, **settings(openai_server, log, key)) as client:
        task = asyncio.create_task(client.chat(PROMPT))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        audit_of(client).flush()
    with AuditStore(log, key) as store:
        (record,) = store.iter_records()
    assert record.status == "cancelled"
    assert record.payload["error"] == {"type": "CancelledError", "cancelled": True}


def test_embeddings_are_recorded_without_vectors(runner_factory, openai_server, log, key):
    run = runner_factory(**settings(openai_server, log, key))
    run.embed([f"contact {EMAIL}", "plain"])
    (record,) = records(run, log, key)
    assert record.payload["request"]["input"] == ["contact [EMAIL_1]", "plain"]
    assert record.payload["response"] == {"vectors": 2, "dimensions": 8}
    assert record.model == "test-embedding"


def test_a_call_failing_after_its_answer_still_gets_one_record(openai_server, log, key):
    class Answer(BaseModel):
        value: int

    with Client(env={}, **settings(openai_server, log, key)) as client:
        openai_server.reply(Reply.text("not json"))
        with pytest.raises(StructuredOutputError):
            client.chat("give me a number", response_format=Answer)
        client.chat("again")
        got = records(client, log, key)  # flush would raise had a duplicate been written
    assert [r.status for r in got] == ["ok", "ok"]
    assert got[0].payload["request"]["response_format"] == "Answer"


def test_hooks_never_wait_for_the_disk(runner_factory, openai_server, log, key):
    run = runner_factory(**settings(openai_server, log, key))
    run.chat("warm up")
    audit_of(run.client).flush()
    # Another connection holds the write lock: the writer thread waits, callers must not.
    with sqlite3.connect(log, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")
        t0 = time.perf_counter()
        for _ in range(20):
            run.chat(PROMPT)
        elapsed = time.perf_counter() - t0
        other.execute("ROLLBACK")
    other.close()
    assert elapsed < 5  # the writer's busy timeout is 30 s
    assert len(records(run, log, key)) == 21


@pytest.mark.parametrize("on_full", ["fail", "block"])
def test_a_full_queue_fails_the_call_and_drops_nothing(openai_server, log, key, on_full):
    s = settings(openai_server, log, key, queue_size=1, on_full=on_full, block_timeout=0.2)
    with Client(env={}, **s) as client:
        client.chat("first")
        audit_of(client).flush()
        other = sqlite3.connect(log, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the writer thread stalls on its next batch
        ok, refused = 0, None
        for _ in range(200):  # past the writer's linger, it stalls and the queue fills
            try:
                client.chat(PROMPT)
            except AuditError as exc:
                refused = exc
                break
            ok += 1
        other.execute("ROLLBACK")
        other.close()
        got = records(client, log, key)
    assert refused is not None
    assert "queue is full" in str(refused)
    assert len(got) == 1 + ok  # every call that returned normally has its record


def test_a_closed_client_refuses_before_sending(openai_server, log, key):
    client = Client(env={}, **settings(openai_server, log, key))
    client.close()
    # The client refuses first (ClientClosedError); the audit layer's own refusal of a
    # closed log stays behind it for middleware driven some other way.
    with pytest.raises(ClientClosedError, match="closed"):
        client.chat(PROMPT)
    assert openai_server.requests == []
    audit = next(m for m in client._core.chain.middleware if isinstance(m, AuditMiddleware))
    with pytest.raises(AuditError, match="closed"):
        audit.on_request(ChatRequest(messages=[Message.user(PROMPT)], model="m"), None)


def test_default_location_key_file_and_two_clients(openai_server, caplog, monkeypatch, tmp_path):
    data = tmp_path / "data"
    env = {"XDG_DATA_HOME": str(data)}
    provider = openai_server.provider_config()
    with caplog.at_level(logging.WARNING, logger="privllm.audit"):
        first = Client(env=env, provider=provider)
        second = Client(env=env, provider=provider)  # same log, same process
    key_file = data / "privllm" / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    created = [r for r in caplog.records if "created the audit log key" in r.getMessage()]
    assert len(created) == 1  # said once, and the key itself never
    key_text = key_file.read_text().strip()
    assert key_text not in caplog.text
    first.chat("one")
    second.chat("two")
    first.close()
    second.close()
    with AuditStore(data / "privllm" / "audit.db", MasterKey.from_file(key_file)) as store:
        assert store.verify().records == 2


def test_an_existing_log_without_its_key_is_an_error(openai_server, tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path)}
    Client(env=env, provider=openai_server.provider_config()).close()
    (tmp_path / "privllm" / "audit.key").unlink()
    with pytest.raises(ConfigError, match="exists but no key was found"):
        Client(env=env, provider=openai_server.provider_config())
    assert not (tmp_path / "privllm" / "audit.key").exists()  # no useless new key either


def test_key_sources_env_file_and_callable(openai_server, monkeypatch, log, key, tmp_path):
    provider = openai_server.provider_config()
    text = generate_key()
    env = {"PRIVLLM_AUDIT_KEY": text}
    with Client(env=env, provider=provider, audit={"path": log}) as client:
        assert audit_of(client).store.key_id == MasterKey.from_base64(text).key_id
    # A client given its own environment reads the key variable there, as it reads API
    # keys: the process environment's key (another tenant's, say) is not used.
    monkeypatch.setenv("PRIVLLM_AUDIT_KEY", text)
    with pytest.raises(ConfigError, match="exists but no key was found"):
        Client(env={}, provider=provider, audit={"path": log})
    with Client(provider=provider, audit={"path": log}) as client:  # env=None: os.environ
        assert audit_of(client).store.key_id == MasterKey.from_base64(text).key_id
    monkeypatch.delenv("PRIVLLM_AUDIT_KEY")

    key_file = tmp_path / "k"
    key_file.write_text(text)
    key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Client(env={}, provider=provider, audit={"path": log, "key_file": key_file})
    key_file.chmod(0o600)
    Client(env={}, provider=provider, audit={"path": log, "key_file": key_file}).close()

    raw = base64.b64decode(text)
    calls = []

    def from_kms() -> bytes:
        calls.append(1)
        return raw

    with Client(env={}, provider=provider, audit={"path": log, "key": from_kms}) as client:
        client.chat("hi")
    assert calls == [1]
    with pytest.raises(WrongKeyError, match="does not open the log"):
        Client(env={}, provider=provider, audit={"path": log, "key": key})


def test_a_key_cannot_come_from_config_text():
    with pytest.raises(ConfigError) as info:
        Client(env={"PRIVLLM_AUDIT__KEY": "c2VjcmV0LWtleS12YWx1ZQ=="})
    assert "c2VjcmV0" not in str(info.value)
    assert "key" not in Config().model_dump()["audit"]  # never dumped (config show)


def test_retention_purges_expired_days_when_the_client_starts(openai_server, log, key):
    old = datetime.now(timezone.utc) - timedelta(days=40)
    with AuditStore(log, key, clock=lambda: old) as store:
        store.append(AuditRecord(call_id="old", provider="openai", model="m", time=old))
    with Client(env={}, **settings(openai_server, log, key, retention_days=30)) as client:
        client.chat("new")
        got = records(client, log, key)
    assert [r.payload["request"]["messages"][0]["content"] for r in got] == ["new"]
    with AuditStore(log, key) as store:
        assert store.verify()


def test_audit_off_opens_no_log(openai_server, log, key):
    with Client(env={}, **settings(openai_server, log, key, enabled=False)) as client:
        client.chat("hi")
    assert not log.exists()


def test_a_stream_left_early_is_a_cancelled_record(runner_factory, openai_server, log, key):
    run = runner_factory(**settings(openai_server, log, key))
    openai_server.reply(Reply.text("word " * 40, chunk_delay=0.01))
    first = run.stream_first(PROMPT)
    assert first.text == "word "
    openai_server.reply(Reply.text("never read"))
    if run.kind == "sync":
        with run.client.stream(PROMPT):
            pass  # opened, never iterated
    else:

        async def open_and_leave():
            async with run.client.stream(PROMPT):
                pass

        run._run(open_and_leave())
    got = records(run, log, key)
    assert [r.status for r in got] == ["cancelled", "cancelled"]
    assert got[0].payload["response"]["text"].startswith("word")
    assert "response" not in got[1].payload  # opened, nothing read
