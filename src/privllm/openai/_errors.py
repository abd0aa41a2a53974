"""The drop-in's errors: the openai SDK's classes that are privllm's too.

Each class subclasses the SDK's exception and privllm's, so ``except openai.RateLimitError``
and ``except privllm.errors.RateLimitError`` both catch it::

    openai.RateLimitError + privllm RateLimitError           -> RateLimitError (429)
    openai.BadRequestError + privllm BadRequestError         -> BadRequestError (400)
    openai.UnprocessableEntityError + BadRequestError        -> UnprocessableEntityError (422)
    openai.AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError (409),
    openai.InternalServerError (>= 500), openai.APIStatusError (any other status)
    openai.BadRequestError + ContentFilteredError            -> ContentFilterError (Azure's 400)
    openai.ContentFilterFinishReasonError + ContentFilteredError (an answer withheld)
    openai.APIConnectionError + ProviderConnectionError      -> APIConnectionError
    openai.APITimeoutError + ProviderTimeoutError            -> APITimeoutError
    openai.APIError + ProviderError                          -> APIError (anything else)
    privllm PolicyViolation                                  -> EndpointNotCovered

Errors privllm raises before anything is sent are the class the API's answer would have
been, so existing ``except`` clauses catch them; each keeps its privllm class too::

    openai.BadRequestError (400) + InvalidRequestError (also a ValueError) -> InvalidRequestError
    openai.PermissionDeniedError (403) + PolicyViolation   -> PolicyViolation
        + RedactionBlocked / EgressBlocked                 -> RedactionBlocked / EgressBlocked
    openai.ConflictError (409) + VaultConflictError        -> VaultConflictError
    openai.APIError + RedactionError / VaultError / AuditError (no status: a local failure)
    openai.APIConnectionError + ClientClosedError          -> ClientClosedError (as the SDK
                                                              reports a closed http client)

They are not privllm's ``ProviderError``: nothing reached the provider (``request_id`` is
None). ``StructuredOutputError`` (after the answer) keeps its privllm class.

The message is privllm's (placeholder form, keys masked, never a restored value, a field's
name and never its value); ``response`` is a stand-in ``httpx2.Response`` with the status,
``x-request-id`` and ``retry-after`` privllm kept, and the body ``{"error": {"message": ...}}``
(``code`` the policy rule, ``param`` the field refused). ``__cause__`` is privllm's scrubbed
stand-in for the SDK exception (``ProviderErrorCause``), as for privllm's own errors.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai

from privllm import errors as p
from privllm.errors import PrivllmError
from privllm.integrations._errors import most_specific
from privllm.providers.cause import cut_chain

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuditError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ContentFilterError",
    "ContentFilterFinishReasonError",
    "EgressBlocked",
    "EndpointNotCovered",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyViolation",
    "RateLimitError",
    "RedactionBlocked",
    "RedactionError",
    "UnprocessableEntityError",
    "VaultConflictError",
    "VaultError",
    "to_openai_error",
]


class EndpointNotCovered(p.PolicyViolation, NotImplementedError):
    """An openai SDK endpoint the drop-in does not carry (files, batches, assistants,
    realtime...): refused before anything is sent, naming the privllm way when there is one.
    Never passed through raw, since the call would skip redaction, policy and the audit log.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, rule="dropin.endpoint")


class APIError(openai.APIError, p.ProviderError):
    """A provider error with no more specific class."""


class APIStatusError(openai.APIStatusError, p.ProviderStatusError):  # type: ignore[misc]
    """An HTTP error status without a class of its own."""


class BadRequestError(openai.BadRequestError, p.BadRequestError):  # type: ignore[misc]
    pass


class UnprocessableEntityError(openai.UnprocessableEntityError, p.BadRequestError):  # type: ignore[misc]
    pass


class AuthenticationError(openai.AuthenticationError, p.AuthenticationError):  # type: ignore[misc]
    pass


class PermissionDeniedError(openai.PermissionDeniedError, p.PermissionDeniedError):  # type: ignore[misc]
    pass


class NotFoundError(openai.NotFoundError, p.NotFoundError):  # type: ignore[misc]
    pass


class ConflictError(openai.ConflictError, p.ProviderStatusError):  # type: ignore[misc]
    pass


class RateLimitError(openai.RateLimitError, p.RateLimitError):  # type: ignore[misc]
    pass


class InternalServerError(openai.InternalServerError, p.ServerError):  # type: ignore[misc]
    pass


class ContentFilterError(openai.BadRequestError, p.ContentFilteredError):  # type: ignore[misc]
    """Azure's 400 with code ``content_filter`` (the prompt tripped the filter)."""


class ContentFilterFinishReasonError(openai.ContentFilterFinishReasonError, p.ContentFilteredError):
    """The whole answer was withheld by the provider's filter. ``completion`` is None."""


class APIConnectionError(openai.APIConnectionError, p.ProviderConnectionError):
    pass


