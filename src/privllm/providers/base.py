"""The provider seam: the only place privllm does network IO.

A provider maps neutral types to one backend's SDK. It has sync and async twins of each call
and nothing else; policy, redaction and audit never see a provider SDK. Providers are
registered by name and imported only when chosen, so ``import privllm`` loads no SDK.
"""

from __future__ import annotations

import email.utils
import importlib
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from privllm.errors import ConfigError
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Endpoint,
)

if TYPE_CHECKING:
    import httpx2

    from privllm.config import ProviderConfig

__all__ = [
    "PROVIDERS",
    "AsyncChunkStream",
    "ChunkStream",
    "ConnectionLimits",
    "Endpoint",
    "Provider",
    "TransportWrapper",
    "build_provider",
    "connection_limits",
    "make_async_http_client",
    "make_http_client",
    "parse_retry_after",
]

#: name -> "module:Class"; modules are imported only when that provider is built.
PROVIDERS: dict[str, str] = {
    "openai": "privllm.providers.openai:OpenAIProvider",
    "azure": "privllm.providers.azure:AzureProvider",
    "google": "privllm.providers.google:GoogleProvider",
}

#: Wraps the real httpx2 transport (the egress guard is one). Sync and async variants.
TransportWrapper = Callable[[Any], Any]


class ChunkStream(Protocol):
    """A provider's stream of neutral chunks; ``close()`` closes the HTTP response."""

    def __iter__(self) -> Iterator[ChatChunk]: ...

    def close(self) -> None: ...


class AsyncChunkStream(Protocol):
    def __aiter__(self) -> AsyncIterator[ChatChunk]: ...

    async def aclose(self) -> None: ...


class Provider(Protocol):
    """What every backend implements. ``endpoint`` is known without any IO.

    ``timeout`` (seconds) is the call's own (``client.chat(..., timeout=5)``) and replaces
    the configured ``provider.timeout`` for that call only; it is passed only when set.
    """

    name: str
    endpoint: Endpoint

    def chat(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse: ...

    def stream(self, request: ChatRequest, *, timeout: float | None = None) -> ChunkStream: ...

    def embed(
        self, request: EmbeddingRequest, *, timeout: float | None = None
    ) -> EmbeddingResponse: ...

    async def achat(
        self, request: ChatRequest, *, timeout: float | None = None
    ) -> ChatResponse: ...

    async def astream(
        self, request: ChatRequest, *, timeout: float | None = None
    ) -> AsyncChunkStream: ...

    async def aembed(
        self, request: EmbeddingRequest, *, timeout: float | None = None
    ) -> EmbeddingResponse: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


def build_provider(
    config: ProviderConfig,
    *,
    env: Mapping[str, str],
    transport_wrapper: TransportWrapper | None = None,
    **options: Any,
) -> Provider:
    """Import the provider named in config and build it (no network IO happens here)."""
    target = PROVIDERS.get(config.name)
    if target is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(
            f"provider.name: unknown provider {config.name!r} (known: {known})",
            field="provider.name",
        )
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    provider: Provider = cls(config, env=env, transport_wrapper=transport_wrapper, **options)
    return provider


def _client_options(
    timeout: float, transport: Any, transport_wrapper: TransportWrapper | None
) -> dict[str, Any]:
    import httpx2

    return {
        "transport": transport_wrapper(transport) if transport_wrapper else transport,
        "trust_env": False,  # no proxies, netrc or SSL_CERT_FILE from the environment
        "follow_redirects": False,  # every hop is the guard's to check, never automatic
        "timeout": httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
    }


class ConnectionLimits(NamedTuple):
    """Connection pool size of privllm's HTTP clients (``provider.max_connections`` and
    ``provider.max_keepalive_connections``). The defaults are the openai SDK's own: httpx2's
    (10 kept alive) make a burst of concurrent calls open and close hundreds of connections.
    """

    max_connections: int = 1000
    max_keepalive_connections: int = 100


def connection_limits(section: Any) -> ConnectionLimits:
    """The limits a ``ProviderConfig`` sets."""
    return ConnectionLimits(section.max_connections, section.max_keepalive_connections)


def make_http_client(
    timeout: float,
    transport_wrapper: TransportWrapper | None = None,
    *,
    limits: ConnectionLimits = ConnectionLimits(),  # noqa: B008 - an immutable tuple
) -> httpx2.Client:
    """The httpx2 client handed to every SDK: no env proxies or netrc, no redirects."""
    import httpx2

    transport = httpx2.HTTPTransport(trust_env=False, limits=httpx2.Limits(**limits._asdict()))
    return httpx2.Client(**_client_options(timeout, transport, transport_wrapper))


def make_async_http_client(
    timeout: float,
    transport_wrapper: TransportWrapper | None = None,
    *,
    limits: ConnectionLimits = ConnectionLimits(),  # noqa: B008 - an immutable tuple
) -> httpx2.AsyncClient:
    """The async twin of :func:`make_http_client`."""
    import httpx2

    transport = httpx2.AsyncHTTPTransport(trust_env=False, limits=httpx2.Limits(**limits._asdict()))
    return httpx2.AsyncClient(**_client_options(timeout, transport, transport_wrapper))


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
