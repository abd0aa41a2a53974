"""The resource tree: ``chat.completions``, ``embeddings``, ``models``, ``with_raw_response``
(``responses`` is in ``_responses_api``).

Sync and async twins map arguments (``_convert``), call privllm's client and map results and
errors; nothing else. Redaction, policy, audit and the egress guard happen inside privllm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar, overload

import httpx2
from openai import omit
from openai.lib.streaming.chat import (
    AsyncChatCompletionStreamManager,
    ChatCompletionStreamManager,
)
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ParsedChatCompletion

from privllm.errors import PrivllmError
from privllm.providers.cause import araise_mapped, raise_mapped
from privllm.providers.extra import check_headers, check_query

from . import _calls
from ._convert import chunks, completion, embeddings, parsed_completion
from ._errors import EndpointNotCovered, to_openai_error
from ._streams import AsyncStream, Stream

if TYPE_CHECKING:
    from ._clients import AsyncOpenAI, OpenAI

__all__ = [
    "AsyncChat",
    "AsyncCompletions",
    "AsyncEmbeddings",
    "AsyncModels",
    "Chat",
    "Completions",
    "Embeddings",
    "Models",
    "RawResponse",
]

_T = TypeVar("_T")
_M = TypeVar("_M")


class RawResponse(Generic[_T]):
    """What ``with_raw_response`` returns: ``.parse()`` gives the SDK object.

    ``headers`` are the provider's HTTP response headers (``x-request-id``, the rate-limit
    headers) for a call that returns a whole answer; a stream's are not kept (empty).
    ``status_code`` is 200, as an error status raises instead.
    """

    status_code = 200

    def __init__(self, value: _T, url: str, headers: Mapping[str, str] | None = None) -> None:
        self._value = value
        self.headers = httpx2.Headers(dict(headers or {}))
        self.url = httpx2.URL(url)

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def http_request(self) -> Any:
        return None

    def parse(self) -> _T:
        return self._value


class _WithRaw:
    """``resource.with_raw_response.METHOD(...)``: the same call, its result in a
    :class:`RawResponse`."""

    def __init__(self, resource: Any, url: str, is_async: bool) -> None:
        self._resource = resource
        self._url = url
        self._async = is_async

    def __getattr__(self, name: str) -> Callable[..., Any]:
        # A resource's ``_raw_NAME`` returns (value, headers); one without it, no headers.
        raw = getattr(self._resource, f"_raw_{name}", None)
        method = getattr(self._resource, name)
        url = self._url
        if self._async:

            async def acall(*args: Any, **kwargs: Any) -> RawResponse[Any]:
                if raw is None:
                    return RawResponse(await method(*args, **kwargs), url)
                value, headers = await raw(*args, **kwargs)
                return RawResponse(value, url, headers)

            return acall

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            if raw is None:
                return RawResponse(method(*args, **kwargs), url)
            value, headers = raw(*args, **kwargs)
            return RawResponse(value, url, headers)

        return call


def _refuse_stored(name: str) -> NoReturn:
    raise EndpointNotCovered(
        f"chat.completions.{name}: not covered by privllm's openai drop-in: stored chat "
        "completions need store=true, which privllm does not send (policy.require_no_store); "
        "the audit log keeps the record of every call (`privllm audit`)"
    )


def _model_options(client: OpenAI, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``models`` calls carry no content: the SDK's own options, with the client's default
    headers and query and the same checks as every call."""
    headers = {**client._headers, **(kwargs.get("extra_headers") or {})}
    query = {**client._query, **(kwargs.get("extra_query") or {})}
    try:
        check_headers(headers)
        check_query(query)
    except PrivllmError as exc:
        raise to_openai_error(exc, client._url("/models"))  # noqa: B904
    out = dict(kwargs)
    if headers:
        out["extra_headers"] = headers
    if query:
        out["extra_query"] = query
    return out


def _no_stream(kwargs: dict[str, Any], what: str) -> None:
    if what == "parse" and kwargs.get("stream"):
        raise TypeError("parse() does not stream: use create(stream=True)")
    if what == "stream" and "stream" in kwargs:
        raise TypeError("stream() got an unexpected keyword argument 'stream'")


# -- sync ---------------------------------------------------------------------------------------


