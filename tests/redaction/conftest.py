"""A throwaway Redis for the shared vault tests, started from the machine's ``redis-server``
on a free loopback port and stopped at the end; without that binary (or redis-py) the Redis
cases are skipped with the reason (CI installs both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from privllm.testing.redis import RedisServer, find_redis_server

PASSWORD = "s3cret-redis-pass-4711"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    if find_redis_server() is None:
        pytest.skip("redis-server not found: apt-get install redis-server or set REDIS_SERVER")
    pytest.importorskip("redis", reason="the redis extra: pip install 'privllm[redis]'")
    with RedisServer(password=PASSWORD) as server:
        yield server


@pytest.fixture
def redis_db(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The session's server, emptied before the test (FLUSHALL)."""
    redis_server.command("FLUSHALL")
    return redis_server
