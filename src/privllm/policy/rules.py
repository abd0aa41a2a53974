"""Policy rules: where a request may go, decided before any byte is sent. Sans-IO.

Every rule checked yields a :class:`Decision`; the first refusal stops the call with
``PolicyViolation`` naming the rule and host.

>>> from privllm.config import PolicyConfig
>>> from privllm.types import Endpoint
>>> engine = PolicyEngine(PolicyConfig())
>>> chatgpt = Endpoint(provider="openai", base_url="https://chatgpt.com", host="chatgpt.com",
...                    kind="consumer")
>>> [d.rule for d in engine.check_endpoint(chatgpt) if not d.allowed]
['deny_consumer_endpoints']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from privllm.errors import PolicyViolation
from privllm.policy.regions import places
from privllm.types import Endpoint

if TYPE_CHECKING:
    from privllm.config import PolicyConfig

__all__ = ["Decision", "PolicyEngine"]


#: Endpoints whose policy answers a client remembers; more (never seen in practice) are
#: judged on every call.
_REMEMBERED = 64


def _key(endpoint: Endpoint) -> tuple[object, ...]:
    # Every field, so a field added to Endpoint later is part of the key too.
    return tuple(endpoint.__dict__.values())


@dataclass(frozen=True, slots=True)
class Decision:
    """One rule's outcome for one endpoint."""

    allowed: bool
    rule: str
    reason: str
    endpoint: Endpoint

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "rule": self.rule,
            "reason": self.reason,
            "host": self.endpoint.host,
            "provider": self.endpoint.provider,
            "kind": self.endpoint.kind,
        }


class PolicyEngine:
    """The ``[policy]`` section compiled once per client."""

    __slots__ = ("_allowed", "_checked", "_denied", "_kinds", "_regions", "_self_hosted", "policy")

    def __init__(self, policy: PolicyConfig) -> None:
        self.policy = policy
        self._allowed = {_norm(h) for h in policy.allowed_hosts}
        self._denied = {_norm(h) for h in policy.denied_hosts}
        self._self_hosted = {_norm(h) for h in policy.self_hosted_hosts}
        self._regions = {r.lower() for r in policy.allowed_regions}
        # Both answers depend only on the endpoint's fields and this (fixed) policy, and a
        # client sends to a handful of endpoints: remembered by value, not by object, so an
        # endpoint changed in place is judged afresh. 16 us a call before (issue 14).
        self._kinds: dict[tuple[object, ...], str] = {}
        self._checked: dict[tuple[object, ...], tuple[Decision, ...]] = {}

    def classify(self, endpoint: Endpoint) -> Endpoint:
        """The endpoint as policy sees it: host tables and declarations over the provider's
        own view (a provider cannot vouch for a host it was merely pointed at)."""
        key = _key(endpoint)
        kind = self._kinds.get(key)
        if kind is None:
            from privllm.policy.endpoints import host_kind

            kind = host_kind(endpoint.host, self._self_hosted)
            if len(self._kinds) < _REMEMBERED:
                self._kinds[key] = kind
        if kind == endpoint.kind:
            return endpoint
        return endpoint.model_copy(update={"kind": kind})

    def check_endpoint(self, endpoint: Endpoint) -> list[Decision]:
        """Every destination rule, in order, for ``endpoint`` (already classified)."""
        key = _key(endpoint)
        known = self._checked.get(key)
        if known is None:
            known = tuple(self._check_endpoint(endpoint))
            if len(self._checked) < _REMEMBERED:
                self._checked[key] = known
        return list(known)

    def _check_endpoint(self, endpoint: Endpoint) -> list[Decision]:
        p = self.policy
        host = _norm(endpoint.host)
        out: list[Decision] = []

        def rule(name: str, ok: bool, why: str) -> None:
            out.append(Decision(ok, name, why, endpoint))

        rule(
            "denied_hosts",
            host not in self._denied,
            f"{host} is in policy.denied_hosts" if host in self._denied else "host not denied",
        )
        if self._allowed:
            ok = host in self._allowed or endpoint.kind == "self_hosted"
            rule("allowed_hosts", ok, f"{host} {'is' if ok else 'is not'} in policy.allowed_hosts")
        if p.deny_consumer_endpoints:
            ok = endpoint.kind != "consumer"
            rule(
                "deny_consumer_endpoints",
                ok,
                f"{host} is a consumer product, which may keep and train on what it is given"
                if not ok
                else f"{host} is not a consumer endpoint",
            )
        if p.deny_unknown_endpoints:
            ok = endpoint.kind != "unknown" or host in self._allowed
            rule(
                "deny_unknown_endpoints",
                ok,
                f"{host} is not a known API host; declare it in policy.allowed_hosts or "
                "policy.self_hosted_hosts"
                if not ok
                else f"{host} is a known {endpoint.kind} host",
            )
        if p.allowed_providers:
            ok = endpoint.provider in p.allowed_providers
            rule(
                "allowed_providers",
                ok,
                f"provider {endpoint.provider} {'is' if ok else 'is not'} in "
                "policy.allowed_providers",
            )
        if self._regions and endpoint.kind != "self_hosted":
            where = places(endpoint)
            ok = bool(where & self._regions)
            shown = "/".join(sorted(where)) or "unknown region"
            rule(
                "allowed_regions",
                ok,
                f"{host} processes data in {shown}; policy.allowed_regions is "
                f"{sorted(self._regions)}",
            )
        if p.require_no_training:
            ok = not endpoint.trains_on_data
            rule(
                "require_no_training",
                ok,
                f"{host} may use submitted content to improve its products (free tier)"
                if not ok
                else "endpoint does not train on submitted data",
            )
        return out

    def refusal(self, decisions: Iterable[Decision]) -> Decision | None:
        for d in decisions:
            if not d.allowed:
                return d
        return None

    def check_store(self, requested: object, endpoint: Endpoint) -> Decision:
        """``require_no_store``: a call may not ask the provider to keep its content."""
        if not self.policy.require_no_store:
            return Decision(True, "require_no_store", "policy allows storing", endpoint)
        if requested is True:
            return Decision(
                False,
                "require_no_store",
                "the call sets store=true; policy.require_no_store forbids it",
                endpoint,
            )
        return Decision(True, "require_no_store", "store=false is sent", endpoint)

    def is_sensitive(self, findings: Mapping[str, int]) -> bool:
        types = self.policy.sensitive_types
        return bool(types) and any(findings.get(t) for t in types)

    def raise_for(self, decision: Decision) -> None:
        raise PolicyViolation(
            f"refused by policy rule {decision.rule}: {decision.reason}",
            rule=decision.rule,
            host=decision.endpoint.host,
        )


def _norm(host: str) -> str:
    return host.strip().lower().rstrip(".")
