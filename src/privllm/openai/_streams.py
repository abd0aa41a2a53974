"""``Stream`` and ``AsyncStream``: privllm's chat streams as the SDK's chunk iterators.

Like ``openai.Stream``: iterate for ``ChatCompletionChunk`` (``async for`` on the async one),
``with`` / ``async with`` closes the HTTP stream, ``close()`` releases it early.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from types import TracebackType
from typing import Any, Generic

from openai.types.chat import ChatCompletionChunk
from typing_extensions import TypeVar

from privllm.errors import PrivllmError
from privllm.streaming import AsyncChatStream, ChatStream
from privllm.types import ChatChunk

from ._errors import to_openai_error

__all__ = ["AsyncStream", "Stream"]

#: What a stream yields: ``ChatCompletionChunk`` (chat) or ``ResponseStreamEvent``.
_E = TypeVar("_E", default=ChatCompletionChunk)


class Stream(Generic[_E]):
    """The chunks of a streamed chat completion (or the events of a streamed Responses
    call), restored by privllm as they arrive."""

    def __init__(
        self, source: ChatStream[Any], make: Callable[[ChatChunk], Iterable[_E]], url: str
    ) -> None:
        self._source = source
        self._make = make
        self._url = url
        self._iterator = self._chunks()

    def _chunks(self) -> Generator[_E, None, None]:
        make = self._make
        error: PrivllmError | None = None
        try:
            for chunk in self._source:
                yield from make(chunk)
        except PrivllmError as exc:
            error = to_openai_error(exc, self._url)
        if error is not None:
            raise error

    def __iter__(self) -> Iterator[_E]:
        return self._iterator

    def __next__(self) -> _E:
        return next(self._iterator)

    def close(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        self._iterator.close()
        self._source.close()

    @property
    def response(self) -> _Closer:
        """What the SDK's stream helpers close (``.close()``); privllm keeps no httpx
        response for a stream."""
        return _Closer(self.close)

    def __enter__(self) -> Stream[_E]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(Generic[_E]):
    """The async twin of :class:`Stream`."""

    def __init__(
        self, source: AsyncChatStream[Any], make: Callable[[ChatChunk], Iterable[_E]], url: str
    ) -> None:
        self._source = source
        self._make = make
        self._url = url
        self._iterator = self._chunks()

    async def _chunks(self) -> AsyncGenerator[_E, None]:
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

    def __aiter__(self) -> AsyncIterator[_E]:
        return self._iterator

    async def __anext__(self) -> _E:
        return await self._iterator.__anext__()

    async def close(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        await self._iterator.aclose()
        await self._source.close()

    @property
    def response(self) -> _AsyncCloser:
        """As :attr:`Stream.response` (``await .aclose()``)."""
        return _AsyncCloser(self.close)

    async def __aenter__(self) -> AsyncStream[_E]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class _Closer:
    __slots__ = ("close",)

    def __init__(self, close: Callable[[], None]) -> None:
        self.close = close


class _AsyncCloser:
    __slots__ = ("aclose",)

    def __init__(self, aclose: Callable[[], Awaitable[None]]) -> None:
        self.aclose = aclose
