"""``GoogleProvider``: google-genai clients built on privllm's HTTP clients, and the calls."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2
from google import genai
from google.genai import types as gt
from google.genai.client import DebugConfig

from privllm.errors import ConfigError, PrivllmError
from privllm.providers.base import (
    TransportWrapper,
    connection_limits,
    make_async_http_client,
    make_http_client,
)
from privllm.providers.cause import araise_mapped, raise_mapped
from privllm.providers.retry import RetryBudget, acall_with_retries, call_with_retries
from privllm.providers.websockets import genai_without_websockets
from privllm.types import ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse

from . import mapping
from .auth import vertex_credentials
from .endpoint import google_endpoint
from .errors import to_privllm_error
from .streams import AsyncStream, SyncStream, TrackingAsyncTransport, TrackingTransport

if TYPE_CHECKING:
    import google.auth.credentials

    from privllm.config import ProviderConfig

__all__ = ["GoogleProvider"]


class GoogleProvider:
    """Chat, streaming and embeddings through ``google-genai``.

    ``credentials`` (any ``google.auth.credentials.Credentials``) overrides config for Vertex:
    ``Client(cfg, backend=GoogleProvider(cfg.provider, env=os.environ, credentials=creds))``.
    """

    name = "google"

    def __init__(
        self,
        config: ProviderConfig,
        *,
        env: Mapping[str, str],
        transport_wrapper: TransportWrapper | None = None,
        credentials: google.auth.credentials.Credentials | None = None,
        allow_websockets: bool = False,
    ) -> None:
        from privllm.config import resolve_secret

        settings = config.google
        self._config = config
        self._settings = settings
        self._vertex = settings.mode == "vertex"
        self._transport_wrapper = transport_wrapper
        self._allow_websockets = allow_websockets
        self.endpoint = google_endpoint(settings)
        self._api_key = (
            None
            if self._vertex
            else resolve_secret(
                settings.api_key, settings.api_key_env, env, field="provider.google.api_key"
            )
        )
        self._token = (
            resolve_secret(
                settings.access_token,
                settings.access_token_env,
                env,
                field="provider.google.access_token",
            )
            if self._vertex
            else None
        )
        self._credentials = credentials
        self._sync: genai.Client | None = None
        # One sync client even when threads make their first calls at once (see OpenAI's).
        self._sync_lock = threading.Lock()
        self._async: genai.Client | None = None
        self._sync_http: list[httpx2.Client] = []
        self._async_http: tuple[httpx2.AsyncClient, httpx2.Client] | None = None

    def __repr__(self) -> str:
        mode = self._settings.mode
        return f"GoogleProvider(mode={mode!r}, endpoint={self.endpoint.base_url!r})"

    # -- SDK clients, built on first use ------------------------------------------------------

    def _wrap(self, transport: Any) -> Any:
        inner = self._transport_wrapper(transport) if self._transport_wrapper else transport
        if isinstance(transport, httpx2.AsyncBaseTransport):
            return TrackingAsyncTransport(inner)
        return TrackingTransport(inner)

    def _genai(
        self, sync_http: httpx2.Client, async_http: httpx2.AsyncClient, refresh_http: httpx2.Client
    ) -> genai.Client:
        settings = self._settings
        retries = self._config.max_retries
        options = gt.HttpOptions(
            base_url=self.endpoint.base_url,
            api_version=settings.api_version or ("v1" if self._vertex else "v1beta"),
            timeout=int(self._config.timeout * 1000),  # milliseconds
            httpx_client=sync_http,
            httpx_async_client=async_http,
            retry_options=gt.HttpRetryOptions(attempts=retries + 1) if retries else None,
        )
        # DebugConfig's defaults read GOOGLE_GENAI_CLIENT_MODE (record/replay): pin them.
        debug = DebugConfig(client_mode=None, replays_directory=None, replay_id=None)
        if self._vertex:
            if not settings.project:
                raise ConfigError(
                    "provider.google.project: required in vertex mode",
                    field="provider.google.project",
                )
            client = genai.Client(
                vertexai=True,
                project=settings.project,
                location=settings.location,
                credentials=vertex_credentials(self._credentials, self._token, refresh_http),
                http_options=options,
                debug_config=debug,
            )
        else:
            if not self._api_key:
                env_name = settings.api_key_env
                raise ConfigError(
                    f"provider.google.api_key: no API key (set it, or set env {env_name})"
                    if env_name
                    else "provider.google.api_key: no API key",
                    field="provider.google.api_key",
                )
            client = genai.Client(
                vertexai=False, api_key=self._api_key, http_options=options, debug_config=debug
            )
        # GOOGLE_API_USE_MTLS_ENDPOINT would rewrite the host to *.mtls.googleapis.com; the
        # host privllm reports (and policy checks) must be the one connected to.
        api = client._api_client
        for flag in ("_httpx_use_mtls_endpoint", "_async_httpx_use_mtls_endpoint"):
            if hasattr(api, flag):
                setattr(api, flag, False)
        # Live opens websockets, which bypass the guarded httpx2 clients: refused unless
        # policy allows them (privllm.providers.websockets).
        return client if self._allow_websockets else genai_without_websockets(client)

    @property
    def sdk(self) -> genai.Client:
        """The ``genai.Client`` used for sync calls (built on first use)."""
        if self._sync is None:
            with self._sync_lock:
                if self._sync is None:
                    self._sync = self._new_sync()
        return self._sync

    def _new_sync(self) -> genai.Client:
        timeout = self._config.timeout
        http = make_http_client(timeout, self._wrap, limits=connection_limits(self._config))
        refresh = make_http_client(timeout, self._wrap)
        # The async slot must hold privllm's client too, or the SDK builds its own. It
        # stays unused and opens no connection, so it needs no closing.
        unused = make_async_http_client(timeout, self._wrap)
        try:
            client = self._genai(http, unused, refresh)
        except BaseException:
            http.close()
            refresh.close()
            raise
        self._sync_http = [http, refresh]
        return client

    @property
    def async_sdk(self) -> genai.Client:
        """The ``genai.Client`` used for async calls (built on first use)."""
        if self._async is None:
            timeout = self._config.timeout
            http = make_async_http_client(
                timeout, self._wrap, limits=connection_limits(self._config)
            )
            # Token refreshes run in a worker thread (the SDK's choice) on a sync client.
            refresh = make_http_client(timeout, self._wrap)
            unused = make_http_client(timeout, self._wrap)
            unused.close()  # the async paths never touch the sync slot
            try:
                self._async = self._genai(unused, http, refresh)
            except BaseException:
                refresh.close()
                raise  # the async client has opened nothing yet
            self._async_http = (http, refresh)
        return self._async

    def close(self) -> None:
        for client in self._sync_http:
            client.close()
        self._sync_http = []
        self._sync = None

    async def aclose(self) -> None:
        if self._async_http is not None:
            http, refresh = self._async_http
            await http.aclose()
            refresh.close()
            self._async_http = None
        self._async = None

    # -- calls ---------------------------------------------------------------------------------

    def _budget(self, timeout: float | None) -> RetryBudget:
        return RetryBudget(
            timeout=self._config.timeout if timeout is None else timeout,
            max_retries=self._config.max_retries,
        )

    def _send(self, timeout: float | None, send: Callable[[float], _T]) -> _T:
        """``send(seconds_left)``, retried by privllm against the call's deadline."""
        return call_with_retries(
            lambda left: raise_mapped(lambda: send(left), self.map_error), self._budget(timeout)
        )

    async def _asend(self, timeout: float | None, send: Callable[[float], Awaitable[_T]]) -> _T:
        """The async twin of :meth:`_send`."""
        return await acall_with_retries(
            lambda left: araise_mapped(lambda: send(left), self.map_error), self._budget(timeout)
        )

    def chat(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        contents, config = self.chat_params(request)
        result = self._send(
            timeout,
            lambda left: self.sdk.models.generate_content(
                model=request.model, contents=contents, config=_attempt(config, left)
            ),
        )
        return self.to_response(result, request)

    async def achat(self, request: ChatRequest, *, timeout: float | None = None) -> ChatResponse:
        contents, config = self.chat_params(request)
        result = await self._asend(
            timeout,
            lambda left: self.async_sdk.aio.models.generate_content(
                model=request.model, contents=contents, config=_attempt(config, left)
            ),
        )
        return self.to_response(result, request)

    def stream(self, request: ChatRequest, *, timeout: float | None = None) -> SyncStream:
        contents, config = self.chat_params(request)

        def attempt(left: float) -> SyncStream:
            sdk_stream = self.sdk.models.generate_content_stream(
                model=request.model, contents=contents, config=_attempt(config, left)
            )
            return SyncStream(self, sdk_stream).open()  # maps its own errors

        return call_with_retries(attempt, self._budget(timeout))

    async def astream(self, request: ChatRequest, *, timeout: float | None = None) -> AsyncStream:
        contents, config = self.chat_params(request)

        async def attempt(left: float) -> AsyncStream:
            sdk_stream = await araise_mapped(
                lambda: self.async_sdk.aio.models.generate_content_stream(
                    model=request.model, contents=contents, config=_attempt(config, left)
                ),
                self.map_error,
            )
            return await AsyncStream(self, sdk_stream).open()

        return await acall_with_retries(attempt, self._budget(timeout))

    def embed(
        self, request: EmbeddingRequest, *, timeout: float | None = None
    ) -> EmbeddingResponse:
        if not request.input:
            return self.to_embeddings(None, request)
        contents, config = self.embed_params(request)
        result = self._send(
            timeout,
            lambda left: self.sdk.models.embed_content(
                model=request.model, contents=contents, config=_attempt(config, left)
            ),
        )
        return self.to_embeddings(result, request)

    async def aembed(
        self, request: EmbeddingRequest, *, timeout: float | None = None
    ) -> EmbeddingResponse:
        if not request.input:
            return self.to_embeddings(None, request)
        contents, config = self.embed_params(request)
        result = await self._asend(
            timeout,
            lambda left: self.async_sdk.aio.models.embed_content(
                model=request.model, contents=contents, config=_attempt(config, left)
            ),
        )
        return self.to_embeddings(result, request)

    # -- mapping (pure) ------------------------------------------------------------------------

    def chat_params(
        self, request: ChatRequest
    ) -> tuple[list[gt.Content], gt.GenerateContentConfig]:
        """``contents`` and ``config`` for ``generate_content`` from a neutral request."""
        return mapping.chat_params(request, self.name)

    def embed_params(
        self, request: EmbeddingRequest
    ) -> tuple[list[gt.Content], gt.EmbedContentConfig]:
        """``contents`` and ``config`` for ``embed_content`` from a neutral request."""
        return mapping.embed_params(request, self.name)

    def to_response(self, result: gt.GenerateContentResponse, request: ChatRequest) -> ChatResponse:
        """A neutral response from ``generate_content``'s result."""
        return mapping.to_response(result, request, provider=self.name, endpoint=self.endpoint)

    def to_embeddings(
        self, result: gt.EmbedContentResponse | None, request: EmbeddingRequest
    ) -> EmbeddingResponse:
        """A neutral embedding response from ``embed_content``'s result (``None``: no input)."""
        return mapping.to_embeddings(result, request, provider=self.name, endpoint=self.endpoint)

    def map_error(self, exc: BaseException, *, streaming: bool = False) -> PrivllmError:
        """An SDK, auth or transport exception as a privllm error, with keys scrubbed."""
        secrets = (self._api_key, self._token)
        return to_privllm_error(exc, provider=self.name, secrets=secrets, streaming=streaming)


_Config = TypeVar("_Config", gt.GenerateContentConfig, gt.EmbedContentConfig)
_T = TypeVar("_T")


#: Per attempt: google-genai's own retries off (privllm retries, against the call's deadline).
_NO_RETRY = gt.HttpRetryOptions(attempts=1)


def _attempt(config: _Config, seconds_left: float) -> _Config:
    """``config`` for one attempt: the time left as its timeout, and no SDK retries (the
    SDK's per-request ``http_options``, merged over the client's); kept out of chat_params,
    which is the payload ``privllm plan`` shows."""
    options = config.http_options or gt.HttpOptions()
    ms = max(1, round(seconds_left * 1000))  # the SDK counts milliseconds
    update = {"timeout": ms, "retry_options": _NO_RETRY}
    return config.model_copy(update={"http_options": options.model_copy(update=update)})
