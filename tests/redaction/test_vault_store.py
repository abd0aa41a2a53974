"""The vault store contract, run on both stores (memory and Redis), sync and async: entries
come back in order and whole, a stale writer conflicts instead of reusing a number, a worker
reads only what it lacks, and an expired list starts a new epoch."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from privllm import Conversation
from privllm.audit.crypto import MasterKey, generate_key
from privllm.errors import InvalidRequestError, VaultConflictError, VaultError
from privllm.redaction.vault_store import (
    AsyncMemoryVaultStore,
    Cursor,
    MemoryVaultStore,
)
from privllm.testing import Reply
from privllm.testing.redis import RedisServer

A = ("EMAIL", 1, "ann@example.com")
B = ("PERSON", 1, "Zoë Ångström")
C = ("EMAIL", 2, "bob@example.com")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sync:
    """A store behind one sync interface, whatever it is."""

    def __init__(self, store: Any, expire: Any) -> None:
        self.store, self.expire = store, expire

    def load(self, cid: str, have: Cursor | None) -> Any:
        return self.store.load(cid, have)

    def append(self, cid: str, have: Cursor | None, entries: Any) -> Cursor:
        return self.store.append(cid, have, entries)


class Async(Sync):
    def __init__(self, store: Any, expire: Any) -> None:
        super().__init__(store, expire)
        self.loop = asyncio.new_event_loop()

    def load(self, cid: str, have: Cursor | None) -> Any:
        return self.loop.run_until_complete(self.store.load(cid, have))

    def append(self, cid: str, have: Cursor | None, entries: Any) -> Cursor:
        return self.loop.run_until_complete(self.store.append(cid, have, entries))


def redis_expire(server: RedisServer) -> Any:
    def expire() -> None:
        server.command("FLUSHDB")  # what an expired list looks like: gone

    return expire


@pytest.fixture(params=["memory", "memory-async", "redis", "redis-async"])
def store(request: pytest.FixtureRequest) -> Iterator[Sync]:
    kind: str = request.param
    if kind.startswith("memory"):
        clock = Clock()

        def expire() -> None:
            clock.now += 61

        if kind == "memory":
            yield Sync(MemoryVaultStore(60, clock=clock), expire)
        else:
            wrapped = Async(AsyncMemoryVaultStore(60, clock=clock), expire)
            yield wrapped
            wrapped.loop.close()
        return
    import redis
    import redis.asyncio

    from privllm.redaction.vault_redis import AsyncRedisVaultStore, RedisVaultStore

    server: RedisServer = request.getfixturevalue("redis_db")
    key = MasterKey.from_base64(generate_key())
    if kind == "redis":
        sync = RedisVaultStore(redis.Redis.from_url(server.url()), key, prefix="t:a:", ttl=60)
        yield Sync(sync, redis_expire(server))
        sync.close()
    else:
        client = redis.asyncio.Redis.from_url(server.url())
        wrapped = Async(AsyncRedisVaultStore(client, key, prefix="t:a:", ttl=60), None)
        wrapped.expire = redis_expire(server)
        yield wrapped
        wrapped.loop.run_until_complete(wrapped.store.aclose())
        wrapped.loop.close()


def test_nothing_stored_reads_empty(store):
    loaded = store.load("c1", None)
    assert loaded.cursor is None
    assert loaded.entries == []
    assert loaded.full


def test_entries_come_back_in_order_and_whole(store):
    cursor = store.append("c1", None, [A, B])
    assert cursor.count == 2
    loaded = store.load("c1", None)
    assert loaded.entries == [A, B]
    assert loaded.full
    assert loaded.cursor == cursor


def test_a_worker_reads_only_what_it_lacks(store):
    mine = store.append("c1", None, [A])
    theirs = store.append("c1", store.load("c1", None).cursor, [B, C])
    loaded = store.load("c1", mine)
    assert loaded.entries == [B, C]
    assert not loaded.full
    assert loaded.cursor == theirs


def test_a_stale_writer_conflicts_instead_of_reusing_a_number(store):
    first = store.append("c1", None, [A])
    store.append("c1", first, [C])
    with pytest.raises(VaultConflictError):
        store.append("c1", first, [("EMAIL", 2, "eve@example.com")])  # [EMAIL_2] is taken
    with pytest.raises(VaultConflictError):
        store.append("c1", None, [("EMAIL", 1, "eve@example.com")])  # as if nothing stored
    assert store.load("c1", None).entries == [A, C]
    assert isinstance(VaultConflictError("x"), VaultError)


def test_conversations_are_apart(store):
    store.append("c1", None, [A])
    store.append("c2", None, [C])
    assert store.load("c1", None).entries == [A]
    assert store.load("c2", None).entries == [C]


def test_an_expired_list_starts_a_new_epoch(store):
    old = store.append("c1", None, [A])
    store.expire()
    assert store.load("c1", old).entries == []
    with pytest.raises(VaultConflictError):
        store.append("c1", old, [C])  # the worker's map is gone: never extend a stranger's
    new = store.append("c1", None, [C])
    assert new.epoch != old.epoch
    loaded = store.load("c1", old)  # a cursor of the old epoch reads the new list whole
    assert loaded.entries == [C]
    assert loaded.full


def test_conversations_sharing_an_id_share_the_map_in_one_client(runner_factory, openai_server):
    run = runner_factory(provider=openai_server.provider_config(), audit={"enabled": False})
    run.chat(Conversation(id="c1").user("mail ann@example.com"))
    openai_server.reply(Reply.text("Sent to [EMAIL_1] and [EMAIL_2]."))
    answer = run.chat(Conversation(id="c1").user("and bob@example.com, ann@example.com"))
    assert openai_server.last.json()["messages"][0]["content"] == "and [EMAIL_2], [EMAIL_1]"
    assert answer.text == "Sent to ann@example.com and bob@example.com."
    run.chat(Conversation().user("bob@example.com"))  # no id: a map of its own, as before
    assert openai_server.last.json()["messages"][0]["content"] == "[EMAIL_1]"


def test_a_conversation_id_is_a_non_empty_string():
    with pytest.raises(InvalidRequestError, match="conversation id"):
        Conversation(id="")


def test_the_memory_store_forgets_expired_conversations_nobody_reads():
    clock = Clock()
    store = MemoryVaultStore(60, clock=clock)
    store.append("old", None, [A])
    clock.now += 61
    for i in range(1024):
        store.append(f"c{i}", None, [A])
    assert "old" not in repr(store)  # the repr holds a count, never ids
    assert repr(store) == "MemoryVaultStore(1024 conversations)"
