"""The egress guard's scope from config: the policy rules it repeats, and host twins."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, TypedDict

from privllm.errors import ConfigError
from privllm.policy.egress.body import detector_scanner, detectors_for
from privllm.policy.egress.origin import Origin
from privllm.policy.endpoints import (
    METADATA_TOKEN_PATHS,
    is_private_host,
    normalize_host,
    provider_endpoint,
)
from privllm.policy.regions import places

if TYPE_CHECKING:
    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.redaction.findings import Finding
    from privllm.types import Endpoint

__all__ = ["GuardScope", "admitted", "google_mtls_twin", "guard_scope", "valid_host"]


class GuardScope(TypedDict):
    """The arguments of :class:`~privllm.policy.egress.EgressPolicy` for one provider."""

    origins: frozenset[Origin]
    identity_hosts: frozenset[str]
    self_hosted_hosts: frozenset[str]
    require_no_store: bool
    block_types: frozenset[str]
    scanner: Callable[[str], Iterable[Finding]] | None
    token_urls: frozenset[str]
    token_posts: frozenset[str]
    max_body_bytes: int


def guard_scope(
    provider: ProviderConfig,
    policy: PolicyConfig,
    terms: Mapping[str, Iterable[str]] | None = None,
    env: Mapping[str, str] | None = None,
) -> GuardScope:
    """What :meth:`EgressPolicy.from_config <privllm.policy.egress.EgressPolicy.from_config>`
    allows for one provider section (see there)."""
    self_hosted = frozenset(policy.self_hosted_hosts)
    endpoint = provider_endpoint(provider, self_hosted)
    origins: set[Origin] = set()
    if admitted(endpoint, policy):
        try:
            origin = Origin.of(endpoint.base_url)
        except ValueError as exc:
            raise ConfigError(f"egress: provider base URL: {exc}") from None
        declared = {normalize_host(h.strip()) for h in self_hosted if valid_host(h)}
        if origin.scheme == "https" or is_private_host(origin.host) or origin.host in declared:
            origins.add(origin)
            twin = google_mtls_twin(origin.host)
            if twin is not None:
                origins.add(Origin("https", twin, origin.port))
    identity: set[str] = set()
    tokens: frozenset[str] = frozenset()
    posts: frozenset[str] = frozenset()
    if provider.name == "azure" and provider.azure.auth == "entra_id":
        from privllm.providers.azure_identity import (
            authority_host,
            authority_token_urls,
            identity_token_urls,
        )

        identity.add("login.microsoftonline.com")
        # AZURE_AUTHORITY_HOST in the client's env: a national cloud's Entra, or a loopback
        # stand-in (its exact token URL, POST only). Any other authority stays refused.
        national = authority_host(env or {})
        if national is not None:
            identity.add(national)
        posts = authority_token_urls(env or {})
        # Managed identity: the metadata service, and a loopback IDENTITY_ENDPOINT.
        tokens = identity_token_urls(env or {})
    if provider.name == "google" and provider.google.mode == "vertex":
        identity.update(
            {"oauth2.googleapis.com", "sts.googleapis.com", "iamcredentials.googleapis.com"}
        )
        # On Google Cloud, ADC gets tokens from the metadata server (name or address).
        identity.update(METADATA_TOKEN_PATHS)
    # A self-hosted endpoint is where sensitive data is routed on purpose (it stays with
    # you), so the body rule applies to every other kind, as allowed_regions does.
    block = frozenset(policy.egress_block_types)
    if endpoint.kind == "self_hosted":
        block = frozenset()
    scanner = None
    if block:
        scanner = detector_scanner(detectors_for(block, terms))
    return GuardScope(
        origins=frozenset(origins),
        identity_hosts=frozenset(identity),
        self_hosted_hosts=frozenset(h for h in self_hosted if valid_host(h)),
        require_no_store=policy.require_no_store,
        block_types=block,
        scanner=scanner,
        token_urls=tokens,
        token_posts=posts,
        max_body_bytes=policy.egress_max_body_bytes,
    )


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
    where = places(endpoint)
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
