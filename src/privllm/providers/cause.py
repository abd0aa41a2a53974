"""The cause a mapped provider error carries: a stand-in, never the SDK exception itself.

SDK exceptions quote what the provider answered, and providers echo what they were sent:
``Incorrect API key provided: sk-proj-...``, a request body, a token endpoint's reply. A
privllm error raised ``from`` such an exception scrubs its own message but hands the raw text
to every ``traceback.format_exception`` and ``logging.exception`` that prints the chain. So
privllm never chains the SDK exception: the cause is a :class:`ProviderErrorCause` naming the
exception's type (and the types of its own causes), the status and the request id, and the
SDK exception is not the context either (the error is raised outside the ``except`` block,
so ``__context__`` does not even reference it).

>>> from privllm.errors import AuthenticationError
>>> try:
...     raise_mapped(lambda: 1 / 0, lambda exc: AuthenticationError("no", provider="p"))
... except AuthenticationError as err:
...     str(err.__cause__), err.__context__
('builtins.ZeroDivisionError', None)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from privllm.errors import PrivllmError

__all__ = ["ProviderErrorCause", "araise_mapped", "cut_chain", "detach", "raise_mapped"]

_T = TypeVar("_T")
_MAX_TYPES = 4  # enough to tell a TLS failure from a refused connection


class ProviderErrorCause(Exception):
    """What privllm keeps of an SDK or transport exception: the qualified names of its type
    and of its causes' types, the HTTP status and the request id. Never its message."""

    def __init__(
        self,
        types: tuple[str, ...],
        *,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.types = types
        self.status_code = status_code
        self.request_id = request_id
        super().__init__(*types)

    @classmethod
    def of(cls, exc: BaseException, error: PrivllmError | None = None) -> ProviderErrorCause:
        """The stand-in for ``exc``; status and request id are taken from ``error``."""
        types: list[str] = []
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen and len(types) < _MAX_TYPES:
            seen.add(id(current))
            types.append(_qualified_name(type(current)))
            current = current.__cause__ or (
                None if current.__suppress_context__ else current.__context__
            )
        return cls(
            tuple(types),
            status_code=getattr(error, "status_code", None),
            request_id=getattr(error, "request_id", None),
        )

    def __str__(self) -> str:
        text = " <- ".join(self.types)
        extra = []
        if self.status_code is not None:
            extra.append(f"status {self.status_code}")
        if self.request_id:
            extra.append(f"request {self.request_id}")
        return f"{text} ({', '.join(extra)})" if extra else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def detach(error: PrivllmError, exc: BaseException) -> PrivllmError:
    """``error`` with a :class:`ProviderErrorCause` for ``exc`` as its cause, and no
    context shown. An error privllm raised itself (``exc``, or one the SDK wrapped, such as
    the guard's ``EgressBlocked``) is returned as it is."""
    current: BaseException | None = exc
    for _ in range(_MAX_TYPES):
        if current is None:
            break
        if current is error:
            return error
        current = current.__cause__ or current.__context__
    error.__cause__ = ProviderErrorCause.of(exc, error)  # also sets __suppress_context__
    return error


def cut_chain(error: PrivllmError) -> ProviderErrorCause | None:
    """``error``'s cause as a stand-in (kept if it is one already), ``error`` cut from its
    raw cause and context. For an error wrapped again (the drop-ins' SDK-shaped classes),
    whose ``__context__`` is then ``error``: a detector's exception quoting the text it
    was given, chained by ``raise ... from``, is not reachable from the new error."""
    cause = error.__cause__
    if cause is not None and not isinstance(cause, ProviderErrorCause):
        cause = ProviderErrorCause.of(cause, error)
    error.__cause__ = cause
    error.__context__ = None
    return cause


def raise_mapped(fn: Callable[[], _T], mapper: Callable[[BaseException], PrivllmError]) -> _T:
    """``fn()``; an exception from it raised as ``mapper(exc)`` with a scrubbed cause.

    A ``PrivllmError`` passes unchanged (already ours: the guard's ``EgressBlocked``); an
    exception ``mapper`` does not know it re-raises itself. The mapped error is raised
    after the ``except`` block ends, so its ``__context__`` is not the SDK exception.
    """
    try:
        return fn()
    except PrivllmError:
        raise
    except Exception as exc:
        error = detach(mapper(exc), exc)
    raise error


async def araise_mapped(
    fn: Callable[[], Awaitable[_T]], mapper: Callable[[BaseException], PrivllmError]
) -> _T:
    """The async twin of :func:`raise_mapped`."""
    try:
        return await fn()
    except PrivllmError:
        raise
    except Exception as exc:
        error = detach(mapper(exc), exc)
    raise error
