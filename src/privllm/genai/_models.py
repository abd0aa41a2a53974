"""``client.models`` and ``client.aio.models``: ``generate_content``,
``generate_content_stream``, ``embed_content``.

Sync and async twins map arguments (``_request``), call privllm's client and map results
(``_response``) and errors (``errors``); nothing else. Redaction, policy, audit and the
egress guard happen inside privllm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from google.genai import types as gt
from google.genai.models import Models as SdkModels

from privllm.errors import PrivllmError

from ._afc import Rounds, arun, run
from ._request import ChatCall, chat_call, embed_call, timeout_of
from ._response import ChunkMaker, embed_response, model_content, response_of
from .errors import EndpointNotCovered, to_genai_error

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["AsyncModels", "ChatModels", "Models"]

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


class _ApiClient:
    """What google-genai's chats read of ``models._api_client``: ``vertexai``. The rest of
    the SDK's API client (raw requests; connecting MCP servers) is refused: it would send
    around privllm."""

    __slots__ = ("vertexai",)

    def __init__(self, vertexai: bool) -> None:
        self.vertexai = vertexai

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise EndpointNotCovered(
            f"the google-genai API client ({name}): not covered by privllm's google-genai "
            "drop-in: raw requests and MCP servers would skip redaction, policy and the "
            "audit log; pass Python functions or function declarations as tools"
        )


class _Base:
    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def _api_client(self) -> _ApiClient:
        return _ApiClient(self._client.vertexai)

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


class Models(_Base):
    """``client.models``: every call through the privllm ``Client``."""

    def generate_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        """As google-genai's ``generate_content``: returns a ``GenerateContentResponse``.

        Python functions in ``config.tools`` are run as the SDK runs them (automatic
        function calling), their arguments restored, their results redacted on the way out.
        """
        priv = self._client._sync()
        call = self._chat_call(priv, contents, config)
        rounds = Rounds(call)
        try:
            response = priv.chat(model=model, **call.args)
            while todo := rounds.calls(response):
                results = [run(fn, c.args()) for c, fn in todo]
                rounds.record(response, results, [model_content(response)])
                response = priv.chat(model=model, **call.args)
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904 - the cause is set, scrubbed
        return response_of(response, call.parse, rounds.shown)

    def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None
    ) -> Iterator[gt.GenerateContentResponse]:
        """As google-genai's: an iterator of ``GenerateContentResponse`` chunks (the request
        is made when iteration starts). Python functions in ``config.tools`` are run after
        the stream that asked for them, and the chunks of the next answer follow."""
        priv = self._client._sync()
        call = self._chat_call(priv, contents, config)
        return self._chunks(priv, model, call)

    def _chunks(
        self, priv: Any, model: str, call: ChatCall
    ) -> Iterator[gt.GenerateContentResponse]:
        rounds = Rounds(call)
        try:
            while True:
                maker = ChunkMaker(model, rounds.shown or None)
                with priv.stream(model=model, **call.args) as stream:
                    for chunk in stream:
                        yield from maker(chunk)
                    response = stream.response
                todo = rounds.calls(response)
                if not todo:
                    return
                rounds.record(response, [run(fn, c.args()) for c, fn in todo], maker.output)
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
        call = self._chat_call(priv, contents, config)
        rounds = Rounds(call)
        try:
            response = await priv.chat(model=model, **call.args)
            while todo := rounds.calls(response):
                results = [await arun(fn, c.args()) for c, fn in todo]
                rounds.record(response, results, [model_content(response)])
                response = await priv.chat(model=model, **call.args)
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904
        return response_of(response, call.parse, rounds.shown)

    async def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None
    ) -> AsyncIterator[gt.GenerateContentResponse]:
        """As google-genai's: awaited, it makes the request and returns an async iterator of
        ``GenerateContentResponse`` chunks (functions run as in the sync one)."""
        priv = self._client._async()
        call = self._chat_call(priv, contents, config)
        stream = priv.stream(model=model, **call.args)
        try:
            await stream.__aenter__()
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904
        return self._chunks(priv, stream, model, call)

    async def _chunks(
        self, priv: Any, stream: Any, model: str, call: ChatCall
    ) -> AsyncIterator[gt.GenerateContentResponse]:
        rounds = Rounds(call)
        try:
            while True:
                maker = ChunkMaker(model, rounds.shown or None)
                try:
                    async for chunk in stream:
                        for made in maker(chunk):
                            yield made
                    response = stream.response
                finally:
                    await stream.close()
                todo = rounds.calls(response)
                if not todo:
                    return
                results = [await arun(fn, c.args()) for c, fn in todo]
                rounds.record(response, results, maker.output)
                stream = priv.stream(model=model, **call.args)
                await stream.__aenter__()
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904

    async def embed_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        """The async twin of :meth:`Models.embed_content`."""
        priv = self._client._async()
        try:
            args = self._embed_args(priv, contents, config)
            return embed_response(await priv.embed(model=model, **args))
        except PrivllmError as exc:
            raise to_genai_error(exc)  # noqa: B904


class ChatModels(SdkModels):
    """What the sync chats (``client.chats``) are given as their models: google-genai's
    ``Chat.send_message_stream`` streams only from an instance of its own ``Models``. Calls
    go to the drop-in's :class:`Models`; the SDK methods this class inherits reach only
    the refusing ``_api_client`` and send nothing."""

    def __init__(self, models: Models) -> None:  # not the SDK's: no API client of its own
        self._models = models

    @property
    def _api_client(self) -> _ApiClient:  # type: ignore[override]
        return self._models._api_client

    def generate_content(self, *, model: str, contents: Any, config: Any = None) -> Any:
        return self._models.generate_content(model=model, contents=contents, config=config)

    def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None
    ) -> Iterator[gt.GenerateContentResponse]:
        return self._models.generate_content_stream(model=model, contents=contents, config=config)
