"""Configuration: one ``Config`` built from explicit, ordered sources.

Later sources override earlier ones: defaults < ``privllm.toml`` (path given, or
``PRIVLLM_CONFIG``) < ``PRIVLLM_*`` environment variables (``__`` separates levels, e.g.
``PRIVLLM_PROVIDER__MODEL``) < keyword arguments. No ``.env`` file is ever read.

Each feature owns its sections, in a settings module that needs nothing but pydantic
(``providers/settings.py``, ``policy/settings.py``, ``redaction/settings.py``,
``audit/settings.py``, ``finetune/settings.py``, ``integrations/settings.py``); this module
composes them into ``Config`` and re-exports them, so ``from privllm.config import
PolicyConfig`` is the one import for any section. Every section is named ``...Config``.

>>> cfg = load_config(env={}, provider={"name": "openai", "model": "gpt-4o-mini"})
>>> cfg.provider.model
'gpt-4o-mini'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from typing_extensions import TypedDict, Unpack

from .audit.settings import AuditConfig
from .config_keys import clean_key
from .config_load import ENV_PREFIX as ENV_PREFIX
from .config_load import FieldError, config_error, merge_sources
from .config_section import Section
from .errors import ConfigError
from .finetune.settings import FinetuneConfig
from .integrations.settings import OTelConfig
from .middleware_entry import MiddlewareEntry, entry_problem
from .policy.settings import PolicyConfig
from .providers.settings import AzureConfig, GoogleConfig, OpenAIConfig, ProviderConfig
from .redaction.settings import NERConfig, RedactionConfig, VaultConfig

__all__ = [
    "AuditConfig",
    "AzureConfig",
    "ClientOverrides",
    "Config",
    "ConfigOverrides",
    "FinetuneConfig",
    "GoogleConfig",
    "LoadedConfig",
    "NERConfig",
    "OTelConfig",
    "OpenAIConfig",
    "PolicyConfig",
    "ProviderConfig",
    "RedactionConfig",
    "VaultConfig",
    "load_config",
    "mask_secret",
    "resolve_config",
    "resolve_secret",
]

# The names before every section was a ``...Config`` (documented, so still importable).
OpenAISettings = OpenAIConfig
AzureSettings = AzureConfig
GoogleSettings = GoogleConfig


def _middleware_entry(value: object) -> object:
    """A ``{use = ..., options = ..., place = ...}`` table as a MiddlewareEntry; a bad one is
    reported at its field (``middleware.1.place``), never with an option's value."""
    if not isinstance(value, Mapping):
        return value
    problem = None
    try:
        return MiddlewareEntry.model_validate(value)
    except ValidationError as exc:
        problem = entry_problem(exc)
    raise FieldError((problem[0],) if problem[0] else (), problem[1])


