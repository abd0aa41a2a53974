"""Streamed answers: ``ChatStream`` / ``AsyncChatStream`` and the sans-IO assembler of the
whole answer they share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic

from . import _calls
from ._core import parse_structured
from .types import ChatChunk, ChatRequest, ChatResponse, FinishReason, ParsedT, ToolCall, Usage

if TYPE_CHECKING:
    from ._core import ClientCore
    from .pipeline import CallContext
    from .providers.base import AsyncChunkStream, ChunkStream

__all__ = ["AsyncChatStream", "ChatStream", "StreamAssembler"]


class StreamAssembler:
    """Collects chunks as the caller receives them; ``response`` is set by ``finish()``."""

    __slots__ = (
        "_calls",
        "_ctx",
        "_parts",
        "_request",
        "_signatures",
        "finish_reason",
        "response",
        "usage",
    )

    def __init__(self, request: ChatRequest, ctx: CallContext) -> None:
        self._request = request
        self._ctx = ctx
        self._parts: list[str] = []
        self._calls: dict[int, list[str]] = {}  # index -> [id, name, arguments...]
        self._signatures: dict[int, str] = {}  # index -> signature, for calls that have one
        self.finish_reason: FinishReason | None = None
        self.usage: Usage | None = None
        self.response: ChatResponse[Any] | None = None

    def add(self, chunk: ChatChunk) -> None:
        if chunk.text:
            self._parts.append(chunk.text)
        for delta in chunk.tool_calls:
            slot = self._calls.setdefault(delta.index, ["", ""])
            if delta.id:
                slot[0] = delta.id
            if delta.name:
                slot[1] += delta.name
            if delta.arguments:
                slot.append(delta.arguments)
            if delta.signature:
                self._signatures[delta.index] = delta.signature  # whole, never in pieces
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage

    def finish(self) -> ChatResponse[Any]:
        """The whole answer; with a ``response_format`` model class, parsed into ``parsed``
        (or :class:`~privllm.errors.StructuredOutputError`, after every chunk was given)."""
        calls = [
            ToolCall(
                id=slot[0],
                name=slot[1],
                arguments="".join(slot[2:]),
                signature=self._signatures.get(index),
            )
            for index, slot in sorted(self._calls.items())
        ]
        self.response = ChatResponse(
            text="".join(self._parts),
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
            provider=self._ctx.endpoint.provider,
            model=(self._ctx.sent or self._request).model,
            endpoint=self._ctx.endpoint,
        )
        if isinstance(self._request.response_format, type):
            self.response.parsed = parse_structured(self.response, self._request.response_format)
        return self.response


class ChatStream(Generic[ParsedT]):
    """A streamed answer. Opens on first iteration (or ``with``); closes the HTTP stream on
    exit, on ``break`` inside ``with``, or when fully read. ``response`` is the assembled
    answer once the stream has ended (``ChatStream[Invoice]``: its ``parsed`` is an
    ``Invoice``)."""

    def __init__(self, core: ClientCore, request: ChatRequest, ctx: CallContext) -> None:
        self._core = core
        self._request = request
        self._ctx = ctx
        self._assembler = StreamAssembler(request, ctx)
        self._source: ChunkStream | None = None
        self._iterator: Iterator[ChatChunk] | None = None
        self._ended = False  # finished, failed or abandoned: reported to the chain once

    @property
    def response(self) -> ChatResponse[ParsedT] | None:
        """The whole answer, assembled from what the caller received; ``None`` until done."""
        return self._assembler.response

    def _open(self) -> ChunkStream:
        if self._source is None:
            core = self._core
            core.check_open()  # made before the client closed, opened after
            sent = core.prepare(self._request, self._ctx)
            self._source = core.run(sent, self._ctx, _calls.stream)
        return self._source

    def __iter__(self) -> Iterator[ChatChunk]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    def __next__(self) -> ChatChunk:
        return next(iter(self))

    def _run(self) -> Iterator[ChatChunk]:
        source = self._open()
        chain, ctx, assembler = self._core.chain, self._ctx, self._assembler
        try:
            for raw in source:
                for chunk in chain.chunk(raw, ctx):
                    assembler.add(chunk)
                    yield chunk
            for chunk in chain.stream_end(ctx):
                assembler.add(chunk)
                yield chunk
            assembler.finish()
            self._ended = True
        except GeneratorExit:
            self._abandon()
            raise
        except BaseException as exc:
            self._ended = True
            self._core.failed(exc, ctx)
            raise
        finally:
            source.close()

    def close(self) -> None:
        """Stop reading and release the connection (idempotent; ``with`` calls it)."""
        if self._iterator is not None:
            self._iterator.close()  # type: ignore[attr-defined]
        if self._source is not None:
            self._source.close()  # idempotent; covers a stream opened by `with` but never read
        self._abandon()

    def _abandon(self) -> None:
        # Left before its end: no on_stream_end will come, so tell the chain the way it hears
        # of every other unfinished call (the audit log records it as cancelled).
        if not self._ended and self._source is not None:
            self._ended = True
            self._core.failed(GeneratorExit(), self._ctx)

    def __enter__(self) -> ChatStream[ParsedT]:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def text(self) -> str:
        """Read the whole stream and return the answer text."""
        return "".join(chunk.text for chunk in self)


class AsyncChatStream(Generic[ParsedT]):
    """The async twin of :class:`ChatStream`."""

    def __init__(self, core: ClientCore, request: ChatRequest, ctx: CallContext) -> None:
        self._core = core
        self._request = request
        self._ctx = ctx
        self._assembler = StreamAssembler(request, ctx)
        self._source: AsyncChunkStream | None = None
        self._iterator: AsyncIterator[ChatChunk] | None = None
        self._ended = False

    @property
    def response(self) -> ChatResponse[ParsedT] | None:
        return self._assembler.response

    async def _open(self) -> AsyncChunkStream:
        if self._source is None:
            core = self._core
            core.check_open()
            async with core.recording(self._ctx):  # a refusal's record, with require_record
                sent = await core.aprepare(self._request, self._ctx)
                self._source = await core.arun(sent, self._ctx, _calls.astream)
        return self._source

    def __aiter__(self) -> AsyncIterator[ChatChunk]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    async def __anext__(self) -> ChatChunk:
        return await self.__aiter__().__anext__()

    async def _run(self) -> AsyncIterator[ChatChunk]:
        source = await self._open()
        chain, ctx, assembler = self._core.chain, self._ctx, self._assembler
        async with self._core.recording(ctx):  # outermost: the error record is queued inside
            try:
                async for raw in source:
                    for chunk in chain.chunk(raw, ctx):
                        assembler.add(chunk)
                        yield chunk
                for chunk in chain.stream_end(ctx):
                    assembler.add(chunk)
                    yield chunk
                assembler.finish()
                self._ended = True
            except GeneratorExit:
                self._abandon()
                raise
            except BaseException as exc:
                self._ended = True
                self._core.failed(exc, ctx)
                raise
            finally:
                await source.aclose()

    async def close(self) -> None:
        """Stop reading and release the connection (idempotent; ``async with`` calls it).
        The same verb as :meth:`AsyncClient.close` and :meth:`ChatStream.close`."""
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        if self._source is not None:
            await self._source.aclose()
        self._abandon()

    async def aclose(self) -> None:
        """The former name of :meth:`close`, kept (``contextlib.aclosing`` calls it)."""
        await self.close()

    def _abandon(self) -> None:
        if not self._ended and self._source is not None:
            self._ended = True
            self._core.failed(GeneratorExit(), self._ctx)

    async def __aenter__(self) -> AsyncChatStream[ParsedT]:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def text(self) -> str:
        return "".join([chunk.text async for chunk in self])
