"""The shared vault on Redis, end to end: two worker processes continue one conversation, Redis
never holds a value (dump and MONITOR), a dead Redis refuses the call before anything is sent,
TTLs apply and tenants are apart. Sync and async clients; assertions on the bytes the OpenAI
wire server received and on Redis' own output."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from privllm import AsyncClient, Client, Conversation
from privllm.audit.crypto import generate_key
from privllm.errors import ConfigError, VaultError
from privllm.testing import OpenAIServer, Reply
from privllm.testing.redis import RedisServer

EMAIL = "jane.doe@acme-corp.com"
EMAIL2 = "bob.stone@example.org"
NAME = "Jane Doe"
CARD = "4111 1111 1111 1111"
VALUES = [EMAIL, EMAIL2, NAME, CARD]
CONV = "ticket-4711-jane.doe@acme-corp.com"  # an id may itself be personal data
PASSWORD = "an0ther-redis-pass-0815"
WORKER = Path(__file__).resolve().parents[1] / "support" / "vault_worker.py"


def settings(server: OpenAIServer, **vault: object) -> dict[str, object]:
    return {
        "provider": server.provider_config(),
        "audit": {"enabled": False},
        "redaction": {"terms": {"PERSON": [NAME]}, "vault": {"backend": "redis", **vault}},
    }


def environment(redis_server: RedisServer, key: str) -> dict[str, str]:
    return {"PRIVLLM_VAULT_URL": redis_server.url(), "PRIVLLM_VAULT_KEY": key}


def assert_clean(raw: bytes) -> None:
    for value in [*VALUES, CONV]:
        assert value.encode() not in raw, f"{value!r} is in Redis' bytes"
        assert json.dumps(value)[1:-1].encode() not in raw
    for placeholder in (b"EMAIL_1", b"EMAIL_2", b"PERSON_1", b"CREDIT_CARD_1"):
        assert placeholder not in raw, "a placeholder is in Redis' bytes"


def worker(redis_server: RedisServer, key: str, config: dict, messages: list) -> str:
    env = {"PATH": "/usr/bin:/bin", **environment(redis_server, key)}
    done = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(config), CONV, json.dumps(messages)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["text"])


def test_two_worker_processes_continue_one_conversation(redis_db, openai_server):
    key = generate_key()
    config = settings(openai_server)
    first = [{"role": "user", "content": f"I am {NAME}, mail me at {EMAIL}."}]
    openai_server.reply(Reply.text("Noted, [PERSON_1]: I will write to [EMAIL_1]."))
    answer = worker(redis_db, key, config, first)
    assert answer == f"Noted, {NAME}: I will write to {EMAIL}."
    # The second worker gets the history in clear (the app keeps it) and a new value.
    second = [
        *first,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": f"Also copy {EMAIL2}, then {EMAIL} again."},
    ]
    openai_server.reply(Reply.text("Done: [EMAIL_2] and [EMAIL_1], for [PERSON_1]."))
    answer = worker(redis_db, key, config, second)
    assert answer == f"Done: {EMAIL2} and {EMAIL}, for {NAME}."
    one, two = (r.json()["messages"] for r in openai_server.requests)
    assert one[0]["content"] == "I am [PERSON_1], mail me at [EMAIL_1]."
    assert [m["content"] for m in two] == [
        "I am [PERSON_1], mail me at [EMAIL_1].",
        "Noted, [PERSON_1]: I will write to [EMAIL_1].",
        "Also copy [EMAIL_2], then [EMAIL_1] again.",
    ]
    for value in VALUES:
        assert value.encode() not in openai_server.received()


def test_redis_dump_and_monitor_hold_no_value(redis_db, openai_server, runner_factory):
    env = environment(redis_db, generate_key())
    run = runner_factory(env=env, **settings(openai_server))
    with redis_db.monitor() as seen:
        conv = Conversation(id=CONV).user(f"{NAME} paid with {CARD}, mail {EMAIL}.")
        conv.add(run.chat(conv))
        conv.user(f"and {EMAIL2}")
        conv.add(run.chat(conv))
        run.chat(Conversation(conv.messages, id=CONV).user("again"))
    assert b"EVAL" in seen, "MONITOR saw no append"
    assert b"LRANGE" in seen
    assert_clean(bytes(seen))
    dump = redis_db.save().read_bytes()
    assert b"privllm:vault:default:c:" in dump
    assert_clean(dump)
    assert openai_server.last.json()["messages"][-1]["content"] == "again"


def test_a_dead_redis_refuses_the_call_and_sends_nothing(openai_server, runner_factory):
    pytest.importorskip("redis")
    with RedisServer(password=PASSWORD) as server:
        env = environment(server, generate_key())
        run = runner_factory(env=env, **settings(openai_server, timeout=0.5))
        conv = Conversation(id=CONV).user(f"mail {EMAIL}")
        conv.add(run.chat(conv))
        assert len(openai_server.requests) == 1
        server.kill()
        conv.user(f"and {EMAIL2}")
        with pytest.raises(VaultError) as caught:
            run.chat(conv)
    assert len(openai_server.requests) == 1, "a call went out without its vault"
    text = "".join(traceback.format_exception(caught.value))
    assert "refused" in str(caught.value)
    assert PASSWORD not in text
    assert "redis://" not in text
    for value in VALUES:
        assert value not in text


def test_a_wrong_vault_key_refuses_the_call(redis_db, openai_server):
    config = settings(openai_server)
    conv = Conversation(id=CONV).user(f"mail {EMAIL}")
    with Client(env=environment(redis_db, generate_key()), **config) as client:
        client.chat(conv)
    other = Client(env=environment(redis_db, generate_key()), **config)
    with other, pytest.raises(VaultError, match="vault key"):
        other.chat(Conversation(conv.messages, id=CONV))
    assert len(openai_server.requests) == 1


def test_the_ttl_is_applied_and_renewed(redis_db, openai_server, runner_factory):
    import redis

    env = environment(redis_db, generate_key())
    run = runner_factory(env=env, **settings(openai_server, ttl=300))
    run.chat(Conversation(id=CONV).user(f"mail {EMAIL}"))
    client = redis.Redis.from_url(redis_db.url())
    (name,) = client.keys("privllm:vault:default:c:*")
    assert 290_000 < client.pttl(name) <= 300_000
    client.pexpire(name, 5_000)
    run.chat(Conversation(id=CONV).user("again"))  # a read renews it
    assert client.pttl(name) > 290_000
    client.close()


def test_tenant_prefixes_isolate(redis_db, openai_server):
    import redis

    key = generate_key()
    env = environment(redis_db, key)
    with (
        Client(env=env, **settings(openai_server, tenant="acme")) as acme,
        Client(env=env, **settings(openai_server, tenant="globex")) as globex,
    ):
        acme.chat(Conversation(id=CONV).user(f"mail {EMAIL}"))
        openai_server.reply(Reply.text("Sent to [EMAIL_1]."))
        # Same conversation id, another tenant: its own map, where [EMAIL_1] is its own value.
        answer = globex.chat(Conversation(id=CONV).user(f"mail {EMAIL2}"))
        assert answer.text == f"Sent to {EMAIL2}."
        assert openai_server.last.json()["messages"][0]["content"] == "mail [EMAIL_1]"
        client = redis.Redis.from_url(redis_db.url())
        names = sorted(k.decode() for k in client.keys("*"))
        assert [n.split(":")[2] for n in names] == ["acme", "acme", "globex", "globex"]
        # One tenant's list copied over the other's does not open there.
        acme_list = next(n for n in names if n.startswith("privllm:vault:acme:c:"))
        globex_list = next(n for n in names if n.startswith("privllm:vault:globex:c:"))
        client.copy(acme_list, globex_list, replace=True)
        client.close()
        with pytest.raises(VaultError):
            globex.chat(Conversation(id=CONV).user("again"))


def test_without_an_id_nothing_reaches_redis(redis_db, openai_server):
    client = Client(env=environment(redis_db, generate_key()), **settings(openai_server))
    with redis_db.monitor() as seen, client:
        client.chat(Conversation().user(f"mail {EMAIL}"))
        client.chat(f"mail {EMAIL}")
    assert seen == b""


def test_the_url_and_the_key_are_named_when_missing(openai_server):
    pytest.importorskip("redis")
    with pytest.raises(ConfigError, match="PRIVLLM_VAULT_URL") as caught:
        Client(env={"PRIVLLM_VAULT_KEY": generate_key()}, **settings(openai_server))
    assert caught.value.field == "redaction.vault.url_env"
    with pytest.raises(ConfigError, match="PRIVLLM_VAULT_KEY"):
        Client(env={"PRIVLLM_VAULT_URL": "redis://:pw@127.0.0.1:1/0"}, **settings(openai_server))


def test_a_redis_that_never_answers_refuses_within_the_timeout(openai_server, runner_factory):
    pytest.importorskip("redis")
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        env = {
            "PRIVLLM_VAULT_URL": f"redis://:{PASSWORD}@127.0.0.1:{port}/0",
            "PRIVLLM_VAULT_KEY": generate_key(),
        }
        run = runner_factory(env=env, **settings(openai_server, timeout=0.3))
        with pytest.raises(VaultError) as caught:
            run.chat(Conversation(id=CONV).user(f"mail {EMAIL}"))
    assert openai_server.requests == []
    assert PASSWORD not in "".join(traceback.format_exception(caught.value))


def test_a_stream_restores_with_the_map_another_worker_wrote(
    redis_db, openai_server, runner_factory
):
    env = environment(redis_db, generate_key())
    with Client(env=env, **settings(openai_server)) as other_worker:
        other_worker.chat(Conversation(id=CONV).user(f"I am {NAME}, mail {EMAIL}"))
    run = runner_factory(env=env, **settings(openai_server))
    openai_server.reply(Reply.text("Writing to [EMAIL_1] for [PERSON_1] now.", chunks=7))
    chunks, whole = run.stream(Conversation(id=CONV).user("go on"))
    assert "".join(c.text for c in chunks) == f"Writing to {EMAIL} for {NAME} now."
    assert whole.text == f"Writing to {EMAIL} for {NAME} now."


async def test_the_async_client_waits_for_redis_without_blocking_the_loop(openai_server):
    pytest.importorskip("redis")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    with socket.socket() as silent:  # Redis that never answers: the call waits its timeout
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        env = {
            "PRIVLLM_VAULT_URL": f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
            "PRIVLLM_VAULT_KEY": generate_key(),
        }
        async with AsyncClient(env=env, **settings(openai_server, timeout=0.3)) as client:
            task = asyncio.create_task(ticker())
            with pytest.raises(VaultError):
                await client.chat(Conversation(id=CONV).user(f"mail {EMAIL}"))
            task.cancel()
    assert ticks > 0, "the event loop was blocked while waiting for Redis"
    assert openai_server.requests == []
