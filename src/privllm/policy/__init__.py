"""Routing policy and the egress guard: where data may go, decided before a byte is sent
and checked again at the HTTP transport.

Names load on first use, so ``import privllm.policy`` pulls in neither httpx2 nor the
host tables until one is needed.

>>> from privllm.policy import EgressPolicy, geography
>>> geography("google", "europe-west4")
'eu'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from privllm._lazy import surface

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


__getattr__, __dir__ = surface(__name__, _WHERE, __all__)
