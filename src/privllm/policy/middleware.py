"""The policy middleware: refuse or route a call before any byte is sent.

It runs after redaction (so it knows what was found) and before audit (so the audit record
carries its decisions). Every rule checked is appended to ``ctx.decisions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from privllm.errors import PolicyViolation
from privllm.pipeline import CallContext, Middleware
from privllm.policy.rules import Decision, PolicyEngine
from privllm.redaction.state import FINDINGS
from privllm.types import ChatRequest, EmbeddingRequest, Endpoint

if TYPE_CHECKING:
    from privllm.config import PolicyConfig

__all__ = ["ROUTE", "PolicyMiddleware", "call_decision"]

#: ``ctx.state`` key: the provider profile this call was routed to (absent: the default).
ROUTE = "policy.route"
_STORE_PROVIDERS = frozenset({"openai", "azure"})


class PolicyMiddleware(Middleware):
    """Checks the destination, ``store``, and routes sensitive requests.

    ``profiles`` maps profile names (``[providers.NAME]``) to their endpoints, known
    without IO when the client is built.
    """

    def __init__(
        self, policy: PolicyConfig, profiles: Mapping[str, Endpoint] | None = None
    ) -> None:
        self.engine = PolicyEngine(policy)
        self.profiles = {name: self.engine.classify(ep) for name, ep in (profiles or {}).items()}

    def __repr__(self) -> str:
        return f"PolicyMiddleware(profiles={sorted(self.profiles)})"

    # -- shared --------------------------------------------------------------------------------

    def choose(self, ctx: CallContext) -> Endpoint:
        """Classify the destination, route if sensitive, check every rule; raise on refusal."""
        engine = self.engine
        endpoint = engine.classify(ctx.endpoint)
        findings = ctx.state.get(FINDINGS) or {}
        if engine.is_sensitive(findings):
            endpoint = self._route(endpoint, findings, ctx)
        ctx.endpoint = endpoint
        self.check(endpoint, ctx)
        return endpoint

    def check(self, endpoint: Endpoint, ctx: CallContext) -> None:
        decisions = self.engine.check_endpoint(endpoint)
        ctx.decisions.extend(decisions)
        refused = self.engine.refusal(decisions)
        if refused is not None:
            self.engine.raise_for(refused)

    def allows(self, endpoint: Endpoint, ctx: CallContext) -> bool:
        """Whether a fallback ``endpoint`` satisfies the same policy for this call's data."""
        endpoint = self.engine.classify(endpoint)
        decisions = self.engine.check_endpoint(endpoint)
        routed = ctx.state.get(ROUTE)
        if routed is not None:
            # Routed for sensitivity: a fallback may not be a weaker kind of place, nor, for
            # an enterprise route, one in another data zone or region than the route's.
            target = self.engine.classify(self.profiles[routed])
            why = None
            if endpoint.kind != "self_hosted" and endpoint.kind != target.kind:
                why = f"{endpoint.host} is {endpoint.kind}"
            elif endpoint.kind != "self_hosted" and _elsewhere(endpoint, target):
                where = target.data_zone or target.region
                why = f"{endpoint.host} is outside {where}"
            if why is not None:
                decisions.append(
                    Decision(
                        False,
                        "route_sensitive_to",
                        f"sensitive data was routed to a {target.kind} endpoint; {why}",
                        endpoint,
                    )
                )
        ok = self.engine.refusal(decisions) is None
        ctx.decisions.append(
            Decision(ok, "fallback", "fallback allowed" if ok else "fallback refused", endpoint)
        )
        return ok

    def _route(self, endpoint: Endpoint, findings: Mapping[str, int], ctx: CallContext) -> Endpoint:
        target = self.engine.policy.route_sensitive_to
        kinds = sorted(t for t in self.engine.policy.sensitive_types if findings.get(t))
        if target is None:
            return endpoint
        if target == "refuse":
            decision = Decision(
                False, "route_sensitive_to", f"the request holds {', '.join(kinds)}", endpoint
            )
            ctx.decisions.append(decision)
            self.engine.raise_for(decision)
        routed = self.profiles.get(target)
        if routed is None:  # pragma: no cover - the client validates profile names up front
            raise PolicyViolation(f"no provider profile {target!r}", rule="route_sensitive_to")
        if routed.kind not in ("self_hosted", "enterprise_api"):
            decision = Decision(
                False,
                "route_sensitive_to",
                f"profile {target} ({routed.host}) is {routed.kind}, not self-hosted or enterprise",
                routed,
            )
            ctx.decisions.append(decision)
            self.engine.raise_for(decision)
        ctx.state[ROUTE] = target
        ctx.decisions.append(
            Decision(
                True,
                "route_sensitive_to",
                f"the request holds {', '.join(kinds)}: routed to profile {target}",
                routed,
            )
        )
        return routed

    def shape(self, request: ChatRequest, endpoint: Endpoint, ctx: CallContext) -> ChatRequest:
        """Apply ``require_no_store`` for ``endpoint``: refuse store=true, send store=false."""
        asked = request.store if request.store is not None else request.extra.get("store")
        decision = self.engine.check_store(asked, endpoint)
        ctx.decisions.append(decision)
        if not decision.allowed:
            self.engine.raise_for(decision)
        if not self.engine.policy.require_no_store:
            return request
        # The Responses API stores by default, wherever it is served: always say no there.
        wants_flag = request.api == "responses" or (
            endpoint.provider in _STORE_PROVIDERS and endpoint.kind == "enterprise_api"
        )
        extra = request.extra
        if "store" in extra:
            extra = {k: v for k, v in extra.items() if k != "store"}
        store = False if wants_flag else None
        if request.store is store and extra is request.extra:
            return request
        return request.model_copy(update={"store": store, "extra": extra})

    # -- hooks ---------------------------------------------------------------------------------

    def on_request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        endpoint = self.choose(ctx)
        return self.shape(request, endpoint, ctx)

    def on_embedding_request(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        self.choose(ctx)
        return request


def _elsewhere(endpoint: Endpoint, target: Endpoint) -> bool:
    """Whether ``endpoint`` is (or may be) outside the data zone, else the region, of
    ``target``; nothing to compare when the target's location is unknown."""
    if target.data_zone:
        return endpoint.data_zone != target.data_zone
    if target.region:
        return endpoint.region != target.region
    return False


def call_decision(ctx: CallContext, error: BaseException | None) -> tuple[str, str | None]:
    """What policy did with this call, for the audit log and telemetry: ``deny``, ``route``
    or ``allow``, and the rule that decided (``None`` for a plain allow).

    >>> from privllm.types import Endpoint
    >>> ep = Endpoint(provider="openai", base_url="https://x/", host="x", kind="enterprise_api")
    >>> call_decision(CallContext(endpoint=ep), PolicyViolation("no", rule="redaction.block"))
    ('deny', 'redaction.block')
    """
    if isinstance(error, PolicyViolation):
        return "deny", error.rule
    for d in reversed(ctx.decisions):
        if getattr(d, "allowed", False) and getattr(d, "rule", None) in (
            "route_sensitive_to",
            "fallback",
        ):
            return "route", d.rule
    return "allow", None
