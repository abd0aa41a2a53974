"""Google chat streams, and the transports that let closing a stream close its response."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx2

from privllm.errors import PrivllmError
from privllm.providers.cause import detach
from privllm.types import ChatChunk

from .mapping import ChunkMapper

if TYPE_CHECKING:
    from .provider import GoogleProvider

__all__ = ["AsyncStream", "SyncStream", "TrackingAsyncTransport", "TrackingTransport"]

# Responses opened while a stream is being read, so closing the stream can close them: the
# SDK's own generators do not release the connection when left early.
_OPENED: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "privllm_google_opened", default=None
)


_END = object()  # the stream ended before its first chunk


class SyncStream:
    """Neutral chunks from a google-genai stream; ``close()`` releases the connection."""

    __slots__ = ("_first", "_mapper", "_opened", "_provider", "_sdk_stream")

    def __init__(self, provider: GoogleProvider, sdk_stream: Iterator[Any]) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._mapper = ChunkMapper(provider.name)
        self._opened: list[Any] = []
        self._first: Any = None

    def _next(self) -> Any:
        token = _OPENED.set(self._opened)
        try:
            return next(self._sdk_stream)
        finally:
            _OPENED.reset(token)

    def open(self) -> SyncStream:
        """Send the request now and read the first chunk. google-genai sends it only at the
        first read, and an error there (429, 5xx) must reach the caller while fallbacks can
        still be tried, as it does for every other provider."""
        error: PrivllmError | None = None
        try:
            self._first = self._next()
        except StopIteration:
            self._first = _END
        except BaseException as exc:
            self.close()
            if isinstance(exc, PrivllmError) or not isinstance(exc, Exception):
                raise
            error = detach(self._provider.map_error(exc), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        return self

    def __iter__(self) -> Iterator[ChatChunk]:
        first, self._first = self._first, None
        error: PrivllmError | None = None
        try:
            if first is not None and first is not _END:
                yield from self._mapper.feed(first)
            while first is not _END:
                try:
                    raw = self._next()
                except StopIteration:
                    break
                yield from self._mapper.feed(raw)
        except PrivllmError:
            raise
        except Exception as exc:
            error = detach(self._provider.map_error(exc, streaming=True), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        yield from self._mapper.end()

    def close(self) -> None:
        # Close the HTTP response first: it is what the server sees, and it stops the SDK's
        # generators from reading on while they unwind.
        for response in self._opened:
            response.close()
        self._opened.clear()
        close = getattr(self._sdk_stream, "close", None)
        if close is not None:
            close()


class AsyncStream:
    """The async twin of :class:`SyncStream`."""

    __slots__ = ("_first", "_mapper", "_opened", "_provider", "_sdk_stream")

    def __init__(self, provider: GoogleProvider, sdk_stream: AsyncIterator[Any]) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._mapper = ChunkMapper(provider.name)
        self._opened: list[Any] = []
        self._first: Any = None

    async def _next(self) -> Any:
        token = _OPENED.set(self._opened)
        try:
            return await self._sdk_stream.__anext__()
        finally:
            _OPENED.reset(token)

    async def open(self) -> AsyncStream:
        """The async twin of :meth:`SyncStream.open`."""
        error: PrivllmError | None = None
        try:
            self._first = await self._next()
        except StopAsyncIteration:
            self._first = _END
        except BaseException as exc:
            await self.aclose()
            if isinstance(exc, PrivllmError) or not isinstance(exc, Exception):
                raise
            error = detach(self._provider.map_error(exc), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        return self

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        first, self._first = self._first, None
        error: PrivllmError | None = None
        try:
            if first is not None and first is not _END:
                for chunk in self._mapper.feed(first):
                    yield chunk
            while first is not _END:
                try:
                    raw = await self._next()
                except StopAsyncIteration:
                    break
                for chunk in self._mapper.feed(raw):
                    yield chunk
        except PrivllmError:
            raise
        except Exception as exc:
            error = detach(self._provider.map_error(exc, streaming=True), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        for chunk in self._mapper.end():
            yield chunk

    async def aclose(self) -> None:
        # Response first, then the SDK generator: the other order leaves the SDK's inner
        # generators to be finalized mid-read ("aclose(): asynchronous generator is already
        # running") and the connection open.
        for response in self._opened:
            await response.aclose()
        self._opened.clear()
        aclose = getattr(self._sdk_stream, "aclose", None)
        if aclose is not None:
            await aclose()


class TrackingTransport(httpx2.BaseTransport):
    """Records responses opened while a stream reads (see ``_OPENED``)."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self._inner.handle_request(request)
        opened = _OPENED.get()
        if opened is not None:
            opened.append(response)
        return response

    def close(self) -> None:
        self._inner.close()


class TrackingAsyncTransport(httpx2.AsyncBaseTransport):
    """The async twin of :class:`TrackingTransport`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        opened = _OPENED.get()
        if opened is not None:
            opened.append(response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
