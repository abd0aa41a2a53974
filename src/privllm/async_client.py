"""``AsyncClient``: :class:`~privllm.client.Client`'s asynchronous twin, same arguments and
behaviour; only the provider call is awaited. Everything else is shared in
:class:`~privllm._core.ClientCore`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, overload

from typing_extensions import Unpack

from . import _calls
from ._calls import USE_CLIENT_DEFAULT, TimeoutLike
from ._core import (
    ClientCore,
    MessagesLike,
    ModelT,
    PlainFormat,
    ResponseFormatLike,
    ToolChoiceLike,
    ToolLike,
)
from .config import ClientOverrides, Config
from .middleware_entry import MiddlewareLike
from .providers.base import Provider, TransportWrapper
from .streaming import AsyncChatStream
from .types import ChatResponse, EmbeddingResponse

__all__ = ["AsyncClient"]


class AsyncClient:
    """The asynchronous client; same arguments and behaviour as :class:`Client`."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        middleware: Sequence[MiddlewareLike] = (),
        env: Mapping[str, str] | None = None,
        transport_wrapper: TransportWrapper | None = None,
        backend: Provider | None = None,
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
        **overrides: Unpack[ClientOverrides],
    ) -> None:
        self._core = ClientCore(
            "AsyncClient",
            config,
            middleware,
            env,
            transport_wrapper,
            backend,
            overrides,
            provider_options,
        )

    @property
    def config(self) -> Config:
        return self._core.config

    @property
    def provider(self) -> Provider:
        return self._core.provider

    @overload
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
        tool_choice: ToolChoiceLike | None = None,
        response_format: type[ModelT],
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> ChatResponse[ModelT]: ...

    @overload
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
        tool_choice: ToolChoiceLike | None = None,
        response_format: PlainFormat | None = None,
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> ChatResponse[None]: ...

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
        tool_choice: ToolChoiceLike | None = None,
        response_format: ResponseFormatLike | None = None,
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> ChatResponse[Any]:
        core = self._core
        core.check_open()
        request = core.chat_request(
            messages, model, stream=False, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=response_format, extra=extra,
            max_completion_tokens=max_completion_tokens,
        )  # fmt: skip
        ctx = core.context("chat", messages, timeout)
        async with core.recording(ctx):
            sent = await core.aprepare(request, ctx)
            response = await core.arun(sent, ctx, _calls.achat)
            answer = core.after(response, request, ctx)
        return answer

    @overload
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
        tool_choice: ToolChoiceLike | None = None,
        response_format: type[ModelT],
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> AsyncChatStream[ModelT]: ...

    @overload
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
        tool_choice: ToolChoiceLike | None = None,
        response_format: PlainFormat | None = None,
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> AsyncChatStream[None]: ...

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
        tool_choice: ToolChoiceLike | None = None,
        response_format: ResponseFormatLike | None = None,
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> AsyncChatStream[Any]:
        """``async for chunk in client.stream(...)`` or ``async with client.stream(...) as s``."""
        core = self._core
        core.check_open()
        request = core.chat_request(
            messages, model, stream=True, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=response_format, extra=extra,
            max_completion_tokens=max_completion_tokens,
        )  # fmt: skip
        return AsyncChatStream(core, request, core.context("stream", messages, timeout))

    async def embed(
        self,
        texts: str | Sequence[str],
        model: str | None = None,
        *,
        dimensions: int | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> EmbeddingResponse:
        core = self._core
        core.check_open()
        request = core.embedding_request(texts, model, dimensions, extra)
        ctx = core.context("embed", timeout=timeout)
        async with core.recording(ctx):
            sent = await core.abefore_embed(request, ctx)
            response = await core.arun(sent, ctx, _calls.aembed)
            answer = core.after_embed(response, ctx)
        return answer

    async def close(self) -> None:
        """Close the HTTP clients and the middleware (the audit log drains its queue).

        Closing twice is harmless; a call after closing raises
        :class:`~privllm.errors.ClientClosedError` before anything is sent.
        """
        if self._core.closed:
            return
        self._core.closed = True
        try:
            for provider in self._core.all_providers():
                await provider.aclose()
        finally:
            try:
                if self._core.chain.needs_close:
                    # Closing may wait on a writer thread (the audit queue): off the loop.
                    import asyncio

                    await asyncio.to_thread(self._core.chain.close)
            finally:
                if self._core.avault_store is not None:
                    await self._core.avault_store.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(provider={self._core.provider!r})"
