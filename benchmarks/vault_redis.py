"""The shared vault on Redis: latency added per call over the in-memory vault, on loopback.

Run: ``ROUNDS=3 .venv/bin/python benchmarks/vault_redis.py [calls]``

Starts its own ``redis-server`` (``privllm.testing.redis``) and a local OpenAI wire server in
its own process, then times ``Client.chat`` with ``[redaction.vault] backend = "memory"``
and ``"redis"`` (audit off, so only the vault differs), interleaved in blocks. Each call
continues a conversation by its id and adds one new value (so it reads and appends); two
cases:

  * ``new worker``: a fresh ``Conversation`` object per call, as when each turn lands on
    another worker: the whole map is read and decrypted (up to 5 entries), one entry sealed
    and appended;
  * ``same worker``: one ``Conversation`` object per conversation: only what other workers
    added is read (nothing here), one entry appended.

Prints the median and p99 per case and backend and the added median; bar: <= +0.5 ms.
Then the stores alone (no client, no HTTP, so far less noise on a shared machine): one
"new worker" turn, a whole read then an append of one entry, on the memory and the Redis
store, interleaved.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import interleaved, start_server, summary

from privllm import Client, Conversation
from privllm.audit.crypto import MasterKey, generate_key
from privllm.redaction.vault_redis import RedisVaultStore
from privllm.redaction.vault_store import MemoryVaultStore, VaultStore
from privllm.testing.redis import RedisServer

ROUNDS = int(os.environ.get("ROUNDS", "3"))
BAR_MS = 0.5
TURNS = 5  # values per conversation before the next conversation id


def caller(client: Client, fresh: bool, tag: str) -> Callable[[], object]:
    """One call per invocation: turn t of conversation c, with a new e-mail address."""
    state = {"i": 0}
    held: dict[str, Conversation] = {}

    def call() -> object:
        i = state["i"]
        state["i"] += 1
        cid, turn = f"{tag}-{i // TURNS}", i % TURNS
        text = f"Please also write to user{turn}.{i}@example.com about the invoice."
        if fresh:
            history = [{"role": "user", "content": f"write to user{t}@example.com"}
                       for t in range(turn)]  # fmt: skip
            conv = Conversation(history, id=cid)
        else:
            conv = held.setdefault(cid, Conversation(id=cid))
        return client.chat(conv.user(text))

    return call


def store_turn(store: VaultStore, tag: str) -> Callable[[], object]:
    """A new worker's turn on the store alone: read the whole map, append one entry."""
    state = {"i": 0}

    def turn() -> object:
        i = state["i"]
        state["i"] += 1
        cid = f"{tag}-{i // TURNS}"
        loaded = store.load(cid, None)
        count = loaded.cursor.count if loaded.cursor else 0
        return store.append(cid, loaded.cursor, [("EMAIL", count + 1, f"u{i}@example.com")])

    return turn


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    port, stop_server = start_server()
    base_url = f"http://127.0.0.1:{port}/v1"
    provider = {"name": "openai", "model": "m",
                "openai": {"base_url": base_url, "api_key": "sk-bench"}}  # fmt: skip
    results: dict[tuple[str, str], list[float]] = {}
    with RedisServer() as server:
        env = {"PRIVLLM_VAULT_URL": server.url(), "PRIVLLM_VAULT_KEY": generate_key()}
        clients = {
            backend: Client(
                env=env,
                provider=provider,
                audit={"enabled": False},
                redaction={"vault": {"backend": backend}},
            )
            for backend in ("memory", "redis")
        }
        for r in range(ROUNDS):
            for case, fresh in (("new worker", True), ("same worker", False)):
                mem = caller(clients["memory"], fresh, f"m{r}{fresh}")
                red = caller(clients["redis"], fresh, f"r{r}{fresh}")
                for _ in range(50):  # warm up: connections, MAC key, imports
                    mem()
                    red()
                a, b = interleaved(mem, red, calls)
                results.setdefault((case, "memory"), []).extend(x * 1000 for x in a)
                results.setdefault((case, "redis"), []).extend(x * 1000 for x in b)
                added = statistics.median(b) * 1000 - statistics.median(a) * 1000
                print(f"round {r + 1} {case:<12} added {added:+.3f} ms median")
        for client in clients.values():
            client.close()
        import redis

        red_store = RedisVaultStore(
            redis.Redis.from_url(server.url()),
            MasterKey.from_base64(generate_key()),
            prefix="bench:",
            ttl=600,
        )
        for r in range(ROUNDS):
            mem, red = store_turn(MemoryVaultStore(600), f"s{r}"), store_turn(red_store, f"s{r}")
            a, b = interleaved(mem, red, calls * 2)
            results.setdefault(("store alone", "memory"), []).extend(x * 1000 for x in a)
            results.setdefault(("store alone", "redis"), []).extend(x * 1000 for x in b)
        red_store.close()
    stop_server()
    print(f"Client.chat, {calls} calls per case and round, {ROUNDS} rounds, loopback:")
    for case in ("new worker", "same worker", "store alone"):
        (m_med, m_p99), (r_med, r_p99) = (summary(results[(case, b)]) for b in ("memory", "redis"))
        added = r_med - m_med
        print(f"  {case:<12} memory {m_med:.3f} ms (p99 {m_p99:.3f})  redis {r_med:.3f} ms "
              f"(p99 {r_p99:.3f})  added {added:+.3f} ms   bar <= +{BAR_MS} ms: "
              f"{'ok' if added <= BAR_MS else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
