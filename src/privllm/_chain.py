"""How a client's middleware chain is assembled: the user's middleware, then privllm's own
(redaction, policy, telemetry, audit), innermost last."""

from __future__ import annotations

from collections.abc import Mapping

from .config import Config
from .pipeline import Middleware
from .policy.middleware import PolicyMiddleware
from .types import Endpoint

__all__ = ["builtin_middleware"]


def builtin_middleware(
    config: Config, profiles: Mapping[str, Endpoint], environ: Mapping[str, str]
) -> list[Middleware]:
    """privllm's own middleware, innermost last: redaction, policy, telemetry, audit.

    ``environ`` is the client's environment (``Client(env=...)``): the audit key variable and
    the default log folder are read from it, like provider API keys.
    """
    chain: list[Middleware] = []
    if config.redaction.enabled:
        from privllm.redaction.middleware import RedactionMiddleware

        chain.append(RedactionMiddleware.from_config(config.redaction))
    chain.append(PolicyMiddleware(config.policy, profiles))
    if config.otel.enabled:
        # Imported here: opentelemetry is an optional extra (a missing one raises ConfigError
        # with the pip line). Inside redaction and policy, so it sees placeholders only and
        # the policy decision; before audit, which stays innermost.
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
