"""What privllm knows about hosts by name: consumer products, enterprise API hosts, the
Gemini Developer API, identity and metadata token endpoints.

Data, not code: :mod:`privllm.policy.endpoints` classifies hosts with these tables (and
re-exports them). Host names here are normalised (lower case, IDNA, no trailing dot).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from privllm.types import EndpointKind

__all__ = [
    "AZURE_API_SUFFIXES",
    "AZURE_RESOURCE_LABEL",
    "CONSUMER_DOMAINS",
    "CONSUMER_HOSTS",
    "ENTERPRISE_HOSTS",
    "GEMINI_API_HOSTS",
    "IDENTITY_TOKEN_PATHS",
    "METADATA_TOKEN_PATHS",
    "VERTEX_REGIONAL_HOST",
    "HostFacts",
]


@dataclass(frozen=True, slots=True)
class HostFacts:
    """What privllm knows about a host from its name alone."""

    vendor: str
    kind: EndpointKind
    region: str | None = None
    data_zone: str | None = None
    trains_on_data: bool = False
    stores_data: bool = False


#: Consumer chat products, exact names. Their terms allow keeping (and often training on)
#: what users type; an API key does not change that.
CONSUMER_HOSTS: Mapping[str, str] = {
    "chatgpt.com": "openai",
    "chat.openai.com": "openai",
    "labs.openai.com": "openai",
    "sora.com": "openai",
    "gemini.google.com": "google",
    "bard.google.com": "google",
    "aistudio.google.com": "google",
    "notebooklm.google.com": "google",
    "copilot.microsoft.com": "microsoft",
    "copilot.cloud.microsoft": "microsoft",
    "m365.cloud.microsoft": "microsoft",
    "claude.ai": "anthropic",
    "chat.mistral.ai": "mistral",
    "chat.deepseek.com": "deepseek",
    "grok.com": "xai",
    "meta.ai": "meta",
    "perplexity.ai": "perplexity",
    "poe.com": "quora",
    "character.ai": "character",
    "huggingface.co": "huggingface",  # HuggingChat; the inference API lives elsewhere
}
#: Domains that serve only consumer products: every subdomain is consumer too
#: (``www.chatgpt.com``, ``ab.claude.ai``).
CONSUMER_DOMAINS: frozenset[str] = frozenset(
    {"chatgpt.com", "claude.ai", "sora.com", "grok.com", "meta.ai", "perplexity.ai", "poe.com"}
)

#: Enterprise API hosts with fixed names, and what the name says about processing location.
#: ``global`` means the provider gives no processing-location guarantee.
ENTERPRISE_HOSTS: Mapping[str, HostFacts] = {
    "api.openai.com": HostFacts("openai", "enterprise_api", region="global"),
    "us.api.openai.com": HostFacts("openai", "enterprise_api", region="us", data_zone="us"),
    "eu.api.openai.com": HostFacts("openai", "enterprise_api", region="eu", data_zone="eu"),
    "ae.api.openai.com": HostFacts("openai", "enterprise_api", region="ae", data_zone="ae"),
    "api.anthropic.com": HostFacts("anthropic", "enterprise_api"),
    "aiplatform.googleapis.com": HostFacts("google", "enterprise_api", region="global"),
    "aiplatform.mtls.googleapis.com": HostFacts("google", "enterprise_api", region="global"),
    "aiplatform.us.rep.googleapis.com": HostFacts(
        "google", "enterprise_api", region="us", data_zone="us"
    ),
    "aiplatform.eu.rep.googleapis.com": HostFacts(
        "google", "enterprise_api", region="eu", data_zone="eu"
    ),
}
#: Azure resource hosts, ``{resource}.<suffix>`` with exactly one label before the suffix.
#: The deployment type (and so the processing geography) is not in the name: declare it.
AZURE_API_SUFFIXES: tuple[str, ...] = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
)
#: The Gemini Developer API: an API, but on the free tier content may improve Google's
#: products (and be read by humans). Paid status belongs to the billing account, not the host.
GEMINI_API_HOSTS: frozenset[str] = frozenset(
    {"generativelanguage.googleapis.com", "generativelanguage.mtls.googleapis.com"}
)
#: Identity hosts and the token endpoints (full-match path patterns) a client may POST to.
#: They are never model endpoints; the egress guard allows only these token requests.
IDENTITY_TOKEN_PATHS: Mapping[str, tuple[str, ...]] = {
    "login.microsoftonline.com": (r"/[A-Za-z0-9._-]+/oauth2/(?:v2\.0/)?token",),
    # Entra in Azure's national clouds (US Government, China), used when the client's env
    # names them in AZURE_AUTHORITY_HOST.
    "login.microsoftonline.us": (r"/[A-Za-z0-9._-]+/oauth2/(?:v2\.0/)?token",),
    "login.chinacloudapi.cn": (r"/[A-Za-z0-9._-]+/oauth2/(?:v2\.0/)?token",),
    "oauth2.googleapis.com": (r"/token",),
    "sts.googleapis.com": (r"/v1/token",),
    # Impersonated service-account credentials (google-auth's impersonated_credentials).
    "iamcredentials.googleapis.com": (r"/v1/projects/-/serviceAccounts/[^/]+:generateAccessToken",),
}

#: The GCE / Cloud Run / GKE metadata server, where google-auth gets Vertex tokens on Google
#: Cloud: plain http on port 80 by design, GET of a service account's token only.
METADATA_TOKEN_PATHS: Mapping[str, str] = {
    "metadata.google.internal": r"/computeMetadata/v1/instance/service-accounts/[^/]+/token",
    "169.254.169.254": r"/computeMetadata/v1/instance/service-accounts/[^/]+/token",
}

#: ``{location}-aiplatform.googleapis.com``; group 1 is the location. Google Cloud location
#: names are like us-central1, europe-west4, northamerica-northeast1.
VERTEX_REGIONAL_HOST = re.compile(r"([a-z]+-[a-z]+[0-9]+)-aiplatform(?:\.mtls)?\.googleapis\.com")
#: The resource label before an :data:`AZURE_API_SUFFIXES` suffix.
AZURE_RESOURCE_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62})")
