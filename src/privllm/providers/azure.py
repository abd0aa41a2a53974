"""Azure OpenAI, through the official ``openai`` SDK's ``AzureOpenAI``/``AsyncAzureOpenAI``.

Two URL styles, chosen by ``provider.azure.v1_api``:

- deployments (default): ``{endpoint}/openai/deployments/{deployment}/chat/completions
  ?api-version=...``, the deployment taken from ``provider.azure.deployment`` (or the model);
- the v1 API: ``{endpoint}/openai/v1/chat/completions``, no api-version, deployment in the
  body's ``model``.

Auth: an API key (``api-key`` header; ``Authorization: Bearer`` on the v1 API) or Microsoft
Entra ID (``auth = "entra_id"``): any ``TokenCredential`` passed in code, else
``DefaultAzureCredential``, scope ``token_scope``. Tokens are cached and refreshed before
they expire (azure-core's ``BearerTokenCredentialPolicy``).

Residency is declared (``region``, ``data_zone``): the deployment type is not visible in the
URL, so the :class:`~privllm.types.Endpoint` repeats what config says for policy to check.

>>> from privllm.config import ProviderConfig
>>> cfg = ProviderConfig(name="azure", azure={
...     "endpoint": "https://contoso.openai.azure.com", "region": "swedencentral",
...     "data_zone": "eu", "api_key": "k"})
>>> ep = AzureProvider(cfg, env={}).endpoint
>>> ep.provider, ep.kind, ep.region, ep.data_zone
('azure', 'enterprise_api', 'swedencentral', 'eu')
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import openai

from privllm.errors import AuthenticationError, ConfigError, ContentFilteredError, PrivllmError
from privllm.types import ChatRequest, EmbeddingRequest, Endpoint

from .base import (
    TransportWrapper,
    connection_limits,
    make_async_http_client,
    make_http_client,
)
from .cause import araise_mapped, raise_mapped
from .openai import OpenAIProvider, without_env_headers
from .openai.errors import error_message

if TYPE_CHECKING:
    from privllm.config import AzureConfig, ProviderConfig

__all__ = ["AzureProvider", "azure_endpoint"]

_FILTER_CODE = "content_filter"
#: The first api-version with the Responses API on ``/openai/responses`` (a preview); the
#: v1 API (``/openai/v1/responses``) needs none.
_RESPONSES_SINCE = "2025-03-01"
_Client = TypeVar("_Client", openai.OpenAI, openai.AsyncOpenAI)


def _normalise(endpoint: str) -> str:
    """``https://x.openai.azure.com/openai/v1/`` -> ``https://x.openai.azure.com``."""
    url = endpoint.strip().rstrip("/")
    for suffix in ("/openai/v1", "/openai"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def azure_endpoint(settings: AzureConfig) -> Endpoint:
    """The :class:`Endpoint` for ``settings`` (no IO); raises ``ConfigError`` without one."""
    if not settings.endpoint:
        raise ConfigError(
            "provider.azure.endpoint: not set (https://RESOURCE.openai.azure.com)",
            field="provider.azure.endpoint",
        )
    root = _normalise(settings.endpoint)
    base_url = f"{root}/openai/v1/" if settings.v1_api else f"{root}/openai"
    return Endpoint(
        provider="azure",
        base_url=base_url,
        host=(urlsplit(root).hostname or "").lower().rstrip("."),
        kind="enterprise_api",
        region=settings.region,
        data_zone=settings.data_zone,
    )


class AzureProvider(OpenAIProvider):
    """Azure OpenAI: the OpenAI provider's mapping over Azure URLs, auth and errors.

    ``credential`` takes any azure-core ``TokenCredential`` (or ``AsyncTokenCredential``)
    and implies Entra ID auth: ``Client(cfg, backend=AzureProvider(cfg.provider,
    env=os.environ, credential=ManagedIdentityCredential()))``.
    """

    name = "azure"
    #: Azure knows ``developer`` only from API version 2024-12-01-preview (privllm's default
    #: is the GA 2024-10-21): it gets ``system``, the older name every version takes.
    developer_role = False

    def __init__(
        self,
        config: ProviderConfig,
        *,
        env: Mapping[str, str],
        transport_wrapper: TransportWrapper | None = None,
        credential: Any = None,
        allow_websockets: bool = False,
    ) -> None:
        from privllm.config import resolve_secret

        settings = config.azure
        self._config = config
        self._settings = settings
        self._transport_wrapper = transport_wrapper
        self._allow_websockets = allow_websockets
        self.endpoint = azure_endpoint(settings)
        self._root = _normalise(settings.endpoint or "")
        self._env = env
        self._credential = credential
        self._owns_credential = False  # a credential passed in is the caller's to close
        self._entra = credential is not None or settings.auth == "entra_id"
        self._api_key = (
            None
            if self._entra
            else resolve_secret(
                settings.api_key, settings.api_key_env, env, field="provider.azure.api_key"
            )
        )
        self._sync: openai.OpenAI | None = None  # AzureOpenAI, or OpenAI on the v1 API
        self._sync_lock = threading.Lock()  # one SDK client (OpenAIProvider.sdk)
        self._async: openai.AsyncOpenAI | None = None
        self._calls: openai.OpenAI | None = None  # retries off (OpenAIProvider._call_sdk)
        self._acalls: openai.AsyncOpenAI | None = None
        self._token_provider: Callable[[], str] | None = None
        self._async_token_provider: Callable[[], Awaitable[str]] | None = None

    def __repr__(self) -> str:
        auth = "entra_id" if self._entra else "api_key"
        return f"AzureProvider(endpoint={self.endpoint.base_url!r}, auth={auth!r})"

    # -- SDK clients ---------------------------------------------------------------------------

    def _check_key(self) -> None:
        if self._entra or self._api_key:
            return
        env_name = self._settings.api_key_env
        raise ConfigError(
            f"provider.azure.api_key: no API key (set it, set env {env_name}, or use "
            'auth = "entra_id")'
            if env_name
            else "provider.azure.api_key: no API key",
            field="provider.azure.api_key",
        )

    def _credential_or_default(self) -> Any:
        if self._credential is None:
            from .azure_identity import EnvironmentTokenCredential

            # Not DefaultAzureCredential: it reads os.environ whatever env= says, and sends
            # its token requests around the egress guard. This one reads the client's env
            # and sends through privllm's client, the guard inside.
            http = make_http_client(
                self._config.timeout,
                self._transport_wrapper,
                limits=connection_limits(self._config),
            )
            self._credential = EnvironmentTokenCredential(self._env, http)
            self._owns_credential = True
        return self._credential

    def _sync_token(self) -> Callable[[], str]:
        if self._token_provider is None:
            from azure.identity import get_bearer_token_provider

            credential = self._credential_or_default()
            if inspect.iscoroutinefunction(getattr(credential, "get_token", None)):
                raise ConfigError(
                    "provider.azure: an async credential cannot serve the sync Client; "
                    "pass a sync TokenCredential",
                    field="provider.azure.auth",
                )
            fetch = get_bearer_token_provider(credential, self._settings.token_scope)

            def token() -> str:
                return raise_mapped(fetch, _credential_error)

            self._token_provider = token
        return self._token_provider

    def _async_token(self) -> Callable[[], Awaitable[str]]:
        if self._async_token_provider is None:
            credential = self._credential_or_default()
            if inspect.iscoroutinefunction(getattr(credential, "get_token", None)):
                from azure.identity.aio import get_bearer_token_provider as aio_provider

                afetch = aio_provider(credential, self._settings.token_scope)

                async def atoken() -> str:
                    return await araise_mapped(afetch, _credential_error)

                self._async_token_provider = atoken
            else:
                # A sync credential serves async clients too: cached tokens cost nothing, and
                # a refresh blocks once an hour at most.
                sync_token = self._sync_token()

                async def token() -> str:
                    return sync_token()

                self._async_token_provider = token
        return self._async_token_provider

    def _api_version(self) -> str:
        # Never None: the SDK would then read OPENAI_API_VERSION from the environment.
        if not self._settings.api_version:
            raise ConfigError(
                "provider.azure.api_version: required for deployment URLs (or set v1_api)",
                field="provider.azure.api_version",
            )
        return self._settings.api_version

    def _common_args(self, max_retries: int) -> dict[str, Any]:
        return {
            "timeout": self._config.timeout,
            "max_retries": max_retries,
            # Explicit, so OPENAI_ORG_ID / OPENAI_PROJECT_ID are not read (Azure ignores them).
            "organization": "",
            "project": "",
        }

    def _new_sync(self, max_retries: int) -> openai.OpenAI:
        http = make_http_client(
            self._config.timeout, self._transport_wrapper, limits=connection_limits(self._config)
        )
        settings = self._settings
        client: openai.OpenAI
        if settings.v1_api:
            key: Any = self._sync_token() if self._entra else self._api_key
            client = openai.OpenAI(
                api_key=key,
                base_url=self.endpoint.base_url,
                http_client=http,
                **self._common_args(max_retries),
            )
        else:
            auth: dict[str, Any] = (
                {"azure_ad_token_provider": self._sync_token()}
                if self._entra
                else {"api_key": self._api_key}
            )
            client = openai.AzureOpenAI(
                azure_endpoint=self._root,
                api_version=self._api_version(),
                http_client=http,
                **auth,
                **self._common_args(max_retries),
            )
        return without_env_headers(client)

    def _new_async(self, max_retries: int) -> openai.AsyncOpenAI:
        http = make_async_http_client(
            self._config.timeout, self._transport_wrapper, limits=connection_limits(self._config)
        )
        settings = self._settings
        client: openai.AsyncOpenAI
        if settings.v1_api:
            key: Any = self._async_token() if self._entra else self._api_key
            client = openai.AsyncOpenAI(
                api_key=key,
                base_url=self.endpoint.base_url,
                http_client=http,
                **self._common_args(max_retries),
            )
        else:
            auth: dict[str, Any] = (
                {"azure_ad_token_provider": self._async_token()}
                if self._entra
                else {"api_key": self._api_key}
            )
            client = openai.AsyncAzureOpenAI(
                azure_endpoint=self._root,
                api_version=self._api_version(),
                http_client=http,
                **auth,
                **self._common_args(max_retries),
            )
        return without_env_headers(client)

    def close(self) -> None:
        super().close()
        if self._owns_credential:
            self._credential.close()

    async def aclose(self) -> None:
        await super().aclose()
        if self._owns_credential:
            self._credential.close()  # the sync DefaultAzureCredential privllm made

    # -- mapping -------------------------------------------------------------------------------

    def chat_params(self, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
        """OpenAI's parameters; ``model`` is the deployment the URL is built from.

        ``provider.azure.deployment`` serves calls that name no other model.
        """
        params = super().chat_params(request, stream=stream)
        deployment = self._settings.deployment
        if deployment and request.model == self._config.model:
            params["model"] = deployment
        return params

    @property
    def responses_api(self) -> bool:  # type: ignore[override]
        """Azure serves the Responses API on the v1 API (``/openai/v1/responses``) and, from
        api-version 2025-03-01-preview, on ``/openai/responses?api-version=...`` (the SDK's
        ``AzureOpenAI`` builds that URL: ``/responses`` is not a deployment path)."""
        version = self._settings.api_version or ""
        return self._settings.v1_api or version[:10] >= _RESPONSES_SINCE

    def responses_params(self, request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
        """OpenAI's, ``model`` the deployment as for :meth:`chat_params`."""
        if not self.responses_api:
            from privllm.errors import InvalidRequestError

            raise InvalidRequestError(
                "invalid chat request: api: Azure serves the Responses API on the v1 API "
                "(provider.azure.v1_api = true) or from api_version 2025-03-01-preview; "
                f"provider.azure.api_version is {self._settings.api_version!r}",
                fields=("api",),
            )
        params = super().responses_params(request, stream=stream)
        deployment = self._settings.deployment
        if deployment and request.model == self._config.model:
            params["model"] = deployment
        return params

    def embed_params(self, request: EmbeddingRequest) -> dict[str, Any]:
        """As :meth:`chat_params`, with ``provider.azure.embedding_deployment``."""
        params = super().embed_params(request)
        deployment = self._settings.embedding_deployment
        if deployment and request.model == self._config.embedding_model:
            params["model"] = deployment
        return params

    def map_error(self, exc: BaseException, *, streaming: bool = False) -> PrivllmError:
        """OpenAI's mapping, plus Azure's 400 ``content_filter`` as ContentFilteredError."""
        if isinstance(exc, openai.APIStatusError) and exc.code == _FILTER_CODE:
            message = self._scrub(error_message(exc.body) or "content filtered")
            return ContentFilteredError(
                _short(message),
                provider=self.name,
                status_code=exc.status_code,
                request_id=exc.request_id,
            )
        return super().map_error(exc, streaming=streaming)


def _credential_error(exc: BaseException) -> AuthenticationError:
    # azure-identity's ClientAuthenticationError (CredentialUnavailableError...) and a custom
    # credential's own exceptions: their text may quote the token endpoint's answer, so only
    # the type is kept (and the status azure-core saw, if any).
    status = getattr(exc, "status_code", None)
    return AuthenticationError(
        f"Entra ID: the credential gave no token ({type(exc).__name__})",
        provider="azure",
        status_code=status if isinstance(status, int) else None,
    )


def _short(message: str) -> str:
    # Azure's filter message is long; its first sentence says what happened.
    head, dot, _ = message.partition(". ")
    return head + "." if dot else message
