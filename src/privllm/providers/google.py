"""Google: Vertex AI and the Gemini Developer API, through ``google-genai``.

``provider.google.mode`` chooses the backend:

- ``vertex``: project + location, OAuth bearer tokens from Application Default Credentials,
  a fixed ``access_token``, or ``credentials`` passed in code; host
  ``{location}-aiplatform.googleapis.com`` (``aiplatform.googleapis.com`` for ``global``).
- ``gemini_api``: an API key (sent in the ``x-goog-api-key`` header, never in a URL); host
  ``generativelanguage.googleapis.com``. ``tier`` is declared in config because it depends on
  the billing account, not the host: the free tier may use content to improve Google's
  products, so its :class:`~privllm.types.Endpoint` says ``trains_on_data=True``.

All model traffic goes through httpx2 clients privllm builds (``http_options.httpx_client``
and ``httpx_async_client``), and so do token refreshes of the credentials privllm hands the
SDK (see :class:`RoutedCredentials`). Every SDK setting is passed explicitly, so
``GOOGLE_*``/``GEMINI_API_KEY`` variables cannot redirect traffic.

>>> from privllm.config import ProviderConfig
>>> cfg = ProviderConfig(name="google", google={"mode": "gemini_api", "tier": "free"})
>>> GoogleProvider(cfg, env={}).endpoint.trains_on_data
True
"""

from __future__ import annotations

import contextvars
import datetime
import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import google.auth
import google.auth.credentials
import google.auth.exceptions
import google.auth.transport
import google.oauth2.credentials
import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gt
from google.genai.client import DebugConfig
from pydantic import ValidationError

from privllm.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ContentFilteredError,
    PrivllmError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    error_for_status,
)
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Endpoint,
    FinishReason,
    Message,
    ToolCall,
    ToolCallDelta,
    Usage,
)

from .base import (
    TransportWrapper,
    make_async_http_client,
    make_http_client,
    parse_retry_after,
)

if TYPE_CHECKING:
    from privllm.config import GoogleSettings, ProviderConfig

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "GoogleProvider",
    "HttpxAuthRequest",
    "RoutedCredentials",
    "google_endpoint",
]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_GEMINI_HOST = "generativelanguage.googleapis.com"
_MULTI_REGIONS = {"us", "eu"}

_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "MODEL_ARMOR": "content_filter",
}

# The ids privllm makes up for Gemini function calls that arrive without one.
_SYNTHETIC_ID = re.compile(r"^call_\d+$")

# Responses opened while a stream is being read, so closing the stream can close them: the
# SDK's own generators do not release the connection when left early.
_OPENED: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "privllm_google_opened", default=None
)


