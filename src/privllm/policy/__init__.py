"""Routing policy and the egress guard: where data may go, decided before a byte is sent
and checked again at the HTTP transport.

Names load on first use, so ``import privllm.policy`` pulls in neither httpx2 nor the
host tables until one is needed.

>>> from privllm.policy import EgressPolicy, geography
>>> geography("google", "europe-west4")
'eu'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privllm.policy.egress.guard import DEFAULT_BLOCK_TYPES, RULES, EgressPolicy, Origin
    from privllm.policy.egress.transport import (
        AsyncGuardedTransport,
        GuardedTransport,
        guard_wrapper,
    )
    from privllm.policy.endpoints import classify, is_private_host
    from privllm.policy.regions import geography, places
    from privllm.policy.rules import Decision, PolicyEngine

__all__ = [  # noqa: RUF022 - plain sorted(), as tests/test_package.py checks every package
    "AsyncGuardedTransport",
    "DEFAULT_BLOCK_TYPES",
    "Decision",
    "EgressPolicy",
    "GuardedTransport",
    "Origin",
    "PolicyEngine",
    "RULES",
    "classify",
    "geography",
    "guard_wrapper",
    "is_private_host",
    "places",
]

_WHERE = {
    "DEFAULT_BLOCK_TYPES": "egress.guard",
    "RULES": "egress.guard",
    "EgressPolicy": "egress.guard",
    "Origin": "egress.guard",
    "classify": "endpoints",
    "is_private_host": "endpoints",
    "geography": "regions",
    "places": "regions",
    "Decision": "rules",
    "PolicyEngine": "rules",
    "AsyncGuardedTransport": "egress.transport",
    "GuardedTransport": "egress.transport",
    "guard_wrapper": "egress.transport",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'privllm.policy' has no attribute {name!r}")
    return getattr(importlib.import_module(f"privllm.policy.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
