"""The provider seam: one class per backend, registered by name and imported only when a
client chooses it (``PROVIDERS``); each is handed privllm's guarded httpx2 clients.

>>> from privllm.providers import PROVIDERS
>>> sorted(PROVIDERS)
['azure', 'google', 'openai']
"""

from __future__ import annotations

from privllm.providers.base import (
    PROVIDERS,
    AsyncChunkStream,
    ChunkStream,
    ConnectionLimits,
    Provider,
    TransportWrapper,
    build_provider,
)

__all__ = [  # noqa: RUF022 - plain sorted(), as tests/test_package.py checks every package
    "AsyncChunkStream",
    "ChunkStream",
    "ConnectionLimits",
    "PROVIDERS",
    "Provider",
    "TransportWrapper",
    "build_provider",
]
