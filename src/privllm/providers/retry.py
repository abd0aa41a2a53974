"""One deadline per call: privllm's retries, across every provider, sync and async.

The SDKs retry on their own, each its way: openai sleeps up to 60 s on a ``retry-after``
and gives every attempt the whole timeout afresh; google-genai backs off 1, 2, 4... s and
ignores ``retry-after``. So ``timeout=1`` could take several seconds, and a 429 with
``retry-after: 20`` could block 40 s. privllm makes its calls with the SDKs' retries off
and retries here instead, against one deadline: the call's ``timeout`` (else
``provider.timeout``) bounds every attempt, every backoff sleep and the whole call.

- Retried (up to ``provider.max_retries`` times): 408, 409, 429, 5xx, connection errors and
  timeouts, as the openai SDK does.
- The wait before a retry is what the provider asked (``retry-after-ms``, ``retry-after``,
  Google's ``RetryInfo``), else an exponential backoff (0.5 s doubling to 8 s, with jitter).
- A wait that would end past the deadline is not started: the call fails at once with the
  last error, so a :class:`~privllm.errors.RateLimitError` still carries ``retry_after``.
- Each attempt's timeout is the time left, so an attempt never outlives the deadline (for a
  stream: until its headers, and each read after them).

Sans-IO (like the rest of the call path): :class:`RetryBudget` decides, and the two small
drivers below do the sleeping, so sync and async share one policy.

>>> budget = RetryBudget(timeout=1.0, max_retries=2, clock=lambda: 0.0)
>>> from privllm.errors import RateLimitError
>>> budget.delay(RateLimitError("slow down", provider="p", retry_after=20)) is None
True
>>> budget.delay(RateLimitError("slow down", provider="p", retry_after=0.25))
0.25
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from privllm.errors import (
    PrivllmError,
    ProviderConnectionError,
    ProviderStatusError,
    RateLimitError,
)

__all__ = ["RetryBudget", "acall_with_retries", "call_with_retries"]

_T = TypeVar("_T")

_RETRY_STATUSES = frozenset({408, 409, 429})
_INITIAL_DELAY = 0.5  # seconds; the openai SDK's backoff, used for every provider
_MAX_DELAY = 8.0


class RetryBudget:
    """The deadline and the retries left for one call; says how long to wait before the
    next attempt, or ``None`` to give up.

    ``clock`` (monotonic seconds) and ``jitter`` (a float in [0, 1)) are injectable for tests.
    """

    __slots__ = ("_attempt", "_clock", "_jitter", "deadline", "retries_left")

    def __init__(
        self,
        *,
        timeout: float,
        max_retries: int,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._clock = clock
        self._jitter = jitter
        self.deadline = clock() + timeout
        self.retries_left = max_retries
        self._attempt = 0

    def remaining(self) -> float:
        """Seconds left before the deadline (never below a millisecond: an attempt's
        timeout must be positive, and an attempt that starts this late fails at once)."""
        return max(self.deadline - self._clock(), 0.001)

    def delay(self, error: BaseException) -> float | None:
        """Seconds to sleep before retrying after ``error``; ``None``: raise it now."""
        if self.retries_left <= 0 or not _retryable(error):
            return None
        asked = error.retry_after if isinstance(error, RateLimitError) else None
        if asked is not None and asked > 0:
            wait = asked
        else:
            backoff = min(_INITIAL_DELAY * 2.0**self._attempt, _MAX_DELAY)
            wait = backoff * (1.0 - 0.25 * self._jitter())
        # Waiting past the deadline only to fail then: fail now, with what the provider said.
        if self._clock() + wait >= self.deadline:
            return None
        self.retries_left -= 1
        self._attempt += 1
        return wait


def _retryable(error: BaseException) -> bool:
    if isinstance(error, (ProviderConnectionError, RateLimitError)):  # timeouts included
        return True
    if isinstance(error, ProviderStatusError) and error.status_code is not None:
        return error.status_code in _RETRY_STATUSES or error.status_code >= 500
    return False


def call_with_retries(
    attempt: Callable[[float], _T],
    budget: RetryBudget,
    sleep: Callable[[float], object] = time.sleep,
) -> _T:
    """``attempt(seconds_left)`` until it returns, or the budget says give up (the last
    error is raised as it is: privllm errors only, each already detached from the SDK's)."""
    while True:
        try:
            return attempt(budget.remaining())
        except PrivllmError as error:
            wait = budget.delay(error)
            if wait is None:
                raise
        sleep(wait)


async def acall_with_retries(attempt: Callable[[float], Awaitable[_T]], budget: RetryBudget) -> _T:
    """The async twin of :func:`call_with_retries`."""
    while True:
        try:
            return await attempt(budget.remaining())
        except PrivllmError as error:
            wait = budget.delay(error)
            if wait is None:
                raise
        await asyncio.sleep(wait)
