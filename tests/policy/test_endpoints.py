"""Endpoint classification: host tables, regions from host names, tiers, declarations."""

from __future__ import annotations

import doctest
import ipaddress
import re

import pytest

import privllm.policy.endpoints as endpoints_module
from privllm.config import ProviderConfig
from privllm.errors import ConfigError
from privllm.policy.endpoints import (
    HostFacts,
    classify,
    host_facts,
    host_kind,
    ip_literal,
    is_private_host,
    normalize_host,
    provider_base_url,
    provider_endpoint,
)


def test_docstring_examples_run():
    failures, tried = doctest.testmod(endpoints_module, optionflags=doctest.ELLIPSIS)
    assert tried > 10
    assert failures == 0


@pytest.mark.parametrize(
    "host",
    [
        "chatgpt.com",
        "www.chatgpt.com",
        "chat.openai.com",
        "gemini.google.com",
        "bard.google.com",
        "aistudio.google.com",
        "copilot.microsoft.com",
        "claude.ai",
        "CLAUDE.AI.",
        "chat.mistral.ai",
    ],
)
def test_consumer_hosts(host):
    assert host_kind(host) == "consumer"
    ep = classify(f"https://{host}/", provider="openai")
    assert (ep.kind, ep.trains_on_data, ep.stores_data) == ("consumer", True, True)


@pytest.mark.parametrize(
    ("url", "region", "zone"),
    [
        ("https://api.openai.com/v1", "global", None),
        ("https://us.api.openai.com/v1", "us", "us"),
        ("https://eu.api.openai.com/v1", "eu", "eu"),
        ("https://ae.api.openai.com/v1", "ae", "ae"),
        ("https://api.anthropic.com", None, None),
        ("https://aiplatform.googleapis.com/", "global", None),
        ("https://europe-west4-aiplatform.googleapis.com/", "europe-west4", None),
        ("https://us-central1-aiplatform.mtls.googleapis.com/", "us-central1", None),
        (
            "https://northamerica-northeast1-aiplatform.googleapis.com/",
            "northamerica-northeast1",
            None,
        ),
        ("https://aiplatform.eu.rep.googleapis.com/", "eu", "eu"),
        ("https://aiplatform.us.rep.googleapis.com/", "us", "us"),
        ("https://acme.openai.azure.com/openai", None, None),
        ("https://acme-sweden.cognitiveservices.azure.com/", None, None),
        ("https://acme.services.ai.azure.com/models", None, None),
    ],
)
def test_enterprise_hosts_and_regions_from_the_name(url, region, zone):
    ep = classify(url, provider="x")
    assert ep.kind == "enterprise_api"
    assert (ep.region, ep.data_zone) == (region, zone)
    assert not ep.trains_on_data
    assert not ep.stores_data


@pytest.mark.parametrize(
    "host",
    [
        "api.openai.com.evil.example",
        "evil-api.openai.com.example",
        "a.b.openai.azure.com",  # one resource label only
        "openai.azure.com",
        "eu-aiplatform.googleapis.com.evil.example",
        "xn--pi-6kc.openai.com",  # punycode homograph of api.openai.com
        "aiplatform.googleapis.co",
        "fakechatgpt.com",  # not a subdomain of chatgpt.com
    ],
)
def test_lookalikes_are_unknown(host):
    assert host_kind(host) == "unknown"


def test_unicode_homograph_normalises_to_punycode_and_stays_unknown():
    cyrillic_a = "\u0430"
    assert normalize_host(f"{cyrillic_a}pi.openai.com") == "xn--pi-6kc.openai.com"
    assert classify(f"https://{cyrillic_a}pi.openai.com/v1", provider="openai").kind == "unknown"


@pytest.mark.parametrize(("tier", "trains"), [("free", True), (None, True), ("paid", False)])
def test_gemini_api_tier(tier, trains):
    ep = classify("https://generativelanguage.googleapis.com/", provider="google", gemini_tier=tier)
    assert ep.kind == "enterprise_api"
    assert ep.trains_on_data is trains
    assert ep.stores_data is trains


def test_self_hosted_declared_loopback_and_private():
    assert classify("http://127.0.0.1:8000/v1", provider="openai").kind == "self_hosted"
    assert classify("http://[::1]:8000/v1", provider="openai").kind == "self_hosted"
    assert classify("http://10.2.3.4/v1", provider="openai").kind == "self_hosted"
    assert classify("http://localhost:11434/v1", provider="openai").kind == "self_hosted"
    assert classify("https://vllm.corp.example/v1", provider="openai").kind == "unknown"
    ep = classify(
        "https://vllm.corp.example/v1", provider="openai", self_hosted_hosts=["VLLM.corp.example."]
    )
    assert ep.kind == "self_hosted"
    # A declaration does not turn a known host into something else.
    assert host_kind("chatgpt.com", ["chatgpt.com"]) == "consumer"
    assert host_kind("api.openai.com", ["api.openai.com"]) == "enterprise_api"