class Completions:
    """``client.chat.completions``: ``create`` (``stream=True`` too), ``parse`` and
    ``stream``; the stored-completion methods (``list``, ``retrieve``...) are refused."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        _refuse_stored(name)

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/chat/completions"), False)

    @overload
    def create(self, *, stream: Literal[True], **kwargs: Any) -> Stream: ...
    @overload
    def create(self, *, stream: Literal[False] | None = None, **kwargs: Any) -> ChatCompletion: ...
    @overload
    def create(self, *, stream: bool, **kwargs: Any) -> ChatCompletion | Stream: ...

    def create(self, **kwargs: Any) -> ChatCompletion | Stream:
        """As the SDK's ``create``; every call goes through privllm's client."""
        return self._raw_create(**kwargs)[0]

    def _raw_create(self, **kwargs: Any) -> tuple[ChatCompletion | Stream, Mapping[str, str]]:
        client = self._client
        call = client._chat_call(kwargs)
        priv = client._privllm
        url = client._url("/chat/completions")
        try:
            if call.stream:
                source = _calls.stream(priv, call.args, call.updates)
                source.__enter__()  # the request is made now, as the SDK's create() makes it
                model = call.args["model"] or priv.config.provider.model
                return Stream(source, chunks(model, call.include_usage), url), {}
            response = _calls.chat(priv, call.args, call.updates)
            return completion(response), response.headers or {}
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904 - the cause is set, scrubbed

    @overload
    def parse(self, *, response_format: type[_M], **kwargs: Any) -> ParsedChatCompletion[_M]: ...
    @overload
    def parse(self, **kwargs: Any) -> ParsedChatCompletion[None]: ...

    def parse(self, *, response_format: Any = None, **kwargs: Any) -> ParsedChatCompletion[Any]:
        """As the SDK's ``parse``: a pydantic ``response_format`` is parsed by privllm into
        ``choices[0].message.parsed``; a mismatch raises ``StructuredOutputError`` naming
        fields, never values."""
        return self._raw_parse(response_format=response_format, **kwargs)[0]

    def _raw_parse(
        self, *, response_format: Any = None, **kwargs: Any
    ) -> tuple[ParsedChatCompletion[Any], Mapping[str, str]]:
        _no_stream(kwargs, "parse")
        client = self._client
        call = client._chat_call({**kwargs, "response_format": response_format})
        url = client._url("/chat/completions")
        try:
            response = _calls.chat(client._privllm, call.args, call.updates)
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904
        parsed = parsed_completion(response, kwargs.get("tools"), response_format)
        return parsed, response.headers or {}

    def stream(self, **kwargs: Any) -> ChatCompletionStreamManager[Any]:
        """As the SDK's ``stream()`` helper (use it in ``with``): its events
        (``content.delta``, ``tool_calls.function.arguments.done``...) and
        ``get_final_completion()``, over ``create(stream=True)``."""
        _no_stream(kwargs, "stream")
        return ChatCompletionStreamManager(
            lambda: self.create(stream=True, **kwargs),  # type: ignore[arg-type,return-value]
            response_format=kwargs.get("response_format", omit),
            input_tools=kwargs.get("tools", omit),
        )


class Chat:
    def __init__(self, client: OpenAI) -> None:
        self.completions = Completions(client)


class Embeddings:
    """``client.embeddings.create``."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/embeddings"), False)

    def create(self, **kwargs: Any) -> CreateEmbeddingResponse:
        return self._raw_create(**kwargs)[0]

    def _raw_create(self, **kwargs: Any) -> tuple[CreateEmbeddingResponse, Mapping[str, str]]:
        client = self._client
        args, base64_wanted, updates = client._embed_call(kwargs)
        try:
            response = _calls.embed(client._privllm, args, updates)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/embeddings"))  # noqa: B904
        return embeddings(response, base64_wanted), response.headers or {}


