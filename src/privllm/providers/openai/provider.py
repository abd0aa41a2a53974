"""``OpenAIProvider``: the ``openai`` SDK clients privllm builds, and the calls through them."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import openai

from privllm.errors import PrivllmError
from privllm.policy.endpoints import provider_base_url, provider_endpoint
from privllm.providers.base import (
    TransportWrapper,
    connection_limits,
    make_async_http_client,
    make_http_client,
)
from privllm.providers.cause import araise_mapped, raise_mapped
from privllm.providers.retry import RetryBudget, acall_with_retries, call_with_retries
from privllm.providers.websockets import openai_without_websockets
from privllm.types import ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse

from . import mapping, responses
from .errors import scrub, to_privllm_error
from .responses import AsyncResponsesStream, ResponsesStream
from .streams import AsyncStream, SyncStream

if TYPE_CHECKING:
    from privllm.config import ProviderConfig

__all__ = ["OpenAIProvider", "without_env_headers"]


class OpenAIProvider:
    """Chat, streaming and embeddings through the ``openai`` SDK."""

    name = "openai"
    #: OpenAI takes ``developer`` messages as they are.
    developer_role = True
    #: Whether ``api="responses"`` requests are sent (Azure's Responses API is not carried).
    responses_api = True

    def __init__(
        self,
        config: ProviderConfig,
        *,
        env: Mapping[str, str],
        transport_wrapper: TransportWrapper | None = None,
        allow_websockets: bool = False,
    ) -> None:
        from privllm.config import resolve_secret

        settings = config.openai
        self._config = config
        self._transport_wrapper = transport_wrapper
        self._allow_websockets = allow_websockets
        # One source of truth for where this goes: the same function the egress guard and
        # policy use, so the three never disagree about the host.
        base_url = provider_base_url(config)
        self.endpoint = provider_endpoint(config)
        key = resolve_secret(
            settings.api_key, settings.api_key_env, env, field="provider.openai.api_key"
        )
        if key is None and self.endpoint.kind == "self_hosted":
            key = "no-key"  # local servers usually take none; the SDK insists on a value
        self._api_key = key
        self._client_args: dict[str, Any] = {
            "api_key": key or "",
            "base_url": base_url,
            "organization": settings.organization,
            "project": settings.project,
            "timeout": config.timeout,
        }
        self._sync: openai.OpenAI | None = None
        # Threads making their first calls at once (a thread pool, LangChain's batch) must
        # build one SDK client: the others would be dropped with their connections open.
        self._sync_lock = threading.Lock()
        self._async: openai.AsyncOpenAI | None = None
        # The clients chat, stream and embed go through: the SDK's retries off, privllm's
        # own against one deadline instead (privllm.providers.retry).
        self._calls: openai.OpenAI | None = None
        self._acalls: openai.AsyncOpenAI | None = None

    # -- SDK clients, built on first use ------------------------------------------------------

    def _check_key(self) -> None:
        if not self._api_key:
            from privllm.errors import ConfigError

            env_name = self._config.openai.api_key_env
            raise ConfigError(
                f"provider.openai.api_key: no API key (set it, or set env {env_name})"
                if env_name
                else "provider.openai.api_key: no API key",
                field="provider.openai.api_key",
            )

    def _new_sync(self, max_retries: int) -> openai.OpenAI:
        http = make_http_client(
            self._config.timeout, self._transport_wrapper, limits=connection_limits(self._config)
        )
        client = openai.OpenAI(http_client=http, max_retries=max_retries, **self._client_args)
        return without_env_headers(
            client, self._config.openai.organization, self._config.openai.project
        )

    def _new_async(self, max_retries: int) -> openai.AsyncOpenAI:
        http = make_async_http_client(
            self._config.timeout, self._transport_wrapper, limits=connection_limits(self._config)
        )
        client = openai.AsyncOpenAI(http_client=http, max_retries=max_retries, **self._client_args)
        return without_env_headers(
            client, self._config.openai.organization, self._config.openai.project
        )

    @property
    def sdk(self) -> openai.OpenAI:
        """The underlying sync SDK client (built on first use). Its websocket APIs
        (Realtime, ``responses.connect``, Live) raise ``EgressBlocked`` unless the provider
        was built with ``allow_websockets=True`` (``policy.allow_websockets``)."""
        if self._sync is None:
            with self._sync_lock:
                if self._sync is None:
                    self._check_key()
                    self._sync = self._no_websockets(self._new_sync(self._config.max_retries))
        return self._sync

    @property
    def async_sdk(self) -> openai.AsyncOpenAI:
        if self._async is None:
            self._check_key()
            self._async = self._no_websockets(self._new_async(self._config.max_retries))
        return self._async

    def _call_sdk(self) -> openai.OpenAI:
        if self._calls is None:
            with self._sync_lock:
                if self._calls is None:
                    self._check_key()
                    self._calls = self._new_sync(0)
        return self._calls

    def _call_async_sdk(self) -> openai.AsyncOpenAI:
        if self._acalls is None:
            self._check_key()
            self._acalls = self._new_async(0)
        return self._acalls

    def _budget(self, timeout: float | None) -> RetryBudget:
        return RetryBudget(
            timeout=self._config.timeout if timeout is None else timeout,
            max_retries=self._config.max_retries,
        )

    def _no_websockets(self, client: _Client) -> _Client:
        # websockets bypass the guarded httpx2 client (privllm.providers.websockets).
        return client if self._allow_websockets else openai_without_websockets(client)

    def close(self) -> None:
        for client in (self._sync, self._calls):
            if client is not None:
                client.close()
        self._sync = self._calls = None

    async def aclose(self) -> None:
        for client in (self._async, self._acalls):
            if client is not None:
                await client.close()
        self._async = self._acalls = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint.base_url!r})"

    # -- calls ---------------------------------------------------------------------------------

    def _send(self, timeout: float | None, send: Callable[[openai.OpenAI, float], _T]) -> _T:
        """``send(sdk, seconds_left)``, retried by privllm against the call's deadline."""
        return call_with_retries(
            lambda left: raise_mapped(lambda: send(self._call_sdk(), left), self.map_error),
            self._budget(timeout),
        )

    async def _asend(
        self, timeout: float | None, send: Callable[[openai.AsyncOpenAI, float], Awaitable[_T]]
    ) -> _T:
        """The async twin of :meth:`_send`."""
        return await acall_with_retries(
            lambda left: araise_mapped(lambda: send(self._call_async_sdk(), left), self.map_error),
            self._budget(timeout),
        )

    def chat(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        if request.api == "responses":
            params = self.responses_params(request)
            raw = self._send(
                timeout,
                lambda sdk, left: sdk.responses.with_raw_response.create(**params, timeout=left),
            )
            return _with_headers(self.to_responses_answer(raw.parse(), request), raw)
        params = self.chat_params(request)
        raw = self._send(
            timeout,
            lambda sdk, left: sdk.chat.completions.with_raw_response.create(**params, timeout=left),
        )
        return _with_headers(self.to_response(raw.parse(), request), raw)

    async def achat(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        if request.api == "responses":
            params = self.responses_params(request)
            raw = await self._asend(
                timeout,
                lambda sdk, left: sdk.responses.with_raw_response.create(**params, timeout=left),
            )
            return _with_headers(self.to_responses_answer(raw.parse(), request), raw)
        params = self.chat_params(request)
        raw = await self._asend(
            timeout,
            lambda sdk, left: sdk.chat.completions.with_raw_response.create(**params, timeout=left),
        )
        return _with_headers(self.to_response(raw.parse(), request), raw)

    def stream(
        self, request: ChatRequest, *, timeout: float | None = None
    ) -> SyncStream | ResponsesStream:
        if request.api == "responses":
            params = self.responses_params(request, stream=True)
            events = self._send(
                timeout, lambda sdk, left: sdk.responses.create(**params, timeout=left)
            )
            return ResponsesStream(self, events)
        params = self.chat_params(request, stream=True)
        sdk_stream = self._send(
            timeout, lambda sdk, left: sdk.chat.completions.create(**params, timeout=left)
        )
        return SyncStream(self, sdk_stream)

    async def astream(
        self, request: ChatRequest, *, timeout: float | None = None
    ) -> AsyncStream | AsyncResponsesStream:
        if request.api == "responses":
            params = self.responses_params(request, stream=True)
            events = await self._asend(
                timeout, lambda sdk, left: sdk.responses.create(**params, timeout=left)
            )
            return AsyncResponsesStream(self, events)
        params = self.chat_params(request, stream=True)
        sdk_stream = await self._asend(
            timeout, lambda sdk, left: sdk.chat.completions.create(**params, timeout=left)
        )
        return AsyncStream(self, sdk_stream)

    def embed(
        self, request: EmbeddingRequest, *, timeout: float | None = None
    ) -> EmbeddingResponse:
        params = self.embed_params(request)
        raw = self._send(
            timeout,
            lambda sdk, left: sdk.embeddings.with_raw_response.create(**params, timeout=left),
        )
        return _with_headers(self.to_embeddings(raw.parse(), request), raw)

    async def aembed(
        self, request: EmbeddingRequest, *, timeout: float | None = None
    ) -> EmbeddingResponse:
        params = self.embed_params(request)
        raw = await self._asend(
            timeout,
            lambda sdk, left: sdk.embeddings.with_raw_response.create(**params, timeout=left),
        )
        return _with_headers(self.to_embeddings(raw.parse(), request), raw)

    # -- mapping (pure) ------------------------------------------------------------------------

    def chat_params(self, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
        """Keyword arguments for ``chat.completions.create`` from a neutral request."""
        model = self.model_name(request.model)
        return mapping.chat_params(
            request,
            model=model,
            endpoint=self.endpoint,
            stream=stream,
            developer_role=self.developer_role,
        )

    def responses_params(self, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
        """Keyword arguments for ``responses.create`` (a request with ``api="responses"``)."""
        if not self.responses_api:
            from privllm.errors import InvalidRequestError

            raise InvalidRequestError(
                f"invalid chat request: api: the Responses API is not carried for provider "
                f"{self.name!r}: use chat.completions",
                fields=("api",),
            )
        params = responses.responses_params(
            request, model=self.model_name(request.model), stream=stream
        )
        return mapping.with_http_extras(params, request)

    def to_responses_answer(self, result: Any, request: ChatRequest) -> ChatResponse:
        """A neutral response from a Responses API ``Response``."""
        return responses.to_chat_response(
            result, request, provider=self.name, endpoint=self.endpoint
        )

    def model_name(self, model: str) -> str:
        return model

    def embed_params(self, request: EmbeddingRequest) -> dict[str, Any]:
        """Keyword arguments for ``embeddings.create`` from a neutral request."""
        return mapping.embed_params(request, model=self.model_name(request.model))

    def to_response(self, completion: Any, request: ChatRequest) -> ChatResponse:
        """A neutral response from a chat completion."""
        return mapping.to_response(completion, request, provider=self.name, endpoint=self.endpoint)

    def to_embeddings(self, result: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        """A neutral embedding response from ``embeddings.create``'s result."""
        return mapping.to_embeddings(result, request, provider=self.name, endpoint=self.endpoint)

    def map_error(self, exc: BaseException, *, streaming: bool = False) -> PrivllmError:
        """An SDK or transport exception as a privllm error, with keys scrubbed."""
        return to_privllm_error(exc, provider=self.name, api_key=self._api_key, streaming=streaming)

    def _scrub(self, text: str) -> str:
        return scrub(text, self._api_key)


_Client = TypeVar("_Client", openai.OpenAI, openai.AsyncOpenAI)
_T = TypeVar("_T")


_Answer = TypeVar("_Answer", ChatResponse, EmbeddingResponse)


def _with_headers(response: _Answer, raw: Any) -> _Answer:
    # The provider's response headers (x-request-id, rate limits), for the drop-in's
    # with_raw_response; kept out of dumps and reprs (see ChatResponse.headers).
    response.headers = dict(raw.headers.items())
    return response


def without_env_headers(
    client: _Client, organization: str | None = None, project: str | None = None
) -> _Client:
    """Drop what the SDK read from the environment on its own.

    ``OPENAI_CUSTOM_HEADERS`` becomes default headers (it can even carry an Authorization
    header that replaces the configured key), and ``OPENAI_ORG_ID``/``OPENAI_PROJECT_ID`` fill
    in when ``None`` is passed. privllm's headers come from config only. These are SDK
    internals (checked on openai 3.54); tests assert the outcome on the wire, so a change in
    the SDK fails loudly.
    """
    client._custom_headers = {}
    client._ambient_authorizations = frozenset()
    client.organization = organization
    client.project = project
    return client
