"""``OpenAI`` and ``AsyncOpenAI``: the SDK's constructors over a privllm ``Client`` /
``AsyncClient`` (Azure's in ``_azure``).

The SDK's arguments become privllm config (``provider`` section); privllm's own config comes
from ``config=`` (alias ``privllm=``: a path, a ``Config`` or a mapping of sections), the
keyword sections (``redaction=``, ``policy=``, ``audit=``...) and, as for ``Client()``,
``PRIVLLM_CONFIG`` and ``PRIVLLM_*``. The SDK's arguments win over config for what they set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

from privllm.client import AsyncClient, Client
from privllm.config import Config
from privllm.core import USE_CLIENT_DEFAULT, TimeoutLike
from privllm.errors import ConfigError, InvalidRequestError, PrivllmError
from privllm.pipeline import Middleware
from privllm.providers.extra import check_headers, check_query

from ._convert import ChatCall, chat_call, embed_call, given, timeout_of
from ._errors import EndpointNotCovered, to_openai_error
from ._resources import AsyncChat, AsyncEmbeddings, AsyncModels, Chat, Embeddings, Models
from ._responses_api import AsyncResponses, Responses

__all__ = ["AsyncOpenAI", "OpenAI"]

_T = TypeVar("_T")

#: Endpoints of the SDK the drop-in refuses, and the privllm way where there is one.
NOT_COVERED: dict[str, str] = {
    "files": "training files go through `privllm finetune prepare` and `privllm finetune "
    "upload` (redacted, checked, recorded)",
    "fine_tuning": "use `privllm finetune prepare`, `upload`, `create-job` and `status`",
    "batches": "send the calls through the client one by one (each is redacted and audited)",
    "uploads": "training files go through `privllm finetune upload`",
    "realtime": "websocket APIs bypass the HTTP egress guard (policy.allow_websockets)",
    "audio": "privllm sends and restores text only",
    "images": "privllm sends and restores text only",
    "videos": "privllm sends and restores text only",
    "vector_stores": "embed with embeddings.create and keep the vectors yourself",
    "completions": "the legacy completions API is not carried: use chat.completions.create",
    "moderations": "not carried: privllm's redaction and policy run on every chat call",
}
#: What ``with_options`` changes besides ``timeout`` (merged over the client's).
_PER_COPY = frozenset({"default_headers", "default_query"})
#: The SDK's raw HTTP verbs: a way around every check, refused.
_RAW_HTTP = frozenset({"get", "post", "put", "patch", "delete", "request"})


def _not_covered(name: str) -> NoReturn:
    why = NOT_COVERED.get(name) or (
        "raw HTTP calls would skip redaction, policy and the audit log"
        if name in _RAW_HTTP
        else "not carried by privllm; use privllm.Client for what privllm covers"
    )
    raise EndpointNotCovered(f"client.{name}: not covered by privllm's openai drop-in: {why}")


class _Beta:
    """``client.beta``: ``beta.chat.completions.parse`` (the older path) is the client's;
    assistants, threads, realtime and the rest are refused."""

    def __init__(self, chat: Any) -> None:
        self.chat = chat

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        _not_covered(f"beta.{name}")


def _refuse_unsupported(
    http_client: object,
    default_headers: Mapping[str, str] | None,
    default_query: Mapping[str, object] | None,
    websocket_base_url: object,
    api_key: object,
) -> None:
    if http_client is not None:
        raise ConfigError(
            "http_client: privllm builds the HTTP client itself (the egress guard is its "
            "transport); pass transport_wrapper= to wrap that transport",
            field="http_client",
        )
    try:
        check_headers(default_headers or {})
        check_query(default_query or {})
    except InvalidRequestError as exc:
        field = (
            "default_headers" if (exc.field or "").startswith("extra_headers") else "default_query"
        )
        raise ConfigError(f"{field}: {exc}", field=field) from None
    if websocket_base_url is not None:
        raise ConfigError(
            "websocket_base_url: websocket APIs are refused (they bypass the egress guard)",
            field="websocket_base_url",
        )
    if callable(api_key):
        raise ConfigError(
            "api_key: a callable is not supported; pass the key (or set it in privllm's config)",
            field="api_key",
        )


def _sections(
    config: Config | str | os.PathLike[str] | Mapping[str, Any] | None,
    sections: Mapping[str, Any],
) -> tuple[Config | str | os.PathLike[str] | None, dict[str, Any]]:
    """(config for privllm's client, keyword sections): a mapping given as ``config`` is
    sections, merged under the keyword ones."""
    if isinstance(config, Mapping):
        merged = {k: dict(v) if isinstance(v, Mapping) else v for k, v in config.items()}
        for name, value in sections.items():
            if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
                merged[name] = {**merged[name], **value}
            else:
                merged[name] = value
        return None, merged
    return config, dict(sections)


def _provider(
    sections: dict[str, Any], name: str, settings: Mapping[str, Any], common: Mapping[str, Any]
) -> None:
    """Set the ``provider`` section from the SDK's arguments (only those given)."""
    section = dict(sections.get("provider") or {})
    section["name"] = name
    section.update({k: v for k, v in common.items() if v is not None})
    own = dict(section.get(name) or {})
    own.update({k: v for k, v in settings.items() if v is not None})
    section[name] = own
    sections["provider"] = section


class _Facade:
    """What the four classes share: the privllm client, per-call defaults, the tree."""

    _privllm: Any
    _timeout: TimeoutLike
    _model: str | None
    #: ``default_headers`` / ``default_query``: sent with every call (a call's
    #: ``extra_headers`` / ``extra_query`` win).
    _headers: dict[str, str]
    _query: dict[str, object]

    def _defaults(
        self, headers: Mapping[str, str] | None, query: Mapping[str, object] | None
    ) -> None:
        self._timeout = USE_CLIENT_DEFAULT
        self._headers = {str(k): str(v) for k, v in (headers or {}).items() if given(v)}
        self._query = dict(query or {})

    def _options(self) -> dict[str, Any]:
        """What every call's arguments are read with: the client's defaults."""
        return {
            "default_timeout": self._timeout,
            "model": self._model,
            "headers": self._headers,
            "query": self._query,
        }

    def _read(self, read: Callable[..., _T], kwargs: Mapping[str, Any], path: str) -> _T:
        """``read(kwargs, **self._options())``: the SDK's arguments as privllm's. A refusal
        (an argument privllm cannot carry) is the SDK's ``BadRequestError`` too."""
        try:
            return read(kwargs, **self._options())
        except PrivllmError as exc:
            raise to_openai_error(exc, self._url(path))  # noqa: B904 - cause set, scrubbed

    def _chat_call(self, kwargs: Mapping[str, Any]) -> ChatCall:
        return self._read(chat_call, kwargs, "/chat/completions")

    def _embed_call(self, kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], bool, dict[str, Any]]:
        return self._read(embed_call, kwargs, "/embeddings")

    def _url(self, path: str) -> str:
        return str(self._privllm.provider.endpoint.base_url).rstrip("/") + path

    @property
    def privllm(self) -> Any:
        """The privllm client underneath (``Client`` or ``AsyncClient``)."""
        return self._privllm

    @property
    def base_url(self) -> str:
        return str(self._privllm.provider.endpoint.base_url)

    @property
    def max_retries(self) -> int:
        return int(self._privllm.config.provider.max_retries)

    @property
    def timeout(self) -> float:
        if isinstance(self._timeout, (int, float)):
            return float(self._timeout)
        return float(self._privllm.config.provider.timeout)

    def _derived(self, timeout: object, max_retries: object, other: Mapping[str, Any]) -> Any:
        headers = other.get("default_headers")
        query = other.get("default_query")
        refused = sorted(k for k, v in other.items() if v is not None and k not in _PER_COPY)
        if refused:
            raise ConfigError(
                f"with_options: {refused[0]}: only timeout and max_retries can change per "
                "copy (the rest is privllm config: build another client)",
                field=refused[0],
            )
        if given(max_retries) and max_retries != self.max_retries:
            raise ConfigError(
                "with_options: max_retries: set provider.max_retries in privllm config (it is "
                "the client's, not per call)",
                field="max_retries",
            )
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._timeout = timeout_of(timeout, self._timeout)
        if headers or query:
            _refuse_unsupported(None, headers, query, None, None)
            copy._headers = {
                **self._headers,
                **{str(k): str(v) for k, v in (headers or {}).items()},
            }
            copy._query = {**self._query, **(query or {})}
        copy._tree()
        return copy

    def _tree(self) -> None:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class does not define: the SDK's other endpoints.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in NOT_COVERED or name in _RAW_HTTP or name in _SDK_NAMES:
            _not_covered(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


#: Endpoint names of the SDK client that the drop-in has no counterpart for.
_SDK_NAMES = frozenset(
    {
        "admin",
        "containers",
        "content_provenance_checks",
        "conversations",
        "decisions",
        "evals",
        "live",
        "safety",
        "skills",
        "webhooks",
        "with_streaming_response",
    }
)


class OpenAI(_Facade):
    """The openai SDK's ``OpenAI``, every call through privllm.

    >>> from privllm.openai import OpenAI
    >>> from privllm.testing import OpenAIServer
    >>> with OpenAIServer() as server, OpenAI(base_url=server.url, api_key="sk-local",
    ...                                       audit={"enabled": False}) as client:
    ...     client.chat.completions.create(
    ...         model="test-model", messages=[{"role": "user", "content": "Hi"}]
    ...     ).choices[0].message.content
    'Hi'
    """

    _client_class: type[Any] = Client
    chat: Chat
    embeddings: Embeddings
    models: Models
    responses: Responses

    def __init__(
        self,
        *,
        api_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        data_residency: str | None = None,
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
        _provider(
            merged,
            "openai",
            {
                "api_key": api_key,
                "organization": organization,
                "project": project,
                "base_url": str(base_url) if base_url is not None else None,
                "data_residency": data_residency,
            },
            {"timeout": _seconds(timeout), "max_retries": max_retries},
        )
        self._privllm = self._client_class(
            base,
            middleware=middleware,
            env=env,
            transport_wrapper=transport_wrapper,
            provider_options=provider_options,
            **merged,
        )
        self._defaults(default_headers, default_query)
        self._model = None
        self._tree()

    def _tree(self) -> None:
        self.chat = Chat(self)
        self.embeddings = Embeddings(self)
        self.models = Models(self)
        self.responses = Responses(self)
        self.beta = _Beta(self.chat)

    def with_options(
        self, *, timeout: float | Any = None, max_retries: int | None = None, **other: Any
    ) -> Any:
        """A copy sharing this client, with another per-call ``timeout``."""
        return self._derived(timeout, max_retries, other)

    copy = with_options

    @property
    def with_raw_response(self) -> Any:
        return _RawTree(self)

    def close(self) -> None:
        self._privllm.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(privllm={self._privllm!r})"


class AsyncOpenAI(OpenAI):
    """The async twin of :class:`OpenAI` (``AsyncOpenAI`` of the SDK)."""

    _client_class = AsyncClient
    # The async resources replace the sync ones (the SDK's AsyncOpenAI is no OpenAI subclass;
    # here it is one, so the sync class's code is shared).
    chat: AsyncChat  # type: ignore[assignment]
    embeddings: AsyncEmbeddings  # type: ignore[assignment]
    models: AsyncModels  # type: ignore[assignment]
    responses: AsyncResponses  # type: ignore[assignment]

    def _tree(self) -> None:
        self.chat = AsyncChat(self)
        self.embeddings = AsyncEmbeddings(self)
        self.models = AsyncModels(self)
        self.responses = AsyncResponses(self)
        self.beta = _Beta(self.chat)

    async def close(self) -> None:  # type: ignore[override]
        await self._privllm.close()

    def __enter__(self) -> Any:
        raise TypeError("use `async with` with AsyncOpenAI")

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _RawTree:
    """``client.with_raw_response.chat.completions.create(...)``."""

    def __init__(self, client: OpenAI) -> None:
        self.chat = _RawChat(client.chat.completions.with_raw_response)
        self.embeddings = client.embeddings.with_raw_response
        self.models = client.models.with_raw_response
        self.responses = client.responses.with_raw_response


class _RawChat:
    def __init__(self, completions: Any) -> None:
        self.completions = completions


def _seconds(timeout: object) -> float | None:
    value = timeout_of(timeout, USE_CLIENT_DEFAULT)
    return None if value is USE_CLIENT_DEFAULT else float(value)  # type: ignore[arg-type]
