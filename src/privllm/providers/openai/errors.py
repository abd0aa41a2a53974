"""``openai`` SDK and transport exceptions as privllm errors, the API key scrubbed."""

from __future__ import annotations

import openai

from privllm.errors import (
    PrivllmError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    error_for_status,
)
from privllm.providers.base import parse_retry_after

__all__ = ["error_message", "scrub", "to_privllm_error"]


def to_privllm_error(
    exc: BaseException, *, provider: str, api_key: str | None, streaming: bool = False
) -> PrivllmError:
    """An SDK or transport exception as a privllm error, with ``api_key`` scrubbed.

    Any other exception is raised as it is.
    """
    import httpx2

    if isinstance(exc, PrivllmError):
        return exc  # e.g. EgressBlocked raised by privllm's own transport
    cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) else exc
    if isinstance(cause, PrivllmError):
        return cause
    if isinstance(exc, openai.APITimeoutError) or isinstance(cause, httpx2.TimeoutException):
        return ProviderTimeoutError("request timed out", provider=provider)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = scrub(error_message(exc.body) or f"HTTP {status}", api_key)
        cls = error_for_status(status)
        request_id = exc.request_id
        if cls is RateLimitError:
            return RateLimitError(
                message,
                provider=provider,
                status_code=status,
                request_id=request_id,
                retry_after=parse_retry_after(exc.response.headers),
            )
        return cls(message, provider=provider, status_code=status, request_id=request_id)
    if isinstance(exc, openai.APIConnectionError) or isinstance(cause, httpx2.TransportError):
        what = "connection dropped mid-stream" if streaming else "connection failed"
        detail = type(cause).__name__ if cause is not None and cause is not exc else ""
        return ProviderConnectionError(f"{what}: {detail}" if detail else what, provider=provider)
    if isinstance(exc, openai.OpenAIError):
        return ProviderError(scrub(str(exc), api_key), provider=provider)
    raise exc


def scrub(text: str, api_key: str | None) -> str:
    """``text`` with ``api_key`` masked (a key shorter than 8 characters is left alone)."""
    from privllm.config import mask_secret

    if api_key and len(api_key) >= 8 and api_key in text:
        text = text.replace(api_key, mask_secret(api_key))
    return text


def error_message(body: object) -> str | None:
    """The message of an OpenAI-style error body (``{"error": {"message": ...}}``), or None."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message")
            return str(msg) if msg else None
        if isinstance(err, str):
            return err
    if isinstance(body, str):
        return body
    return None
