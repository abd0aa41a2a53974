"""Classify destinations: what kind of place a host is, and what it may do with the data.

Built-in knowledge lives in tables (data, not code, in ``host_tables``; re-exported here):
consumer chat products, the enterprise API hosts of OpenAI, Azure, Google and Anthropic, the
Gemini Developer API (whose terms depend on the declared tier) and the identity hosts that
serve tokens. Everything is decided from the host name privllm will connect to, normalised
the way httpx2 does it (``URL.raw_host``: lower case, IDNA/punycode) without one trailing
dot. No IO happens here.

>>> classify("https://eu.api.openai.com/v1", provider="openai").data_zone
'eu'
>>> host_kind("chatgpt.com"), host_kind("llm.example.net")
('consumer', 'unknown')
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from privllm.errors import ConfigError
from privllm.policy.host_tables import (
    AZURE_API_SUFFIXES,
    AZURE_RESOURCE_LABEL,
    CONSUMER_DOMAINS,
    CONSUMER_HOSTS,
    ENTERPRISE_HOSTS,
    GEMINI_API_HOSTS,
    IDENTITY_TOKEN_PATHS,
    METADATA_TOKEN_PATHS,
    VERTEX_REGIONAL_HOST,
    HostFacts,
)
from privllm.types import Endpoint, EndpointKind

if TYPE_CHECKING:
    from privllm.config import ProviderConfig

__all__ = [
    "AZURE_API_SUFFIXES",
    "CONSUMER_DOMAINS",
    "CONSUMER_HOSTS",
    "ENTERPRISE_HOSTS",
    "GEMINI_API_HOSTS",
    "IDENTITY_TOKEN_PATHS",
    "METADATA_TOKEN_PATHS",
    "HostFacts",
    "classify",
    "host_facts",
    "host_kind",
    "ip_literal",
    "is_private_host",
    "normalize_host",
    "provider_base_url",
    "provider_endpoint",
]

_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")

# -- host names --------------------------------------------------------------------------------


def normalize_host(host: str | bytes) -> str:
    """The host as privllm compares it: IDNA-encoded, lower case, one trailing dot removed.

    Accepts a Unicode or ASCII name, or ``URL.raw_host`` bytes (IPv6 without brackets; a
    bracketed IPv6 literal is accepted too). Raises ``ValueError`` for anything that is not
    a plain DNS name or IP literal: userinfo, paths, percent signs, backslashes, whitespace,
    control characters, empty labels, IPv6 zone ids.

    >>> normalize_host("API.OpenAI.com."), normalize_host("[0:0::1]")
    ('api.openai.com', '::1')
    >>> normalize_host("\u0430pi.openai.com")  # a Cyrillic "a": a different host
    'xn--pi-6kc.openai.com'
    """
    if isinstance(host, bytes):
        try:
            text = host.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("host is not ASCII") from None
    else:
        text = host
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        if ":" not in text:
            raise ValueError("brackets are only for IPv6 literals")
    if ":" in text:
        # Zone ids ("fe80::1%eth0") pick an interface; no allowlist entry should need one.
        if "%" in text:
            raise ValueError("IPv6 zone ids are not allowed")
        try:
            return ipaddress.IPv6Address(text).compressed
        except ValueError:
            raise ValueError("not a valid IPv6 literal") from None
    if not text.isascii():
        text = _idna(text)
    text = text.lower()
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    # The name must be what a resolver gets verbatim: anything beyond letters, digits, "-"
    # (and "_", found in internal names) could be read differently by another parser.
    if not text or len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("not a valid host name")
    return text


def _idna(text: str) -> str:
    import httpx2

    try:
        raw: bytes = httpx2.URL(scheme="https", host=text).raw_host
    except httpx2.InvalidURL:
        raise ValueError("host fails IDNA encoding") from None
    return raw.decode("ascii")


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | Literal[False] | None:
    """For a normalised host: the IP address it spells, ``None`` for a DNS name, ``False``
    for a non-canonical numeric form (``2130706433``, ``0x7f000001``, ``127.1``, ``0177.1``).

    Resolvers turn those numeric forms into addresses, so they are never names; privllm
    accepts only the canonical dotted quad, which is what an allowlist entry would say.

    >>> ip_literal("127.0.0.1"), ip_literal("2130706433"), ip_literal("api.openai.com")
    (IPv4Address('127.0.0.1'), False, None)
    """
    if ":" in host:
        return ipaddress.IPv6Address(host)
    last = host.rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.fullmatch(last):
        return None  # a TLD is never numeric, so this is a DNS name
    try:
        ip = ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return ip if str(ip) == host else False


def is_private_host(host: str) -> bool:
    """Loopback, private-range IPs and names that cannot be public (``localhost``,
    ``*.localhost``, ``*.local``, ``*.internal``): traffic that stays inside your network.

    Link-local addresses (cloud metadata at 169.254.169.254) are not private here.

    >>> is_private_host("127.0.0.1"), is_private_host("10.1.2.3"), is_private_host("8.8.8.8")
    (True, True, False)
    >>> is_private_host("fd12::1"), is_private_host("2001:0:53aa:64c:1::1")  # ULA, Teredo
    (True, False)
    """
    try:
        host = normalize_host(host)
    except ValueError:
        return False
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return True
    ip = ip_literal(host)
    if ip is None or ip is False:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # An explicit list, not ``ip.is_private``: before Python 3.12.4 that also held Teredo
    # (2001::/23, reached over the internet through relays) and other special ranges.
    return any(ip in net for net in _PRIVATE_NETS[ip.version])


_PRIVATE_NETS: dict[int, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]] = {
    4: tuple(
        ipaddress.IPv4Network(n)
        for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    ),
    6: (ipaddress.IPv6Network("::1/128"), ipaddress.IPv6Network("fc00::/7")),  # loopback, ULA
}


# -- classification ----------------------------------------------------------------------------


def host_facts(host: str) -> HostFacts | None:
    """What the tables say about a host, or ``None`` when privllm does not know it.

    >>> host_facts("europe-west4-aiplatform.googleapis.com").region
    'europe-west4'
    """
    try:
        host = normalize_host(host)
    except ValueError:
        return None
    facts = ENTERPRISE_HOSTS.get(host)
    if facts is not None:
        return facts
    vendor = CONSUMER_HOSTS.get(host)
    if vendor is None:
        vendor = next(
            (CONSUMER_HOSTS.get(d, d) for d in CONSUMER_DOMAINS if host.endswith("." + d)), None
        )
    if vendor is not None:
        return HostFacts(vendor, "consumer", trains_on_data=True, stores_data=True)
    if host in GEMINI_API_HOSTS:
        # The tier is not in the name; the caller applies it (see ``classify``).
        return HostFacts("google", "enterprise_api", region="global")
    match = VERTEX_REGIONAL_HOST.fullmatch(host)
    if match is not None:
        return HostFacts("google", "enterprise_api", region=match.group(1))
    for suffix in AZURE_API_SUFFIXES:
        if host.endswith(suffix) and AZURE_RESOURCE_LABEL.fullmatch(host[: -len(suffix)]):
            return HostFacts("microsoft", "enterprise_api")
    return None


def host_kind(host: str, self_hosted_hosts: Iterable[str] = ()) -> EndpointKind:
    """``enterprise_api``, ``consumer``, ``self_hosted`` (declared, loopback or private) or
    ``unknown``. The tables win over a declaration: calling chatgpt.com "self-hosted" does
    not make it one.

    >>> host_kind("my-resource.openai.azure.com"), host_kind("localhost")
    ('enterprise_api', 'self_hosted')
    >>> host_kind("gpu-box.corp.example", ["GPU-BOX.corp.example."])
    'self_hosted'
    """
    facts = host_facts(host)
    if facts is not None:
        return facts.kind
    try:
        norm = normalize_host(host)
    except ValueError:
        return "unknown"
    if is_private_host(norm) or norm in _normalized(self_hosted_hosts):
        return "self_hosted"
    return "unknown"


def classify(
    base_url: str,
    *,
    provider: str,
    gemini_tier: Literal["free", "paid"] | None = None,
    self_hosted_hosts: Iterable[str] = (),
    region: str | None = None,
    data_zone: str | None = None,
) -> Endpoint:
    """The :class:`~privllm.types.Endpoint` for a base URL, from the host tables.

    ``region``/``data_zone`` are declarations (Azure's deployment type is not visible in the
    URL); what the host name itself says wins, and a declaration that contradicts it is a
    ``ConfigError``. ``gemini_tier`` applies to the Gemini Developer API: anything but
    ``"paid"`` is treated as the free tier, which may train on the data.

    >>> ep = classify("https://generativelanguage.googleapis.com", provider="google")
    >>> ep.kind, ep.trains_on_data
    ('enterprise_api', True)
    >>> classify("https://aiplatform.eu.rep.googleapis.com", provider="google").region
    'eu'
    """
    import httpx2

    try:
        host = normalize_host(httpx2.URL(base_url).raw_host)
    except (httpx2.InvalidURL, ValueError):
        raise ConfigError(f"base URL {_shown(base_url)} has no valid host") from None
    facts = host_facts(host)
    kind = host_kind(host, self_hosted_hosts)
    trains = stores = False
    derived_region = derived_zone = None
    if facts is not None:
        trains, stores = facts.trains_on_data, facts.stores_data
        derived_region, derived_zone = facts.region, facts.data_zone
        if host in GEMINI_API_HOSTS:
            trains = stores = gemini_tier != "paid"
    return Endpoint(
        provider=provider,
        base_url=base_url,
        host=host,
        kind=kind,
        region=_settle("region", host, derived_region, region),
        data_zone=_settle("data_zone", host, derived_zone, data_zone),
        trains_on_data=trains,
        stores_data=stores,
    )


def _settle(field: str, host: str, derived: str | None, declared: str | None) -> str | None:
    if declared is None:
        return derived
    if derived is not None and derived.lower() != declared.lower():
        raise ConfigError(
            f"declared {field} {declared!r} contradicts {host}, which is {derived!r}", field=field
        )
    return derived or declared


# -- from provider config ----------------------------------------------------------------------

_OPENAI_RESIDENCY = {
    "global": "api.openai.com",
    "us": "us.api.openai.com",
    "eu": "eu.api.openai.com",
    "ae": "ae.api.openai.com",
}


def provider_base_url(config: ProviderConfig) -> str:
    """The base URL a provider section sends to, derived as each SDK does, without IO.

    >>> from privllm.config import ProviderConfig
    >>> provider_base_url(ProviderConfig(name="openai", openai={"data_residency": "eu"}))
    'https://eu.api.openai.com/v1'
    >>> provider_base_url(ProviderConfig(name="google", google={"location": "us-east5"}))
    'https://us-east5-aiplatform.googleapis.com/'
    """
    if config.name == "openai":
        o = config.openai
        return o.base_url or f"https://{_OPENAI_RESIDENCY[o.data_residency or 'global']}/v1"
    if config.name == "azure":
        endpoint = config.azure.endpoint
        if not endpoint:
            raise ConfigError("provider.azure.endpoint: not set", field="provider.azure.endpoint")
        suffix = "/openai/v1/" if config.azure.v1_api else "/openai"
        return endpoint.rstrip("/") + suffix
    if config.name == "google":
        g = config.google
        if g.base_url:
            return g.base_url
        if g.mode == "gemini_api":
            return "https://generativelanguage.googleapis.com/"
        if g.location == "global":
            return "https://aiplatform.googleapis.com/"
        if g.location in ("us", "eu"):
            return f"https://aiplatform.{g.location}.rep.googleapis.com/"
        return f"https://{g.location}-aiplatform.googleapis.com/"
    raise ConfigError(
        f"provider.name: no endpoint rules for provider {config.name!r}", field="provider.name"
    )


def provider_endpoint(config: ProviderConfig, self_hosted_hosts: Iterable[str] = ()) -> Endpoint:
    """The classified endpoint of a provider section: what the provider's ``endpoint``
    attribute should say, computed from config alone.

    >>> from privllm.config import ProviderConfig
    >>> section = ProviderConfig(name="azure", azure={"endpoint": "https://acme.openai.azure.com",
    ...                                               "data_zone": "eu"})
    >>> ep = provider_endpoint(section)
    >>> ep.host, ep.kind, ep.data_zone
    ('acme.openai.azure.com', 'enterprise_api', 'eu')
    """
    base_url = provider_base_url(config)
    if config.name == "azure":
        return classify(
            base_url,
            provider="azure",
            self_hosted_hosts=self_hosted_hosts,
            region=config.azure.region,
            data_zone=config.azure.data_zone,
        )
    tier = config.google.tier if config.name == "google" else None
    return classify(
        base_url, provider=config.name, gemini_tier=tier, self_hosted_hosts=self_hosted_hosts
    )


def _normalized(hosts: Iterable[str]) -> set[str]:
    out = set()
    for h in hosts:
        try:
            out.add(normalize_host(h.strip()))
        except ValueError:
            continue  # config validation reports bad names; here they just match nothing
    return out


def _shown(text: str) -> str:
    """Printable, short: a URL in an error message may hold userinfo, so only its shape."""
    cleaned = "".join(c if c.isprintable() and c.isascii() else "?" for c in text)
    cleaned = cleaned.split("?", 1)[0].split("#", 1)[0]
    if "@" in cleaned:
        cleaned = "…@" + cleaned.rsplit("@", 1)[1]
    return repr(cleaned[:80])
