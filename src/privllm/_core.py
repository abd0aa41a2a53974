"""What ``Client`` and ``AsyncClient`` share (:class:`ClientCore`): request building, the
middleware chain, routing and fallbacks (a sans-IO flow both drive), structured-output parsing.

Only the awaited provider call differs between the clients (:mod:`privllm._calls`); the chain
is assembled in :mod:`privllm._chain`. Everything here is written once. A private module with
public names (httpx's ``_client.py``): the clients import these names, users import the
clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._calls import USE_CLIENT_DEFAULT, TimeoutLike, call_timeout
from ._chain import build_chain
from .config import Config, ProviderConfig, resolve_config
from .conversation import Conversation
from .errors import (
    ClientClosedError,
    ConfigError,
    InvalidRequestError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
    StructuredOutputError,
)
from .middleware_entry import MiddlewareLike
from .pipeline import CallContext, Chain
from .policy.middleware import ROUTE
from .providers.base import Provider, TransportWrapper, build_provider
from .redaction.state import CONVERSATION
from .types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Message,
    ResponseFormat,
    ToolDefinition,
    validate_messages,
)

if TYPE_CHECKING:
    from .redaction.vault_store import AsyncVaultStore, SharedVaults, VaultStore

__all__ = [
    "ClientCore",
    "MessagesLike",
    "ModelT",
    "PlainFormat",
    "ResponseFormatLike",
    "ToolChoiceLike",
    "ToolLike",
    "as_messages",
    "parse_structured",
]

MessagesLike = str | Sequence[Message | Mapping[str, Any]] | Conversation
#: A ToolDefinition, a pydantic model class, or OpenAI's ``{"type": "function", ...}``.
ToolLike = ToolDefinition | type[BaseModel] | Mapping[str, Any]
#: ``"auto"``, ``"none"``, ``"required"``, a tool name or OpenAI's function dict.
ToolChoiceLike = str | Mapping[str, Any]
#: A pydantic model class (parsed into ``.parsed``) or OpenAI's dict / :class:`ResponseFormat`.
ResponseFormatLike = type[BaseModel] | ResponseFormat | Mapping[str, Any]
#: The ``response_format`` model class of a call, for the clients' overloads: its answer is a
#: ``ChatResponse[ModelT]``.
ModelT = TypeVar("ModelT", bound=BaseModel)
#: A ``response_format`` that asks for JSON without a model class: ``.parsed`` stays None.
PlainFormat = ResponseFormat | Mapping[str, Any]


R = TypeVar("R", ChatRequest, EmbeddingRequest)
T = TypeVar("T")
#: Failures worth trying a fallback profile for.
_RETRYABLE = (RateLimitError, ServerError, ProviderTimeoutError, ProviderConnectionError)


class ClientCore:
    """State and logic shared by ``Client`` and ``AsyncClient`` (httpx's ``BaseClient``):
    config, providers, the middleware chain, routing and fallbacks, request building.
    Holds no SDK and does no IO itself; the clients pass in the provider call
    (:mod:`privllm._calls`)."""

    def __init__(
        self,
        owner: str,
        config: Config | str | os.PathLike[str] | None,
        middleware: Sequence[MiddlewareLike],
        env: Mapping[str, str] | None,
        transport_wrapper: TransportWrapper | None,
        backend: Provider | None,
        overrides: Mapping[str, Any],
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.owner = owner  # "Client" or "AsyncClient", for messages
        #: Set by the client's close(): from then on every call is refused before it starts.
        self.closed = False
        self.config = resolve_config(config, env, overrides)
        environ = os.environ if env is None else env
        self._env = environ
        self._transport_wrapper = transport_wrapper
        self._options = dict(provider_options or {})
        unknown = set(self._options) - {"default", *self.config.providers}
        if unknown:
            raise ConfigError(
                f"provider_options names {sorted(unknown)}: not 'default' or a profile in "
                "[providers]"
            )
        self.provider: Provider = backend or self._build(self.config.provider, "default")
        # Profiles ([providers.NAME]) for sensitivity routing and fallbacks. Building one does
        # no IO (SDK clients are created on first use), so all are built up front.
        self.profiles: dict[str, Provider] = {
            name: self._build(section, name) for name, section in self.config.providers.items()
        }
        self._check_profile_names()
        chain, self.policy = build_chain(
            self.config,
            middleware,
            {name: p.endpoint for name, p in self.profiles.items()},
            self._env,
        )
        self.chain = Chain(chain)
        # A Conversation(id=...) keeps its placeholder map in a store, loaded before the chain
        # and extended after it (before anything is sent): see redaction/vault_store.py.
        self.vaults = _shared_vaults(self.config, chain)
        self.vault_store: VaultStore | None = None
        self.avault_store: AsyncVaultStore | None = None
        if self.vaults is not None:
            from .redaction.vault_store import open_async_vault_store, open_vault_store

            vault = self.config.redaction.vault
            if owner == "AsyncClient":
                self.avault_store = open_async_vault_store(vault, self._env)
            else:
                self.vault_store = open_vault_store(vault, self._env)
        #: A named-entity model takes milliseconds per KB of CPU: the async client runs the
        #: request chain in a worker thread then, so the event loop is not held up.
        self.offload = (
            self.config.redaction.enabled and self.config.redaction.ner.engine is not None
        )

    def check_open(self) -> None:
        """Raise :class:`ClientClosedError` once the client is closed. A closed provider
        would build a new SDK client on use, and the audit log no longer records: a call
        must not get as far as either."""
        if self.closed:
            raise ClientClosedError(f"this {self.owner} is closed: build a new one to make calls")

    def all_providers(self) -> list[Provider]:
        return [self.provider, *self.profiles.values()]

    def _build(self, section: ProviderConfig, name: str) -> Provider:
        """A provider whose HTTP goes through its own egress guard (the user's wrapper inside
        it, so the guard sees every request first): one allowlist per profile."""
        wrapper = self._transport_wrapper
        if self.config.policy.egress_guard:
            from .policy.egress.guard import EgressPolicy, guard_wrapper

            egress = EgressPolicy.from_config(
                section, self.config.policy, terms=self.config.redaction.terms, env=self._env
            )
            wrapper = guard_wrapper(egress, then=wrapper)
        options = {"allow_websockets": self.config.policy.allow_websockets}
        options.update(self._options.get(name, {}))
        return build_provider(section, env=self._env, transport_wrapper=wrapper, **options)

    def _check_profile_names(self) -> None:
        policy = self.config.policy
        route = policy.route_sensitive_to
        named = [("policy.route_sensitive_to", route)] if route not in (None, "refuse") else []
        named += [("policy.fallbacks", name) for name in policy.fallbacks]
        for field, name in named:
            if name not in self.profiles:
                raise ConfigError(
                    f"{field}: names provider profile {name!r}, which is not defined in "
                    f"[providers] (defined: {sorted(self.profiles) or 'none'})",
                    field=field,
                )

    # -- choosing the provider: route, then fallbacks ------------------------------------------

    def attempts(
        self, request: R, ctx: CallContext
    ) -> Generator[tuple[Provider, R], BaseException, None]:
        """Yield (provider, request) to try; the caller throws each failure back in.

        Sans-IO (httpx's auth-flow pattern): the same flow drives sync and async calls. A
        retryable failure moves to the next fallback profile that satisfies the policy for
        this call's data; any other failure (or none left) is reported and re-raised.
        """
        route = ctx.state.get(ROUTE)
        provider = self.profiles[route] if route else self.provider
        if route:
            request = self._for_profile(route, request)
        tried: set[str] = {route} if route else set()
        while True:
            try:
                yield provider, request
                return
            except GeneratorExit:
                raise
            except _RETRYABLE as exc:
                step = self._fallback(request, ctx, tried)
                if step is None:
                    self.failed(exc, ctx)
                    raise
                provider, request = step
            except BaseException as exc:
                self.failed(exc, ctx)
                raise

    def _fallback(self, request: R, ctx: CallContext, tried: set[str]) -> tuple[Provider, R] | None:
        for name in self.config.policy.fallbacks:
            if name in tried:
                continue
            tried.add(name)
            provider = self.profiles[name]
            # ROUTE stays what policy chose for the data (if anything): a fallback is not a
            # sensitivity route, and must not narrow the fallbacks after it.
            if not self.policy.allows(provider.endpoint, ctx):
                continue
            ctx.endpoint = self.policy.engine.classify(provider.endpoint)
            shaped = self._for_profile(name, request)
            if isinstance(shaped, ChatRequest):
                shaped = self.policy.shape(shaped, ctx.endpoint, ctx)
            return provider, shaped
        return None

    def _for_profile(self, name: str, request: R) -> R:
        section = self.config.providers[name]
        model = section.embedding_model if isinstance(request, EmbeddingRequest) else section.model
        if model and model != request.model:
            return request.model_copy(update={"model": model})
        return request

    def run(
        self, request: R, ctx: CallContext, call: Callable[[Provider, R, float | None], T]
    ) -> T:
        flow = self.attempts(request, ctx)
        provider, req = next(flow)
        while True:
            try:
                return call(provider, req, ctx.timeout)
            except BaseException as exc:
                provider, req = flow.throw(exc)

    async def arun(
        self,
        request: R,
        ctx: CallContext,
        call: Callable[[Provider, R, float | None], Awaitable[T]],
    ) -> T:
        flow = self.attempts(request, ctx)
        provider, req = next(flow)
        while True:
            try:
                return await call(provider, req, ctx.timeout)
            except BaseException as exc:
                provider, req = flow.throw(exc)

    # -- building requests ---------------------------------------------------------------------

    def chat_request(
        self,
        messages: MessagesLike,
        model: str | None,
        *,
        stream: bool,
        temperature: float | None,
        max_tokens: int | None,
        top_p: float | None,
        stop: str | Sequence[str] | None,
        seed: int | None,
        user: str | None,
        tools: Sequence[ToolLike] | None,
        tool_choice: ToolChoiceLike | None,
        response_format: ResponseFormatLike | None,
        extra: Mapping[str, Any] | None,
        max_completion_tokens: int | None = None,
    ) -> ChatRequest:
        """The request for a call; an input it cannot take raises InvalidRequestError."""
        if max_completion_tokens is not None:
            if max_tokens is not None and max_tokens != max_completion_tokens:
                raise InvalidRequestError(
                    "invalid chat request: max_tokens and max_completion_tokens differ: "
                    "give one (they are the same limit)",
                    fields=("max_tokens", "max_completion_tokens"),
                )
            max_tokens = max_completion_tokens
        # Built from the arguments as given: ChatRequest reads OpenAI's shapes and names the
        # field of anything it refuses (messages[2].content[0].type), never its value.
        return ChatRequest(
            messages=as_messages(messages),
            model=self._model(model),
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            stop=stop or None,
            seed=seed,
            user=user,
            tools=tools or None,
            tool_choice=tool_choice,
            response_format=response_format,
            stream=stream,
            extra=extra or {},
        )

    def _model(self, model: str | None) -> str:
        chosen = model or self.config.provider.model
        if not chosen:
            raise ConfigError(
                "no model: pass model=... or set provider.model", field="provider.model"
            )
        return chosen

    def embedding_request(
        self,
        texts: str | Sequence[str],
        model: str | None,
        dimensions: int | None,
        extra: Mapping[str, Any] | None,
    ) -> EmbeddingRequest:
        chosen = model or self.config.provider.embedding_model
        if not chosen:
            raise ConfigError(
                "no embedding model: pass model=... or set provider.embedding_model",
                field="provider.embedding_model",
            )
        return EmbeddingRequest(input=texts, model=chosen, dimensions=dimensions, extra=extra or {})

    def context(
        self,
        operation: str,
        messages: object = None,
        timeout: TimeoutLike = USE_CLIENT_DEFAULT,
    ) -> CallContext:
        ctx = CallContext(
            endpoint=self.provider.endpoint, operation=operation, timeout=call_timeout(timeout)
        )
        if isinstance(messages, Conversation):
            ctx.state["session"] = messages.state
            if messages.id is not None and self.vaults is not None:
                ctx.state[CONVERSATION] = messages.id
        return ctx

    # -- running the chain ---------------------------------------------------------------------

    def before(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        try:
            return self.chain.request(request, ctx)
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise

    def prepare(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        """``before``, with a conversation's shared placeholder map read first and its new
        entries stored after, before anything is sent. A store failure refuses the call."""
        vaults, store = self.vaults, self.vault_store
        wanted = vaults.wanted(ctx) if vaults is not None else None
        if vaults is None or store is None or wanted is None:
            return self.before(request, ctx)
        with self._refusing(ctx):
            vaults.loaded(ctx, store.load(*wanted))
        sent = self.before(request, ctx)
        pending = vaults.pending(ctx)
        if pending is not None:
            with self._refusing(ctx, forget=True):
                vaults.saved(ctx, store.append(*pending))
        return sent

    async def aprepare(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        """:meth:`prepare` for ``AsyncClient``: the store is awaited, the chain is not."""
        vaults, store = self.vaults, self.avault_store
        wanted = vaults.wanted(ctx) if vaults is not None else None
        if vaults is None or store is None or wanted is None:
            return await self.abefore(request, ctx)
        with self._refusing(ctx):
            vaults.loaded(ctx, await store.load(*wanted))
        sent = await self.abefore(request, ctx)
        pending = vaults.pending(ctx)
        if pending is not None:
            with self._refusing(ctx, forget=True):
                vaults.saved(ctx, await store.append(*pending))
        return sent

    @contextlib.contextmanager
    def _refusing(self, ctx: CallContext, *, forget: bool = False) -> Iterator[None]:
        """A vault store failure refuses the call: the chain hears of it, as of a policy
        refusal. ``forget``: drop this worker's map, whose new entries were not stored."""
        try:
            yield
        except BaseException as exc:
            if forget and self.vaults is not None:
                self.vaults.failed(ctx)
            self.failed(exc, ctx)
            raise

    @contextlib.asynccontextmanager
    async def recording(self, ctx: CallContext) -> AsyncIterator[None]:
        """``AsyncClient``: with ``audit.require_record``, await the call's audit record
        commit here, after the chain, so the event loop runs on meanwhile (``Client``'s
        hook blocks its thread instead). A record not written fails the call."""
        audit = self.config.audit
        if not (audit.enabled and audit.require_record):
            yield
            return
        from .audit.middleware import defer_record, record_committed

        defer_record(ctx)
        try:
            yield
        except BaseException as exc:
            await record_committed(ctx, exc)
            raise
        try:
            await record_committed(ctx)
        except BaseException as exc:
            self.failed(exc, ctx)
            raise

    async def abefore(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        """``before`` for the async client: in a worker thread when a model scans the text
        (CPU work, not IO, so no native async twin exists to prefer)."""
        if self.offload:
            return await asyncio.to_thread(self.before, request, ctx)
        return self.before(request, ctx)

    async def abefore_embed(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        if self.offload:
            return await asyncio.to_thread(self.before_embed, request, ctx)
        return self.before_embed(request, ctx)

    def after(self, response: ChatResponse, request: ChatRequest, ctx: CallContext) -> ChatResponse:
        try:
            response.endpoint = ctx.endpoint  # as policy classified it, possibly routed
            response = self.chain.response(response, ctx)
            if isinstance(request.response_format, type):
                response.parsed = parse_structured(response, request.response_format)
            return response
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise

    def failed(self, exc: BaseException, ctx: CallContext) -> None:
        self.chain.error(exc, ctx)

    def before_embed(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        try:
            return self.chain.embedding_request(request, ctx)
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise

    def after_embed(self, response: EmbeddingResponse, ctx: CallContext) -> EmbeddingResponse:
        try:
            response.endpoint = ctx.endpoint
            return self.chain.embedding_response(response, ctx)
        except BaseException as exc:
            self.chain.error(exc, ctx)
            raise


def _shared_vaults(config: Config, chain: Sequence[object]) -> SharedVaults | None:
    """The shared-vault steps, with the built-in redaction middleware's restored values
    (none without redaction: there is no placeholder map to share)."""
    if not config.redaction.enabled:
        return None
    from .redaction.middleware import RedactionMiddleware  # imported already: it is built
    from .redaction.vault_store import SharedVaults

    found = [m for m in chain if isinstance(m, RedactionMiddleware)]
    return SharedVaults(found[-1].restored) if found else None  # the built-in one is last


def parse_structured(response: ChatResponse, model: type[BaseModel]) -> BaseModel:
    """The answer's text as ``model``; a mismatch raises :class:`StructuredOutputError`
    naming the fields, never their (restored) values."""
    try:
        return model.model_validate_json(response.text)
    except ValidationError as exc:
        # Field names only: pydantic's own message would quote the (restored) answer.
        where = ", ".join(
            ".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors(include_input=False)
        )
        raise StructuredOutputError(
            f"answer does not match {model.__name__}: {exc.error_count()} error(s) at {where}",
            provider=response.provider,
        ) from None


def as_messages(messages: MessagesLike) -> list[Message]:
    """The messages of a call, from any form a caller may pass them in."""
    if isinstance(messages, str):
        return [Message.user(messages)]
    if isinstance(messages, Message):
        return [messages]
    if isinstance(messages, Conversation):
        # Re-checked: a dict may have been appended to conv.messages directly.
        return validate_messages(messages.messages, "chat request")
    if isinstance(messages, Mapping) or not isinstance(messages, Iterable):
        raise InvalidRequestError(
            "invalid chat request: messages: must be a string, a list of messages or a "
            "Conversation",
            fields=("messages",),
        )
    return validate_messages(messages, "chat request")
