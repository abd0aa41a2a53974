"""Every error privllm raises, in one tree.

    PrivllmError
    ├── ConfigError                 a config file, env var or argument is invalid
    ├── InvalidRequestError         a call's input (messages, tools, options) is not accepted;
    │                               also a ValueError. Names fields, never their values
    ├── ClientClosedError           the client was closed; nothing was sent
    ├── PolicyViolation             a rule refused the call before any byte was sent
    │   ├── RedactionBlocked        a finding whose action is ``block``
    │   ├── EgressBlocked           the HTTP transport guard refused a request
    │   └── UnpreparedFileError     a training file still holds findings (fine-tuning)
    ├── RedactionError              a detector failed; the call is refused (fail closed)
    │   └── VaultError              the shared conversation vault (Redis) could not be read
    │       │                       or written; the call is refused, nothing was sent
    │       └── VaultConflictError  another worker extended the same conversation first
    ├── DatasetError                a training file is not valid; nothing was written
    ├── ProviderError               the provider answered with an error, or not at all
    │   ├── ProviderStatusError     an HTTP error status (``status_code``)
    │   │   ├── BadRequestError     400, 422
    │   │   ├── AuthenticationError 401
    │   │   ├── PermissionDeniedError 403
    │   │   ├── NotFoundError       404
    │   │   ├── RateLimitError      429 (``retry_after`` in seconds when the provider said)
    │   │   └── ServerError         >= 500
    │   ├── ContentFilteredError    the provider's safety system withheld the answer
    │   └── ProviderConnectionError connection refused, reset or dropped mid-stream
    │       └── ProviderTimeoutError no answer in time
    ├── ResponseError               the answer arrived, but not in the shape asked for
    │   └── StructuredOutputError   it does not parse into the ``response_format`` model
    └── AuditError                  the audit log could not be written or read
        ├── WrongKeyError           this key does not open the log
        └── TamperedLogError        the hash chain does not verify

Catch ``ProviderConnectionError`` to cover timeouts too (as httpx's ``TransportError`` does),
``ProviderStatusError`` for every answer with an error status (openai's ``APIStatusError``).
Messages never carry an API key, a log key or a restored (real) value: provider error text
stays in the placeholder form the provider saw.

The openai drop-in (``privllm.openai``) raises the SDK's exception classes subclassed with
these (``privllm.openai.RateLimitError`` is an ``openai.RateLimitError`` and a
``RateLimitError``), and refuses the endpoints it does not carry with ``EndpointNotCovered``,
a ``PolicyViolation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from privllm.finetune.prepare.report import PrepareReport

__all__ = [
    "AuditError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigError",
    "ContentFilteredError",
    "DatasetError",
    "EgressBlocked",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyViolation",
    "PrivllmError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderStatusError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RedactionBlocked",
    "RedactionError",
    "ResponseError",
    "ServerError",
    "StructuredOutputError",
    "TamperedLogError",
    "UnpreparedFileError",
    "VaultConflictError",
    "VaultError",
    "WrongKeyError",
    "error_for_status",
]


class PrivllmError(Exception):
    """Base class of every error privllm raises."""


class ConfigError(PrivllmError):
    """Invalid configuration. ``source`` names the file or env var, ``field`` the dotted path."""

    def __init__(
        self, message: str, *, source: str | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.field = field
        super().__init__(message)


class InvalidRequestError(PrivllmError, ValueError):
    """An input privllm does not accept: a message without ``role``, an image content part,
    a wrong type. Raised before anything is sent, instead of pydantic's ``ValidationError``
    (whose text quotes the input, so a prompt would end up in logs and tracebacks).

    ``fields`` are the paths that failed (``messages[2].content[0].type``); the message names
    them and what was expected, never the value given.

    >>> err = InvalidRequestError("invalid request: messages[0].role: required",
    ...                           fields=("messages[0].role",))
    >>> err.field
    'messages[0].role'
    """

    def __init__(self, message: str, *, fields: tuple[str, ...] = ()) -> None:
        self.fields = fields
        super().__init__(message)

    @property
    def field(self) -> str | None:
        """The first field that failed, if any was named."""
        return self.fields[0] if self.fields else None


class ClientClosedError(PrivllmError):
    """The client (or the stream's client) was closed. Raised before anything is sent.

    >>> from privllm import Client
    >>> client = Client(env={}, audit={"enabled": False})
    >>> client.close()
    >>> client.chat("hi", model="gpt-4o-mini")
    Traceback (most recent call last):
      ...
    privllm.errors.ClientClosedError: this Client is closed: build a new one to make calls
    """


class PolicyViolation(PrivllmError):
    """A policy rule refused the call. Raised before any byte leaves the process."""

    def __init__(self, message: str, *, rule: str, host: str | None = None) -> None:
        self.rule = rule
        self.host = host
        super().__init__(message)


class RedactionBlocked(PolicyViolation):
    """A detected value whose configured action is ``block``. Names type and position only."""


class EgressBlocked(PolicyViolation):
    """The HTTP transport guard refused a request (wrong host, scheme, body content...)."""


class UnpreparedFileError(PolicyViolation):
    """The file still holds values the configured detectors find (rule
    ``finetune.unredacted``), or lines that cannot be checked (``finetune.unchecked``: a
    repeated key, runaway nesting). Counts per type only."""

    def __init__(
        self, message: str, *, findings: Mapping[str, int], rule: str = "finetune.unredacted"
    ) -> None:
        super().__init__(message, rule=rule)
        self.findings = dict(findings)


class RedactionError(PrivllmError):
    """A detector raised or timed out. The call is refused rather than sent unredacted."""


class VaultError(RedactionError):
    """The shared vault of a conversation (``redaction.vault``) could not be read or written.

    The call is refused before anything is sent: sent with a fresh placeholder map, the same
    value would get another placeholder than on earlier turns and answers would restore
    wrongly. The message names the backend and the failure, never the URL or its password.
    """


class VaultConflictError(VaultError):
    """Another worker added placeholders to the same conversation between this call's read
    and its write. Nothing was sent; the call can simply be made again."""


class DatasetError(PrivllmError):
    """The file is not a valid training set, or holds values whose action is ``block``.

    ``issues`` lists the first problems (line, field, reason; never content), ``more`` how
    many were left out, ``report`` what was counted. Nothing was written.
    """

    def __init__(self, report: PrepareReport) -> None:
        self.issues = report.issues
        self.more = report.more_issues
        self.report = report
        shown = "; ".join(str(i) for i in report.issues[:3])
        rest = report.problems - 3
        more = f"; ... and {rest} more" if rest > 0 else ""
        super().__init__(
            f"{report.source}: {report.problems} problem(s), nothing written: {shown}{more}"
        )

    def __reduce__(self) -> tuple[type[DatasetError], tuple[PrepareReport]]:
        return type(self), (self.report,)


class ProviderError(PrivllmError):
    """The provider returned an error or could not be reached.

    ``message`` is the provider's own text (in placeholder form, never with restored values
    or keys); ``status_code`` and ``request_id`` are kept when the provider sent them.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.request_id = request_id
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.provider]
        if self.status_code is not None:
            parts.append(str(self.status_code))
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return f"{self.message} ({', '.join(parts)})"


