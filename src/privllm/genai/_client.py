"""``Client`` (and ``client.aio``): google-genai's constructor over privllm's clients.

google-genai's arguments become privllm config (the ``provider`` section, Google's
settings); privllm's own config comes from ``config=`` (alias ``privllm=``: a path, a
``Config`` or a mapping of sections), the keyword sections (``redaction=``, ``policy=``,
``audit=``...) and, as for ``privllm.Client()``, ``PRIVLLM_CONFIG`` and ``PRIVLLM_*``.
The SDK's arguments win over config for what they set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from google.genai import types as gt
from google.genai.chats import AsyncChats, Chats

from privllm.client import AsyncClient as PrivllmAsyncClient
from privllm.client import Client as PrivllmClient
from privllm.config import Config
from privllm.core import USE_CLIENT_DEFAULT, TimeoutLike
from privllm.errors import ConfigError
from privllm.integrations._clients import ClientSource
from privllm.pipeline import Middleware

from ._models import AsyncModels, ChatModels, Models
from .errors import EndpointNotCovered

__all__ = ["AsyncClient", "Client"]

#: google-genai surfaces the drop-in refuses, and the privllm way where there is one.
NOT_COVERED: dict[str, str] = {
    "files": "uploaded files are stored at Google unredacted: send text in the contents "
    "(training files go through `privllm finetune prepare` and `upload`)",
    "caches": "cached contents are stored at Google unredacted: send the contents with each call",
    "batches": "send the calls through the client one by one (each is redacted and audited)",
    "tunings": "use `privllm finetune prepare`, `upload`, `create-job` and `status`",
    "live": "the Live API runs over websockets, which bypass the egress guard "
    "(policy.allow_websockets)",
    "file_search_stores": "stored documents are kept at Google unredacted: embed with "
    "models.embed_content and keep the vectors yourself",
    "operations": "long-running operations belong to surfaces privllm does not carry",
    "auth_tokens": "ephemeral tokens are for the Live API, which privllm refuses",
    "interactions": "not carried by privllm: use models.generate_content",
}


def _not_covered(name: str, where: str) -> EndpointNotCovered:
    return EndpointNotCovered(
        f"{where}.{name}: not covered by privllm's google-genai drop-in: {NOT_COVERED[name]}"
    )


def _merge(
    config: Config | str | os.PathLike[str] | Mapping[str, Any] | None,
    sections: Mapping[str, Any],
) -> tuple[Config | str | os.PathLike[str] | None, dict[str, Any]]:
    """(config for privllm's client, keyword sections): a mapping given as ``config`` is
    sections, merged under the keyword ones."""
    if not isinstance(config, Mapping):
        return config, dict(sections)
    merged = {k: dict(v) if isinstance(v, Mapping) else v for k, v in config.items()}
    for name, value in sections.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return None, merged


def _http_settings(http_options: gt.HttpOptions | Mapping[str, Any] | None) -> dict[str, Any]:
    """Google settings and provider options from ``http_options``; the rest refused."""
    if http_options is None:
        return {}
    options = (
        gt.HttpOptions.model_validate(dict(http_options))
        if isinstance(http_options, Mapping)
        else http_options
    )
    given = {n for n in options.model_fields_set if getattr(options, n) is not None}
    carried = {"base_url", "api_version", "timeout", "retry_options"}
    for name in sorted(given - carried):
        why = (
            "privllm builds the HTTP client itself (the egress guard is its transport); pass "
            "transport_wrapper= to wrap that transport"
            if "client" in name
            else "not carried by privllm (it would bypass its checks)"
        )
        raise ConfigError(f"http_options.{name}: {why}", field=f"http_options.{name}")
    out: dict[str, Any] = {}
    if options.base_url is not None:
        out["base_url"] = options.base_url
    if options.api_version is not None:
        out["api_version"] = options.api_version
    if options.timeout is not None:
        out["timeout"] = options.timeout / 1000  # the SDK counts milliseconds
    attempts = options.retry_options.attempts if options.retry_options is not None else None
    if attempts is not None:
        out["max_retries"] = max(0, attempts - 1)
    return out


def _key_env(env: Mapping[str, str] | None) -> str | None:
    """The variable google-genai would read the key from (``GOOGLE_API_KEY`` first)."""
    source = os.environ if env is None else env
    return next((n for n in ("GOOGLE_API_KEY", "GEMINI_API_KEY") if source.get(n)), None)


def _provider_section(
    sections: dict[str, Any],
    *,
    vertex: bool | None,
    api_key: str | None,
    project: str | None,
    location: str | None,
    http: dict[str, Any],
    env: Mapping[str, str] | None,
) -> None:
    """Point the ``provider`` section at Google with the SDK's arguments (those given)."""
    google: dict[str, Any] = {}
    if vertex is not None:
        google["mode"] = "vertex" if vertex else "gemini_api"
    if api_key is not None:
        google["api_key"] = api_key
        google.setdefault("mode", "gemini_api")
    if project is not None:
        google["project"] = project
    if location is not None:
        google["location"] = location
    for name in ("base_url", "api_version"):
        if name in http:
            google[name] = http[name]
    common = {k: http[k] for k in ("timeout", "max_retries") if k in http}
    if not google and not common:
        return  # privllm's config says where calls go
    if google.get("mode") == "gemini_api" and api_key is None:
        key_env = _key_env(env)
        if key_env is not None:
            google["api_key_env"] = key_env
    section = dict(sections.get("provider") or {})
    if google:
        section["name"] = "google"
        section["google"] = {**dict(section.get("google") or {}), **google}
    section.update(common)
    sections["provider"] = section


class Client:
    """google-genai's ``Client``, every call through privllm.

    >>> from google.genai import types
    >>> from privllm.genai import Client
    >>> from privllm.testing import GeminiServer
    >>> with GeminiServer() as server, Client(
    ...     vertexai=True, project="test-project", location="europe-west4",
    ...     http_options=types.HttpOptions(base_url=server.url),
    ...     provider={"google": {"access_token": "ya29.local"}}, audit={"enabled": False},
    ... ) as client:
    ...     client.models.generate_content(model="gemini-test", contents="Hi").text
    'Hi'
    """

    models: Models
    aio: AsyncClient
    chats: Chats

    def __init__(
        self,
        *,
        vertexai: bool | None = None,
        enterprise: bool | None = None,
        api_key: str | None = None,
        credentials: Any = None,
        project: str | None = None,
        location: str | None = None,
        http_options: gt.HttpOptions | Mapping[str, Any] | None = None,
        debug_config: Any = None,
        config: Config | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        privllm: Config | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        middleware: Sequence[Middleware | str] = (),
        env: Mapping[str, str] | None = None,
        transport_wrapper: Any = None,
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
        **sections: Any,
    ) -> None:
        if enterprise is not None and vertexai is not None and enterprise != vertexai:
            raise ValueError("enterprise and vertexai flags have conflicting values")
        if debug_config is not None:
            raise ConfigError(
                "debug_config: record/replay modes are not carried by privllm",
                field="debug_config",
            )
        if callable(api_key):
            raise ConfigError("api_key: a callable is not supported", field="api_key")
        vertex = enterprise if enterprise is not None else vertexai
        base, merged = _merge(config if config is not None else privllm, sections)
        _provider_section(
            merged,
            vertex=vertex,
            api_key=api_key,
            project=project,
            location=location,
            http=_http_settings(http_options),
            env=env,
        )
        options: dict[str, Any] = {**merged, "middleware": middleware}
        if env is not None:
            options["env"] = env
        if transport_wrapper is not None:
            options["transport_wrapper"] = transport_wrapper
        own = dict(provider_options or {})
        if credentials is not None:
            own["default"] = {**dict(own.get("default") or {}), "credentials": credentials}
        if own:
            options["provider_options"] = own
        self._source = ClientSource(
            "privllm.genai.Client", client=None, async_client=None, config=base, options=options
        )
        self._timeout: TimeoutLike = USE_CLIENT_DEFAULT
        self._async_built = False
        self._source.sync()  # config errors now, as the SDK raises them at construction
        self.models = Models(self)
        self.chats = Chats(modules=ChatModels(self.models))
        self.aio = AsyncClient(self)

    def _sync(self) -> PrivllmClient:
        return self._source.sync()

    def _async(self) -> PrivllmAsyncClient:
        self._async_built = True
        return self._source.async_()

    @property
    def privllm(self) -> PrivllmClient:
        """The privllm ``Client`` underneath (``client.aio.privllm``: the ``AsyncClient``)."""
        return self._sync()

    @property
    def vertexai(self) -> bool:
        provider = self._sync().config.provider
        return provider.name == "google" and provider.google.mode == "vertex"

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class does not define: the SDK's other surfaces.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in NOT_COVERED:
            raise _not_covered(name, "client")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def close(self) -> None:
        """Close the privllm client for sync calls (``await client.aio.aclose()`` closes the
        async one)."""
        self._source.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"privllm.genai.Client(privllm={self._sync()!r})"


class AsyncClient:
    """``client.aio``: the async twin, sharing the client's config (same policy, same log)."""

    models: AsyncModels
    chats: AsyncChats

    def __init__(self, client: Client) -> None:
        self._parent = client
        self._source = client._source
        self._timeout = client._timeout
        self.models = AsyncModels(client)
        self.chats = AsyncChats(modules=self.models)  # type: ignore[arg-type]  # duck-typed

    @property
    def privllm(self) -> PrivllmAsyncClient:
        return self._parent._async()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in NOT_COVERED:
            raise _not_covered(name, "client.aio")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    async def aclose(self) -> None:
        """Close the privllm client for async calls, as the SDK's ``aclose`` closes the async
        client only (``client.close()`` closes the sync one)."""
        if self._parent._async_built:
            await self._parent._async().close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