def google_endpoint(settings: GoogleSettings) -> Endpoint:
    """Where ``settings`` send data and what Google may do with it (no IO)."""
    if settings.mode == "gemini_api":
        base_url = settings.base_url or f"https://{_GEMINI_HOST}/"
        free = settings.tier == "free"
        return Endpoint(
            provider="google",
            base_url=base_url,
            host=_host(base_url),
            kind="enterprise_api",
            # Unpaid Services: content may improve Google products and be human-reviewed.
            trains_on_data=free,
            stores_data=free,
        )
    location = settings.location
    if location == "global":
        default = "https://aiplatform.googleapis.com/"
    elif location in _MULTI_REGIONS:
        default = f"https://aiplatform.{location}.rep.googleapis.com/"
    else:
        default = f"https://{location}-aiplatform.googleapis.com/"
    base_url = settings.base_url or default
    region = None if location == "global" else location
    return Endpoint(
        provider="google",
        base_url=base_url,
        host=_host(base_url),
        kind="enterprise_api",
        region=region,
        data_zone=_data_zone(location),
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _data_zone(location: str) -> str | None:
    # Only the multi-regions name a zone; "europe-*" is not all EU (europe-west2 is London,
    # europe-west6 Zurich), and "global" promises no processing location at all.
    return location if location in _MULTI_REGIONS else None


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
    ) -> None:
        from privllm.config import resolve_secret

        settings = config.google
        self._config = config
        self._settings = settings
        self._vertex = settings.mode == "vertex"
        self._transport_wrapper = transport_wrapper
        self.endpoint = google_endpoint(settings)
        self._api_key = (
            None if self._vertex else resolve_secret(settings.api_key, settings.api_key_env, env)
        )
        self._token = (
            resolve_secret(settings.access_token, settings.access_token_env, env)
            if self._vertex
            else None
        )
        self._credentials = credentials
        self._sync: genai.Client | None = None
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
            return _TrackingAsyncTransport(inner)
        return _TrackingTransport(inner)

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
                credentials=self._vertex_credentials(refresh_http),
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
        return client

    def _vertex_credentials(
        self, refresh_http: httpx2.Client
    ) -> google.auth.credentials.Credentials:
        creds = self._credentials
        if creds is None and self._token:
            creds = google.oauth2.credentials.Credentials(token=self._token)  # type: ignore[no-untyped-call]
        if creds is None:
            try:
                creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            except google.auth.exceptions.DefaultCredentialsError:
                raise ConfigError(
                    "provider.google: no Google credentials (run `gcloud auth "
                    "application-default login`, set access_token, or pass credentials=...)",
                    field="provider.google.access_token",
                ) from None
        # Token refreshes then go through privllm's transport too.
        return RoutedCredentials(creds, HttpxAuthRequest(refresh_http))

    @property
    def sdk(self) -> genai.Client:
        """The ``genai.Client`` used for sync calls (built on first use)."""
        if self._sync is None:
            timeout = self._config.timeout
            http = make_http_client(timeout, self._wrap)
            refresh = make_http_client(timeout, self._wrap)
            # The async slot must hold privllm's client too, or the SDK builds its own. It
            # stays unused and opens no connection, so it needs no closing.
            unused = make_async_http_client(timeout, self._wrap)
            try:
                self._sync = self._genai(http, unused, refresh)
            except BaseException:
                http.close()
                refresh.close()
                raise
            self._sync_http = [http, refresh]
        return self._sync

    @property
    def async_sdk(self) -> genai.Client:
        """The ``genai.Client`` used for async calls (built on first use)."""
        if self._async is None:
            timeout = self._config.timeout
            http = make_async_http_client(timeout, self._wrap)
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

    def chat(self, request: ChatRequest) -> ChatResponse:
        contents, config = self.chat_params(request)
        try:
            result = self.sdk.models.generate_content(
                model=request.model, contents=contents, config=config
            )
        except PrivllmError:
            raise
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_response(result, request)

    async def achat(self, request: ChatRequest) -> ChatResponse:
        contents, config = self.chat_params(request)
        try:
            result = await self.async_sdk.aio.models.generate_content(
                model=request.model, contents=contents, config=config
            )
        except PrivllmError:
            raise
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_response(result, request)

    def stream(self, request: ChatRequest) -> _SyncStream:
        contents, config = self.chat_params(request)
        sdk_stream = self.sdk.models.generate_content_stream(
            model=request.model, contents=contents, config=config
        )
        return _SyncStream(self, sdk_stream)

    async def astream(self, request: ChatRequest) -> _AsyncStream:
        contents, config = self.chat_params(request)
        try:
            sdk_stream = await self.async_sdk.aio.models.generate_content_stream(
                model=request.model, contents=contents, config=config
            )
        except PrivllmError:
            raise
        except Exception as exc:
            raise self.map_error(exc) from exc
        return _AsyncStream(self, sdk_stream)

    def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        if not request.input:
            return self.to_embeddings(None, request)
        contents, config = self.embed_params(request)
        try:
            result = self.sdk.models.embed_content(
                model=request.model, contents=contents, config=config
            )
        except PrivllmError:
            raise
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_embeddings(result, request)

    async def aembed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        if not request.input:
            return self.to_embeddings(None, request)
        contents, config = self.embed_params(request)
        try:
            result = await self.async_sdk.aio.models.embed_content(
                model=request.model, contents=contents, config=config
            )
        except PrivllmError:
            raise
        except Exception as exc:
            raise self.map_error(exc) from exc
        return self.to_embeddings(result, request)

    # -- mapping to Google (pure) --------------------------------------------------------------

    def chat_params(
        self, request: ChatRequest
    ) -> tuple[list[gt.Content], gt.GenerateContentConfig]:
        """``contents`` and ``config`` for ``generate_content`` from a neutral request."""
        system = [m.text for m in request.messages if m.role == "system"]
        fields: dict[str, Any] = {
            # privllm runs no Python tools itself: the caller gets the calls back.
            "automatic_function_calling": gt.AutomaticFunctionCallingConfig(disable=True),
        }
        if system:
            fields["system_instruction"] = "\n\n".join(system)
        if request.temperature is not None:
            fields["temperature"] = request.temperature
        if request.max_tokens is not None:
            fields["max_output_tokens"] = request.max_tokens
        if request.top_p is not None:
            fields["top_p"] = request.top_p
        if request.stop:
            fields["stop_sequences"] = request.stop
        if request.seed is not None:
            fields["seed"] = request.seed
        if request.tools:
            declarations = [
                gt.FunctionDeclaration(
                    name=t.name, description=t.description, parameters_json_schema=t.parameters
                )
                for t in request.tools
            ]
            fields["tools"] = [gt.Tool(function_declarations=declarations)]
        if request.tool_choice is not None:
            fields["tool_config"] = gt.ToolConfig(
                function_calling_config=_calling_config(request.tool_choice)
            )
        if request.response_format is not None:
            fields["response_mime_type"] = "application/json"
            fields["response_json_schema"] = request.response_format.model_json_schema()
        fields.update(request.extra)
        config = _validated(gt.GenerateContentConfig, fields, self.name)
        return _contents(request.messages, self.name), config

    def embed_params(
        self, request: EmbeddingRequest
    ) -> tuple[list[gt.Content], gt.EmbedContentConfig]:
        # One Content per input: plain strings would be merged into one multimodal input.
        contents = [gt.Content(role="user", parts=[gt.Part(text=t)]) for t in request.input]
        fields: dict[str, Any] = dict(request.extra)
        if request.dimensions is not None:
            fields["output_dimensionality"] = request.dimensions
        return contents, _validated(gt.EmbedContentConfig, fields, self.name)

    # -- mapping from Google (pure) ------------------------------------------------------------

    def to_response(self, result: gt.GenerateContentResponse, request: ChatRequest) -> ChatResponse:
        _raise_if_prompt_blocked(result, self)
        candidate = result.candidates[0] if result.candidates else None
        text, calls = _parts(candidate, 0)
        reason = candidate.finish_reason if candidate is not None else None
        finish = _finish(reason, bool(calls))
        if finish == "content_filter" and not text and not calls:
            raise _filtered(f"answer withheld by Google's safety system ({_name(reason)})", self)
        return ChatResponse(
            id=result.response_id,
            text=text,
            tool_calls=[
                ToolCall(id=d.id or f"call_{d.index}", name=d.name or "", arguments=d.arguments)
                for d in calls
            ],
            finish_reason=finish,
            usage=_usage(result.usage_metadata),
            provider=self.name,
            model=result.model_version or request.model,
            endpoint=self.endpoint,
        )

    def to_embeddings(
        self, result: gt.EmbedContentResponse | None, request: EmbeddingRequest
    ) -> EmbeddingResponse:
        embeddings = (result.embeddings or []) if result is not None else []
        tokens = 0
        for e in embeddings:
            if e.statistics is not None and e.statistics.token_count:
                tokens += int(e.statistics.token_count)
        meta = result.usage_metadata if result is not None else None
        if not tokens and meta is not None and meta.prompt_token_count:
            tokens = meta.prompt_token_count
        return EmbeddingResponse(
            vectors=[list(e.values or []) for e in embeddings],
            model=request.model,
            provider=self.name,
            endpoint=self.endpoint,
            usage=Usage(prompt_tokens=tokens, total_tokens=tokens) if tokens else None,
        )

    def map_error(self, exc: BaseException, *, streaming: bool = False) -> PrivllmError:
        """An SDK, auth or transport exception as a privllm error, with keys scrubbed."""
        if isinstance(exc, PrivllmError):
            return exc  # e.g. EgressBlocked raised by privllm's own transport
        if isinstance(exc, genai_errors.APIError):
            return self._status_error(exc)
        if isinstance(exc, httpx2.TimeoutException):
            return ProviderTimeoutError("request timed out", provider=self.name)
        if isinstance(exc, httpx2.TransportError):
            what = "connection dropped mid-stream" if streaming else "connection failed"
            return ProviderConnectionError(f"{what}: {type(exc).__name__}", provider=self.name)
        if isinstance(exc, google.auth.exceptions.RefreshError):
            # The auth library's text may quote the token endpoint's answer: keep the type.
            return AuthenticationError(
                f"Google credentials could not be refreshed ({type(exc).__name__})",
                provider=self.name,
            )
        if isinstance(exc, google.auth.exceptions.TransportError):
            return ProviderConnectionError(
                "token refresh failed: connection error", provider=self.name
            )
        if isinstance(exc, genai_errors.UnknownApiResponseError):
            return ProviderError("unreadable response from Google", provider=self.name)
        raise exc

    def _status_error(self, exc: genai_errors.APIError) -> ProviderError:
        status = int(exc.code or 0)
        message = self._scrub(str(exc.message or exc.status or f"HTTP {status}"))
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        request_id = headers.get("x-request-id") if headers is not None else None
        details = _details(exc.details)
        if status == 400 and any(d.get("reason") == "API_KEY_INVALID" for d in details):
            # Google refuses a bad API key with 400; to the caller it is an auth failure.
            return AuthenticationError(
                message, provider=self.name, status_code=status, request_id=request_id
            )
        cls = error_for_status(status) if status else ProviderError
        if cls is RateLimitError:
            retry_after = parse_retry_after(headers) if headers is not None else None
            if retry_after is None:
                retry_after = _retry_delay(details)
            return RateLimitError(
                message,
                provider=self.name,
                status_code=status,
                request_id=request_id,
                retry_after=retry_after,
            )
        return cls(message, provider=self.name, status_code=status or None, request_id=request_id)

    def _scrub(self, text: str) -> str:
        from privllm.config import mask_secret

        for secret in (self._api_key, self._token):
            if secret and len(secret) >= 8 and secret in text:
                text = text.replace(secret, mask_secret(secret))
        return text


