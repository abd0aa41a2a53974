"""Configuration: one ``Config`` built from explicit, ordered sources.

Later sources override earlier ones: defaults < ``privllm.toml`` (path given, or
``PRIVLLM_CONFIG``) < ``PRIVLLM_*`` environment variables (``__`` separates levels, e.g.
``PRIVLLM_PROVIDER__MODEL``) < keyword arguments. No ``.env`` file is ever read.

>>> cfg = load_config(env={}, provider={"name": "openai", "model": "gpt-4o-mini"})
>>> cfg.provider.model
'gpt-4o-mini'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict, Unpack

from .config_keys import EnvName, clean_key
from .config_load import ENV_PREFIX as ENV_PREFIX
from .config_load import FieldError, config_error, merge_sources
from .errors import ConfigError
from .finetune.settings import FinetuneSettings
from .middleware_entry import MiddlewareEntry, entry_problem

__all__ = [
    "AuditConfig",
    "AzureSettings",
    "ClientOverrides",
    "Config",
    "ConfigOverrides",
    "GoogleSettings",
    "LoadedConfig",
    "NERConfig",
    "OTelConfig",
    "OpenAISettings",
    "PolicyConfig",
    "ProviderConfig",
    "RedactionConfig",
    "VaultConfig",
    "load_config",
    "mask_secret",
    "resolve_config",
    "resolve_secret",
]


class _Section(BaseModel):
    # hide_input_in_errors: a ValidationError from code building a section directly must not
    # quote a value either (it may be a key typed into the wrong setting).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, hide_input_in_errors=True)


class OpenAISettings(_Section):
    """OpenAI, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp) via ``base_url``."""

    api_key: SecretStr | None = None
    api_key_env: EnvName | None = "OPENAI_API_KEY"
    #: Unset means api.openai.com (or the ``data_residency`` host). Never read from the env.
    base_url: str | None = None
    data_residency: Literal["global", "us", "eu", "ae"] | None = None
    organization: str | None = None
    project: str | None = None


class AzureSettings(_Section):
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


class GoogleSettings(_Section):
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


class ProviderConfig(_Section):
    """Which backend, and the settings of each. Swap provider by changing ``name`` only."""

    name: str = "openai"
    model: str | None = None
    embedding_model: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    #: Connection pool of each HTTP client (the openai SDK's defaults): concurrent calls
    #: past ``max_connections`` wait for one; ``max_keepalive_connections`` stay open idle.
    max_connections: int = Field(default=1000, ge=1)
    max_keepalive_connections: int = Field(default=100, ge=0)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)

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


class PolicyConfig(_Section):
    """Where data may go. Every rule is checked before any byte is sent, and again at the
    HTTP transport (the egress guard). Loosening a default is an explicit line of config."""

    deny_consumer_endpoints: bool = True
    #: Hosts privllm does not know (not an API, consumer or declared self-hosted host).
    deny_unknown_endpoints: bool = True
    #: Empty means any provider.
    allowed_providers: list[str] = Field(default_factory=list)
    #: Exact host names (after normalisation) allowed in addition to the known API hosts.
    allowed_hosts: list[str] = Field(default_factory=list)
    denied_hosts: list[str] = Field(default_factory=list)
    #: Regions or data zones (``swedencentral``, ``eu``); empty means any. Self-hosted
    #: endpoints are exempt (the data stays with you).
    allowed_regions: list[str] = Field(default_factory=list)
    #: Refuse endpoints that may train on the data (the Gemini API free tier).
    require_no_training: bool = True
    #: Send ``store=false`` to OpenAI/Azure and refuse a call that asks to store.
    require_no_store: bool = True
    #: Hosts you run yourself (vLLM, Ollama...). Loopback and private IPs count already.
    self_hosted_hosts: list[str] = Field(default_factory=list)
    #: Finding types that make a request sensitive (routed or refused, see below).
    sensitive_types: list[str] = Field(default_factory=list)
    #: A profile name in ``[providers]`` for sensitive requests, or ``"refuse"``.
    route_sensitive_to: str | None = None
    #: Profiles in ``[providers]`` tried in order on 429, 5xx and timeouts, if allowed.
    fallbacks: list[str] = Field(default_factory=list)
    #: The HTTP transport guard (host, scheme, port, redirects, body checks).
    egress_guard: bool = True
    #: Types the guard refuses to see in any outgoing body, whatever produced it.
    egress_block_types: list[str] = Field(
        default_factory=lambda: ["SECRET", "CREDIT_CARD", "US_SSN", "IBAN"]
    )
    #: The largest request body the guard reads (before and after gzip/deflate decoding);
    #: larger ones are refused, as a body it cannot read must not leave unread.
    egress_max_body_bytes: int = Field(default=256 * 2**20, gt=0)
    #: Websocket APIs (OpenAI Realtime, Gemini Live) bypass the HTTP guard, so the SDK
    #: clients privllm builds refuse them (``egress.websocket``) unless this is true.
    allow_websockets: bool = False


RedactionAction = Literal["placeholder", "mask", "block", "allow"]

_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _default_ner_labels() -> dict[str, str]:
    from privllm.redaction.terms import DEFAULT_NER_LABELS

    return dict(DEFAULT_NER_LABELS)


class NERConfig(_Section):
    """A named-entity model run beside the built-in detectors (docs/redaction.md, "NER").

    Off unless ``engine`` is set. ``model`` is a model the user installed (for spaCy a package
    name such as ``en_core_web_sm``, or a folder); it is loaded when the client is built.
    ``labels`` maps the model's labels to privllm types; labels not in it are ignored.

    >>> NERConfig(engine="spacy", model="en_core_web_sm").labels["GPE"]
    'LOCATION'
    """

    engine: Literal["spacy"] | None = None
    model: str = ""
    labels: dict[str, str] = Field(default_factory=_default_ner_labels)
    #: Texts per ``nlp.pipe`` batch in ``privllm redact`` and ``finetune prepare``.
    batch_size: int = Field(default=64, gt=0)

    @model_validator(mode="after")
    def _model_and_labels(self) -> NERConfig:
        if self.engine is not None and not self.model.strip():
            raise FieldError(
                ("model",), f"engine {self.engine!r} needs a model: an installed package name"
            )
        if self.engine is not None and not self.labels:
            raise FieldError(("labels",), "maps no model label to a type: nothing would be found")
        for label, kind in self.labels.items():
            if not _TYPE_NAME.fullmatch(kind):
                raise FieldError(
                    ("labels", label),
                    "a type is upper-case letters, digits and _ (PERSON, LOCATION)",
                )
        return self


class VaultConfig(_Section):
    """Where a ``Conversation`` with an ``id`` keeps its placeholder map (docs/vault.md).

    ``memory`` (the default) keeps it in the client; ``redis`` shares it between workers
    (``pip install 'privllm[redis]'``): values are encrypted under the vault key before they
    reach Redis, which holds ciphertext and keyed-hash ids only.

    >>> VaultConfig().backend, VaultConfig().url_env, VaultConfig().ttl
    ('memory', 'PRIVLLM_VAULT_URL', 86400)
    """

    backend: Literal["memory", "redis"] = "memory"
    #: ``redis``: env var holding the URL (``redis://:password@host:6379/0``, ``rediss://``
    #: for TLS). Read from the environment only, as it may hold a password; never shown.
    url_env: EnvName = "PRIVLLM_VAULT_URL"
    #: Env var holding the vault's master key (base64 of 32 bytes, ``privllm audit keygen``);
    #: every worker of a fleet needs the same key.
    key_env: EnvName = "PRIVLLM_VAULT_KEY"
    #: In code only: a ``MasterKey`` or a callable returning the key (a KMS). Never shown.
    key: Any = Field(default=None, exclude=True, repr=False)
    #: Start of every Redis key privllm writes; ``tenant`` follows it.
    prefix: str = Field(default="privllm:vault:", pattern=r"^[A-Za-z0-9_.:-]{0,64}$")
    #: One tenant's conversations are unreadable to another's (own keys, own MAC key).
    tenant: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    #: Seconds a conversation's map is kept after its last call.
    ttl: int = Field(default=86_400, ge=1)
    #: Seconds to wait for Redis before the call is refused.
    timeout: float = Field(default=2.0, gt=0)

    @field_validator("key")
    @classmethod
    def _key_in_code(cls, value: Any) -> Any:
        return _master_key_in_code(value, "the PRIVLLM_VAULT_KEY environment variable")


class RedactionConfig(_Section):
    """What to detect and what to do with it, before anything leaves the process.

    ``actions`` maps a type to ``placeholder`` (reversible, the default), ``mask``
    (irreversible), ``block`` (refuse the call) or ``allow``. ``terms`` maps PERSON /
    ORGANIZATION (or any type name you choose) to term lists; ``terms_files`` to files with
    one term per line.
    """

    enabled: bool = True
    #: Built-in types to detect; ``None`` means all of them.
    types: list[str] | None = None
    default_action: RedactionAction = "placeholder"
    actions: dict[str, RedactionAction] = Field(default_factory=dict)
    terms: dict[str, list[str]] = Field(default_factory=dict)
    terms_files: dict[str, str] = Field(default_factory=dict)
    phone_regions: list[str] = Field(default_factory=lambda: ["US", "GB", "DE", "FR", "NL"])
    #: Seconds one call may spend scanning before it is refused (fail closed).
    timeout: float = Field(default=2.0, gt=0)
    #: Embedding inputs: redact them (placeholders change vectors slightly) or refuse.
    embeddings: Literal["redact", "block"] = "redact"
    #: Types whose placeholders stay placeholders in the tool-call arguments of answers:
    #: a prompt-injected document could otherwise have the model put your key in a call to
    #: its server. Empty the list to get real values there too.
    keep_placeholders_in_tool_calls: list[str] = Field(
        default_factory=lambda: ["SECRET", "URL_CREDENTIALS"]
    )
    #: Where a ``Conversation(id=...)`` keeps its placeholder map (``[redaction.vault]``).
    vault: VaultConfig = Field(default_factory=VaultConfig)
    #: A named-entity model (``[redaction.ner] engine = "spacy"``); off by default.
    ner: NERConfig = Field(default_factory=NERConfig)

    @model_validator(mode="after")
    def _actions_name_known_types(self) -> RedactionConfig:
        # A misspelt type (credit_card, CREDITCARD) would silently fall back to the default
        # action: fail closed instead.
        if not self.actions:
            return self
        # Only when actions are set: the scan module loads the detectors.
        from privllm.redaction.scan import BUILTIN_TYPES, NAME_TYPES

        known = BUILTIN_TYPES | NAME_TYPES | set(self.terms) | set(self.terms_files)
        if self.ner.engine is not None:
            known |= set(self.ner.labels.values())
        for kind in self.actions:
            if kind in known:
                continue
            hint = (
                f"types are upper-case: {kind.upper()}"
                if kind.upper() in known
                else "known types: " + ", ".join(sorted(known))
            )
            raise FieldError(
                ("actions", kind),
                f"{kind!r} is not a redaction type ({hint}; a type of your own needs an "
                "entry in redaction.terms or redaction.terms_files)",
            )
        return self


class AuditConfig(_Section):
    """The local audit log: one encrypted record per call (see docs/audit.md).

    On by default, with payloads in placeholder form. The key comes from ``key`` (code
    only), else env var ``key_env``, else ``key_file``; with ``create_key`` and no log yet,
    a new 0600 key file is made next to the log.

    >>> AuditConfig().content, AuditConfig(content="metadata").on_full
    ('redacted', 'block')
    """

    enabled: bool = True
    #: Where the log is kept: ``sqlite`` (one file per host, ``path``) or ``postgresql`` (one
    #: log for many hosts, needs ``pip install 'privllm[postgres]'``; see ``dsn_env``).
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    #: The SQLite file; unset means ``$XDG_DATA_HOME/privllm/audit.db`` (else
    #: ``~/.local/share/privllm/audit.db``).
    path: Path | None = None
    #: ``postgresql``: env var holding the connection string (libpq DSN or URI). Read from
    #: the environment only, as it may hold a password; never shown.
    dsn_env: EnvName = "PRIVLLM_AUDIT_DSN"
    #: ``postgresql``: the schema holding the log's tables (one log per schema).
    pg_schema: str = Field(default="privllm_audit", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    #: ``metadata`` (no content), ``redacted`` (content as sent, in placeholder form), or
    #: ``full`` (also the placeholder map, under a per-call key that ``erase`` destroys).
    content: Literal["metadata", "redacted", "full"] = "redacted"
    #: Env var holding the master key (base64 of 32 bytes).
    key_env: EnvName = "PRIVLLM_AUDIT_KEY"
    #: Key file (mode 0600); unset means ``audit.key`` next to the log.
    key_file: Path | None = None
    #: Make a key file on first use when no key is configured and the log does not exist.
    create_key: bool = True
    #: In code only, never from a file or env: a ``MasterKey``, or a callable returning the
    #: key (32 raw bytes or base64 text), e.g. one that asks a KMS. Never shown or dumped.
    key: Any = Field(default=None, exclude=True, repr=False)
    #: Delete records older than this many days (whole UTC days), at client start and hourly.
    retention_days: int | None = Field(default=None, ge=1)
    #: Records waiting for the background writer before ``on_full`` applies.
    queue_size: int = Field(default=10_000, ge=1)
    #: A full queue: ``block`` waits for room (stalls an event loop), ``fail`` fails the call
    #: with ``AuditError``. A record is never dropped silently.
    on_full: Literal["block", "fail"] = "block"
    #: With ``on_full = "block"``: seconds to wait before failing the call; unset waits.
    block_timeout: float | None = Field(default=None, gt=0)
    #: fsync every commit (survives power loss, slower); the default survives a crash.
    durable: bool = False
    #: A call returns only once its record is committed, so no call succeeds without its
    #: record, even if the process is killed (kill -9) right after. Costs a commit per call
    #: on the caller's thread (see docs/performance.md).
    require_record: bool = False

    @field_validator("key")
    @classmethod
    def _key_in_code(cls, value: Any) -> Any:
        return _master_key_in_code(
            value, "the PRIVLLM_AUDIT_KEY environment variable or a key file"
        )


def _master_key_in_code(value: Any, instead: str) -> Any:
    if value is None or callable(value):
        return value
    from privllm.audit.crypto import MasterKey  # only when a key is given: no import cost

    if isinstance(value, MasterKey):
        return value
    # The value is not echoed: it may be a key typed into the wrong place.
    raise ValueError(
        f"takes a MasterKey or a callable, in code only; put a base64 key in the {instead} instead"
    )


class OTelConfig(_Section):
    """OpenTelemetry traces and metrics for every call (``pip install 'privllm[otel]'``).

    Off by default. On, each call gets a span following the GenAI semantic conventions and
    feeds a few metrics; no prompt, answer or detected value ever goes into them (see
    docs/observability.md). The SDK and exporter are yours: unset providers mean the global
    ones (``opentelemetry.trace.set_tracer_provider``).

    >>> OTelConfig().enabled
    False
    """

    enabled: bool = False
    #: In code only: a ``TracerProvider`` to use instead of the global one.
    tracer_provider: Any = Field(default=None, exclude=True, repr=False)
    #: In code only: a ``MeterProvider`` to use instead of the global one.
    meter_provider: Any = Field(default=None, exclude=True, repr=False)


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


class Config(_Section):
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
    finetune: FinetuneSettings = Field(default_factory=FinetuneSettings)
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
    finetune: FinetuneSettings | Mapping[str, Any]
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
