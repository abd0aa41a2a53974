"""Dry runs: what a call would do (``privllm plan``) and what a config gets wrong
(``privllm policy check``). Nothing here sends a byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from privllm.config import Config
from privllm.errors import PolicyViolation, PrivllmError
from privllm.pipeline import CallContext, Chain
from privllm.policy.middleware import ROUTE, PolicyMiddleware
from privllm.policy.rules import Decision, PolicyEngine
from privllm.providers.base import Provider, build_provider
from privllm.redaction.scanner import BUILTIN_TYPES, NAME_TYPES
from privllm.types import ChatRequest, Endpoint, Message

__all__ = ["Issue", "Plan", "check_credentials", "check_policy", "plan_call"]


@dataclass
class Plan:
    """What ``client.chat(prompt)`` would do, without doing it."""

    endpoint: Endpoint
    findings: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    refused: str | None = None
    payload: dict[str, Any] | None = None
    route: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refused is None


def plan_call(config: Config, prompt: str, *, env: dict[str, str] | None = None) -> Plan:
    """Run redaction and policy on ``prompt`` as a chat would, and build the payload."""
    from privllm.redaction.middleware import RedactionMiddleware
    from privllm.redaction.redactor import Redactor

    environ = env or {}
    provider = build_provider(config.provider, env=environ)
    profiles = {name: build_provider(p, env=environ) for name, p in config.providers.items()}
    middleware: list[Any] = []
    redactor = Redactor.from_config(config.redaction) if config.redaction.enabled else None
    if redactor is not None:
        middleware.append(RedactionMiddleware(redactor, embeddings=config.redaction.embeddings))
    middleware.append(PolicyMiddleware(config.policy, {n: p.endpoint for n, p in profiles.items()}))
    chain = Chain(middleware)
    ctx = CallContext(endpoint=provider.endpoint)
    request = ChatRequest(messages=[Message.user(prompt)], model=config.provider.model or "(unset)")
    plan = Plan(endpoint=provider.endpoint)
    if redactor is not None:
        for f in redactor.find(prompt):
            plan.findings.append(
                {"type": f.type, "start": f.start, "end": f.end, "action": redactor.action(f.type)}
            )
    try:
        sent = chain.request(request, ctx)
    except PolicyViolation as exc:
        plan.refused = str(exc)
        sent = None
    except PrivllmError as exc:
        plan.refused = str(exc)
        sent = None
    plan.decisions = [d for d in ctx.decisions if isinstance(d, Decision)]
    plan.endpoint = ctx.endpoint
    plan.route = ctx.state.get(ROUTE)
    if sent is not None:
        target: Provider = provider
        if plan.route:
            target = profiles[plan.route]
            model = config.providers[plan.route].model
            sent = sent.model_copy(update={"model": model}) if model else sent
        plan.payload = _payload(target, sent)
    return plan


def _payload(provider: Provider, request: ChatRequest) -> dict[str, Any]:
    params = getattr(provider, "chat_params", None)
    if callable(params):
        data: dict[str, Any] = json.loads(json.dumps(params(request), default=str))
        return data
    return request.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class Issue:
    level: str  # "error" | "warning"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.field}: {self.message}"


def check_credentials(config: Config, *, env: dict[str, str] | None = None) -> list[Issue]:
    """Warnings for what calls would need and the config lacks: an API-key variable that is
    not set, a Vertex project. Only read from ``env``; nothing is sent."""
    environ = env or {}
    issues: list[Issue] = []
    sections = [("provider", config.provider)]
    sections += [(f"providers.{name}", p) for name, p in config.providers.items()]
    for where, section in sections:
        name = section.name
        if name == "google" and section.google.mode == "vertex":
            if not section.google.project:
                issues.append(
                    Issue("warning", f"{where}.google.project", "not set: Vertex AI needs one")
                )
            continue
        settings: Any = getattr(section, name, None)
        if settings is None or (name == "azure" and section.azure.auth != "api_key"):
            continue
        if settings.api_key is not None or not settings.api_key_env:
            continue
        if not environ.get(settings.api_key_env):
            issues.append(
                Issue(
                    "warning",
                    f"{where}.{name}.api_key_env",
                    f"{settings.api_key_env} is not set: calls would fail without a key",
                )
            )
    return issues


def check_policy(config: Config, *, env: dict[str, str] | None = None) -> list[Issue]:
    """Lint the policy against the providers it will meet. Errors make calls fail."""
    environ = env or {}
    policy = config.policy
    engine = PolicyEngine(policy)
    issues: list[Issue] = []
    known_types = BUILTIN_TYPES | NAME_TYPES | set(config.redaction.terms)

    def add(level: str, where: str, message: str) -> None:
        issues.append(Issue(level, where, message))

    targets: list[tuple[str, Endpoint]] = []
    try:
        targets.append(("provider", build_provider(config.provider, env=environ).endpoint))
        for name, section in config.providers.items():
            targets.append((f"providers.{name}", build_provider(section, env=environ).endpoint))
    except PrivllmError as exc:
        add("error", "provider", str(exc))
    for where, endpoint in targets:
        classified = engine.classify(endpoint)
        refused = engine.refusal(engine.check_endpoint(classified))
        if refused is not None:
            add(
                "error",
                where,
                f"every call to {classified.host} would be refused "
                f"({refused.rule}: {refused.reason})",
            )
    both = {h.lower() for h in policy.allowed_hosts} & {h.lower() for h in policy.denied_hosts}
    for host in sorted(both):
        add("error", "policy.allowed_hosts", f"{host} is also in policy.denied_hosts (deny wins)")
    for kind in policy.sensitive_types:
        if kind not in known_types:
            add("error", "policy.sensitive_types", f"{kind} is not a redaction type")
        elif config.redaction.actions.get(kind, config.redaction.default_action) == "block":
            add(
                "warning",
                "policy.sensitive_types",
                f"{kind} has redaction action 'block': such calls are refused before routing",
            )
    route = policy.route_sensitive_to
    if policy.sensitive_types and route is None:
        add(
            "warning",
            "policy.route_sensitive_to",
            "sensitive_types is set but route_sensitive_to is not: sensitive calls go to the "
            "default provider",
        )
    profile_endpoints = dict(targets)
    for name in ([route] if route not in (None, "refuse") else []) + list(policy.fallbacks):
        if f"providers.{name}" not in profile_endpoints:
            add("error", "policy", f"profile {name!r} is not defined in [providers]")
    if route not in (None, "refuse") and f"providers.{route}" in profile_endpoints:
        kind = engine.classify(profile_endpoints[f"providers.{route}"]).kind
        if kind not in ("self_hosted", "enterprise_api"):
            add(
                "error",
                "policy.route_sensitive_to",
                f"profile {route} is {kind}: sensitive data must go to self-hosted or enterprise",
            )
    issues.extend(check_credentials(config, env=environ))
    if not policy.egress_guard:
        add("warning", "policy.egress_guard", "the HTTP transport guard is off")
    if not policy.deny_consumer_endpoints:
        add("warning", "policy.deny_consumer_endpoints", "consumer endpoints are allowed")
    return issues
