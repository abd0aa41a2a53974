"""The middleware contract and the chain runner. Sans-IO: nothing here sends or awaits.

Requests pass the chain in order; responses and streamed chunks pass it in reverse (an
onion). Because every hook is a plain function, the same middleware serves ``Client`` and
``AsyncClient``.

>>> class Shout(Middleware):
...     def on_response(self, response, ctx):
...         return response.model_copy(update={"text": response.text.upper()})
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

from ._ids import new_call_id
from .types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Endpoint,
)

__all__ = [
    "PLACES",
    "CallContext",
    "Chain",
    "Middleware",
    "Place",
    "load_middleware",
]


@dataclass(slots=True)
class CallContext:
    """Per-call state every hook sees.

    ``state`` is a scratch space keyed by middleware (the redaction vault lives there);
    ``decisions`` records policy decisions; ``timings`` holds monotonic timestamps.
    """

    endpoint: Endpoint
    operation: str = "chat"  # "chat" | "stream" | "embed"
    call_id: str = field(default_factory=new_call_id)  # as uuid4().hex, cheaper (see _ids)
    started: float = field(default_factory=time.monotonic)
    state: dict[str, Any] = field(default_factory=dict)
    decisions: list[Any] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: The request as it left the chain (what the provider was given), set by the runner.
    sent: ChatRequest | EmbeddingRequest | None = None
    #: This call's own timeout in seconds (``timeout=``); ``None``: the provider's configured
    #: ``provider.timeout``.
    timeout: float | None = None


#: Where a middleware runs in the chain.
#:
#: ``"outside_redaction"`` (the default): before privllm's redaction and policy. It sees the
#: caller's raw values, and what it adds to a prompt is redacted and checked like the rest:
#: the place for middleware that rewrites prompts or answers.
#:
#: ``"inside_redaction"``: after redaction and policy, before telemetry and audit. It sees
#: placeholders only (``[EMAIL_1]``) in requests, answers, streamed chunks and tool calls,
#: and the policy decision: the safe place for logging, metrics and tracing.
Place = Literal["outside_redaction", "inside_redaction"]
PLACES: tuple[Place, ...] = get_args(Place)


class Middleware:
    """Base class with pass-through hooks; override the ones you need.

    Hooks never do network IO and never await. ``on_request`` may raise
    :class:`~privllm.errors.PolicyViolation` to refuse a call before anything is sent.
    ``place`` says where the chain puts it unless its
    :class:`~privllm.middleware_entry.MiddlewareEntry` says otherwise.
    """

    #: Where this middleware runs (:data:`Place`), unless its entry names another place.
    place: ClassVar[Place] = "outside_redaction"

    def on_request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        """A chat request on its way out (in chain order); return it, changed or not.

        Raise :class:`~privllm.errors.PolicyViolation` to refuse the call: nothing is sent
        and every middleware's :meth:`on_error` is told.
        """
        return request

    def on_response(self, response: ChatResponse, ctx: CallContext) -> ChatResponse:
        """A whole chat answer on its way back (in reverse order); return it."""
        return response

    def on_chunk(self, chunk: ChatChunk, ctx: CallContext) -> Iterable[ChatChunk]:
        """One streamed chunk on its way back (in reverse order).

        Return the chunks to pass on: the same one, several, or none to hold it back until
        a later chunk or :meth:`on_stream_end`.
        """
        return (chunk,)

    def on_stream_end(self, ctx: CallContext) -> Iterable[ChatChunk]:
        """The stream ended: return what :meth:`on_chunk` held back (it still passes every
        middleware outside this one)."""
        return ()

    def on_embedding_request(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        """An embedding request on its way out (in chain order); return it. May raise
        :class:`~privllm.errors.PolicyViolation` as :meth:`on_request` does."""
        return request

    def on_embedding_response(
        self, response: EmbeddingResponse, ctx: CallContext
    ) -> EmbeddingResponse:
        """Embedding vectors on their way back (in reverse order); return them."""
        return response

    def on_error(self, error: BaseException, ctx: CallContext) -> None:
        """The call failed: a provider error, a refusal, another middleware's error, or the
        caller leaving a stream early (``GeneratorExit``; ``CancelledError`` for a cancelled
        task). Observe only: the error is raised to the caller after every middleware saw it.
        """
        return None

    def close(self) -> None:
        """Release what this middleware holds across calls (files, threads). Called by
        ``Client.close()``; for an ``AsyncClient`` it runs in a worker thread."""
        return None


def _overrides(mw: Middleware, hook: str) -> bool:
    return getattr(type(mw), hook) is not getattr(Middleware, hook)


class Chain:
    """An ordered list of middleware, with the per-hook lists precomputed.

    Only middleware that override a hook are run for it, so an empty or sparse chain costs
    next to nothing per call.
    """

    __slots__ = (
        "_chunk",
        "_closers",
        "_embreq",
        "_embresp",
        "_error",
        "_req",
        "_resp",
        "middleware",
    )

    def __init__(self, middleware: Sequence[Middleware] = ()) -> None:
        self.middleware: tuple[Middleware, ...] = tuple(middleware)
        fwd, rev = self.middleware, self.middleware[::-1]
        self._req = [m for m in fwd if _overrides(m, "on_request")]
        self._embreq = [m for m in fwd if _overrides(m, "on_embedding_request")]
        self._resp = [m for m in rev if _overrides(m, "on_response")]
        self._embresp = [m for m in rev if _overrides(m, "on_embedding_response")]
        # Streams: every middleware that touches chunks or flushes at the end, outermost last.
        self._chunk = [
            m for m in rev if _overrides(m, "on_chunk") or _overrides(m, "on_stream_end")
        ]
        self._error = [m for m in rev if _overrides(m, "on_error")]
        self._closers = [m for m in rev if _overrides(m, "close")]

    def __len__(self) -> int:
        return len(self.middleware)

    def request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        for mw in self._req:
            request = mw.on_request(request, ctx)
        ctx.sent = request
        return request

    def response(self, response: ChatResponse, ctx: CallContext) -> ChatResponse:
        for mw in self._resp:
            response = mw.on_response(response, ctx)
        return response

    def embedding_request(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        for mw in self._embreq:
            request = mw.on_embedding_request(request, ctx)
        ctx.sent = request
        return request

    def embedding_response(
        self, response: EmbeddingResponse, ctx: CallContext
    ) -> EmbeddingResponse:
        for mw in self._embresp:
            response = mw.on_embedding_response(response, ctx)
        return response

    def chunk(self, chunk: ChatChunk, ctx: CallContext) -> Sequence[ChatChunk]:
        """Pass one provider chunk outward; a middleware may hold it back or split it.

        Called for every chunk of every stream: a plain loop, no generator, and no list
        while each middleware gives back one chunk for one (the common case)."""
        current: Sequence[ChatChunk] = (chunk,)
        for i, mw in enumerate(self._chunk):
            out = mw.on_chunk(current[0], ctx)
            if type(out) is tuple and len(out) == 1:
                current = out
                continue
            return self._through(self._chunk[i + 1 :], out, ctx)
        return current

    def stream_end(self, ctx: CallContext) -> Iterator[ChatChunk]:
        """Flush: each middleware's held-back chunks still pass every middleware outside it."""
        layers = self._chunk
        for i, mw in enumerate(layers):
            flushed = mw.on_stream_end(ctx)
            yield from self._through(layers[i + 1 :], flushed, ctx)

    @staticmethod
    def _through(
        layers: Sequence[Middleware], chunks: Iterable[ChatChunk], ctx: CallContext
    ) -> list[ChatChunk]:
        current = list(chunks)
        for mw in layers:
            if not current:
                break
            nxt: list[ChatChunk] = []
            for c in current:
                nxt.extend(mw.on_chunk(c, ctx))
            current = nxt
        return current

    def close(self) -> None:
        """Close every middleware, innermost first; all are tried even if one fails."""
        failure: BaseException | None = None
        for mw in self._closers:
            try:
                mw.close()
            except BaseException as exc:  # keep closing the others, then report the first
                failure = failure or exc
        if failure is not None:
            raise failure

    @property
    def needs_close(self) -> bool:
        return bool(self._closers)

    def error(self, error: BaseException, ctx: CallContext) -> None:
        """Tell every middleware about a failure (provider, policy or middleware error)."""
        for mw in self._error:
            mw.on_error(error, ctx)


def load_middleware(path: str) -> Middleware:
    """Instantiate a middleware named ``"package.module:ClassName"`` (no arguments).
    :class:`~privllm.middleware_entry.MiddlewareEntry` also takes options and a place."""
    from .middleware_entry import MiddlewareEntry  # it builds on this module

    return MiddlewareEntry.of(path).build()
