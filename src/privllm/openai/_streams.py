"""``Stream`` and ``AsyncStream``: privllm's chat streams as the SDK's chunk iterators.

Like ``openai.Stream``: iterate for ``ChatCompletionChunk`` (``async for`` on the async one),
``with`` / ``async with`` closes the HTTP stream, ``close()`` releases it early.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import Any

from openai.types.chat import ChatCompletionChunk

from privllm.errors import PrivllmError
from privllm.streaming import AsyncChatStream, ChatStream

from ._convert import ChunkMaker
from ._errors import to_openai_error

__all__ = ["AsyncStream", "Stream"]


class Stream:
    """The chunks of a streamed chat completion, restored by privllm as they arrive."""

    def __init__(self, source: ChatStream[Any], make: ChunkMaker, url: str) -> None:
        self._source = source
        self._make = make
        self._url = url
        self._iterator = self._chunks()

    def _chunks(self) -> Generator[ChatCompletionChunk, None, None]:
        make = self._make
        error: PrivllmError | None = None
        try:
            for chunk in self._source:
                yield from make(chunk)
        except PrivllmError as exc:
            error = to_openai_error(exc, self._url)
        if error is not None:
            raise error

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self._iterator

    def __next__(self) -> ChatCompletionChunk:
        return next(self._iterator)

    def close(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        self._iterator.close()
        self._source.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream:
    """The async twin of :class:`Stream`."""

    def __init__(self, source: AsyncChatStream[Any], make: ChunkMaker, url: str) -> None:
        self._source = source
        self._make = make
        self._url = url
        self._iterator = self._chunks()

    async def _chunks(self) -> AsyncGenerator[ChatCompletionChunk, None]:
        make = self._make
        error: PrivllmError | None = None
        try:
            async for chunk in self._source:
                for out in make(chunk):
                    yield out
        except PrivllmError as exc:
            error = to_openai_error(exc, self._url)
        if error is not None:
            raise error

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._iterator

    async def __anext__(self) -> ChatCompletionChunk:
        return await self._iterator.__anext__()

    async def close(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        await self._iterator.aclose()
        await self._source.close()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