# -- requests ----------------------------------------------------------------------------------


_M = TypeVar("_M", gt.GenerateContentConfig, gt.EmbedContentConfig)


def _validated(model: type[_M], fields: dict[str, Any], provider: str) -> _M:
    try:
        return model(**fields)
    except ValidationError as exc:
        # Field names only: the values may be (restored) user content.
        where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise BadRequestError(
            f"invalid Google option(s) in extra: {where}", provider=provider
        ) from None


def _calling_config(choice: str) -> gt.FunctionCallingConfig:
    modes = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
    if choice in modes:
        return gt.FunctionCallingConfig(mode=modes[choice])
    return gt.FunctionCallingConfig(mode="ANY", allowed_function_names=[choice])


def _contents(messages: Sequence[Message], provider: str) -> list[gt.Content]:
    names: dict[str, str] = {}  # tool_call_id -> function name, from earlier assistant turns
    contents: list[gt.Content] = []
    for m in messages:
        if m.role == "system":
            continue  # sent as system_instruction
        if m.role == "tool":
            name = names.get(m.tool_call_id or "") or m.name
            if not name:
                raise BadRequestError(
                    f"tool message {m.tool_call_id!r} answers no earlier tool call",
                    provider=provider,
                )
            part = gt.Part(
                function_response=gt.FunctionResponse(name=name, response=_tool_result(m.text))
            )
            last = contents[-1] if contents else None
            if last is not None and last.parts and last.parts[0].function_response is not None:
                last.parts.append(part)  # parallel calls are answered in one turn
            else:
                contents.append(gt.Content(role="user", parts=[part]))
            continue
        parts = [gt.Part(text=p) for p in _texts(m)]
        if m.role == "assistant":
            for call in m.tool_calls or ():
                names[call.id] = call.name
                # Ids are not sent back: they may be privllm's own or another provider's.
                parts.append(
                    gt.Part(function_call=gt.FunctionCall(name=call.name, args=_args(call)))
                )
        if parts:  # Google refuses a turn with no parts
            role = "model" if m.role == "assistant" else "user"
            contents.append(gt.Content(role=role, parts=parts))
    return contents


