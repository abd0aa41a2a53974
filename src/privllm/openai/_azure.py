"""``AzureOpenAI`` and ``AsyncAzureOpenAI``: the SDK's Azure constructors over privllm's Azure
provider (deployment URLs or the v1 API; an API key or Entra ID tokens)."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from privllm.client import AsyncClient
from privllm.config import Config
from privllm.pipeline import Middleware

from ._clients import AsyncOpenAI, OpenAI, _provider, _refuse_unsupported, _seconds, _sections

__all__ = ["AsyncAzureOpenAI", "AzureOpenAI"]


class _TokenCredential:
    """An azure-core ``TokenCredential`` over the SDK's ``azure_ad_token_provider`` (or a
    fixed ``azure_ad_token``). Tokens are marked expired at once, so the provider is asked
    on every call, as the SDK asks it (it caches on its own)."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._fetch(), int(time.time()))

    def close(self) -> None:
        pass


class _AsyncTokenCredential:
    """The async twin of :class:`_TokenCredential`."""

    def __init__(self, fetch: Callable[[], Awaitable[str] | str]) -> None:
        self._fetch = fetch

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        token = self._fetch()
        if not isinstance(token, str):
            token = await token
        return AccessToken(token, int(time.time()))

    async def close(self) -> None:
        pass


def _azure_args(
    azure_endpoint: str | None,
    base_url: str | None,
    api_version: str | None,
    azure_deployment: str | None,
    api_key: str | None,
) -> dict[str, Any]:
    settings: dict[str, Any] = {"api_key": api_key, "api_version": api_version}
    if azure_endpoint is not None:
        settings["endpoint"] = str(azure_endpoint)
    elif base_url is not None:
        # AzureOpenAI(base_url=".../openai/v1/") is the v1 API; a deployment URL names it.
        url = str(base_url).rstrip("/")
        if url.endswith("/openai/v1"):
            settings.update(endpoint=url, v1_api=True)
        elif "/openai/deployments/" in url:
            root, _, deployment = url.partition("/openai/deployments/")
            settings["endpoint"] = root
            azure_deployment = azure_deployment or deployment.split("/")[0]
        else:
            settings["endpoint"] = url
    if azure_deployment is not None:
        settings["deployment"] = azure_deployment
    return settings


class AzureOpenAI(OpenAI):
    """The SDK's ``AzureOpenAI``: ``azure_endpoint``, ``api_version``, ``azure_deployment``,
    ``api_key`` or ``azure_ad_token_provider`` / ``azure_ad_token`` (Entra ID), through
    privllm's Azure provider. The endpoint is never read from ``AZURE_OPENAI_ENDPOINT``:
    pass it, or set ``provider.azure.endpoint`` in privllm config."""

    def __init__(
        self,
        *,
        api_version: str | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_key: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: Callable[[], Any] | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Any = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: Any = None,
        websocket_base_url: str | None = None,
        config: Config | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        privllm: Config | str | os.PathLike[str] | Mapping[str, Any] | None = None,
        middleware: Sequence[Middleware | str] = (),
        env: Mapping[str, str] | None = None,
        transport_wrapper: Any = None,
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
        **sections: Any,
    ) -> None:
        _refuse_unsupported(
            http_client, default_headers, default_query, websocket_base_url, api_key
        )
        base, merged = _sections(config if config is not None else privllm, sections)
        settings = _azure_args(azure_endpoint, base_url, api_version, azure_deployment, api_key)
        options = {k: dict(v) for k, v in (provider_options or {}).items()}
        fetch: Any = azure_ad_token_provider
        if fetch is None and azure_ad_token is not None:
            token = azure_ad_token

            def fetch() -> str:
                return token

        if fetch is not None:
            settings["auth"] = "entra_id"
            options.setdefault("default", {})["credential"] = self._credential(fetch)
        deployment = settings.get("deployment")
        common: dict[str, Any] = {"timeout": _seconds(timeout), "max_retries": max_retries}
        if deployment:
            # The SDK sends every call to azure_deployment whatever `model` says.
            common.update(model=deployment, embedding_model=deployment)
        _provider(merged, "azure", settings, common)
        self._privllm = self._client_class(
            base,
            middleware=middleware,
            env=env,
            transport_wrapper=transport_wrapper,
            provider_options=options,
            **merged,
        )
        self._defaults(default_headers, default_query)
        self._model = deployment
        self._tree()

    def _credential(self, fetch: Callable[[], Any]) -> Any:
        return _TokenCredential(fetch)


class AsyncAzureOpenAI(AzureOpenAI, AsyncOpenAI):
    """The async twin of :class:`AzureOpenAI`; ``azure_ad_token_provider`` may be async."""

    _client_class = AsyncClient

    def _credential(self, fetch: Callable[[], Any]) -> Any:
        return _AsyncTokenCredential(fetch)
