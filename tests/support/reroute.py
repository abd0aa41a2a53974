"""A transport that sends requests for real provider host names to local servers.

Lets tests use api.openai.com, chatgpt.com and friends offline: if privllm let a request
through, the local server records it, with its original Host header. Requests to hosts not
in the map (e.g. 127.0.0.1) go where they were going.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2


def _rewrite(request: httpx2.Request, ports: Mapping[str, int]) -> None:
    port = ports.get(request.url.host) or ports.get("*")
    if port is not None:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)


class _Reroute(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport, ports: Mapping[str, int]) -> None:
        self.inner, self.ports = inner, ports

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _rewrite(request, self.ports)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class _AsyncReroute(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport, ports: Mapping[str, int]) -> None:
        self.inner, self.ports = inner, ports

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        _rewrite(request, self.ports)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def reroute(ports: Mapping[str, int]) -> Any:
    """A ``transport_wrapper``: requests for ``host`` land on 127.0.0.1:ports[host]
    (``"*"`` catches every other host)."""

    def wrap(inner: Any) -> Any:
        if isinstance(inner, httpx2.AsyncBaseTransport):
            return _AsyncReroute(inner, ports)
        return _Reroute(inner, ports)

    return wrap