def test_link_local_metadata_and_public_ips_are_not_private():
    assert not is_private_host("169.254.169.254")
    assert not is_private_host("8.8.8.8")
    assert not is_private_host("2130706433")  # a numeric form is not an address here
    assert is_private_host("::ffff:127.0.0.1")
    assert classify("http://169.254.169.254/", provider="openai").kind == "unknown"


@pytest.mark.parametrize(
    "host",
    [
        "2001:0:53aa:64c:1::1",  # Teredo: Python < 3.12.4 calls it private
        "2001:db8::1",  # documentation range
        "100.64.1.2",  # carrier-grade NAT: someone else's network
        "192.0.2.10",  # TEST-NET-1
        "198.18.0.1",  # benchmarking range
    ],
)
def test_special_ranges_reached_over_other_networks_are_not_self_hosted(host):
    assert not is_private_host(host)
    url = f"http://[{host}]:8000/v1" if ":" in host else f"http://{host}:8000/v1"
    assert classify(url, provider="openai").kind == "unknown"


def test_unique_local_ipv6_is_self_hosted():
    assert classify("http://[fd12:3456::7]:8000/v1", provider="openai").kind == "self_hosted"


def test_declared_region_fills_in_and_must_not_contradict_the_host():
    azure = classify("https://acme.openai.azure.com", provider="azure", region="swedencentral")
    assert azure.region == "swedencentral"
    vertex = classify(
        "https://europe-west4-aiplatform.googleapis.com", provider="google", data_zone="eu"
    )
    assert (vertex.region, vertex.data_zone) == ("europe-west4", "eu")
    assert classify("https://eu.api.openai.com", provider="openai", region="EU").region == "eu"
    with pytest.raises(ConfigError, match="contradicts"):
        classify("https://api.openai.com/v1", provider="openai", region="eu")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example\\.api.openai.com/",
        "https://api.openai.com%2eevil.example/",
        "https://a..b/",
        "not a url at all",
        "https://user:secret-password@/v1",
    ],
)
def test_invalid_base_urls_are_config_errors_without_secrets(url):
    with pytest.raises(ConfigError) as info:
        classify(url, provider="openai")
    assert "secret-password" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("API.OPENAI.COM.", "api.openai.com"),
        (b"api.openai.com", "api.openai.com"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("::FFFF:127.0.0.1", "::ffff:7f00:1"),
        ("internal_service", "internal_service"),
    ],
)
def test_normalize_host(raw, expected):
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        ".",
        "api.openai.com..",
        "a..b",
        "api.openai.com\\@evil",
        "api.openai.com evil",
        "api.openai.com\t",
        "api.openai.com\x00.evil",
        "user@api.openai.com",
        "api.openai.com/path",
        "api.openai.com%2e",
        "[api.openai.com]",
        "[::1%eth0]",
        "fe80::1%25eth0",
        b"\xff\xfe",
        "a" * 64 + ".com",
        "\uff41pi.openai.com",  # full-width letters: IDNA maps them, httpx2 refuses them
    ],
)
def test_normalize_host_refuses_anything_but_plain_names(raw):
    with pytest.raises(ValueError):  # noqa: PT011 - one error type is the contract
        normalize_host(raw)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", ipaddress.IPv4Address("127.0.0.1")),
        ("::1", ipaddress.IPv6Address("::1")),
        ("2130706433", False),
        ("0x7f000001", False),
        ("127.1", False),
        ("0177.0.0.1", False),
        ("0x7f.1", False),
        ("1.2.3", False),
        ("foo.123", False),  # a numeric TLD does not exist; resolvers may read an address
        ("api.openai.com", None),
        ("123.example", None),
    ],
)
def test_ip_literal_forms(host, expected):
    assert ip_literal(host) == expected


def test_provider_base_urls_follow_the_sdks():
    def base(name, **section):
        return provider_base_url(ProviderConfig(name=name, **{name: section}))

    assert base("openai") == "https://api.openai.com/v1"
    assert base("openai", data_residency="ae") == "https://ae.api.openai.com/v1"
    assert base("openai", base_url="http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert base("azure", endpoint="https://acme.openai.azure.com/") == (
        "https://acme.openai.azure.com/openai"
    )
    assert base("azure", endpoint="https://acme.openai.azure.com", v1_api=True).endswith(
        "/openai/v1/"
    )
    assert base("google") == "https://aiplatform.googleapis.com/"
    assert base("google", location="eu") == "https://aiplatform.eu.rep.googleapis.com/"
    assert base("google", location="us-east5") == "https://us-east5-aiplatform.googleapis.com/"
    assert base("google", mode="gemini_api") == "https://generativelanguage.googleapis.com/"
    with pytest.raises(ConfigError, match=r"azure\.endpoint"):
        base("azure")


