"""The websocket APIs of the SDK clients privllm builds are refused (``egress.websocket``).

OpenAI Realtime (``sdk.realtime``, ``sdk.beta.realtime``, translations), Responses and Live
over websocket (``sdk.responses.connect``, ``sdk.live``), and Gemini Live
(``client.aio.live``, its music and interactions variants) open their connections with the
``websockets`` library, not with the httpx2 client privllm hands the SDK: the egress guard
never sees them, and a ``base_url`` given per connection reaches any host with the key or
bearer token in its headers. Unless ``policy.allow_websockets`` is true, privllm refuses them
before anything is connected.

Each SDK funnels every websocket connection through one attribute of its client, read while
the URL is built and before any connection or token request:

* openai: ``client.websocket_base_url`` (read by every ``connect()``, whatever the resource),
  and for Azure ``_configure_realtime``;
* google-genai: ``api_client._websocket_base_url()`` (Live, Live music) and
  ``api_client._websocket_ssl_ctx`` (Live interactions).

privllm gives the client object a subclass of its own class (same name, ``isinstance``
unchanged) where those raise :class:`~privllm.errors.EgressBlocked`. The openai SDK's
``copy()``/``with_options()`` build the copy from ``self.__class__``, so copies refuse too.
Checked on openai 3.63 and google-genai 3.6; the tests connect to a local listener, so an SDK
release that routes around these attributes fails loudly. This module imports no SDK.

>>> class SDKClient:
...     def __init__(self) -> None:
...         self.websocket_base_url = None
>>> client = openai_without_websockets(SDKClient())
>>> client.websocket_base_url  # doctest: +ELLIPSIS
Traceback (most recent call last):
  ...
privllm.errors.EgressBlocked: egress guard refused the request (egress.websocket): ...
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from privllm.errors import EgressBlocked
from privllm.policy.egress.rules import blocked

__all__ = ["genai_without_websockets", "openai_without_websockets", "websocket_refusal"]

_T = TypeVar("_T")

# Set while the openai SDK copies a client: its copy() reads websocket_base_url to carry it.
_COPYING: ContextVar[bool] = ContextVar("privllm_sdk_copying", default=False)
_URL_KEY = "_privllm_websocket_base_url"
_SSL_KEY = "_privllm_websocket_ssl_ctx"


def websocket_refusal(host: str | None, api: str) -> EgressBlocked:
    """The refusal for a websocket API: names the rule and the host, never a key."""
    return blocked(
        "egress.websocket",
        host,
        f"{api} opens a websocket, which the egress guard cannot inspect; "
        "set policy.allow_websockets = true to allow websocket APIs",
    )


def _host(url: object) -> str | None:
    try:
        return urlsplit(str(url)).hostname
    except ValueError:
        return None


class _OpenAIRefusal:
    """The members a refusing openai client class (OpenAI, AsyncOpenAI, the Azure twins)
    gets on top of the SDK's own."""

    @property
    def websocket_base_url(self) -> Any:
        if _COPYING.get():
            return self.__dict__.get(_URL_KEY)
        raise websocket_refusal(_host(getattr(self, "base_url", "")), "this openai API")

    @websocket_base_url.setter
    def websocket_base_url(self, value: Any) -> None:
        self.__dict__[_URL_KEY] = value

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        token = _COPYING.set(True)
        try:
            return _sdk_class(self).copy(self, *args, **kwargs)
        finally:
            _COPYING.reset(token)

    with_options = copy

    def _configure_realtime(self, *args: Any, **kwargs: Any) -> Any:
        # Azure reads its key or Entra token here, before the URL: refuse before that too.
        raise websocket_refusal(_host(getattr(self, "base_url", "")), "Azure Realtime")

    _configure_realtime_with_api_key = _configure_realtime


class _GenaiRefusal:
    """The members a refusing google-genai ``BaseApiClient`` (``client._api_client``) gets."""

    def _websocket_base_url(self, *args: Any, **kwargs: Any) -> str:
        raise websocket_refusal(self._privllm_host(), "Gemini Live")

    @property
    def _websocket_ssl_ctx(self) -> Any:
        raise websocket_refusal(self._privllm_host(), "Gemini Live")

    @_websocket_ssl_ctx.setter
    def _websocket_ssl_ctx(self, value: Any) -> None:
        self.__dict__[_SSL_KEY] = value

    def _privllm_host(self) -> str | None:
        options = self.__dict__.get("_http_options")
        return _host(getattr(options, "base_url", "") or "")


# One refusing subclass per SDK class, made once: classes, not state, so nothing crosses
# clients or tenants.
_SUBCLASSES: dict[tuple[type, type], type] = {}


def _refusing(cls: type, members: type) -> type:
    """A direct subclass of ``cls`` with ``members`` copied in. Not ``(members, cls)`` as
    bases: CPython refuses ``__class__`` assignment across that layout, and an existing
    client must take the new class."""
    made = _SUBCLASSES.get((cls, members))
    if made is None:
        namespace = {k: v for k, v in vars(members).items() if not k.startswith("__")}
        namespace.update(__module__=cls.__module__, __qualname__=cls.__qualname__)
        namespace.update(__doc__=cls.__doc__, _privllm_refuses=members)
        made = type(cls.__name__, (cls,), namespace)
        _SUBCLASSES[(cls, members)] = made
    return made


def _sdk_class(obj: object) -> Any:
    return type(obj).__mro__[1]  # the SDK's own class, which _refusing subclassed


def openai_without_websockets(client: _T) -> _T:
    """``client`` (an openai SDK client) with every websocket API refused."""
    if getattr(type(client), "_privllm_refuses", None) is not _OpenAIRefusal:
        url = vars(client).pop("websocket_base_url", None)
        client.__class__ = _refusing(type(client), _OpenAIRefusal)
        vars(client)[_URL_KEY] = url
    return client


def genai_without_websockets(client: _T) -> _T:
    """``client`` (a ``genai.Client``) with Gemini Live refused, sync and ``aio`` alike:
    both share the one API client changed here."""
    api = cast(Any, client)._api_client
    if getattr(type(api), "_privllm_refuses", None) is not _GenaiRefusal:
        ssl = vars(api).pop("_websocket_ssl_ctx", None)
        api.__class__ = _refusing(type(api), _GenaiRefusal)
        vars(api)[_SSL_KEY] = ssl
    return client
