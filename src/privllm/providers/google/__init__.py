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

Modules: ``provider`` (:class:`GoogleProvider`), ``endpoint`` (hosts and data use from config),
``auth`` (credentials and token refresh), ``mapping`` (privllm types <-> google-genai types),
``streams`` and ``errors``.

>>> from privllm.config import ProviderConfig
>>> cfg = ProviderConfig(name="google", google={"mode": "gemini_api", "tier": "free"})
>>> GoogleProvider(cfg, env={}).endpoint.trains_on_data
True
"""

from __future__ import annotations

from .auth import CLOUD_PLATFORM_SCOPE, HttpxAuthRequest, RoutedCredentials
from .endpoint import google_endpoint
from .provider import GoogleProvider

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "GoogleProvider",
    "HttpxAuthRequest",
    "RoutedCredentials",
    "google_endpoint",
]
