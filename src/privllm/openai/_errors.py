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

Errors privllm raises before anything is sent (``InvalidRequestError``, ``PolicyViolation``,
``RedactionBlocked``...) and ``StructuredOutputError`` keep their privllm class: the SDK has
no equivalent. The message is privllm's (placeholder form, keys masked, never a restored
value); ``response`` is a stand-in ``httpx2.Response`` with the status, ``x-request-id`` and
``retry-after`` privllm kept, and the body ``{"error": {"message": ...}}``. ``__cause__`` is
privllm's scrubbed stand-in for the SDK exception (``ProviderErrorCause``), as for privllm's
own errors.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai

from privllm import errors as p
from privllm.errors import PolicyViolation, PrivllmError

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ContentFilterError",
    "ContentFilterFinishReasonError",
    "EndpointNotCovered",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "to_openai_error",
]


class EndpointNotCovered(PolicyViolation, NotImplementedError):
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


_BY_STATUS: dict[int, type[openai.APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def to_openai_error(exc: PrivllmError, url: str) -> PrivllmError:
    """``exc`` as the drop-in class that is both the SDK's and privllm's; an error the SDK
    has no class for (raised before sending, or after parsing) is returned as it is.

    ``url`` is where the call went, for the stand-in request the SDK's classes carry.
    """
    if not isinstance(exc, p.ProviderError) or isinstance(exc, openai.OpenAIError):
        return exc
    request = httpx2.Request("POST", url)
    status = exc.status_code
    cls: type[Any]
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
    # Built without the classes' constructors: both sides' __init__ chain through super()
    # with different signatures. The attributes are the SDK's documented ones.
    err: Any = cls.__new__(cls)
    Exception.__init__(err, exc.message)
    err.__dict__.update(exc.__dict__)  # message, provider, status_code, request_id, retry_after
    code = "content_filter" if isinstance(exc, p.ContentFilteredError) else None
    body: dict[str, Any] = {"error": {"message": exc.message, "type": None, "code": code}}
    err.request = request
    err.body = body["error"]
    err.code, err.param, err.type = code, None, None
    if cls is ContentFilterFinishReasonError:
        err.completion = None
    if status is not None:
        headers = {"x-request-id": exc.request_id} if exc.request_id else {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        err.response = httpx2.Response(status, headers=headers, json=body, request=request)
    err.__cause__ = exc.__cause__  # privllm's scrubbed stand-in, never the SDK exception
    err.__suppress_context__ = True
    result: PrivllmError = err
    return result
