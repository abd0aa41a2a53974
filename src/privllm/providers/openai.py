"""OpenAI, and any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio).

The official ``openai`` SDK does the wire work over an ``httpx2`` client privllm builds
(``trust_env=False``, no redirects, privllm's transport inside). Every value is passed
explicitly, so ``OPENAI_BASE_URL`` and friends in the environment cannot redirect traffic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import openai

from privllm.errors import (
    ContentFilteredError,
    PrivllmError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    error_for_status,
)
from privllm.policy.endpoints import provider_base_url, provider_endpoint
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    FinishReason,
    ToolCall,
    ToolCallDelta,
    Usage,
)

from .base import (
    TransportWrapper,
    make_async_http_client,
    make_http_client,
    parse_retry_after,
)

if TYPE_CHECKING:
    from privllm.config import ProviderConfig

__all__ = ["OpenAIProvider", "without_env_headers"]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


class OpenAIProvider:
    """Chat, streaming and embeddings through the ``openai`` SDK."""

    name = "openai"

    def __init__(
        self,
        config: ProviderConfig,
        *,
        env: Mapping[str, str],
        transport_wrapper: TransportWrapper | None = None,
    ) -> None:
        from privllm.config import resolve_secret

        settings = config.openai
        self._config = config
        self._transport_wrapper = transport_wrapper
        # One source of truth for where this goes: the same function the egress guard and
        # policy use, so the three never disagree about the host.
        base_url = provider_base_url(config)
        self.endpoint = provider_endpoint(config)
        key = resolve_secret(settings.api_key, settings.api_key_env, env)
        if key is None and self.endpoint.kind == "self_hosted":
            key = "no-key"  # local servers usually take none; the SDK insists on a value
        self._api_key = key
        self._client_args: dict[str, Any] = {
            "api_key": key or "",
            "base_url": base_url,
            "organization": settings.organization,
            "project": settings.project,
            "timeout": config.timeout,
            "max_retries": config.max_retries,
        }
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None

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

    def _new_sync(self) -> openai.OpenAI:
        http = make_http_client(self._config.timeout, self._transport_wrapper)
        client = openai.OpenAI(http_client=http, **self._client_args)
        return without_env_headers(
            client, self._config.openai.organization, self._config.openai.project
        )

    def _new_async(self) -> openai.AsyncOpenAI:
        http = make_async_http_client(self._config.timeout, self._transport_wrapper)
        client = openai.AsyncOpenAI(http_client=http, **self._client_args)
        return without_env_headers(
            client, self._config.openai.organization, self._config.openai.project
        )

    @property
    def sdk(self) -> openai.OpenAI:
        """The underlying sync SDK client (built on first use)."""
        if self._sync is None:
            self._check_key()
            self._sync = self._new_sync()
        return self._sync

    @property
    def async_sdk(self) -> openai.AsyncOpenAI:
        if self._async is None:
            self._check_key()
            self._async = self._new_async()
        return self._async

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.close()
            self._async = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint.base_url!r})"

    # -- calls ---------------------------------------------------------------------------------

    def chat(self, request: ChatRequest) -> ChatResponse:
        try:
            completion = self.sdk.chat.completions.create(**self.chat_params(request))
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_response(completion, request)

    async def achat(self, request: ChatRequest) -> ChatResponse:
        try:
            completion = await self.async_sdk.chat.completions.create(**self.chat_params(request))
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_response(completion, request)

    def stream(self, request: ChatRequest) -> _SyncStream:
        try:
            sdk_stream = self.sdk.chat.completions.create(**self.chat_params(request, stream=True))
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self.map_error(exc) from exc
        return _SyncStream(self, sdk_stream)

    async def astream(self, request: ChatRequest) -> _AsyncStream:
        params = self.chat_params(request, stream=True)
        try:
            sdk_stream = await self.async_sdk.chat.completions.create(**params)
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self.map_error(exc) from exc
        return _AsyncStream(self, sdk_stream)

    def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        try:
            result = self.sdk.embeddings.create(**self.embed_params(request))
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_embeddings(result, request)

    async def aembed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        try:
            result = await self.async_sdk.embeddings.create(**self.embed_params(request))
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_embeddings(result, request)

    # -- mapping (pure) ------------------------------------------------------------------------

    def chat_params(self, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model_name(request.model),
            "messages": [_message(m) for m in request.messages],
        }
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.max_tokens is not None:
            # OpenAI's own API wants the newer name; compatible servers know the older one.
            key = (
                "max_completion_tokens" if self.endpoint.kind == "enterprise_api" else "max_tokens"
            )
            params[key] = request.max_tokens
        if request.top_p is not None:
            params["top_p"] = request.top_p
        if request.stop:
            params["stop"] = request.stop
        if request.seed is not None:
            params["seed"] = request.seed
        if request.user is not None:
            params["user"] = request.user
        if request.store is not None:
            params["store"] = request.store
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        **({"description": t.description} if t.description else {}),
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
        if request.tool_choice is not None:
            choice = request.tool_choice
            params["tool_choice"] = (
                choice
                if choice in ("auto", "none", "required")
                else {"type": "function", "function": {"name": choice}}
            )
        if request.response_format is not None:
            from openai.lib._parsing._completions import type_to_response_format_param

            params["response_format"] = type_to_response_format_param(request.response_format)
        if stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        if request.extra:
            params["extra_body"] = dict(request.extra)
        return params

    def model_name(self, model: str) -> str:
        return model

    def embed_params(self, request: EmbeddingRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model_name(request.model), "input": request.input}
        if request.dimensions is not None:
            params["dimensions"] = request.dimensions
        if request.extra:
            params["extra_body"] = dict(request.extra)
        return params

    def to_response(self, completion: Any, request: ChatRequest) -> ChatResponse:
        choice = completion.choices[0] if completion.choices else None
        message = choice.message if choice is not None else None
        text = (message.content or message.refusal or "") if message is not None else ""
        calls = (
            [
                ToolCall(id=tc.id, name=tc.function.name, arguments=tc.function.arguments or "")
                for tc in (message.tool_calls or [])
                if getattr(tc, "function", None) is not None
            ]
            if message is not None
            else []
        )
        finish = _finish(choice.finish_reason if choice is not None else None)
        if finish == "content_filter" and not (text or calls):
            raise ContentFilteredError(
                f"answer withheld by {self.name}'s content filter",
                provider=self.name,
                request_id=getattr(completion, "_request_id", None),
            )
        return ChatResponse(
            id=completion.id,
            text=text,
            tool_calls=calls,
            finish_reason=finish,
            usage=_usage(completion.usage),
            provider=self.name,
            model=completion.model or request.model,
            endpoint=self.endpoint,
        )

    def to_embeddings(self, result: Any, request: EmbeddingRequest) -> EmbeddingResponse:
        data = sorted(result.data, key=lambda d: d.index)
        return EmbeddingResponse(
            vectors=[list(d.embedding) for d in data],
            model=result.model or request.model,
            provider=self.name,
            endpoint=self.endpoint,
            usage=_usage(result.usage),
        )

    def map_error(self, exc: BaseException, *, streaming: bool = False) -> PrivllmError:
        """An SDK or transport exception as a privllm error, with keys scrubbed."""
        import httpx2

        if isinstance(exc, PrivllmError):
            return exc  # e.g. EgressBlocked raised by privllm's own transport
        cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) else exc
        if isinstance(cause, PrivllmError):
            return cause
        if isinstance(exc, openai.APITimeoutError) or isinstance(cause, httpx2.TimeoutException):
            return ProviderTimeoutError("request timed out", provider=self.name)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            message = self._scrub(_error_message(exc.body) or f"HTTP {status}")
            cls = error_for_status(status)
            request_id = exc.request_id
            if cls is RateLimitError:
                return RateLimitError(
                    message,
                    provider=self.name,
                    status_code=status,
                    request_id=request_id,
                    retry_after=parse_retry_after(exc.response.headers),
                )
            return cls(message, provider=self.name, status_code=status, request_id=request_id)
        if isinstance(exc, openai.APIConnectionError) or isinstance(cause, httpx2.TransportError):
            what = "connection dropped mid-stream" if streaming else "connection failed"
            detail = type(cause).__name__ if cause is not None and cause is not exc else ""
            return ProviderConnectionError(
                f"{what}: {detail}" if detail else what, provider=self.name
            )
        if isinstance(exc, openai.OpenAIError):
            return ProviderError(self._scrub(str(exc)), provider=self.name)
        raise exc

    def _scrub(self, text: str) -> str:
        from privllm.config import mask_secret

        if self._api_key and len(self._api_key) >= 8 and self._api_key in text:
            text = text.replace(self._api_key, mask_secret(self._api_key))
        return text


_Client = TypeVar("_Client", openai.OpenAI, openai.AsyncOpenAI)


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


class _SyncStream:
    __slots__ = ("_pending", "_provider", "_sdk_stream")

    def __init__(self, provider: OpenAIProvider, sdk_stream: Any) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._pending: ChatChunk | None = None

    def __iter__(self) -> Iterator[ChatChunk]:
        delivered = False
        try:
            for raw in self._sdk_stream:
                for chunk in _convert_chunk(raw, self):
                    delivered = _check_filtered(chunk, delivered, self._provider)
                    yield chunk
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self._provider.map_error(exc, streaming=True) from exc
        if self._pending is not None:
            yield self._pending
            self._pending = None

    def close(self) -> None:
        self._sdk_stream.close()


class _AsyncStream:
    __slots__ = ("_pending", "_provider", "_sdk_stream")

    def __init__(self, provider: OpenAIProvider, sdk_stream: Any) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._pending: ChatChunk | None = None

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        delivered = False
        try:
            async for raw in self._sdk_stream:
                for chunk in _convert_chunk(raw, self):
                    delivered = _check_filtered(chunk, delivered, self._provider)
                    yield chunk
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            raise self._provider.map_error(exc, streaming=True) from exc
        if self._pending is not None:
            yield self._pending
            self._pending = None

    async def aclose(self) -> None:
        await self._sdk_stream.close()


def _check_filtered(chunk: ChatChunk, delivered: bool, provider: OpenAIProvider) -> bool:
    """Raise when the safety filter withheld the whole answer; else whether text arrived.

    An empty string with ``finish_reason="content_filter"`` would read as "the model said
    nothing"; callers need to know the answer was withheld.
    """
    delivered = delivered or bool(chunk.text or chunk.tool_calls)
    if chunk.finish_reason == "content_filter" and not delivered:
        raise ContentFilteredError(
            f"answer withheld by {provider.name}'s content filter", provider=provider.name
        )
    return delivered


def _convert_chunk(raw: Any, holder: _SyncStream | _AsyncStream) -> Iterator[ChatChunk]:
    # The finish chunk is held until the usage-only chunk that follows it, so the last chunk
    # a caller sees carries both finish_reason and usage.
    if not raw.choices:
        usage = _usage(raw.usage)
        pending = holder._pending
        if pending is not None:
            pending.usage = usage
            holder._pending = None
            yield pending
        elif usage is not None:
            yield ChatChunk(usage=usage)
        return
    choice = raw.choices[0]
    delta = choice.delta
    calls = (
        [
            ToolCallDelta(
                index=tc.index,
                id=tc.id,
                name=tc.function.name if tc.function else None,
                arguments=(tc.function.arguments or "") if tc.function else "",
            )
            for tc in (delta.tool_calls or ())
        ]
        if delta is not None
        else []
    )
    chunk = ChatChunk(
        text=(delta.content or "") if delta is not None else "",
        tool_calls=calls,
        finish_reason=_finish(choice.finish_reason),
    )
    if chunk.finish_reason is not None:
        if holder._pending is not None:
            yield holder._pending
        holder._pending = chunk
        return
    if chunk.text or chunk.tool_calls:
        yield chunk


def _message(m: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role}
    content = m.content
    if isinstance(content, list):
        out["content"] = [{"type": "text", "text": p.text} for p in content]
    else:
        out["content"] = content
    if m.name:
        out["name"] = m.name
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    return out


def _finish(reason: str | None) -> FinishReason | None:
    if reason is None:
        return None
    return _FINISH.get(reason, "other")


def _usage(usage: Any) -> Usage | None:
    if usage is None:
        return None
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        total_tokens=usage.total_tokens or 0,
    )


def _error_message(body: object) -> str | None:
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message")
            return str(msg) if msg else None
        if isinstance(err, str):
            return err
    if isinstance(body, str):
        return body
    return None
