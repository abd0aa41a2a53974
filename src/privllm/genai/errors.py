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

Errors privllm raises before anything is sent are the class Google's answer would have been,
so ``except genai.errors.ClientError`` / ``APIError`` catch them; each keeps its privllm class
(and is not a privllm ``ProviderError``: nothing reached Google)::

    genai.errors.ClientError 400 INVALID_ARGUMENT + InvalidRequestError (also a ValueError)
    genai.errors.ClientError 403 PERMISSION_DENIED + PolicyViolation / RedactionBlocked /
                                                     EgressBlocked
    genai.errors.ClientError 409 ABORTED + VaultConflictError (the call can be made again)
    genai.errors.APIError 500 INTERNAL + RedactionError / VaultError / AuditError (a local
                                                     failure: not a ServerError)

Errors with no status (timeouts, dropped connections, an answer withheld by Google's safety
system, a closed client) keep their privllm class: google-genai has no equivalent (it lets
httpx's exceptions through). ``code`` is the HTTP status, ``status`` Google's name for it
(``RESOURCE_EXHAUSTED``), ``message`` the provider's text in placeholder form (keys masked,
never a restored value) or privllm's (a field's name, never its value), ``details`` the body
``{"error": {...}}``.
``__cause__`` is privllm's scrubbed stand-in for the SDK exception (or a detector's).
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
from privllm.errors import PrivllmError
from privllm.integrations._errors import most_specific
from privllm.providers.cause import cut_chain

__all__ = [
    "APIError",
    "AuditError",
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "EgressBlocked",
    "EndpointNotCovered",
    "FunctionInvocationError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyViolation",
    "RateLimitError",
    "RedactionBlocked",
    "RedactionError",
    "ServerError",
    "UnknownApiResponseError",
    "UnknownFunctionCallArgumentError",
    "UnsupportedFunctionError",
    "VaultConflictError",
    "VaultError",
    "to_genai_error",
]


class EndpointNotCovered(p.PolicyViolation, NotImplementedError):
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


# -- raised before sending: google-genai's classes, not privllm's ProviderError ------------------


class InvalidRequestError(genai_errors.ClientError, p.InvalidRequestError):
    """An input privllm does not accept, refused before sending (400 INVALID_ARGUMENT)."""


class PolicyViolation(genai_errors.ClientError, p.PolicyViolation):
    """A policy rule refused the call before sending (403 PERMISSION_DENIED)."""


class RedactionBlocked(genai_errors.ClientError, p.RedactionBlocked):
    pass


class EgressBlocked(genai_errors.ClientError, p.EgressBlocked):
    pass


class VaultConflictError(genai_errors.ClientError, p.VaultConflictError):
    """Another worker extended the conversation first; the call can be made again."""


class RedactionError(genai_errors.APIError, p.RedactionError):
    """A detector failed: the call was refused rather than sent unredacted."""


class VaultError(genai_errors.APIError, p.VaultError):
    pass


class AuditError(genai_errors.APIError, p.AuditError):
    pass


#: privllm's class -> (the drop-in's, the status). The most specific along the MRO wins.
_BEFORE: dict[type[PrivllmError], tuple[type[Any], int]] = {
    p.InvalidRequestError: (InvalidRequestError, 400),
    p.PolicyViolation: (PolicyViolation, 403),
    p.RedactionBlocked: (RedactionBlocked, 403),
    p.EgressBlocked: (EgressBlocked, 403),
    p.VaultConflictError: (VaultConflictError, 409),
    p.RedactionError: (RedactionError, 500),
    p.VaultError: (VaultError, 500),
    p.AuditError: (AuditError, 500),
}


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


def _before_sending(exc: PrivllmError) -> tuple[type[Any], int] | None:
    if isinstance(exc, EndpointNotCovered):
        return None  # already the drop-in's own refusal
    return most_specific(exc, _BEFORE)


def to_genai_error(exc: PrivllmError) -> PrivllmError:
    """``exc`` as the drop-in class that is both google-genai's and privllm's; an error
    without an HTTP status (or one raised before sending that google-genai has no class
    for: ``ClientClosedError``, ``ConfigError``) is returned as it is."""
    if isinstance(exc, genai_errors.APIError):
        return exc
    if not isinstance(exc, p.ProviderError):
        before = _before_sending(exc)
        if before is None:
            return exc
        cls, code = before
        return _build(cls, exc, code, str(exc))
    status = exc.status_code
    if status is None:
        return exc
    return _build(_class(exc, status), exc, status, exc.message)


def _build(cls: type[Any], exc: PrivllmError, status: int, message: str) -> PrivllmError:
    # Built without the classes' constructors: both sides' __init__ chain through super()
    # with different signatures. The attributes are google-genai's documented ones.
    err: Any = Exception.__new__(cls)
    err.__dict__.update(exc.__dict__)  # message, provider, status_code, request_id, retry_after
    name = _STATUS.get(status, "UNKNOWN")
    details = {"error": {"code": status, "message": message, "status": name}}
    err.code, err.status, err.details, err.response = status, name, details, None
    err.message = message
    Exception.__init__(err, f"{status} {name}. {details}")
    err.__cause__ = cut_chain(exc)  # a scrubbed stand-in, never the SDK's or a detector's
    err.__suppress_context__ = True
    result: PrivllmError = err
    return result
