"""The parity harnesses for the drop-ins: one test body, run through ``OpenAI`` and
``AsyncOpenAI`` (``dropin``), or through google-genai's ``client.models`` and
``client.aio.models`` (``run``, on the Gemini API and Vertex AI); the pattern of
tests/conftest.py's ``Runner``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from google.genai import types

from privllm.genai import Client
from privllm.openai import AsyncOpenAI, OpenAI
from privllm.testing import GeminiServer, OpenAIServer


class LoopRunner:
    """A sync or an async client: ``run`` returns a sync call's value as it is, and runs an
    async call's coroutine to its end on the runner's own loop."""

    def __init__(self, kind: str, client: Any) -> None:
        self.kind = kind
        self.client = client
        self._loop = asyncio.new_event_loop() if kind == "async" else None

    def run(self, value: Any) -> Any:
        if self._loop is None:
            return value
        return self._loop.run_until_complete(value)

    def close(self) -> None:
        raise NotImplementedError


_R = TypeVar("_R", bound=LoopRunner)


def _closing(build: Callable[..., _R]) -> Iterator[Callable[..., _R]]:
    """A fixture's factory of runners (``build(**kwargs)``), each closed at the end."""
    made: list[_R] = []

    def factory(**kwargs: Any) -> _R:
        made.append(build(**kwargs))
        return made[-1]

    yield factory
    for runner in made:
        runner.close()


class DropinRunner(LoopRunner):
    """Runs the same SDK-shaped call on the sync or the async drop-in; returns plain results."""

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
    cls = AsyncOpenAI if request.param == "async" else OpenAI
    yield from _closing(lambda **kwargs: DropinRunner(request.param, cls(env={}, **kwargs)))


@pytest.fixture
def dropin(
    dropin_factory: Callable[..., DropinRunner], openai_server: OpenAIServer
) -> DropinRunner:
    """The drop-in on the OpenAI wire server, privllm's defaults on (redaction, policy,
    audit), no retries; sync and async."""
    return dropin_factory(base_url=openai_server.url, api_key="sk-dropin-0000", max_retries=0)


# -- google-genai ------------------------------------------------------------------------------


class Runner(LoopRunner):
    """One test body for ``client.models`` and ``client.aio.models``."""

    client: Client

    @property
    def models(self) -> Any:
        return self.client.models if self._loop is None else self.client.aio.models

    def generate(self, **kwargs: Any) -> types.GenerateContentResponse:
        kwargs.setdefault("model", "gemini-test")
        return self.run(self.models.generate_content(**kwargs))

    def stream(self, **kwargs: Any) -> list[types.GenerateContentResponse]:
        kwargs.setdefault("model", "gemini-test")
        if self._loop is None:
            return list(self.client.models.generate_content_stream(**kwargs))

        async def go() -> list[types.GenerateContentResponse]:
            chunks = await self.client.aio.models.generate_content_stream(**kwargs)
            return [c async for c in chunks]

        return self.run(go())

    def embed(self, **kwargs: Any) -> types.EmbedContentResponse:
        kwargs.setdefault("model", "gemini-embedding-test")
        return self.run(self.models.embed_content(**kwargs))

    def close(self) -> None:
        self.client.close()
        if self._loop is not None:
            self._loop.run_until_complete(self.client.aio.aclose())
            self._loop.close()


def settings(server: GeminiServer, mode: str) -> dict[str, Any]:
    """The constructor arguments a google-genai user passes, plus privllm's own."""
    common: dict[str, Any] = {
        "http_options": types.HttpOptions(
            base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
        "audit": {"enabled": False},
        "env": {},
    }
    if mode == "vertex":
        return {
            "vertexai": True,
            "project": server.project,
            "location": server.location,
            "provider": {"google": {"access_token": "ya29.local-token"}},
            **common,
        }
    return {"api_key": "AIza-local-0000", "provider": {"google": {"tier": "paid"}}, **common}


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["gemini_api", "vertex"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(kind: str) -> Iterator[Callable[..., Runner]]:
    yield from _closing(lambda **kwargs: Runner(kind, Client(**kwargs)))


@pytest.fixture
def run(make: Callable[..., Runner], gemini_server: GeminiServer, mode: str) -> Runner:
    return make(**settings(gemini_server, mode))


@pytest.fixture
def genai_settings() -> Callable[[GeminiServer, str], dict[str, Any]]:
    """``settings(server, mode)``: a google-genai user's constructor arguments."""
    return settings
