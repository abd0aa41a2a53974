"""Google credentials for Vertex, with token refreshes sent through privllm's transport."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
import google.auth.transport
import google.oauth2.credentials
import httpx2

from privllm.errors import ConfigError

__all__ = ["CLOUD_PLATFORM_SCOPE", "HttpxAuthRequest", "RoutedCredentials", "vertex_credentials"]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def vertex_credentials(
    credentials: google.auth.credentials.Credentials | None,
    token: str | None,
    refresh_http: httpx2.Client,
) -> google.auth.credentials.Credentials:
    """Vertex credentials: ``credentials``, else a fixed ``token``, else Application Default
    Credentials; wrapped so that refreshes go through ``refresh_http``."""
    creds = credentials
    if creds is None and token:
        creds = google.oauth2.credentials.Credentials(token=token)  # type: ignore[no-untyped-call]
    if creds is None:
        try:
            creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        except google.auth.exceptions.DefaultCredentialsError:
            raise _no_credentials() from None
    # Token refreshes then go through privllm's transport too.
    return RoutedCredentials(creds, HttpxAuthRequest(refresh_http))


def _no_credentials() -> ConfigError:
    """Why ADC found nothing: a GOOGLE_APPLICATION_CREDENTIALS file that is missing or not a
    credentials file is named as the cause (google-auth would otherwise seem to find none).
    Its content is never quoted: it holds a private key."""
    named = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            problem = "does not exist" if not path.exists() else "is not a file"
        else:
            problem = "is not a service account or user credentials JSON file (or unreadable)"
        return ConfigError(
            f"provider.google: GOOGLE_APPLICATION_CREDENTIALS names {named}, which {problem}; "
            "fix or unset the variable (or run `gcloud auth application-default login`)",
            source="env GOOGLE_APPLICATION_CREDENTIALS",
            field="provider.google.access_token",
        )
    return ConfigError(
        "provider.google: no Google credentials (run `gcloud auth "
        "application-default login`, set access_token, or pass credentials=...)",
        field="provider.google.access_token",
    )


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
