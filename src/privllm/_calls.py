"""One provider call, with this call's timeout: the only step whose sync and async forms
differ. ``Client`` and ``AsyncClient`` hand these to :meth:`ClientCore.run` /
:meth:`ClientCore.arun`; everything around them is shared.

The timeout is passed only when the call set one (``timeout=``), so a provider object of
the user's own (``Client(backend=...)``) without that keyword keeps working until it is used.
"""

from __future__ import annotations

from .errors import InvalidRequestError
from .providers.base import AsyncChunkStream, ChunkStream, Provider
from .types import ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse

__all__ = [
    "USE_CLIENT_DEFAULT",
    "TimeoutLike",
    "UseClientDefault",
    "achat",
    "aembed",
    "astream",
    "call_timeout",
    "chat",
    "embed",
    "stream",
]


class UseClientDefault:
    """The type of :data:`USE_CLIENT_DEFAULT`: "not given for this call, use the client's
    setting" (httpx's sentinel), distinct from any value a caller could mean."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"

    def __reduce__(self) -> str:
        return "USE_CLIENT_DEFAULT"


#: ``timeout=USE_CLIENT_DEFAULT`` (the default of every call): the client's
#: ``provider.timeout`` applies.
USE_CLIENT_DEFAULT = UseClientDefault()
#: Seconds for one call, or :data:`USE_CLIENT_DEFAULT`.
TimeoutLike = float | UseClientDefault


def call_timeout(timeout: TimeoutLike) -> float | None:
    """Seconds for this call, or None for the provider's configured ``provider.timeout``.

    >>> call_timeout(USE_CLIENT_DEFAULT) is None, call_timeout(2)
    (True, 2.0)
    """
    if isinstance(timeout, UseClientDefault):
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidRequestError(
            "invalid call: timeout: must be a positive number of seconds (or "
            "USE_CLIENT_DEFAULT for the client's provider.timeout)",
            fields=("timeout",),
        )
    return float(timeout)


def chat(provider: Provider, request: ChatRequest, timeout: float | None) -> ChatResponse:
    if timeout is None:
        return provider.chat(request)
    return provider.chat(request, timeout=timeout)


async def achat(provider: Provider, request: ChatRequest, timeout: float | None) -> ChatResponse:
    if timeout is None:
        return await provider.achat(request)
    return await provider.achat(request, timeout=timeout)


def stream(provider: Provider, request: ChatRequest, timeout: float | None) -> ChunkStream:
    if timeout is None:
        return provider.stream(request)
    return provider.stream(request, timeout=timeout)


async def astream(
    provider: Provider, request: ChatRequest, timeout: float | None
) -> AsyncChunkStream:
    if timeout is None:
        return await provider.astream(request)
    return await provider.astream(request, timeout=timeout)


def embed(
    provider: Provider, request: EmbeddingRequest, timeout: float | None
) -> EmbeddingResponse:
    if timeout is None:
        return provider.embed(request)
    return provider.embed(request, timeout=timeout)


async def aembed(
    provider: Provider, request: EmbeddingRequest, timeout: float | None
) -> EmbeddingResponse:
    if timeout is None:
        return await provider.aembed(request)
    return await provider.aembed(request, timeout=timeout)
