"""The egress guard's httpx2 transports (sync, async, dual) and ``guard_wrapper``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx2

from privllm.errors import EgressBlocked
from privllm.policy.egress.rules import blocked

if TYPE_CHECKING:
    from privllm.policy.egress.guard import EgressPolicy
    from privllm.providers.base import TransportWrapper

__all__ = ["AsyncGuardedTransport", "GuardedTransport", "guard_wrapper"]


class _BoundedStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A streamed request body read at most to ``limit`` bytes: a generator or file of any
    size is refused (``egress.body_size``) instead of being buffered whole for the scan."""

    def __init__(self, inner: Any, limit: int, host: str) -> None:
        self.inner = inner
        self.limit = limit
        self.host = host
        self.total = 0

    def _count(self, chunk: bytes) -> bytes:
        self.total += len(chunk)
        if self.total > self.limit:
            raise blocked(
                "egress.body_size", self.host, f"the streamed body is over {self.limit} bytes"
            )
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            yield self._count(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield self._count(chunk)


def _bound(request: httpx2.Request, policy: EgressPolicy, host: str) -> None:
    # A body already in memory is measured by the body rules; only streams need the bound
    # while they are read. ``read()`` then replaces the stream with the bytes it read.
    if not isinstance(request.stream, httpx2.ByteStream):
        request.stream = _BoundedStream(request.stream, policy.max_body_bytes, host)


class GuardedTransport(httpx2.BaseTransport):
    """Checks each request with ``policy`` before ``inner`` sends it, and each redirect
    response after. Closing it closes ``inner``.

    >>> from privllm.policy.egress.guard import EgressPolicy
    >>> inner = httpx2.MockTransport(lambda request: httpx2.Response(200))
    >>> guarded = GuardedTransport(inner, EgressPolicy.allow("https://api.openai.com"))
    >>> with httpx2.Client(transport=guarded) as http:
    ...     http.get("https://api.openai.com/v1/models").status_code
    200
    """

    def __init__(self, inner: httpx2.BaseTransport, policy: EgressPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        policy = self.policy
        # Destination first: a refused host never pulls a streaming body.
        target = policy.check_destination(request)
        _bound(request, policy, target.origin.host)
        request.read()
        policy.check_content(request, target)
        url, method = request.url, request.method
        response = self.inner.handle_request(request)
        try:
            policy.check_response(url, method, response)
        except EgressBlocked:
            response.close()
            raise
        return response

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"GuardedTransport({self.policy!r})"


class AsyncGuardedTransport(httpx2.AsyncBaseTransport):
    """The async twin of :class:`GuardedTransport`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, policy: EgressPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        policy = self.policy
        target = policy.check_destination(request)
        _bound(request, policy, target.origin.host)
        await request.aread()
        policy.check_content(request, target)
        url, method = request.url, request.method
        response = await self.inner.handle_async_request(request)
        try:
            policy.check_response(url, method, response)
        except EgressBlocked:
            await response.aclose()
            raise
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"AsyncGuardedTransport({self.policy!r})"


class _DualGuardedTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Guards an inner transport that serves both sync and async clients (MockTransport)."""

    def __init__(self, inner: Any, policy: EgressPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self._sync = GuardedTransport(inner, policy)
        self._async = AsyncGuardedTransport(inner, policy)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def guard_wrapper(policy: EgressPolicy, then: TransportWrapper | None = None) -> TransportWrapper:
    """A ``transport_wrapper`` for ``Client``: applies ``then`` (if any) to the real
    transport, then puts the guard outside it, sync or async by the transport's type.

    >>> from privllm import Client
    >>> from privllm.policy.egress.guard import EgressPolicy
    >>> from privllm.testing import OpenAIServer
    >>> with OpenAIServer() as server:
    ...     guard = guard_wrapper(EgressPolicy.allow(server.url))
    ...     with Client(env={}, provider=server.provider_config(), transport_wrapper=guard) as c:
    ...         c.chat("hi").text
    'hi'
    """

    def wrap(inner: Any) -> Any:
        if then is not None:
            inner = then(inner)
        is_sync = isinstance(inner, httpx2.BaseTransport)
        is_async = isinstance(inner, httpx2.AsyncBaseTransport)
        if is_sync and is_async:  # e.g. MockTransport serves both kinds of client
            return _DualGuardedTransport(inner, policy)
        if is_async:
            return AsyncGuardedTransport(inner, policy)
        if is_sync:
            return GuardedTransport(inner, policy)
        raise TypeError(f"not an httpx2 transport: {type(inner).__name__}")

    return wrap
