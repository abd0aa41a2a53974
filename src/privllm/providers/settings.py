"""The ``[provider]`` section (and each ``[providers.NAME]`` profile): which provider, and
the settings of each. ``config.py`` composes it into ``Config``; this module needs nothing
but pydantic, as ``import privllm`` loads it.

>>> ProviderConfig(name="azure", azure={"deployment": "gpt-4o"}).azure.deployment
'gpt-4o'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError

from privllm.config_keys import EnvName
from privllm.config_section import Section

__all__ = ["AzureConfig", "GoogleConfig", "OpenAIConfig", "ProviderConfig"]


class OpenAIConfig(Section):
    """OpenAI, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp) via ``base_url``."""

    api_key: SecretStr | None = None
    api_key_env: EnvName | None = "OPENAI_API_KEY"
    #: Unset means api.openai.com (or the ``data_residency`` host). Never read from the env.
    base_url: str | None = None
    data_residency: Literal["global", "us", "eu", "ae"] | None = None
    organization: str | None = None
    project: str | None = None


class AzureConfig(Section):
    """Azure OpenAI. Residency is declared: the deployment type is not visible in the URL."""

    endpoint: str | None = None
    deployment: str | None = None
    api_version: str | None = "2024-10-21"
    #: Use the v1 API path (``/openai/v1/``) instead of deployment paths with api-version.
    v1_api: bool = False
    auth: Literal["api_key", "entra_id"] = "api_key"
    api_key: SecretStr | None = None
    api_key_env: EnvName | None = "AZURE_OPENAI_API_KEY"
    token_scope: str = "https://cognitiveservices.azure.com/.default"  # noqa: S105 - a URL
    #: Deployment for embeddings; unset means ``provider.embedding_model`` names it.
    embedding_deployment: str | None = None
    #: Declared, not detected: the deployment type (Standard, DataZone, Global) is not in the
    #: URL. ``region`` is the resource's region, ``data_zone`` e.g. ``"eu"`` or ``"us"``.
    region: str | None = None
    data_zone: str | None = None


class GoogleConfig(Section):
    """Google: Vertex AI (ADC or passed credentials) or the Gemini Developer API (API key)."""

    mode: Literal["vertex", "gemini_api"] = "vertex"
    project: str | None = None
    location: str = "global"
    api_key: SecretStr | None = None
    api_key_env: EnvName | None = "GEMINI_API_KEY"
    #: Gemini API only. Free-tier content may be used by Google to improve its products.
    tier: Literal["free", "paid"] = "free"
    #: Override the host (tests, private service connect). Unset means Google's public host.
    base_url: str | None = None
    #: Vertex only: a fixed OAuth access token (e.g. ``gcloud auth print-access-token``),
    #: used as is and never refreshed. Unset means ADC, or credentials passed in code.
    access_token: SecretStr | None = None
    access_token_env: EnvName | None = None
    #: REST version; unset means ``v1`` (Vertex) or ``v1beta`` (Gemini API).
    api_version: str | None = None


class ProviderConfig(Section):
    """Which provider, and the settings of each. Swap provider by changing ``name`` only."""

    name: str = "openai"
    model: str | None = None
    embedding_model: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    #: Connection pool of each HTTP client (the openai SDK's defaults): concurrent calls
    #: past ``max_connections`` wait for one; ``max_keepalive_connections`` stay open idle.
    max_connections: int = Field(default=1000, ge=1)
    max_keepalive_connections: int = Field(default=100, ge=0)
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig)
    azure: AzureConfig = Field(default_factory=AzureConfig)
    google: GoogleConfig = Field(default_factory=GoogleConfig)

    @field_validator("name")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        # A typo must fail when the config is read (config show, plan, policy check), not
        # at the first call. The registry is read now, so a provider added to it counts.
        from difflib import get_close_matches

        from privllm.providers.base import PROVIDERS

        if value in PROVIDERS:
            return value
        close = get_close_matches(value.lower(), PROVIDERS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        # A custom error type: pydantic would prefix a ValueError's text with "Value error,".
        raise PydanticCustomError(
            "unknown_provider",
            f"unknown provider {value!r} (known: {', '.join(sorted(PROVIDERS))}){hint}",
        )
