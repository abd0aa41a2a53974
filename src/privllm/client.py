"""``Client`` and ``AsyncClient``: one API over every provider, every call through the chain.

>>> from privllm import Client
>>> from privllm.testing import OpenAIServer
>>> with OpenAIServer() as server, Client(provider=server.provider_config()) as client:
...     client.chat("Hello").text
'Hello'

Both clients share everything except the awaited provider call: request building, the
middleware chain, stream assembly and structured-output parsing live in ``_Core``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ValidationError

from .config import Config, load_config
from .errors import ConfigError, ProviderError
from .pipeline import CallContext, Chain, Middleware, load_middleware
from .providers.base import (
    AsyncChunkStream,
    ChunkStream,
    Provider,
    TransportWrapper,
    build_provider,
)
from .streaming import StreamAssembler
from .types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Message,
    ToolCall,
    ToolDefinition,
)

__all__ = ["AsyncChatStream", "AsyncClient", "ChatStream", "Client", "StructuredOutputError"]

MessagesLike = str | Sequence[Message | Mapping[str, Any]]
ToolLike = ToolDefinition | type[BaseModel] | Mapping[str, Any]


class StructuredOutputError(ProviderError):
    """The answer did not parse into the requested ``response_format`` model."""


class _Core:
    """State and logic shared by both clients. Holds no SDK and does no IO itself."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None,
        middleware: Sequence[Middleware | str],
        env: Mapping[str, str] | None,
        transport_wrapper: TransportWrapper | None,
        backend: Provider | None,
        overrides: dict[str, Any],
    ) -> None:
        if isinstance(config, Config):
            if overrides:
                raise ConfigError("pass either a Config object or keyword overrides, not both")
            self.config = config
        else:
            self.config = load_config(config, env=env, **overrides)
        environ = os.environ if env is None else env
        self.provider: Provider = backend or build_provider(
            self.config.provider, env=environ, transport_wrapper=transport_wrapper
        )
        chain = [load_middleware(m) if isinstance(m, str) else m for m in middleware]
        chain.extend(load_middleware(path) for path in self.config.middleware)
        chain.extend(_builtin_middleware(self.config))
        self.chain = Chain(chain)

    # -- building requests ---------------------------------------------------------------------

    def chat_request(
        self,
        messages: MessagesLike,
        model: str | None,
        *,
        stream: bool,
        temperature: float | None,
        max_tokens: int | None,
        top_p: float | None,
        stop: str | Sequence[str] | None,
        seed: int | None,
        user: str | None,
        tools: Sequence[ToolLike] | None,
        tool_choice: str | None,
        response_format: type[BaseModel] | None,
        extra: Mapping[str, Any] | None,
    ) -> ChatRequest:
        return ChatRequest(
            messages=_messages(messages),
            model=self._model(model),
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            stop=[stop] if isinstance(stop, str) else (list(stop) if stop else None),
            seed=seed,
            user=user,
            tools=[_tool(t) for t in tools] if tools else None,
            tool_choice=tool_choice,
            response_format=response_format,
            stream=stream,
            extra=dict(extra) if extra else {},
        )

    def _model(self, model: str | None) -> str:
        chosen = model or self.config.provider.model
        if not chosen:
            raise ConfigError(
                "no model: pass model=... or set provider.model", field="provider.model"
            )
        return chosen

    def embedding_request(
        self,
        texts: str | Sequence[str],
        model: str | None,
        dimensions: int | None,
        extra: Mapping[str, Any] | None,
    ) -> EmbeddingRequest:
        chosen = model or self.config.provider.embedding_model
        if not chosen:
            raise ConfigError(
                "no embedding model: pass model=... or set provider.embedding_model",
                field="provider.embedding_model",
            )
        return EmbeddingRequest(
            input=[texts] if isinstance(texts, str) else list(texts),
            model=chosen,
            dimensions=dimensions,
            extra=dict(extra) if extra else {},
        )

    def context(self, operation: str) -> CallContext:
        return CallContext(endpoint=self.provider.endpoint, operation=operation)

    # -- running the chain ---------------------------------------------------------------------

    def before(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        try:
            return self.chain.request(request, ctx)
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise

    def after(self, response: ChatResponse, request: ChatRequest, ctx: CallContext) -> ChatResponse:
        try:
            response = self.chain.response(response, ctx)
            if request.response_format is not None:
                response.parsed = parse_structured(response, request.response_format)
            return response
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise

    def failed(self, exc: BaseException, ctx: CallContext) -> None:
        self.chain.error(exc, ctx)

    def before_embed(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        try:
            return self.chain.embedding_request(request, ctx)
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise

    def after_embed(self, response: EmbeddingResponse, ctx: CallContext) -> EmbeddingResponse:
        try:
            return self.chain.embedding_response(response, ctx)
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise


def _builtin_middleware(config: Config) -> list[Middleware]:
    """privllm's own middleware, innermost last: redaction, then policy, then audit."""
    return []


def parse_structured(response: ChatResponse, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate_json(response.text)
    except ValidationError as exc:
        # Field names only: pydantic's own message would quote the (restored) answer.
        where = ", ".join(
            ".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors(include_input=False)
        )
        raise StructuredOutputError(
            f"answer does not match {model.__name__}: {exc.error_count()} error(s) at {where}",
            provider=response.provider,
        ) from None


def _messages(messages: MessagesLike) -> list[Message]:
    if isinstance(messages, str):
        return [Message(role="user", content=messages)]
    out = []
    for m in messages:
        if isinstance(m, Message):
            out.append(m)
        else:
            out.append(_message_from_dict(m))
    return out


def _message_from_dict(data: Mapping[str, Any]) -> Message:
    calls = data.get("tool_calls")
    if calls:
        data = dict(data)
        data["tool_calls"] = [
            ToolCall(
                id=c["id"], name=c["function"]["name"], arguments=c["function"].get("arguments", "")
            )
            if "function" in c
            else ToolCall.model_validate(c)
            for c in calls
        ]
    return Message.model_validate(data)


def _tool(tool: ToolLike) -> ToolDefinition:
    if isinstance(tool, ToolDefinition):
        return tool
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        return ToolDefinition.from_model(tool)
    spec = tool.get("function", tool) if isinstance(tool, Mapping) else tool
    return ToolDefinition.model_validate(spec)


class Client:
    """The synchronous client.

    ``Client()`` loads config from ``PRIVLLM_CONFIG`` and ``PRIVLLM_*`` env vars;
    ``Client("privllm.toml")`` from a file; ``Client(cfg)`` takes a ``Config``; keyword
    arguments override (``Client(provider={"model": "gpt-4o-mini"})``). ``middleware`` takes
    instances or import paths (``"myapp.mw:Tagger"``), run before those named in config and
    before privllm's own (redaction, policy, audit). ``backend`` takes a
    ready-made provider object instead of building one from config; ``transport_wrapper``
    wraps the httpx2 transport every SDK request goes through.
    """

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        middleware: Sequence[Middleware | str] = (),
        env: Mapping[str, str] | None = None,
        transport_wrapper: TransportWrapper | None = None,
        backend: Provider | None = None,
        **overrides: Any,
    ) -> None:
        self._core = _Core(config, middleware, env, transport_wrapper, backend, overrides)

    @property
    def config(self) -> Config:
        return self._core.config

    @property
    def provider(self) -> Provider:
        return self._core.provider

    def chat(
        self,
        messages: MessagesLike,
        model: str | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        user: str | None = None,
        tools: Sequence[ToolLike] | None = None,
        tool_choice: str | None = None,
        response_format: type[BaseModel] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatResponse:
        """Send a chat and return the whole answer (``.text``, ``.tool_calls``, ``.parsed``)."""
        core = self._core
        request = core.chat_request(
            messages, model, stream=False, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=response_format, extra=extra,
        )  # fmt: skip
        ctx = core.context("chat")
        sent = core.before(request, ctx)
        try:
            response = core.provider.chat(sent)
        except BaseException as exc:
            core.failed(exc, ctx)
            raise
        return core.after(response, request, ctx)

    def stream(
        self,
        messages: MessagesLike,
        model: str | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        user: str | None = None,
        tools: Sequence[ToolLike] | None = None,
        tool_choice: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatStream:
        """Stream the answer. Iterate for ``ChatChunk``; use ``with`` to close early safely."""
        core = self._core
        request = core.chat_request(
            messages, model, stream=True, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=None, extra=extra,
        )  # fmt: skip
        return ChatStream(core, request)

    def embed(
        self,
        texts: str | Sequence[str],
        model: str | None = None,
        *,
        dimensions: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> EmbeddingResponse:
        """Embed one text or many; ``vectors[i]`` belongs to ``texts[i]``."""
        core = self._core
        request = core.embedding_request(texts, model, dimensions, extra)
        ctx = core.context("embed")
        sent = core.before_embed(request, ctx)
        try:
            response = core.provider.embed(sent)
        except BaseException as exc:
            core.failed(exc, ctx)
            raise
        return core.after_embed(response, ctx)

    def close(self) -> None:
        self._core.provider.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(provider={self._core.provider!r})"


class AsyncClient:
    """The asynchronous client; same arguments and behaviour as :class:`Client`."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        middleware: Sequence[Middleware | str] = (),
        env: Mapping[str, str] | None = None,
        transport_wrapper: TransportWrapper | None = None,
        backend: Provider | None = None,
        **overrides: Any,
    ) -> None:
        self._core = _Core(config, middleware, env, transport_wrapper, backend, overrides)

    @property
    def config(self) -> Config:
        return self._core.config

    @property
    def provider(self) -> Provider:
        return self._core.provider

    async def chat(
        self,
        messages: MessagesLike,
        model: str | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        user: str | None = None,
        tools: Sequence[ToolLike] | None = None,
        tool_choice: str | None = None,
        response_format: type[BaseModel] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatResponse:
        core = self._core
        request = core.chat_request(
            messages, model, stream=False, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=response_format, extra=extra,
        )  # fmt: skip
        ctx = core.context("chat")
        sent = core.before(request, ctx)
        try:
            response = await core.provider.achat(sent)
        except BaseException as exc:
            core.failed(exc, ctx)
            raise
        return core.after(response, request, ctx)

    def stream(
        self,
        messages: MessagesLike,
        model: str | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        user: str | None = None,
        tools: Sequence[ToolLike] | None = None,
        tool_choice: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> AsyncChatStream:
        """``async for chunk in client.stream(...)`` or ``async with client.stream(...) as s``."""
        core = self._core
        request = core.chat_request(
            messages, model, stream=True, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=None, extra=extra,
        )  # fmt: skip
        return AsyncChatStream(core, request)

    async def embed(
        self,
        texts: str | Sequence[str],
        model: str | None = None,
        *,
        dimensions: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> EmbeddingResponse:
        core = self._core
        request = core.embedding_request(texts, model, dimensions, extra)
        ctx = core.context("embed")
        sent = core.before_embed(request, ctx)
        try:
            response = await core.provider.aembed(sent)
        except BaseException as exc:
            core.failed(exc, ctx)
            raise
        return core.after_embed(response, ctx)

    async def close(self) -> None:
        await self._core.provider.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(provider={self._core.provider!r})"


class ChatStream:
    """A streamed answer. Opens on first iteration (or ``with``); closes the HTTP stream on
    exit, on ``break`` inside ``with``, or when fully read. ``response`` is the assembled
    answer once the stream has ended."""

    def __init__(self, core: _Core, request: ChatRequest) -> None:
        self._core = core
        self._request = request
        self._ctx = core.context("stream")
        self._assembler = StreamAssembler(core.provider, request, self._ctx)
        self._source: ChunkStream | None = None
        self._iterator: Iterator[ChatChunk] | None = None

    @property
    def response(self) -> ChatResponse | None:
        """The whole answer, assembled from what the caller received; ``None`` until done."""
        return self._assembler.response

    def _open(self) -> ChunkStream:
        if self._source is None:
            core = self._core
            sent = core.before(self._request, self._ctx)
            try:
                self._source = core.provider.stream(sent)
            except BaseException as exc:
                core.failed(exc, self._ctx)
                raise
        return self._source

    def __iter__(self) -> Iterator[ChatChunk]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    def __next__(self) -> ChatChunk:
        return next(iter(self))

    def _run(self) -> Iterator[ChatChunk]:
        source = self._open()
        chain, ctx, assembler = self._core.chain, self._ctx, self._assembler
        try:
            for raw in source:
                for chunk in chain.chunk(raw, ctx):
                    assembler.add(chunk)
                    yield chunk
            for chunk in chain.stream_end(ctx):
                assembler.add(chunk)
                yield chunk
            assembler.finish()
        except GeneratorExit:
            raise
        except BaseException as exc:
            self._core.failed(exc, ctx)
            raise
        finally:
            source.close()

    def close(self) -> None:
        if self._iterator is not None:
            self._iterator.close()  # type: ignore[attr-defined]
        if self._source is not None:
            self._source.close()  # idempotent; covers a stream opened by `with` but never read

    def __enter__(self) -> ChatStream:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def text(self) -> str:
        """Read the whole stream and return the answer text."""
        return "".join(chunk.text for chunk in self)


class AsyncChatStream:
    """The async twin of :class:`ChatStream`."""

    def __init__(self, core: _Core, request: ChatRequest) -> None:
        self._core = core
        self._request = request
        self._ctx = core.context("stream")
        self._assembler = StreamAssembler(core.provider, request, self._ctx)
        self._source: AsyncChunkStream | None = None
        self._iterator: AsyncIterator[ChatChunk] | None = None

    @property
    def response(self) -> ChatResponse | None:
        return self._assembler.response

    async def _open(self) -> AsyncChunkStream:
        if self._source is None:
            core = self._core
            sent = core.before(self._request, self._ctx)
            try:
                self._source = await core.provider.astream(sent)
            except BaseException as exc:
                core.failed(exc, self._ctx)
                raise
        return self._source

    def __aiter__(self) -> AsyncIterator[ChatChunk]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    async def __anext__(self) -> ChatChunk:
        return await self.__aiter__().__anext__()

    async def _run(self) -> AsyncIterator[ChatChunk]:
        source = await self._open()
        chain, ctx, assembler = self._core.chain, self._ctx, self._assembler
        try:
            async for raw in source:
                for chunk in chain.chunk(raw, ctx):
                    assembler.add(chunk)
                    yield chunk
            for chunk in chain.stream_end(ctx):
                assembler.add(chunk)
                yield chunk
            assembler.finish()
        except GeneratorExit:
            raise
        except BaseException as exc:
            self._core.failed(exc, ctx)
            raise
        finally:
            await source.aclose()

    async def aclose(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        if self._source is not None:
            await self._source.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def text(self) -> str:
        return "".join([chunk.text async for chunk in self])
