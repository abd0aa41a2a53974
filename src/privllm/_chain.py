"""How a client's middleware chain is assembled, outermost first:

1. the user's middleware placed ``outside_redaction`` (the default): passed in code, then
   named in config. It sees raw values.
2. redaction, then policy (privllm's own).
3. the user's middleware placed ``inside_redaction``: passed in code, then named in config.
   It sees placeholders only, and the policy decision.
4. telemetry (OpenTelemetry) and audit, innermost: they record what was sent and received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .config import Config
from .middleware_entry import MiddlewareEntry, MiddlewareLike
from .pipeline import Middleware
from .policy.middleware import PolicyMiddleware
from .types import Endpoint

__all__ = ["build_chain", "builtin_middleware", "user_middleware"]


def build_chain(
    config: Config,
    middleware: Sequence[MiddlewareLike],
    profiles: Mapping[str, Endpoint],
    environ: Mapping[str, str],
) -> tuple[list[Middleware], PolicyMiddleware]:
    """The client's whole chain, outermost first (see the module docstring), and privllm's
    policy middleware in it (fallbacks ask it which profiles a call may use)."""
    outside, inside = user_middleware([*middleware, *config.middleware])
    builtin = builtin_middleware(config, profiles, environ, inside=inside)
    policy = next(m for m in builtin if type(m) is PolicyMiddleware)
    return [*outside, *builtin], policy


def user_middleware(items: Sequence[MiddlewareLike]) -> tuple[list[Middleware], list[Middleware]]:
    """The user's middleware built, split by place: (outside redaction, inside redaction).
    A bad entry raises ConfigError naming ``middleware[i]`` and the field."""
    outside: list[Middleware] = []
    inside: list[Middleware] = []
    for i, item in enumerate(items):
        field = f"middleware[{i}]"
        entry = MiddlewareEntry.of(item, field=field)
        built = entry.build(field=field)
        (inside if entry.placed(built, field) == "inside_redaction" else outside).append(built)
    return outside, inside


def builtin_middleware(
    config: Config,
    profiles: Mapping[str, Endpoint],
    environ: Mapping[str, str],
    *,
    inside: Sequence[Middleware] = (),
) -> list[Middleware]:
    """privllm's own middleware, innermost last: redaction, policy, telemetry, audit; the
    user's ``inside`` middleware goes between policy and telemetry.

    ``environ`` is the client's environment (``Client(env=...)``): the audit key variable and
    the default log folder are read from it, like provider API keys.
    """
    chain: list[Middleware] = []
    if config.redaction.enabled:
        from privllm.redaction.middleware import RedactionMiddleware

        chain.append(RedactionMiddleware.from_config(config.redaction))
    chain.append(PolicyMiddleware(config.policy, profiles))
    chain.extend(inside)
    if config.otel.enabled:
        # Imported here: opentelemetry is an optional extra (a missing one raises ConfigError
        # with the pip line). Inside redaction and policy, so it sees placeholders only and
        # the policy decision, and inside the user's middleware, so its span records what
        # was sent and an error any of them raised; before audit, which stays innermost.
        from privllm.integrations.otel import OpenTelemetryMiddleware

        chain.append(OpenTelemetryMiddleware.from_config(config.otel))
    if config.audit.enabled:
        # Imported here: the audit log needs cryptography and SQLite, and opening it (file
        # IO) happens when a client is built, never at `import privllm`.
        from privllm.audit.middleware import AuditMiddleware

        # Innermost: it records the request exactly as sent and the answer as received,
        # both still in placeholder form.
        chain.append(AuditMiddleware.from_config(config.audit, environ))
    return chain
