"""The egress guard's scope from config: the policy rules it repeats, and host twins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from privllm.policy.endpoints import normalize_host

if TYPE_CHECKING:
    from privllm.config import PolicyConfig
    from privllm.types import Endpoint

__all__ = ["admitted", "google_mtls_twin", "valid_host"]


def admitted(endpoint: Endpoint, policy: PolicyConfig) -> bool:
    """The destination rules of ``policy`` that the guard repeats, so that a transport built
    for an endpoint the policy refuses refuses every request as well."""
    host = endpoint.host
    names = {normalize_host(h) for h in policy.allowed_hosts if valid_host(h)}
    if host in {normalize_host(h) for h in policy.denied_hosts if valid_host(h)}:
        return False
    if names and host not in names and endpoint.kind != "self_hosted":
        return False
    if policy.deny_consumer_endpoints and endpoint.kind == "consumer":
        return False
    if policy.deny_unknown_endpoints and endpoint.kind == "unknown" and host not in names:
        return False
    if policy.allowed_providers and endpoint.provider not in policy.allowed_providers:
        return False
    regions = {r.lower() for r in policy.allowed_regions}
    where = {z.lower() for z in (endpoint.region, endpoint.data_zone) if z}
    if regions and endpoint.kind != "self_hosted" and not where & regions:
        return False
    return not (policy.require_no_training and endpoint.trains_on_data)


def valid_host(host: str) -> bool:
    """Whether a configured host name normalises (invalid ones are skipped, not fatal)."""
    try:
        normalize_host(host.strip())
    except ValueError:
        return False
    return True


def google_mtls_twin(host: str) -> str | None:
    """The ``*.mtls.googleapis.com`` twin of a Google API host, if it has one."""
    # google-genai switches to the mTLS host when a client certificate is configured; it is
    # the same service, so the guard allows the pair together.
    if host.endswith(".googleapis.com") and ".mtls." not in host and ".rep." not in host:
        return host[: -len(".googleapis.com")] + ".mtls.googleapis.com"
    return None
