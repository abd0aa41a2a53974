"""``client.responses``: ``create`` (``stream=True`` too) and ``parse``, through privllm.

The call is a chat request with ``api="responses"`` (see ``_responses``): redacted, checked
by policy (which sends ``store=false`` unless ``policy.require_no_store = false``), recorded
in the audit log, sent through the egress guard to ``/v1/responses``; the answer and the
streamed ``response.output_text.delta`` events are restored. What needs a stored response at
the provider (``retrieve``, ``cancel``, ``input_items``...) is refused: nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar, overload

from openai.types.responses import ParsedResponse, Response, ResponseStreamEvent

from privllm.errors import PrivllmError

from . import _calls
from ._errors import EndpointNotCovered, to_openai_error
from ._resources import _WithRaw
from ._responses import ResponsesCall, ResponsesEvents, parsed_response, response, responses_call
from ._streams import AsyncStream, Stream

if TYPE_CHECKING:
    from ._clients import AsyncOpenAI, OpenAI

__all__ = ["AsyncResponses", "Responses"]

_M = TypeVar("_M")


def _call(client: OpenAI, kwargs: Mapping[str, Any]) -> ResponsesCall:
    return client._read(responses_call, kwargs, "/responses")


def _not_stored(name: str) -> NoReturn:
    if name == "stream":
        raise EndpointNotCovered(
            "responses.stream: not covered by privllm's openai drop-in: use "
            "responses.create(stream=True), whose events are the same, restored"
        )
    raise EndpointNotCovered(
        f"responses.{name}: not covered by privllm's openai drop-in: privllm sends "
        "store=false, so the provider keeps nothing to fetch, cancel or list; keep the "
        "Response you got (response.output can be passed back in input)"
    )


def _no_stream(kwargs: Mapping[str, Any]) -> None:
    if kwargs.get("stream"):
        raise TypeError("parse() does not stream: use create(stream=True)")


class Responses:
    """``client.responses`` (sync)."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/responses"), False)

    @overload
    def create(self, *, stream: Literal[True], **kwargs: Any) -> Stream[ResponseStreamEvent]: ...
    @overload
    def create(self, *, stream: Literal[False] | None = None, **kwargs: Any) -> Response: ...
    @overload
    def create(self, *, stream: bool, **kwargs: Any) -> Response | Stream[ResponseStreamEvent]: ...

    def create(self, **kwargs: Any) -> Response | Stream[ResponseStreamEvent]:
        """As the SDK's ``responses.create``; every call goes through privllm's client."""
        return self._raw_create(**kwargs)[0]

    def _raw_create(
        self, **kwargs: Any
    ) -> tuple[Response | Stream[ResponseStreamEvent], Mapping[str, str]]:
        client = self._client
        call = _call(client, kwargs)
        priv = client._privllm
        url = client._url("/responses")
        try:
            if call.stream:
                source = _calls.stream(priv, call.args, call.updates)
                source.__enter__()  # the request is made now, as the SDK's create() makes it
                model = call.args["model"] or priv.config.provider.model
                return Stream(source, ResponsesEvents(model, call.echo), url), {}
            answer = _calls.chat(priv, call.args, call.updates)
            return response(answer, call.echo), answer.headers or {}
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904 - the cause is set, scrubbed

    @overload
    def parse(self, *, text_format: type[_M], **kwargs: Any) -> ParsedResponse[_M]: ...
    @overload
    def parse(self, **kwargs: Any) -> ParsedResponse[Any]: ...

    def parse(self, *, text_format: Any = None, **kwargs: Any) -> ParsedResponse[Any]:
        """As the SDK's ``responses.parse``: ``output_parsed`` is the pydantic
        ``text_format`` instance privllm parsed from the (restored) answer."""
        return self._raw_parse(text_format=text_format, **kwargs)[0]

    def _raw_parse(
        self, *, text_format: Any = None, **kwargs: Any
    ) -> tuple[ParsedResponse[Any], Mapping[str, str]]:
        _no_stream(kwargs)
        client = self._client
        if text_format is not None:
            kwargs = {**kwargs, "text": {**(kwargs.get("text") or {}), "format": text_format}}
        call = _call(client, kwargs)
        try:
            answer = _calls.chat(client._privllm, call.args, call.updates)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/responses"))  # noqa: B904
        return parsed_response(answer, call.echo, text_format), answer.headers or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        _not_stored(name)


class AsyncResponses:
    """``client.responses`` (async)."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        return _WithRaw(self, self._client._url("/responses"), True)

    @overload
    async def create(
        self, *, stream: Literal[True], **kwargs: Any
    ) -> AsyncStream[ResponseStreamEvent]: ...
    @overload
    async def create(self, *, stream: Literal[False] | None = None, **kwargs: Any) -> Response: ...
    @overload
    async def create(
        self, *, stream: bool, **kwargs: Any
    ) -> Response | AsyncStream[ResponseStreamEvent]: ...

    async def create(self, **kwargs: Any) -> Response | AsyncStream[ResponseStreamEvent]:
        return (await self._raw_create(**kwargs))[0]

    async def _raw_create(
        self, **kwargs: Any
    ) -> tuple[Response | AsyncStream[ResponseStreamEvent], Mapping[str, str]]:
        client = self._client
        call = _call(client, kwargs)
        priv = client._privllm
        url = client._url("/responses")
        try:
            if call.stream:
                source = _calls.stream(priv, call.args, call.updates)
                await source.__aenter__()
                model = call.args["model"] or priv.config.provider.model
                return AsyncStream(source, ResponsesEvents(model, call.echo), url), {}
            answer = await _calls.achat(priv, call.args, call.updates)
            return response(answer, call.echo), answer.headers or {}
        except PrivllmError as exc:
            raise to_openai_error(exc, url)  # noqa: B904

    @overload
    async def parse(self, *, text_format: type[_M], **kwargs: Any) -> ParsedResponse[_M]: ...
    @overload
    async def parse(self, **kwargs: Any) -> ParsedResponse[Any]: ...

    async def parse(self, *, text_format: Any = None, **kwargs: Any) -> ParsedResponse[Any]:
        return (await self._raw_parse(text_format=text_format, **kwargs))[0]

    async def _raw_parse(
        self, *, text_format: Any = None, **kwargs: Any
    ) -> tuple[ParsedResponse[Any], Mapping[str, str]]:
        _no_stream(kwargs)
        client = self._client
        if text_format is not None:
            kwargs = {**kwargs, "text": {**(kwargs.get("text") or {}), "format": text_format}}
        call = _call(client, kwargs)
        try:
            answer = await _calls.achat(client._privllm, call.args, call.updates)
        except PrivllmError as exc:
            raise to_openai_error(exc, client._url("/responses"))  # noqa: B904
        return parsed_response(answer, call.echo, text_format), answer.headers or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        _not_stored(name)
