"""privllm's HTTP clients keep the openai SDK's pool sizes (issue 14, item 1): a burst of
concurrent calls reuses connections instead of opening and closing hundreds. Seen from the
server: how many connections (client ports) carried the requests."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from privllm import AsyncClient, Client
from privllm.testing import Reply


def peers(server) -> set[tuple[str, int]]:
    return {r.peer for r in server.requests}


async def bursts(client: AsyncClient, size: int, rounds: int) -> None:
    for _ in range(rounds):
        await asyncio.gather(*(client.chat("hello") for _ in range(size)))


def test_concurrent_bursts_reuse_their_connections(openai_server):
    # 60 concurrent calls, three times: with httpx2's own default (20 kept alive) every
    # burst would open ~40 new connections; with 100 kept alive the later bursts reuse them.
    openai_server.default = Reply.text("ok", delay=0.05)

    async def go() -> None:
        async with AsyncClient(env={}, provider=openai_server.provider_config()) as client:
            await bursts(client, 60, 3)

    asyncio.run(go())
    assert len(openai_server.requests) == 180
    assert len(peers(openai_server)) <= 70  # 60 opened by the first burst, a few spare


def test_the_pool_size_is_configurable(openai_server):
    openai_server.default = Reply.text("ok", delay=0.05)
    provider = {**openai_server.provider_config(), "max_connections": 4}

    async def go() -> None:
        async with AsyncClient(env={}, provider=provider) as client:
            await bursts(client, 20, 2)

    asyncio.run(go())
    assert len(openai_server.requests) == 40
    assert len(peers(openai_server)) <= 4


@pytest.mark.parametrize("server_name", ["openai_server", "azure_server", "gemini_server"])
def test_threads_making_the_first_call_at_once_share_one_sdk_client(server_name, request):
    # LangChain's batch() (and any thread pool) makes a client's first calls from several
    # threads at once. Each used to build its own SDK client on first use, and all but the
    # last were dropped unclosed, with their connections (a ResourceWarning when collected).
    server = request.getfixturevalue(server_name)
    section = (
        server.provider_config("vertex")
        if server_name == "gemini_server"
        else (server.provider_config())
    )
    with Client(env={}, provider=section, audit={"enabled": False}) as client:
        start = threading.Barrier(8)

        def first_use(_: int) -> int:
            start.wait()
            return id(client.provider.sdk)

        with ThreadPoolExecutor(8) as pool:
            built = set(pool.map(first_use, range(8)))
    assert len(built) == 1
