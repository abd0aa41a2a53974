"""The drop-in's errors: google-genai's classes that are privllm's too.

``except genai.errors.ClientError`` and ``except privllm.errors.RateLimitError`` both catch a
429 from the drop-in::

    APIError      genai.errors.APIError + privllm ProviderStatusError
    ├── ClientError   + genai.errors.ClientError (any 4xx)
    │   ├── BadRequestError        + privllm BadRequestError (400, 422)
    │   ├── AuthenticationError    + privllm AuthenticationError (401; Google's 400 for a bad key)
    │   ├── PermissionDeniedError  + privllm PermissionDeniedError (403)
    │   ├── NotFoundError          + privllm NotFoundError (404)
    │   └── RateLimitError         + privllm RateLimitError (429, ``retry_after``)
    └── ServerError   + genai.errors.ServerError + privllm ServerError (>= 500)
    EndpointNotCovered             a privllm PolicyViolation: a surface the drop-in refuses

So ``genai.errors.ClientError`` catches them whether ``genai`` is google-genai or
``privllm.genai``.

Errors with no status (timeouts, dropped connections, an answer withheld by Google's safety
system) and errors privllm raises before sending (``InvalidRequestError``,
``PolicyViolation``, ``RedactionBlocked``...) keep their privllm class: google-genai has no
equivalent (it lets httpx's exceptions through). ``code`` is the HTTP status, ``status``
Google's name for it (``RESOURCE_EXHAUSTED``), ``message`` the provider's text in placeholder
form (keys masked, never a restored value), ``details`` the body ``{"error": {...}}``.
``__cause__`` is privllm's scrubbed stand-in for the SDK exception.
"""

from __future__ import annotations

from typing import Any

from google.genai import errors as genai_errors

# The SDK's other exceptions, so ``privllm.genai.errors`` stands in for ``genai.errors``.
from google.genai.errors import (
    FunctionInvocationError,
    UnknownApiResponseError,
    UnknownFunctionCallArgumentError,
    UnsupportedFunctionError,
)

from privllm import errors as p
from privllm.errors import PolicyViolation, PrivllmError
from privllm.providers.cause import cut_chain

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "EndpointNotCovered",
    "FunctionInvocationError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnknownApiResponseError",
    "UnknownFunctionCallArgumentError",
    "UnsupportedFunctionError",
    "to_genai_error",
]


class EndpointNotCovered(PolicyViolation, NotImplementedError):
    """A google-genai surface the drop-in does not carry (files, caches, batches, tunings,
    live...): refused before anything is sent, naming the privllm way when there is one.
    Never passed through raw: the call would skip redaction, policy and the audit log."""

    def __init__(self, message: str) -> None:
        super().__init__(message, rule="dropin.endpoint")


class APIError(genai_errors.APIError, p.ProviderStatusError):  # type: ignore[misc]
    """An error status: the base of the classes below, as on google-genai."""


class ClientError(genai_errors.ClientError, APIError):  # type: ignore[misc]
    """A 4xx status: the base of the 4xx classes below."""


class BadRequestError(ClientError, p.BadRequestError):  # type: ignore[misc]
    pass


class AuthenticationError(ClientError, p.AuthenticationError):  # type: ignore[misc]
    pass


class PermissionDeniedError(ClientError, p.PermissionDeniedError):  # type: ignore[misc]
    pass


class NotFoundError(ClientError, p.NotFoundError):  # type: ignore[misc]
    pass


class RateLimitError(ClientError, p.RateLimitError):  # type: ignore[misc]
    pass


class ServerError(genai_errors.ServerError, APIError, p.ServerError):  # type: ignore[misc]
    """A 5xx status."""


#: Google's status names (``google.rpc.Code``) for the codes its APIs answer with.
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _class(exc: p.ProviderError, status: int) -> type[Any]:
    # privllm's class first: it already knows Google's 400 for a bad key is an auth failure.
    if isinstance(exc, p.AuthenticationError):
        return AuthenticationError
    if isinstance(exc, p.RateLimitError):
        return RateLimitError
    if isinstance(exc, p.PermissionDeniedError):
        return PermissionDeniedError
    if isinstance(exc, p.NotFoundError):
        return NotFoundError
    if isinstance(exc, p.BadRequestError):
        return BadRequestError
    if status >= 500:
        return ServerError
    if status >= 400:
        return ClientError
    return APIError


def to_genai_error(exc: PrivllmError) -> PrivllmError:
    """``exc`` as the drop-in class that is both google-genai's and privllm's; an error
    without an HTTP status is returned as it is."""
    if not isinstance(exc, p.ProviderError) or isinstance(exc, genai_errors.APIError):
        return exc
    status = exc.status_code
    if status is None:
        return exc
    cls = _class(exc, status)
    # Built without the classes' constructors: both sides' __init__ chain through super()
    # with different signatures. The attributes are google-genai's documented ones.
    err: Any = Exception.__new__(cls)
    err.__dict__.update(exc.__dict__)  # message, provider, status_code, request_id, retry_after
    name = _STATUS.get(status, "UNKNOWN")
    details = {"error": {"code": status, "message": exc.message, "status": name}}
    err.code, err.status, err.details, err.response = status, name, details, None
    Exception.__init__(err, f"{status} {name}. {details}")
    err.__cause__ = cut_chain(exc)  # a scrubbed stand-in, never the SDK's or a detector's
    err.__suppress_context__ = True
    result: PrivllmError = err
    return result