def test_provider_endpoint_applies_declarations():
    gemini = provider_endpoint(
        ProviderConfig(name="google", google={"mode": "gemini_api", "tier": "paid"})
    )
    assert (gemini.kind, gemini.trains_on_data) == ("enterprise_api", False)
    assert provider_endpoint(
        ProviderConfig(name="google", google={"mode": "gemini_api"})
    ).trains_on_data
    azure = provider_endpoint(
        ProviderConfig(
            name="azure", azure={"endpoint": "https://acme.openai.azure.com", "region": "eastus"}
        )
    )
    assert (azure.provider, azure.region) == ("azure", "eastus")
    local = provider_endpoint(
        ProviderConfig(name="openai", openai={"base_url": "https://gpu.lan.example/v1"}),
        ["gpu.lan.example"],
    )
    assert local.kind == "self_hosted"


@pytest.mark.parametrize(
    ("host", "private"),
    [
        # Each private range at and just past both of its ends: a widened range would make
        # public addresses "self-hosted" (exempt from region rules, clear-text http allowed).
        ("9.255.255.255", False), ("10.0.0.0", True), ("10.255.255.255", True),
        ("11.0.0.0", False),
        ("126.255.255.255", False), ("127.0.0.0", True), ("127.255.255.255", True),
        ("128.0.0.0", False),
        ("172.15.255.255", False), ("172.16.0.0", True), ("172.31.255.255", True),
        ("172.32.0.0", False),
        ("192.167.255.255", False), ("192.168.0.0", True), ("192.168.255.255", True),
        ("192.169.0.0", False),
        ("::", False), ("::1", True), ("::2", False),
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", False), ("fc00::", True),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", True), ("fe00::", False),
        ("::ffff:172.31.0.1", True), ("::ffff:172.32.0.1", False),
    ],
)  # fmt: skip
def test_private_ranges_end_exactly_where_they_end(host, private):
    assert is_private_host(host) is private


# -- what mutation testing showed untested ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "host is not ASCII"),
        ("[api.openai.com]", "brackets are only for IPv6 literals"),
        ("[::1%eth0]", "IPv6 zone ids are not allowed"),
        ("::g", "not a valid IPv6 literal"),
        # One bracket only: stripping both ends anyway would read "::1" (loopback) or "1::".
        ("1::1]", "not a valid IPv6 literal"),
        ("[1::1", "not a valid IPv6 literal"),
        ("a..b", "not a valid host name"),
        ("\uff41pi.openai.com", "host fails IDNA encoding"),
    ],
)
def test_normalize_host_says_why_it_refuses(raw, reason):
    # Origin.of and EgressPolicy.allow put this reason in the ConfigError a user reads.
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        normalize_host(raw)


def test_host_names_are_at_most_253_characters():
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == 253
    assert normalize_host(longest) == longest
    assert normalize_host(longest + ".") == longest
    with pytest.raises(ValueError, match=r"^not a valid host name$"):
        normalize_host(longest + "d")


@pytest.mark.parametrize("host", ["a..b", "1::1]", "[1::1", "bad host", "[::1%lo]"])
def test_a_host_that_does_not_normalise_is_neither_private_nor_known(host):
    assert is_private_host(host) is False
    assert host_kind(host) == "unknown"
    assert host_facts(host) is None


@pytest.mark.parametrize(
    ("host", "facts"),
    [
        ("chatgpt.com", HostFacts("openai", "consumer", trains_on_data=True, stores_data=True)),
        ("www.chatgpt.com", HostFacts("openai", "consumer", trains_on_data=True, stores_data=True)),
        ("ab.claude.ai", HostFacts("anthropic", "consumer", trains_on_data=True, stores_data=True)),
        ("generativelanguage.googleapis.com", HostFacts("google", "enterprise_api", "global")),
        (
            "europe-west4-aiplatform.googleapis.com",
            HostFacts("google", "enterprise_api", "europe-west4"),
        ),
        ("acme.openai.azure.com", HostFacts("microsoft", "enterprise_api")),
        ("acme.cognitiveservices.azure.com", HostFacts("microsoft", "enterprise_api")),
        ("gpu.lan.example", None),
    ],
)  # fmt: skip
def test_host_facts_name_the_vendor_and_what_it_does_with_data(host, facts):
    assert host_facts(host) == facts


