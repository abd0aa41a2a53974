"""The resource tree: ``chat.completions``, ``embeddings``, ``models``, ``with_raw_response``.

Sync and async twins map arguments (``_convert``), call privllm's client and map results and
errors; nothing else. Redaction, policy, audit and the egress guard happen inside privllm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import httpx2
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ParsedChatCompletion

from privllm.errors import PrivllmError
from privllm.providers.cause import araise_mapped, raise_mapped

from ._convert import chat_call, chunks, completion, embed_call, embeddings, parsed_completion
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

    ``headers`` holds what privllm keeps of the provider's answer: nothing yet (privllm's
    core does not return response headers), so it is empty; ``status_code`` is 200, as an
    error status raises instead.
    """

    status_code = 200

    def __init__(self, value: _T, url: str) -> None:
        self._value = value
        self.headers = httpx2.Headers()
        self.url = httpx2.URL(url)

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
        method = getattr(self._resource, name)
        url = self._url
        if self._async:

            async def acall(*args: Any, **kwargs: Any) -> RawResponse[Any]:
                return RawResponse(await method(*args, **kwargs), url)

            return acall

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            return RawResponse(method(*args, **kwargs), url)

        return call


def _no_stream(kwargs: dict[str, Any], what: str) -> None:
    if kwargs.get("stream"):
        raise TypeError(f"{what}() does not stream: use create(stream=True)")


# -- sync ---------------------------------------------------------------------------------------


class Completions:
    """``client.chat.completions``: ``create`` (``stream=True`` too) and ``parse``."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

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
        client = self._client
        call = chat_call(kwargs, default_timeout=client._timeout, model=client._model)
        priv = client._privllm
        url = client._url("/chat/completions")
        try:
            if call.stream:
                source = priv.stream(**call.args)
                source.__enter__()  # the request is made now, as the SDK's create() makes it
                model = call.args["model"] or priv.config.provider.model
                return Stream(source, chunks(model, call.include_usage), url)
            return completion(priv.chat(**call.args))
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
        _no_stream(kwargs, "parse")
        client = self._client
        call = chat_call(
            {**kwargs, "response_format": response_format},
            default_timeout=client._timeout,
            model=client._model,
        )
        url = client._url("/chat/completions")
        try:
            response = client._privllm.chat(**call.args)
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904
        return parsed_completion(response, kwargs.get("tools"), response_format)

    def stream(self, **kwargs: Any) -> Any:
        raise EndpointNotCovered(
            "chat.completions.stream() (the event helper) is not covered by privllm's "
            "drop-in yet: use create(stream=True) and iterate the chunks"
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
        client = self._client
        args, base64_wanted = embed_call(
            kwargs, default_timeout=client._timeout, model=client._model
        )
        try:
            response = client._privllm.embed(**args)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/embeddings"))  # noqa: B904
        return embeddings(response, base64_wanted)


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
        client._privllm._core.check_open()
        provider: Any = client._privllm.provider
        if not hasattr(provider, "map_error"):
            raise EndpointNotCovered(f"models: not available for provider {provider.name!r}")
        try:
            return raise_mapped(lambda: fn(provider.sdk), provider.map_error)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/models"))  # noqa: B904

    def list(self, **kwargs: Any) -> Any:
        return self._call(lambda sdk: sdk.models.list(**kwargs))

    def retrieve(self, model: str, **kwargs: Any) -> Any:
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
        client = self._client
        call = chat_call(kwargs, default_timeout=client._timeout, model=client._model)
        priv = client._privllm
        url = client._url("/chat/completions")
        try:
            if call.stream:
                source = priv.stream(**call.args)
                await source.__aenter__()
                model = call.args["model"] or priv.config.provider.model
                return AsyncStream(source, chunks(model, call.include_usage), url)
            return completion(await priv.chat(**call.args))
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
        _no_stream(kwargs, "parse")
        client = self._client
        call = chat_call(
            {**kwargs, "response_format": response_format},
            default_timeout=client._timeout,
            model=client._model,
        )
        url = client._url("/chat/completions")
        try:
            response = await client._privllm.chat(**call.args)
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904
        return parsed_completion(response, kwargs.get("tools"), response_format)

    def stream(self, **kwargs: Any) -> Any:
        return Completions.stream(self, **kwargs)  # type: ignore[arg-type]


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
        client = self._client
        args, base64_wanted = embed_call(
            kwargs, default_timeout=client._timeout, model=client._model
        )
        try:
            response = await client._privllm.embed(**args)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/embeddings"))  # noqa: B904
        return embeddings(response, base64_wanted)


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
        client._privllm._core.check_open()
        provider: Any = client._privllm.provider
        if not hasattr(provider, "map_error"):
            raise EndpointNotCovered(f"models: not available for provider {provider.name!r}")
        try:
            return await araise_mapped(lambda: fn(provider.async_sdk), provider.map_error)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/models"))  # noqa: B904

    def list(self, **kwargs: Any) -> _AsyncList[Any]:
        async def page(sdk: Any) -> Any:
            return await sdk.models.list(**kwargs)

        return _AsyncList(lambda: self._call(page))

    async def retrieve(self, model: str, **kwargs: Any) -> Any:
        async def get(sdk: Any) -> Any:
            return await sdk.models.retrieve(model, **kwargs)

        return await self._call(get)

    async def delete(self, model: str, **kwargs: Any) -> Any:
        return Models.delete(self, model)  # type: ignore[arg-type]
