"""The privllm clients a framework model (LangChain, LlamaIndex) makes its calls through.

A framework model is either handed clients (``client=Client(...)``, ``async_client=
AsyncClient(...)``) or builds both, when first used, from one config: a path or
:class:`~privllm.Config` plus the keyword arguments of ``Client(...)``. Built from one
config, sync and async calls get the same redaction, policy and audit log.

Imports no framework: both integrations share it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from privllm.client import AsyncClient, Client
from privllm.config import Config, resolve_config
from privllm.errors import ConfigError

__all__ = ["ClientSource", "ConfigLike"]

ConfigLike = Config | str | os.PathLike[str] | None
#: Keyword arguments of ``Client(...)`` that are not config sections.
_CLIENT_ARGS = frozenset({"middleware", "env", "transport_wrapper", "provider_options"})
#: Where each provider keeps its key and its address.
_URL_FIELD = {"openai": "base_url", "azure": "endpoint", "google": "base_url"}


class ClientSource:
    """Hands out a :class:`Client` and an :class:`AsyncClient`: the ones given, or ones built
    (once, thread-safely) from ``config`` and ``options``.

    ``api_key``, ``base_url`` and ``max_retries`` are the framework's usual constructor
    arguments; they change the built clients' provider section (``base_url`` is Azure's
    ``endpoint``), so they cannot be combined with clients passed in.
    """

    def __init__(
        self,
        owner: str,
        *,
        client: Client | None,
        async_client: AsyncClient | None,
        config: ConfigLike,
        options: Mapping[str, Any],
        api_key: SecretStr | None = None,
        base_url: str | None = None,
        max_retries: int | None = None,
    ) -> None:
        given = client is not None or async_client is not None
        settings = {
            name: value
            for name, value in (
                ("config", config),
                ("client_options", options or None),
                ("api_key", api_key),
                ("base_url", base_url),
                ("max_retries", max_retries),
            )
            if value is not None
        }
        if given and settings:
            raise ConfigError(
                f"{owner}: pass either clients (client=, async_client=) or settings to build "
                f"them ({', '.join(sorted(settings))}), not both: the clients already have "
                "their config",
                field=sorted(settings)[0],
            )
        self._owner = owner
        self._client = client
        self._async_client = async_client
        self._builds = not given
        self._config = config
        self._options = dict(options)
        self._api_key = api_key
        self._base_url = base_url
        self._max_retries = max_retries
        self._resolved: Config | None = None
        self._lock = threading.Lock()

    def sync(self) -> Client:
        """The client for sync calls."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = Client(self._build_config(), **self._client_args("sync"))
        return self._client

    def async_(self) -> AsyncClient:
        """The client for async calls."""
        if self._async_client is None:
            with self._lock:
                if self._async_client is None:
                    config = self._build_config()
                    self._async_client = AsyncClient(config, **self._client_args("async"))
        return self._async_client

    def close(self) -> None:
        """Close the sync client, if built here (clients passed in belong to the caller)."""
        if self._builds and self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close both clients, if built here."""
        if not self._builds:
            return
        if self._async_client is not None:
            await self._async_client.close()
        if self._client is not None:
            # Closing drains the audit queue (a writer thread): off the event loop.
            await asyncio.to_thread(self._client.close)

    def model(self) -> str | None:
        """The chat model the clients use by default (``provider.model``), if known."""
        client = self._client or self._async_client
        if client is not None:
            return client.config.provider.model
        return None

    def _client_args(self, kind: str) -> dict[str, Any]:
        if not self._builds:
            if kind == "sync":
                wanted = "an AsyncClient only: pass client=Client(...) too for sync calls"
            else:
                wanted = (
                    "a Client only: pass async_client=AsyncClient(...) too for async calls "
                    "(they are not run on the sync client in a thread)"
                )
            raise ConfigError(
                f"{self._owner} was given {wanted}, or config= to build both from one config",
                field="client" if kind == "sync" else "async_client",
            )
        return {k: v for k, v in self._options.items() if k in _CLIENT_ARGS}

    def _build_config(self) -> Config:
        # Resolved once: both clients get the same Config object, so the same policy.
        if self._resolved is None:
            sections = {k: v for k, v in self._options.items() if k not in _CLIENT_ARGS}
            config = resolve_config(self._config, self._options.get("env"), sections)
            self._resolved = self._with_provider_settings(config)
        return self._resolved

    def _with_provider_settings(self, config: Config) -> Config:
        provider = config.provider
        update: dict[str, Any] = {}
        if self._max_retries is not None:
            update["max_retries"] = self._max_retries
        section_update: dict[str, Any] = {}
        if self._api_key is not None:
            section_update["api_key"] = self._api_key
        if self._base_url is not None:
            section_update[_URL_FIELD.get(provider.name, "base_url")] = self._base_url
        if section_update:
            section = getattr(provider, provider.name, None)
            if section is None:
                raise ConfigError(
                    f"{self._owner}: api_key and base_url apply to the openai, azure and "
                    f"google providers, not {provider.name!r}: set them in its config",
                    field="provider.name",
                )
            update[provider.name] = section.model_copy(update=section_update)
        if not update:
            return config
        return config.model_copy(update={"provider": provider.model_copy(update=update)})
