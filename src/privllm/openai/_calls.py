"""The drop-in's calls into privllm's core: what ``Client.chat`` / ``stream`` / ``embed``
do, plus what only the SDK's shape can ask for (the Responses API, per-call HTTP headers
and query), set on the request before it enters the chain.

The request still goes through the whole chain (redaction, policy, audit) and the provider's
egress guard: these are the client's own steps, in the client's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from privllm import _calls as calls
from privllm._core import ClientCore
from privllm.client import AsyncClient, Client
from privllm.streaming import AsyncChatStream, ChatStream
from privllm.types import ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse

__all__ = ["achat", "aembed", "chat", "embed", "stream"]

#: ``chat_request``'s options, as ``Client.chat`` defaults them.
_OPTIONS = {
    "temperature": None,
    "max_tokens": None,
    "top_p": None,
    "stop": None,
    "seed": None,
    "user": None,
    "tools": None,
    "tool_choice": None,
    "response_format": None,
    "extra": None,
    "max_completion_tokens": None,
}


def _request(
    core: ClientCore, args: Mapping[str, Any], updates: Mapping[str, Any], *, stream: bool
) -> ChatRequest:
    options = {**_OPTIONS, **args}
    messages = options.pop("messages")
    model = options.pop("model", None)
    options.pop("timeout", None)
    request = core.chat_request(messages, model, stream=stream, **options)
    return request.model_copy(update=updates) if updates else request


def chat(client: Client, args: Mapping[str, Any], updates: Mapping[str, Any]) -> ChatResponse[Any]:
    """``client.chat(**args)``, the request updated with ``updates`` (api, headers, query)."""
    core = client._core
    core.check_open()
    request = _request(core, args, updates, stream=False)
    ctx = core.context("chat", args["messages"], args["timeout"])
    sent = core.before(request, ctx)
    return core.after(core.run(sent, ctx, calls.chat), request, ctx)


async def achat(
    client: AsyncClient, args: Mapping[str, Any], updates: Mapping[str, Any]
) -> ChatResponse[Any]:
    """The async twin of :func:`chat`."""
    core = client._core
    core.check_open()
    request = _request(core, args, updates, stream=False)
    ctx = core.context("chat", args["messages"], args["timeout"])
    # As AsyncClient.chat: a model's scan off the loop, and the audit record awaited.
    async with core.recording(ctx):
        sent = await core.abefore(request, ctx)
        return core.after(await core.arun(sent, ctx, calls.achat), request, ctx)


def stream(
    client: Client | AsyncClient, args: Mapping[str, Any], updates: Mapping[str, Any]
) -> Any:
    """``client.stream(**args)`` (a ``ChatStream`` or ``AsyncChatStream``, not yet open)."""
    core = client._core
    core.check_open()
    request = _request(core, args, updates, stream=True)
    ctx = core.context("stream", args["messages"], args["timeout"])
    kind = AsyncChatStream if isinstance(client, AsyncClient) else ChatStream
    return kind(core, request, ctx)


def _embedding(
    core: ClientCore, args: Mapping[str, Any], updates: Mapping[str, Any]
) -> EmbeddingRequest:
    request = core.embedding_request(
        args["texts"], args.get("model"), args.get("dimensions"), args.get("extra")
    )
    return request.model_copy(update=updates) if updates else request


def embed(client: Client, args: Mapping[str, Any], updates: Mapping[str, Any]) -> EmbeddingResponse:
    """``client.embed(**args)`` with ``updates`` (headers, query)."""
    core = client._core
    core.check_open()
    request = _embedding(core, args, updates)
    ctx = core.context("embed", timeout=args["timeout"])
    sent = core.before_embed(request, ctx)
    return core.after_embed(core.run(sent, ctx, calls.embed), ctx)


async def aembed(
    client: AsyncClient, args: Mapping[str, Any], updates: Mapping[str, Any]
) -> EmbeddingResponse:
    """The async twin of :func:`embed`."""
    core = client._core
    core.check_open()
    request = _embedding(core, args, updates)
    ctx = core.context("embed", timeout=args["timeout"])
    async with core.recording(ctx):
        sent = await core.abefore_embed(request, ctx)
        return core.after_embed(await core.arun(sent, ctx, calls.aembed), ctx)
