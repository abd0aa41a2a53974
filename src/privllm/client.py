"""``Client`` (and ``AsyncClient``, from :mod:`privllm.async_client`): one API over every
provider, every call through the chain.

>>> from privllm import Client
>>> from privllm.testing import OpenAIServer
>>> with OpenAIServer() as server, Client(provider=server.provider_config()) as client:
...     client.chat("Hello").text
'Hello'

Both clients share everything except the awaited provider call: request building, the
middleware chain, routing and structured-output parsing live in ``privllm._core``; streams in
``privllm.streaming``.
"""

from __future__ import annotations

import os
from collections.abc import (
    Mapping,
    Sequence,
)
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
from .async_client import AsyncClient
from .config import ClientOverrides, Config
from .errors import StructuredOutputError
from .middleware_entry import MiddlewareLike
from .providers.base import (
    Provider,
    TransportWrapper,
)
from .streaming import AsyncChatStream, ChatStream
from .types import ChatResponse, EmbeddingResponse

__all__ = ["AsyncChatStream", "AsyncClient", "ChatStream", "Client", "StructuredOutputError"]


class Client:
    """The synchronous client.

    ``Client()`` loads config from ``PRIVLLM_CONFIG`` and ``PRIVLLM_*`` env vars;
    ``Client("privllm.toml")`` from a file; ``Client(cfg)`` takes a ``Config``; keyword
    arguments override (``Client(provider={"model": "gpt-4o-mini"})``). ``middleware`` takes
    instances or import paths (``"myapp.mw:Tagger"``), run before those named in config and
    before privllm's own (redaction, policy, audit). ``provider_options`` passes objects
    config files cannot hold to a provider, by profile (``"default"`` or a name in
    ``[providers]``): ``provider_options={"default": {"credential": my_token_credential}}``
    for Azure Entra ID, ``{"credentials": google_creds}`` for Vertex. ``backend`` takes a
    ready-made provider object instead of building one from config; ``transport_wrapper``
    wraps the httpx2 transport every SDK request goes through.

    Calls take ``timeout=`` (seconds) to replace ``provider.timeout`` for one call. After
    ``close()`` (or the end of ``with``) a call raises
    :class:`~privllm.errors.ClientClosedError` before anything is sent.
    """

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
            "Client",
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
        tool_choice: ToolChoiceLike | None = None,
        response_format: type[ModelT],
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> ChatResponse[ModelT]: ...

    @overload
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
        tool_choice: ToolChoiceLike | None = None,
        response_format: PlainFormat | None = None,
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> ChatResponse[None]: ...

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
        tool_choice: ToolChoiceLike | None = None,
        response_format: ResponseFormatLike | None = None,
        extra: Mapping[str, Any] | None = None,
        max_completion_tokens: int | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> ChatResponse[Any]:
        """Send a chat and return the whole answer (``.text``, ``.tool_calls``, ``.parsed``).

        ``messages`` is a string, a :class:`Conversation`, or a list of :class:`Message` and
        OpenAI-style dicts. ``max_completion_tokens`` is OpenAI's newer name for
        ``max_tokens``. An input privllm does not accept raises
        :class:`~privllm.errors.InvalidRequestError` naming the field, never its value, and
        nothing is sent. ``timeout`` (seconds) replaces ``provider.timeout`` for this call
        only (for each attempt, as the SDK's retries and fallbacks make them); left as
        :data:`USE_CLIENT_DEFAULT`, the client's applies.
        """
        core = self._core
        core.check_open()
        request = core.chat_request(
            messages, model, stream=False, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=response_format, extra=extra,
            max_completion_tokens=max_completion_tokens,
        )  # fmt: skip
        ctx = core.context("chat", messages, timeout)
        sent = core.prepare(request, ctx)
        response = core.run(sent, ctx, _calls.chat)
        return core.after(response, request, ctx)

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
    ) -> ChatStream[ModelT]: ...

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
    ) -> ChatStream[None]: ...

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
    ) -> ChatStream[Any]:
        """Stream the answer. Iterate for ``ChatChunk``; use ``with`` to close early safely.

        With a pydantic model class as ``response_format``, ``stream.response.parsed`` holds
        the parsed answer once the stream has ended.
        """
        core = self._core
        core.check_open()
        request = core.chat_request(
            messages, model, stream=True, temperature=temperature, max_tokens=max_tokens,
            top_p=top_p, stop=stop, seed=seed, user=user, tools=tools, tool_choice=tool_choice,
            response_format=response_format, extra=extra,
            max_completion_tokens=max_completion_tokens,
        )  # fmt: skip
        return ChatStream(core, request, core.context("stream", messages, timeout))

    def embed(
        self,
        texts: str | Sequence[str],
        model: str | None = None,
        *,
        dimensions: int | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> EmbeddingResponse:
        """Embed one text or many; ``vectors[i]`` belongs to ``texts[i]``."""
        core = self._core
        core.check_open()
        request = core.embedding_request(texts, model, dimensions, extra)
        ctx = core.context("embed", timeout=timeout)
        sent = core.before_embed(request, ctx)
        response = core.run(sent, ctx, _calls.embed)
        return core.after_embed(response, ctx)

    def close(self) -> None:
        """Close the HTTP clients and the middleware (the audit log drains its queue).

        Closing twice is harmless; a call after closing raises
        :class:`~privllm.errors.ClientClosedError` before anything is sent.
        """
        if self._core.closed:
            return
        self._core.closed = True
        try:
            for provider in self._core.all_providers():
                provider.close()
        finally:
            try:
                self._core.chain.close()
            finally:
                if self._core.vault_store is not None:
                    self._core.vault_store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(provider={self._core.provider!r})"
