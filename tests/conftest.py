"""Shared fixtures. Every test talks to real loopback servers from privllm.testing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from privllm import AsyncClient, Client
from privllm.testing import OpenAIServer

pytest_plugins = ["privllm.testing.pytest_plugin"]


class Runner:
    """Runs the same call through ``Client`` or ``AsyncClient`` (the parity harness).

    Methods return plain results so one test body covers both clients.
    """

    def __init__(self, kind: str, make: Callable[..., Any]) -> None:
        self.kind = kind
        self._make = make
        self._loop = asyncio.new_event_loop() if kind == "async" else None
        self.client: Any = None

    def open(self, **kwargs: Any) -> Runner:
        cls = AsyncClient if self.kind == "async" else Client
        self.client = self._make(cls, **kwargs)
        return self

    def _run(self, coro: Any) -> Any:
        assert self._loop is not None
        return self._loop.run_until_complete(coro)

    def chat(self, *args: Any, **kwargs: Any) -> Any:
        if self._loop is None:
            return self.client.chat(*args, **kwargs)
        return self._run(self.client.chat(*args, **kwargs))

    def embed(self, *args: Any, **kwargs: Any) -> Any:
        if self._loop is None:
            return self.client.embed(*args, **kwargs)
        return self._run(self.client.embed(*args, **kwargs))

    def stream(self, *args: Any, **kwargs: Any) -> tuple[list[Any], Any]:
        """All chunks and the assembled response."""
        if self._loop is None:
            with self.client.stream(*args, **kwargs) as s:
                chunks = list(s)
            return chunks, s.response

        async def go() -> tuple[list[Any], Any]:
            async with self.client.stream(*args, **kwargs) as s:
                chunks = [c async for c in s]
            return chunks, s.response

        return self._run(go())

    def stream_first(self, *args: Any, **kwargs: Any) -> Any:
        """Read one chunk, then leave the stream (closing it)."""
        if self._loop is None:
            with self.client.stream(*args, **kwargs) as s:
                for chunk in s:
                    return chunk
            return None

        async def go() -> Any:
            async with self.client.stream(*args, **kwargs) as s:
                async for chunk in s:
                    return chunk
            return None

        return self._run(go())

    def close(self) -> None:
        if self.client is not None:
            if self._loop is None:
                self.client.close()
            else:
                self._run(self.client.close())
        if self._loop is not None:
            self._loop.close()


@pytest.fixture(params=["sync", "async"])
def runner_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Runner]]:
    """``runner_factory(provider=..., middleware=...)`` -> a Runner for sync and for async;
    ``env`` is the clients' environment (empty unless given)."""
    made: list[Runner] = []

    def factory(env: dict[str, str] | None = None, **kwargs: Any) -> Runner:
        r = Runner(request.param, lambda cls, **kw: cls(env=env or {}, **kw))
        made.append(r)
        return r.open(**kwargs)

    yield factory
    for r in made:
        r.close()


@pytest.fixture
def run(runner_factory: Callable[..., Runner], openai_server: OpenAIServer) -> Runner:
    """A Runner on the OpenAI wire server with the default chain (redaction, policy, audit),
    sync and async."""
    return runner_factory(provider=openai_server.provider_config())
