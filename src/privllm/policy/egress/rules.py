"""The egress guard's rules by name, and the ``EgressBlocked`` refusal each one raises."""

from __future__ import annotations

from collections.abc import Mapping

from privllm.errors import EgressBlocked

__all__ = ["RULES", "blocked", "safe_text"]

#: Every rule the guard applies, with what it refuses.
RULES: Mapping[str, str] = {
    "egress.scheme": "a scheme other than https (http only to local or self-hosted origins)",
    "egress.userinfo": "userinfo in the URL",
    "egress.host_syntax": "a host that is not a plain DNS name or IP literal",
    "egress.ip_literal": "an IP literal not allowed exactly, or a numeric host form",
    "egress.host": "a host that is not an allowed origin",
    "egress.port": "an allowed host on another port",
    "egress.identity": "an identity host, except POST to its token endpoint",
    "egress.host_header": "a Host header, TLS name or pseudo-header naming another host",
    "egress.redirect": "a redirect to a destination the guard refuses",
    "egress.store": "a body that asks the provider to store the content",
    "egress.body_encoding": "a content coding other than gzip or deflate, or one that fails",
    "egress.body_size": "a body over the guard's size bound, before or after decoding",
    "egress.body_unreadable": "a body the guard cannot read as text (charset, multipart)",
    "egress.body": "a body carrying a value of a type that must never leave",
    "egress.body_scan": "a body scanner failure (fail closed)",
    "egress.websocket": "a websocket API (Realtime, Live) unless policy.allow_websockets",
}


def blocked(rule: str, host: str | None, why: str) -> EgressBlocked:
    """The refusal for ``rule``: names the rule and the host, never a value from the body."""
    return EgressBlocked(f"egress guard refused the request ({rule}): {why}", rule=rule, host=host)


def safe_text(text: str, limit: int = 80) -> str:
    """Printable ASCII only, and short: hosts in errors come from whoever built the URL."""
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text[:limit])