def test_a_consumer_domain_needs_no_exact_host_entry(monkeypatch):
    # Every subdomain of a consumer-only domain is consumer, even one the exact table lacks.
    monkeypatch.setattr(endpoints_module, "CONSUMER_DOMAINS", frozenset({"newchat.example"}))
    assert host_kind("app.newchat.example") == "consumer"
    assert host_facts("app.newchat.example") == HostFacts(
        "newchat.example", "consumer", trains_on_data=True, stores_data=True
    )


def test_unknown_and_self_hosted_endpoints_take_declarations_and_promise_nothing_more():
    gpu = classify(
        "https://gpu.lan.example/v1",
        provider="openai",
        self_hosted_hosts=["gpu.lan.example"],
        region="eu-west",
        data_zone="eu",
    )
    assert (gpu.kind, gpu.region, gpu.data_zone) == ("self_hosted", "eu-west", "eu")
    assert (gpu.trains_on_data, gpu.stores_data) == (False, False)
    unknown = classify("https://llm.example.net/v1", provider="openai")
    assert (unknown.kind, unknown.region, unknown.data_zone) == ("unknown", None, None)


@pytest.mark.parametrize(
    ("url", "declared", "message", "field"),
    [
        (
            "https://api.openai.com/v1",
            {"region": "eu"},
            "declared region 'eu' contradicts api.openai.com, which is 'global'",
            "region",
        ),
        (
            "https://eu.api.openai.com/v1",
            {"data_zone": "us"},
            "declared data_zone 'us' contradicts eu.api.openai.com, which is 'eu'",
            "data_zone",
        ),
    ],
)
def test_a_contradicting_declaration_names_the_field_and_the_host(url, declared, message, field):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$") as info:
        classify(url, provider="openai", **declared)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("not a url at all", "'not a url at all'"),
        ("https://user:secret-password@/v1", "'…@/v1'"),
        # Only what follows the last "@": the password may hold one.
        ("https://u:pass@word@a..b/", "'…@a..b/'"),
        ("https://a..b/v1?key=s3cret#frag", "'https://a..b/v1'"),
        ("https://a..b/v1#frag?x", "'https://a..b/v1'"),
        ("https://a..b/v1#x#y", "'https://a..b/v1'"),
        ("https://a..b/v1?x?y", "'https://a..b/v1'"),
        # Characters that are not printable ASCII become "?", which then ends the shown part.
        ("https://bad host/\u00e9x", "'https://bad host/'"),
        ("https://bad host/\x00x", "'https://bad host/'"),
        ("https://a..b/" + "p" * 100, "'https://a..b/" + "p" * 67 + "'"),
    ],
)
def test_an_invalid_base_url_is_shown_short_and_without_userinfo(url, shown):
    with pytest.raises(ConfigError) as info:
        classify(url, provider="openai")
    assert str(info.value) == f"base URL {shown} has no valid host"


def test_a_bad_self_hosted_name_does_not_hide_the_ones_after_it():
    assert host_kind("gpu.lan.example", ["bad name", "gpu.lan.example"]) == "self_hosted"


def test_provider_base_url_more_cases():
    def base(name, **section):
        return provider_base_url(ProviderConfig(name=name, **{name: section}))

    assert base("google", location="us") == "https://aiplatform.us.rep.googleapis.com/"
    assert base("google", location="global") == "https://aiplatform.googleapis.com/"
    # Only slashes are stripped from an Azure endpoint, whatever it ends with.
    assert base("azure", endpoint="https://gw.example/TENANTX") == (
        "https://gw.example/TENANTX/openai"
    )
    with pytest.raises(ConfigError, match=r"^provider\.azure\.endpoint: not set$") as info:
        base("azure")
    assert info.value.field == "provider.azure.endpoint"
    with pytest.raises(
        ConfigError, match=r"^provider\.name: no endpoint rules for provider 'anthropic'$"
    ) as info:
        # Config refuses the name itself now; the function keeps its own guard for
        # sections built without validation.
        provider_base_url(ProviderConfig.model_construct(name="anthropic"))
    assert info.value.field == "provider.name"


def test_provider_endpoint_passes_self_hosted_hosts_and_the_tier_of_google_only():
    gateway = provider_endpoint(
        ProviderConfig(name="azure", azure={"endpoint": "https://gpu.lan.example"}),
        ["gpu.lan.example"],
    )
    assert gateway.kind == "self_hosted"
    # Gemini's OpenAI-compatible endpoint through the openai provider: the google section's
    # tier is not this provider's declaration, so the free tier's terms apply.
    compat = provider_endpoint(
        ProviderConfig(
            name="openai",
            openai={"base_url": "https://generativelanguage.googleapis.com/v1beta/openai/"},
            google={"tier": "paid"},
        )
    )
    assert (compat.kind, compat.trains_on_data, compat.stores_data) == (
        "enterprise_api",
        True,
        True,
    )