class ProviderStatusError(ProviderError):
    """The provider answered with an HTTP error status; ``status_code`` says which.

    Its subclasses name the common ones; a status without one (409, 418...) is raised as
    this class itself.
    """


class BadRequestError(ProviderStatusError):
    """The provider rejected the request as malformed (400, 422)."""


class AuthenticationError(ProviderStatusError):
    """The credentials were refused (401)."""


class PermissionDeniedError(ProviderStatusError):
    """The credentials lack access to this model or resource (403)."""


class NotFoundError(ProviderStatusError):
    """Unknown model, deployment or path (404)."""


class RateLimitError(ProviderStatusError):
    """Too many requests or quota exhausted (429)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = 429,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status_code=status_code, request_id=request_id)
        self.retry_after = retry_after


class ServerError(ProviderStatusError):
    """The provider failed (>= 500)."""


class ContentFilteredError(ProviderError):
    """The provider's safety system blocked the prompt or withheld the answer."""


class ProviderConnectionError(ProviderError):
    """The connection failed or dropped, including mid-stream. Timeouts are one kind."""


class ProviderTimeoutError(ProviderConnectionError):
    """The provider did not answer in time (the client's ``provider.timeout``, or the call's
    ``timeout=``)."""


class ResponseError(PrivllmError):
    """The provider's answer arrived, but privllm cannot give it back in the shape asked for.

    Not a :class:`ProviderError`: the call reached the provider and it answered; retrying
    elsewhere is the caller's decision. ``provider`` names who answered.
    """

    def __init__(self, message: str, *, provider: str) -> None:
        self.message = message
        self.provider = provider
        super().__init__(message)


class StructuredOutputError(ResponseError):
    """The answer did not parse into the requested ``response_format`` model. The message
    names the fields that failed, never the answer (it may hold restored values)."""


class AuditError(PrivllmError):
    """The audit log could not be written, opened or read."""


class WrongKeyError(AuditError):
    """The key given does not open the audit log (or a sealed file)."""


class TamperedLogError(AuditError):
    """Verification failed: a record was modified, removed, reordered or inserted."""

    def __init__(self, message: str, *, record: int | str | None = None) -> None:
        self.record = record
        super().__init__(message)


_STATUS: dict[int, type[ProviderStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[ProviderStatusError]:
    """The privllm error class for an HTTP error status code.

    >>> error_for_status(429).__name__, error_for_status(409).__name__
    ('RateLimitError', 'ProviderStatusError')
    """
    if status >= 500:
        return ServerError
    return _STATUS.get(status, ProviderStatusError)
