"""``client.models`` and ``client.aio.models``: ``generate_content``,
``generate_content_stream``, ``embed_content``.

Sync and async twins map arguments (``_request``), call privllm's client and map results
(``_response``) and errors (``errors``); nothing else. Redaction, policy, audit and the
egress guard happen inside privllm.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from google.genai import types as gt

from privllm.errors import PrivllmError
from privllm.types import ChatResponse, Message

from ._request import ChatCall, chat_call, embed_call, timeout_of
from ._response import ChunkMaker, embed_response, response_of
from .errors import EndpointNotCovered, to_genai_error

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["AsyncModels", "Models"]

#: The other methods of google-genai's ``models``, and the privllm way where there is one.
NOT_COVERED = {
    "count_tokens": "the count would be of your unredacted text at Google: privllm reports "
    "usage_metadata on every answer",
    "compute_tokens": "the tokens would be of your unredacted text at Google",
    "generate_images": "privllm sends and restores text only",
    "edit_image": "privllm sends and restores text only",
    "upscale_image": "privllm sends and restores text only",
    "recontext_image": "privllm sends and restores text only",
    "segment_image": "privllm sends and restores text only",
    "generate_videos": "privllm sends and restores text only",
    "list": "not carried by privllm's drop-in: list models with the google-genai SDK or the "
    "console (no content is involved)",
    "get": "not carried by privllm's drop-in: look models up with the google-genai SDK or "
    "the console (no content is involved)",
    "update": "tuned models are managed by `privllm finetune` (it keeps their inventory)",
    "delete": "tuned models are deleted by `privllm finetune purge` (it keeps the inventory)",
}


def _refuse(name: str) -> EndpointNotCovered:
    return EndpointNotCovered(
        f"client.models.{name}: not covered by privllm's google-genai drop-in: {NOT_COVERED[name]}"
    )


def _afc_result(fn: Callable[..., Any], args: dict[str, Any]) -> dict[str, Any]:
    # As the SDK's automatic function calling answers: {"result": ...} or {"error": ...}.
    try:
        return {"result": fn(**args)}
    except Exception as exc:  # the model is told, as the SDK tells it
        return {"error": str(exc)}


async def _aafc_result(fn: Callable[..., Any], args: dict[str, Any]) -> dict[str, Any]:
    try:
        value = fn(**args)
        if inspect.isawaitable(value):
            value = await value
        return {"result": value}
    except Exception as exc:
        return {"error": str(exc)}


def _json_text(value: dict[str, Any]) -> str:
    return json.dumps(value, default=str)


class _Base:
    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name in NOT_COVERED:
            raise _refuse(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _chat_call(self, priv: Any, contents: Any, config: Any) -> ChatCall:
        provider = priv.config.provider
        try:
            return chat_call(
                contents,
                config,
                google=provider.name == "google",
                vertex=provider.name == "google" and provider.google.mode == "vertex",
                timeout=timeout_of(config, self._client._timeout),
            )
        except PrivllmError as exc:  # an argument privllm cannot carry: a ClientError too
            raise to_genai_error(exc)  # noqa: B904 - the cause is set, scrubbed

    def _embed_args(self, priv: Any, contents: Any, config: Any) -> dict[str, Any]:
        try:
            return embed_call(
                contents,
                config,
                google=priv.config.provider.name == "google",
                timeout=timeout_of(config, self._client._timeout),
            )
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904

    @staticmethod
    def _next_turn(
        call: ChatCall, response: ChatResponse[Any], results: list[dict[str, Any]]
    ) -> list[Any]:
        """The messages of the next automatic-function-calling round."""
        answers = [
            Message(role="tool", tool_call_id=c.id, name=c.name, content=_json_text(r))
            for c, r in zip(response.tool_calls, results, strict=True)
        ]
        return [*call.args["messages"], response.message, *answers]

    @staticmethod
    def _runs_functions(call: ChatCall, response: ChatResponse[Any], rounds: int) -> bool:
        return (
            rounds < call.max_remote_calls
            and bool(response.tool_calls)
            and all(c.name in call.functions for c in response.tool_calls)
        )


class Models(_Base):
    """``client.models``: every call through the privllm ``Client``."""

    def generate_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        """As google-genai's ``generate_content``: returns a ``GenerateContentResponse``.

        Python functions in ``config.tools`` are run as the SDK runs them (automatic
        function calling), their arguments restored, their results redacted on the way out.
        """
        priv = self._client._sync()
        try:
            call = self._chat_call(priv, contents, config)
            response = priv.chat(model=model, **call.args)
            rounds = 0
            while self._runs_functions(call, response, rounds):
                results = [
                    _afc_result(call.functions[c.name], c.args()) for c in response.tool_calls
                ]
                call.args["messages"] = self._next_turn(call, response, results)
                response = priv.chat(model=model, **call.args)
                rounds += 1
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904 - the cause is set, scrubbed
        return response_of(response, call.parse)

    def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None
    ) -> Iterator[gt.GenerateContentResponse]:
        """As google-genai's: an iterator of ``GenerateContentResponse`` chunks (the request
        is made when iteration starts). Function calls come back; they are not run."""
        priv = self._client._sync()
        call = self._chat_call(priv, contents, config)
        return self._chunks(priv, model, call)

    def _chunks(
        self, priv: Any, model: str, call: ChatCall
    ) -> Iterator[gt.GenerateContentResponse]:
        maker = ChunkMaker(model)
        try:
            with priv.stream(model=model, **call.args) as stream:
                for chunk in stream:
                    yield from maker(chunk)
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904

    def embed_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        """As google-genai's ``embed_content``: an ``EmbedContentResponse``."""
        priv = self._client._sync()
        try:
            args = self._embed_args(priv, contents, config)
            return embed_response(priv.embed(model=model, **args))
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904


class AsyncModels(_Base):
    """``client.aio.models``: every call through the privllm ``AsyncClient``."""

    async def generate_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        """The async twin of :meth:`Models.generate_content`."""
        priv = self._client._async()
        try:
            call = self._chat_call(priv, contents, config)
            response = await priv.chat(model=model, **call.args)
            rounds = 0
            while self._runs_functions(call, response, rounds):
                results = [
                    await _aafc_result(call.functions[c.name], c.args())
                    for c in response.tool_calls
                ]
                call.args["messages"] = self._next_turn(call, response, results)
                response = await priv.chat(model=model, **call.args)
                rounds += 1
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904
        return response_of(response, call.parse)

    async def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None
    ) -> AsyncIterator[gt.GenerateContentResponse]:
        """As google-genai's: awaited, it makes the request and returns an async iterator of
        ``GenerateContentResponse`` chunks."""
        priv = self._client._async()
        call = self._chat_call(priv, contents, config)
        stream = priv.stream(model=model, **call.args)
        try:
            await stream.__aenter__()
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904
        return self._chunks(stream, model)

    async def _chunks(self, stream: Any, model: str) -> AsyncIterator[gt.GenerateContentResponse]:
        maker = ChunkMaker(model)
        try:
            async for chunk in stream:
                for item in maker(chunk):
                    yield item
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904
        finally:
            await stream.close()

    async def embed_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        """The async twin of :meth:`Models.embed_content`."""
        priv = self._client._async()
        try:
            args = self._embed_args(priv, contents, config)
            return embed_response(await priv.embed(model=model, **args))
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904
