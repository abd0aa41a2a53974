"""The parity harness for the drop-in: one test body, run through ``OpenAI`` and
``AsyncOpenAI`` (the pattern of tests/conftest.py's ``Runner``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from privllm.openai import AsyncOpenAI, OpenAI
from privllm.testing import OpenAIServer


class DropinRunner:
    """Runs the same SDK-shaped call on the sync or the async drop-in; returns plain results."""

    def __init__(self, kind: str, client: Any) -> None:
        self.kind = kind
        self.client = client
        self._loop = asyncio.new_event_loop() if kind == "async" else None

    def run(self, value: Any) -> Any:
        if self._loop is None:
            return value
        return self._loop.run_until_complete(value)

    def create(self, client: Any = None, **kwargs: Any) -> Any:
        return self.run((client or self.client).chat.completions.create(**kwargs))

    def parse(self, **kwargs: Any) -> Any:
        return self.run(self.client.chat.completions.parse(**kwargs))

    def embed(self, **kwargs: Any) -> Any:
        return self.run(self.client.embeddings.create(**kwargs))

    def models(self) -> Any:
        return self.run(self.client.models.list())

    def raw_create(self, **kwargs: Any) -> Any:
        return self.run(self.client.chat.completions.with_raw_response.create(**kwargs))

    def respond(self, **kwargs: Any) -> Any:
        return self.run(self.client.responses.create(**kwargs))

    def respond_parse(self, **kwargs: Any) -> Any:
        return self.run(self.client.responses.parse(**kwargs))

    def raw(self, path: str, method: str, **kwargs: Any) -> Any:
        """``client.with_raw_response.<path>.<method>(**kwargs)``."""
        target: Any = self.client.with_raw_response
        for name in path.split("."):
            target = getattr(target, name)
        return self.run(getattr(target, method)(**kwargs))

    def respond_stream(self, **kwargs: Any) -> list[Any]:
        """Every event of ``responses.create(stream=True)``, read inside ``with``."""
        return self._read(self.client.responses.create, kwargs)

    def stream_events(self, **kwargs: Any) -> tuple[list[Any], Any]:
        """The events of ``chat.completions.stream()`` and its final completion."""
        if self._loop is None:
            with self.client.chat.completions.stream(**kwargs) as s:
                return list(s), s.get_final_completion()

        async def go() -> tuple[list[Any], Any]:
            async with self.client.chat.completions.stream(**kwargs) as s:
                events = [e async for e in s]
                return events, await s.get_final_completion()

        return self.run(go())

    def _read(self, create: Any, kwargs: dict[str, Any]) -> list[Any]:
        if self._loop is None:
            with create(stream=True, **kwargs) as s:
                return list(s)

        async def go() -> list[Any]:
            s = await create(stream=True, **kwargs)
            async with s:
                return [c async for c in s]

        return self.run(go())

    def stream(self, **kwargs: Any) -> list[Any]:
        """Every chunk of ``create(stream=True)``, read inside ``with`` / ``async with``."""
        if self._loop is None:
            with self.client.chat.completions.create(stream=True, **kwargs) as s:
                return list(s)

        async def go() -> list[Any]:
            s = await self.client.chat.completions.create(stream=True, **kwargs)
            async with s:
                return [c async for c in s]

        return self.run(go())

    def close(self) -> None:
        if self._loop is None:
            self.client.close()
        else:
            self.run(self.client.close())
            self._loop.close()


@pytest.fixture(params=["sync", "async"])
def dropin_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., DropinRunner]]:
    """``dropin_factory(**constructor_kwargs)`` -> a DropinRunner, sync and async."""
    made: list[DropinRunner] = []

    def factory(**kwargs: Any) -> DropinRunner:
        cls = AsyncOpenAI if request.param == "async" else OpenAI
        runner = DropinRunner(request.param, cls(env={}, **kwargs))
        made.append(runner)
        return runner

    yield factory
    for runner in made:
        runner.close()


@pytest.fixture
def dropin(
    dropin_factory: Callable[..., DropinRunner], openai_server: OpenAIServer
) -> DropinRunner:
    """The drop-in on the OpenAI wire server, privllm's defaults on (redaction, policy,
    audit), no retries; sync and async."""
    return dropin_factory(base_url=openai_server.url, api_key="sk-dropin-0000", max_retries=0)