class Config(Section):
    """The whole configuration. Build it in code, or with :func:`load_config`."""

    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    #: Named provider profiles for sensitivity routing and fallbacks (``[providers.local]``).
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    redaction: RedactionConfig = Field(default_factory=RedactionConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    #: OpenTelemetry spans and metrics (``[otel] enabled = true``), never with content.
    otel: OTelConfig = Field(default_factory=OTelConfig)
    #: Retention of training files and tuned models at providers (``privllm finetune``).
    finetune: FinetuneConfig = Field(default_factory=FinetuneConfig)
    #: Extra middleware: an import path (``"myapp.mw:Tagger"``) or an entry with options and
    #: a place (``{use = "myapp.mw:Log", options = {...}, place = "inside_redaction"}``).
    #: Placed outside redaction (the default) it sees raw values: never log what it receives
    #: there; inside redaction it sees placeholders only (see docs/middleware.md).
    middleware: list[Annotated[str | MiddlewareEntry, BeforeValidator(_middleware_entry)]] = Field(
        default_factory=list
    )


class ClientOverrides(TypedDict, total=False):
    """The keyword overrides ``Client(...)`` and ``AsyncClient(...)`` take: one per
    :class:`Config` section, each a section object or a mapping of its fields (merged over
    the file and ``PRIVLLM_*`` values). Typed, so a misspelt section is caught by your
    editor and type checker, not only at run time:
    ``Client(provider={"model": "gpt-4o-mini"}, audit={"enabled": False})``.
    """

    provider: ProviderConfig | Mapping[str, Any]
    providers: Mapping[str, ProviderConfig | Mapping[str, Any]]
    policy: PolicyConfig | Mapping[str, Any]
    redaction: RedactionConfig | Mapping[str, Any]
    audit: AuditConfig | Mapping[str, Any]
    finetune: FinetuneConfig | Mapping[str, Any]
    otel: OTelConfig | Mapping[str, Any]


class ConfigOverrides(ClientOverrides, total=False):
    """The keyword overrides of :func:`load_config`: every :class:`Config` field. (A client
    takes ``middleware`` as its own argument, objects as well as import paths.)"""

    middleware: Sequence[str | MiddlewareEntry | Mapping[str, Any]]


class LoadedConfig(Config):
    """A ``Config`` that remembers where each value came from (for ``privllm config show``)."""

    sources: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Unpack[ConfigOverrides],
) -> LoadedConfig:
    """Build the effective config from file, environment and keyword overrides.

    ``env`` defaults to ``os.environ``; pass ``{}`` to ignore the environment.
    Raises :class:`ConfigError` naming the source, the field path and the reason.
    """
    environ = os.environ if env is None else env
    data, sources = merge_sources(path, environ, overrides, sections=Config.model_fields)
    error = None
    try:
        config = LoadedConfig.model_validate(data)
    except ValidationError as exc:
        error = config_error(exc, sources)
    if error is not None:  # raised here: no context holding the input (it may be a secret)
        raise error
    config.sources = sources
    return config


def resolve_config(
    config: Config | str | os.PathLike[str] | None,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any],
) -> Config:
    """A ``Config`` object as given, or one loaded from a path / the environment, with
    keyword overrides (which only make sense when loading)."""
    if isinstance(config, Config):
        if overrides:
            raise ConfigError("pass either a Config object or keyword overrides, not both")
        return config
    return load_config(config, env=env, **overrides)


def resolve_secret(
    value: SecretStr | None,
    env_name: str | None,
    env: Mapping[str, str],
    *,
    field: str | None = None,
) -> str | None:
    """The secret given directly, else the one in env var ``env_name``, else ``None``.

    ``field`` (``provider.openai.api_key``) names the setting: a key that cannot be sent in
    an HTTP header raises ``ConfigError`` naming it (or the variable), never the key.
    Whitespace around the key (a trailing newline) is stripped.

    >>> resolve_secret(None, "KEY", {"KEY": "sk-abc123\\n"})
    'sk-abc123'
    """
    where = field or "api_key"
    if value is not None:
        secret = value.get_secret_value()
    elif env_name:
        secret = env.get(env_name) or ""
        where = f"env {env_name}" + (f" ({field}_env)" if field else "")
    else:
        return None
    if not secret:
        return None
    return clean_key(secret, where, field)


def mask_secret(secret: str | None) -> str:
    """``'sk-…abcd'``: enough to tell keys apart, never enough to use one.

    A key shorter than 20 characters shows at most its last 4 (``'…abcd'``), one shorter
    than 12 none: the prefix and suffix of a short key are too much of it.

    >>> mask_secret("sk-proj-0123456789abcdef"), mask_secret("0123456789abcd"), mask_secret("")
    ('sk-…cdef', '…abcd', '(unset)')
    """
    if not secret:
        return "(unset)"
    if len(secret) < 12:
        return "…"
    if len(secret) < 20:
        return f"…{secret[-4:]}"
    return f"{secret[:3]}…{secret[-4:]}"