def _texts(m: Message) -> list[str]:
    if m.content is None:
        return []
    if isinstance(m.content, str):
        return [m.content] if m.content else []
    return [p.text for p in m.content]


def _args(call: ToolCall) -> dict[str, Any]:
    try:
        value = call.args()
    except json.JSONDecodeError:
        return {"arguments": call.arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def _tool_result(text: str) -> dict[str, Any]:
    # Google wants a JSON object; anything else goes under "output", as its docs suggest.
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {"output": text}
    return value if isinstance(value, dict) else {"output": value}


# -- responses ---------------------------------------------------------------------------------


def _name(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _finish(reason: Any, has_calls: bool) -> FinishReason | None:
    if reason is None or _name(reason) == "FINISH_REASON_UNSPECIFIED":
        return None
    mapped = _FINISH.get(_name(reason), "other")
    return "tool_calls" if has_calls and mapped == "stop" else mapped


def _parts(candidate: Any, first_index: int) -> tuple[str, list[ToolCallDelta]]:
    """Answer text (thoughts left out) and function calls, indexed from ``first_index``."""
    content = candidate.content if candidate is not None else None
    texts: list[str] = []
    calls: list[ToolCallDelta] = []
    for part in (content.parts or []) if content is not None else []:
        if part.text and not part.thought:
            texts.append(part.text)
        call = part.function_call
        if call is not None:
            index = first_index + len(calls)
            calls.append(
                ToolCallDelta(
                    index=index,
                    id=call.id or f"call_{index}",
                    name=call.name or "",
                    arguments=json.dumps(call.args or {}),
                )
            )
    return "".join(texts), calls


def _usage(meta: Any) -> Usage | None:
    if meta is None:
        return None
    prompt = meta.prompt_token_count or 0
    # Thinking tokens are billed as output, as OpenAI counts reasoning tokens.
    completion = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=meta.total_token_count or prompt + completion,
    )


def _filtered(message: str, provider: GoogleProvider) -> ContentFilteredError:
    return ContentFilteredError(message, provider=provider.name)


def _raise_if_prompt_blocked(result: Any, provider: GoogleProvider) -> None:
    feedback = result.prompt_feedback
    if feedback is not None and feedback.block_reason and not result.candidates:
        raise _filtered(
            f"prompt blocked by Google's safety system ({_name(feedback.block_reason)})", provider
        )


def _details(body: Any) -> list[dict[str, Any]]:
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    for d in details:
        delay = d.get("retryDelay")
        if str(d.get("@type", "")).endswith("RetryInfo") and isinstance(delay, str):
            try:
                return max(float(delay.rstrip("s")), 0.0)
            except ValueError:
                return None
    return None


# -- streams -----------------------------------------------------------------------------------


class _ChunkMapper:
    """Turns SDK stream chunks into neutral ones; holds the finish chunk until the end so the
    last chunk a caller sees carries both ``finish_reason`` and ``usage``."""

    __slots__ = ("_calls", "_delivered", "_pending", "_provider", "_usage")

    def __init__(self, provider: GoogleProvider) -> None:
        self._provider = provider
        self._calls = 0
        self._delivered = False
        self._pending: ChatChunk | None = None
        self._usage: Usage | None = None

    def feed(self, raw: gt.GenerateContentResponse) -> Iterator[ChatChunk]:
        _raise_if_prompt_blocked(raw, self._provider)
        self._usage = _usage(raw.usage_metadata) or self._usage
        candidate = raw.candidates[0] if raw.candidates else None
        text, calls = _parts(candidate, self._calls)
        self._calls += len(calls)
        reason = candidate.finish_reason if candidate is not None else None
        finish = _finish(reason, self._calls > 0)
        if finish is None:
            if text or calls:
                self._delivered = True
                yield ChatChunk(text=text, tool_calls=calls)
            return
        if finish == "content_filter" and not (self._delivered or text or calls):
            raise _filtered(
                f"answer withheld by Google's safety system ({_name(reason)})", self._provider
            )
        self._delivered = self._delivered or bool(text or calls)
        if self._pending is not None:
            yield self._pending
        self._pending = ChatChunk(text=text, tool_calls=calls, finish_reason=finish)

    def end(self) -> Iterator[ChatChunk]:
        if self._pending is not None:
            self._pending.usage = self._usage
            yield self._pending
            self._pending = None
        elif self._usage is not None:
            yield ChatChunk(usage=self._usage)


class _SyncStream:
    __slots__ = ("_mapper", "_opened", "_provider", "_sdk_stream")

    def __init__(self, provider: GoogleProvider, sdk_stream: Iterator[Any]) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._mapper = _ChunkMapper(provider)
        self._opened: list[Any] = []

    def _next(self) -> Any:
        token = _OPENED.set(self._opened)
        try:
            return next(self._sdk_stream)
        finally:
            _OPENED.reset(token)

    def __iter__(self) -> Iterator[ChatChunk]:
        try:
            while True:
                try:
                    raw = self._next()
                except StopIteration:
                    break
                yield from self._mapper.feed(raw)
        except PrivllmError:
            raise
        except Exception as exc:
            raise self._provider.map_error(exc, streaming=True) from exc
        yield from self._mapper.end()

    def close(self) -> None:
        # Close the HTTP response first: it is what the server sees, and it stops the SDK's
        # generators from reading on while they unwind.
        for response in self._opened:
            response.close()
        self._opened.clear()
        close = getattr(self._sdk_stream, "close", None)
        if close is not None:
            close()


class _AsyncStream:
    __slots__ = ("_mapper", "_opened", "_provider", "_sdk_stream")

    def __init__(self, provider: GoogleProvider, sdk_stream: AsyncIterator[Any]) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._mapper = _ChunkMapper(provider)
        self._opened: list[Any] = []

    async def _next(self) -> Any:
        token = _OPENED.set(self._opened)
        try:
            return await self._sdk_stream.__anext__()
        finally:
            _OPENED.reset(token)

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        try:
            while True:
                try:
                    raw = await self._next()
                except StopAsyncIteration:
                    break
                for chunk in self._mapper.feed(raw):
                    yield chunk
        except PrivllmError:
            raise
        except Exception as exc:
            raise self._provider.map_error(exc, streaming=True) from exc
        for chunk in self._mapper.end():
            yield chunk

    async def aclose(self) -> None:
        # Response first, then the SDK generator: the other order leaves the SDK's inner
        # generators to be finalized mid-read ("aclose(): asynchronous generator is already
        # running") and the connection open.
        for response in self._opened:
            await response.aclose()
        self._opened.clear()
        aclose = getattr(self._sdk_stream, "aclose", None)
        if aclose is not None:
            await aclose()


class _TrackingTransport(httpx2.BaseTransport):
    """Records responses opened while a stream reads (see ``_OPENED``)."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self._inner.handle_request(request)
        opened = _OPENED.get()
        if opened is not None:
            opened.append(response)
        return response

    def close(self) -> None:
        self._inner.close()


class _TrackingAsyncTransport(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        opened = _OPENED.get()
        if opened is not None:
            opened.append(response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


# -- credentials -------------------------------------------------------------------------------


class HttpxAuthRequest(google.auth.transport.Request):
    """A google-auth transport over privllm's httpx2 client (so the egress guard sees token
    refreshes: oauth2.googleapis.com, sts.googleapis.com, the metadata server)."""

    def __init__(self, client: httpx2.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> google.auth.transport.Response:
        try:
            response = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout if timeout is not None else self._client.timeout,
            )
        except httpx2.HTTPError as exc:
            raise google.auth.exceptions.TransportError(  # type: ignore[no-untyped-call]
                type(exc).__name__
            ) from exc
        return _AuthResponse(response)


class _AuthResponse(google.auth.transport.Response):
    def __init__(self, response: httpx2.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class RoutedCredentials(google.auth.credentials.Credentials):
    """Wraps any google-auth credentials so refreshes use privllm's transport.

    google-genai refreshes with a requests-based transport of its own; this wrapper ignores
    the transport it is handed and refreshes the wrapped credentials with ``request``.
    Tokens are refreshed before expiry (google-auth's ``expired`` includes a safety margin).
    """

    def __init__(
        self, inner: google.auth.credentials.Credentials, request: google.auth.transport.Request
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._inner = inner
        self._request = request
        self._quota_project_id = inner.quota_project_id
        self._copy()

    def _copy(self) -> None:
        self.token = self._inner.token
        self.expiry = self._inner.expiry

    def refresh(self, request: google.auth.transport.Request) -> None:
        del request  # the SDK's own requests-based transport: not used
        self._inner.refresh(self._request)  # type: ignore[no-untyped-call]
        self._copy()

    @property
    def inner(self) -> google.auth.credentials.Credentials:
        """The credentials being wrapped."""
        return self._inner

    def __repr__(self) -> str:
        expiry = self.expiry.isoformat() if isinstance(self.expiry, datetime.datetime) else None
        return f"RoutedCredentials({type(self._inner).__name__}, expiry={expiry!r})"