class Models:
    """``client.models.list`` and ``retrieve``: sent as they are (no content goes out),
    through the SDK client privllm built, so through the egress guard."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/models"), False)

    def _call(self, fn: Callable[[Any], _T]) -> _T:
        client = self._client
        provider: Any = client._privllm.provider
        if not hasattr(provider, "map_error"):
            raise EndpointNotCovered(f"models: not available for provider {provider.name!r}")
        try:
            client._privllm._core.check_open()
            return raise_mapped(lambda: fn(provider.sdk), provider.map_error)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/models"))  # noqa: B904

    def list(self, **kwargs: Any) -> Any:
        kwargs = _model_options(self._client, kwargs)
        return self._call(lambda sdk: sdk.models.list(**kwargs))

    def _raw_list(self, **kwargs: Any) -> tuple[Any, Mapping[str, str]]:
        kwargs = _model_options(self._client, kwargs)
        raw = self._call(lambda sdk: sdk.models.with_raw_response.list(**kwargs))
        return raw.parse(), raw.headers

    def retrieve(self, model: str, **kwargs: Any) -> Any:
        kwargs = _model_options(self._client, kwargs)
        return self._call(lambda sdk: sdk.models.retrieve(model, **kwargs))

    def delete(self, model: str, **kwargs: Any) -> Any:
        raise EndpointNotCovered(
            "models.delete: tuned models are deleted by `privllm finetune purge` (which keeps "
            "the inventory of what privllm created)"
        )


# -- async --------------------------------------------------------------------------------------


class AsyncCompletions:
    """The async twin of :class:`Completions`."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        _refuse_stored(name)

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/chat/completions"), True)

    @overload
    async def create(self, *, stream: Literal[True], **kwargs: Any) -> AsyncStream: ...
    @overload
    async def create(
        self, *, stream: Literal[False] | None = None, **kwargs: Any
    ) -> ChatCompletion: ...
    @overload
    async def create(self, *, stream: bool, **kwargs: Any) -> ChatCompletion | AsyncStream: ...

    async def create(self, **kwargs: Any) -> ChatCompletion | AsyncStream:
        return (await self._raw_create(**kwargs))[0]

    async def _raw_create(
        self, **kwargs: Any
    ) -> tuple[ChatCompletion | AsyncStream, Mapping[str, str]]:
        client = self._client
        call = client._chat_call(kwargs)
        priv = client._privllm
        url = client._url("/chat/completions")
        try:
            if call.stream:
                source = _calls.stream(priv, call.args, call.updates)
                await source.__aenter__()
                model = call.args["model"] or priv.config.provider.model
                return AsyncStream(source, chunks(model, call.include_usage), url), {}
            response = await _calls.achat(priv, call.args, call.updates)
            return completion(response), response.headers or {}
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904

    @overload
    async def parse(
        self, *, response_format: type[_M], **kwargs: Any
    ) -> ParsedChatCompletion[_M]: ...
    @overload
    async def parse(self, **kwargs: Any) -> ParsedChatCompletion[None]: ...

    async def parse(
        self, *, response_format: Any = None, **kwargs: Any
    ) -> ParsedChatCompletion[Any]:
        return (await self._raw_parse(response_format=response_format, **kwargs))[0]

    async def _raw_parse(
        self, *, response_format: Any = None, **kwargs: Any
    ) -> tuple[ParsedChatCompletion[Any], Mapping[str, str]]:
        _no_stream(kwargs, "parse")
        client = self._client
        call = client._chat_call({**kwargs, "response_format": response_format})
        url = client._url("/chat/completions")
        try:
            response = await _calls.achat(client._privllm, call.args, call.updates)
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904
        parsed = parsed_completion(response, kwargs.get("tools"), response_format)
        return parsed, response.headers or {}

    def stream(self, **kwargs: Any) -> AsyncChatCompletionStreamManager[Any]:
        """The async twin of :meth:`Completions.stream` (``async with``)."""
        _no_stream(kwargs, "stream")
        return AsyncChatCompletionStreamManager(
            self.create(stream=True, **kwargs),  # type: ignore[arg-type]
            response_format=kwargs.get("response_format", omit),
            input_tools=kwargs.get("tools", omit),
        )


class AsyncChat:
    def __init__(self, client: AsyncOpenAI) -> None:
        self.completions = AsyncCompletions(client)


class AsyncEmbeddings:
    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/embeddings"), True)

    async def create(self, **kwargs: Any) -> CreateEmbeddingResponse:
        return (await self._raw_create(**kwargs))[0]

    async def _raw_create(self, **kwargs: Any) -> tuple[CreateEmbeddingResponse, Mapping[str, str]]:
        client = self._client
        args, base64_wanted, updates = client._embed_call(kwargs)
        try:
            response = await _calls.aembed(client._privllm, args, updates)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/embeddings"))  # noqa: B904
        return embeddings(response, base64_wanted), response.headers or {}


class _AsyncList(Generic[_T]):
    """``await client.models.list()`` gives the page; ``async for`` its items (as the SDK's
    paginator does)."""

    def __init__(self, fetch: Callable[[], Awaitable[_T]]) -> None:
        self._fetch = fetch

    def __await__(self) -> Generator[Any, None, _T]:
        return self._fetch().__await__()

    async def __aiter__(self) -> AsyncIterator[Any]:
        page: Any = await self._fetch()
        for item in page.data:
            yield item


class AsyncModels:
    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/models"), True)

    async def _call(self, fn: Callable[[Any], Awaitable[_T]]) -> _T:
        client = self._client
        provider: Any = client._privllm.provider
        if not hasattr(provider, "map_error"):
            raise EndpointNotCovered(f"models: not available for provider {provider.name!r}")
        try:
            client._privllm._core.check_open()
            return await araise_mapped(lambda: fn(provider.async_sdk), provider.map_error)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/models"))  # noqa: B904

    def list(self, **kwargs: Any) -> _AsyncList[Any]:
        kwargs = _model_options(self._client, kwargs)

        async def page(sdk: Any) -> Any:
            return await sdk.models.list(**kwargs)

        return _AsyncList(lambda: self._call(page))

    async def _raw_list(self, **kwargs: Any) -> tuple[Any, Mapping[str, str]]:
        kwargs = _model_options(self._client, kwargs)

        async def page(sdk: Any) -> Any:
            return await sdk.models.with_raw_response.list(**kwargs)

        raw = await self._call(page)
        return raw.parse(), raw.headers

    async def retrieve(self, model: str, **kwargs: Any) -> Any:
        kwargs = _model_options(self._client, kwargs)

        async def get(sdk: Any) -> Any:
            return await sdk.models.retrieve(model, **kwargs)

        return await self._call(get)

    async def delete(self, model: str, **kwargs: Any) -> Any:
        return Models.delete(self, model)  # type: ignore[arg-type]
