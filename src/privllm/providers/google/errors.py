"""google-genai, google-auth and transport exceptions as privllm errors, secrets scrubbed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import google.auth.exceptions
import httpx2
from google.genai import errors as genai_errors

from privllm.errors import (
    AuthenticationError,
    PrivllmError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    error_for_status,
)
from privllm.providers.base import parse_retry_after

__all__ = ["to_privllm_error"]


def to_privllm_error(
    exc: BaseException,
    *,
    provider: str,
    secrets: Sequence[str | None] = (),
    streaming: bool = False,
) -> PrivllmError:
    """An SDK, auth or transport exception as a privllm error, with keys scrubbed."""
    if isinstance(exc, PrivllmError):
        return exc  # e.g. EgressBlocked raised by privllm's own transport
    if isinstance(exc, genai_errors.APIError):
        return _status_error(exc, provider, secrets)
    if isinstance(exc, httpx2.TimeoutException):
        return ProviderTimeoutError("request timed out", provider=provider)
    if isinstance(exc, httpx2.TransportError):
        what = "connection dropped mid-stream" if streaming else "connection failed"
        return ProviderConnectionError(f"{what}: {type(exc).__name__}", provider=provider)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        # The auth library's text may quote the token endpoint's answer: keep the type.
        return AuthenticationError(
            f"Google credentials could not be refreshed ({type(exc).__name__})",
            provider=provider,
        )
    if isinstance(exc, google.auth.exceptions.TransportError):
        return ProviderConnectionError("token refresh failed: connection error", provider=provider)
    if isinstance(exc, genai_errors.UnknownApiResponseError):
        return ProviderError("unreadable response from Google", provider=provider)
    raise exc


def _status_error(
    exc: genai_errors.APIError, provider: str, secrets: Sequence[str | None]
) -> ProviderError:
    status = int(exc.code or 0)
    message = _scrub(str(exc.message or exc.status or f"HTTP {status}"), secrets)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    details = _details(exc.details)
    request_id = _request_id(headers, details)
    if status == 400 and any(d.get("reason") == "API_KEY_INVALID" for d in details):
        # Google refuses a bad API key with 400; to the caller it is an auth failure.
        return AuthenticationError(
            message, provider=provider, status_code=status, request_id=request_id
        )
    cls = error_for_status(status) if status else ProviderError
    if cls is RateLimitError:
        retry_after = parse_retry_after(headers) if headers is not None else None
        if retry_after is None:
            retry_after = _retry_delay(details)
        return RateLimitError(
            message,
            provider=provider,
            status_code=status,
            request_id=request_id,
            retry_after=retry_after,
        )
    return cls(message, provider=provider, status_code=status or None, request_id=request_id)


def _scrub(text: str, secrets: Sequence[str | None]) -> str:
    from privllm.config import mask_secret

    for secret in secrets:
        if secret and len(secret) >= 8 and secret in text:
            text = text.replace(secret, mask_secret(secret))
    return text


def _details(body: Any) -> list[dict[str, Any]]:
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _request_id(headers: Any, details: list[dict[str, Any]]) -> str | None:
    # Google's front ends name a request in ``x-goog-request-id``; an error body may carry
    # it as a ``google.rpc.RequestInfo`` detail instead (AIP-193). ``x-request-id`` is
    # what proxies in front of Vertex (and the OpenAI-style gateways) send.
    if headers is not None:
        for name in ("x-goog-request-id", "x-request-id"):
            value = headers.get(name)
            if value:
                return str(value)
    for d in details:
        value = d.get("requestId")
        if str(d.get("@type", "")).endswith("RequestInfo") and isinstance(value, str) and value:
            return value
    return None


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    for d in details:
        delay = d.get("retryDelay")
        if str(d.get("@type", "")).endswith("RetryInfo") and isinstance(delay, str):
            try:
                return max(float(delay.rstrip("s")), 0.0)
            except ValueError:
                return None
    return None