class APITimeoutError(openai.APITimeoutError, p.ProviderTimeoutError):
    pass


# -- raised before sending -------------------------------------------------------------------


class InvalidRequestError(openai.BadRequestError, p.InvalidRequestError):
    """An input privllm does not accept, refused before sending (as the API's 400 would)."""


class PolicyViolation(openai.PermissionDeniedError, p.PolicyViolation):
    """A policy rule refused the call before sending (as the API's 403 would)."""


class RedactionBlocked(openai.PermissionDeniedError, p.RedactionBlocked):
    pass


class EgressBlocked(openai.PermissionDeniedError, p.EgressBlocked):
    pass


class VaultConflictError(openai.ConflictError, p.VaultConflictError):
    """Another worker extended the conversation first; the call can be made again (409)."""


class RedactionError(openai.APIError, p.RedactionError):
    """A detector failed: the call was refused rather than sent unredacted."""


class VaultError(openai.APIError, p.VaultError):
    pass


class AuditError(openai.APIError, p.AuditError):
    pass


class ClientClosedError(openai.APIConnectionError, p.ClientClosedError):
    pass


#: privllm's class -> (the drop-in's, the status the API would have answered with). The most
#: specific match along the error's MRO wins.
_BEFORE: dict[type[PrivllmError], tuple[type[Any], int | None]] = {
    p.InvalidRequestError: (InvalidRequestError, 400),
    p.PolicyViolation: (PolicyViolation, 403),
    p.RedactionBlocked: (RedactionBlocked, 403),
    p.EgressBlocked: (EgressBlocked, 403),
    p.VaultConflictError: (VaultConflictError, 409),
    p.RedactionError: (RedactionError, None),
    p.VaultError: (VaultError, None),
    p.AuditError: (AuditError, None),
    p.ClientClosedError: (ClientClosedError, None),
}


_BY_STATUS: dict[int, type[openai.APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _before_sending(exc: PrivllmError) -> tuple[type[Any], int | None] | None:
    if isinstance(exc, EndpointNotCovered):
        return None  # already the drop-in's own refusal
    return most_specific(exc, _BEFORE)


def to_openai_error(exc: PrivllmError, url: str) -> PrivllmError:
    """``exc`` as the drop-in class that is both the SDK's and privllm's; an error the SDK
    has no class for (``StructuredOutputError``, ``ConfigError``) is returned as it is.

    ``url`` is where the call went, for the stand-in request the SDK's classes carry.
    """
    if isinstance(exc, openai.OpenAIError):
        return exc
    if not isinstance(exc, p.ProviderError):
        before = _before_sending(exc)
        if before is None:
            return exc
        cls, status = before
        return _build(cls, exc, url, status, code=getattr(exc, "rule", None))
    status = exc.status_code
    if isinstance(exc, p.ContentFilteredError):
        cls = ContentFilterError if status is not None else ContentFilterFinishReasonError
    elif isinstance(exc, p.ProviderTimeoutError):
        cls = APITimeoutError
    elif isinstance(exc, p.ProviderConnectionError):
        cls = APIConnectionError
    elif status is not None and status >= 500:
        cls = InternalServerError
    elif status is not None:
        cls = _BY_STATUS.get(status, APIStatusError)
    else:
        cls = APIError
    code = "content_filter" if isinstance(exc, p.ContentFilteredError) else None
    return _build(cls, exc, url, status, code=code)


def _build(
    cls: type[Any], exc: PrivllmError, url: str, status: int | None, *, code: str | None
) -> PrivllmError:
    # Built without the classes' constructors: both sides' __init__ chain through super()
    # with different signatures. The attributes are the SDK's documented ones.
    request = httpx2.Request("POST", url)
    message = exc.message if isinstance(exc, p.ProviderError) else str(exc)
    err: Any = Exception.__new__(cls)
    Exception.__init__(err, message)
    # privllm's attributes: message, provider, status_code, request_id, retry_after, rule,
    # host, fields (names, never values)
    err.__dict__.update(exc.__dict__)
    param = exc.field if isinstance(exc, p.InvalidRequestError) else None
    body: dict[str, Any] = {"error": {"message": message, "type": None, "code": code}}
    if param is not None:
        body["error"]["param"] = param
    err.message = message
    err.request = request
    err.body = body["error"]
    err.code, err.param, err.type = code, param, None
    if cls is ContentFilterFinishReasonError:
        err.completion = None
    if status is not None:
        request_id = getattr(exc, "request_id", None)
        err.status_code, err.request_id = status, request_id
        headers = {"x-request-id": request_id} if request_id else {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        err.response = httpx2.Response(status, headers=headers, json=body, request=request)
    err.__cause__ = cut_chain(exc)  # a scrubbed stand-in, never the SDK's or a detector's
    err.__suppress_context__ = True
    result: PrivllmError = err
    return result
