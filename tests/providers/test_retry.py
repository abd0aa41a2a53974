"""privllm's retry policy: one deadline per call (a fake clock; no sleeping here)."""

from __future__ import annotations

import asyncio

import pytest

from privllm.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderConnectionError,
    ProviderStatusError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from privllm.providers.retry import RetryBudget, acall_with_retries, call_with_retries


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def budget(timeout: float = 10.0, max_retries: int = 5, clock: Clock | None = None) -> RetryBudget:
    return RetryBudget(
        timeout=timeout, max_retries=max_retries, clock=clock or Clock(), jitter=lambda: 0.0
    )


def limited(after: float | None) -> RateLimitError:
    return RateLimitError("slow down", provider="p", status_code=429, retry_after=after)


def test_the_wait_asked_for_is_kept_while_it_ends_before_the_deadline():
    b = budget(timeout=10)
    assert b.delay(limited(3)) == 3
    assert b.delay(limited(9.99)) == 9.99
    assert b.delay(limited(10)) is None  # ends at the deadline: give up now, not then


def test_backoff_doubles_from_half_a_second_and_is_capped():
    b = budget(timeout=1000, max_retries=10)
    waits = [b.delay(ServerError("x", provider="p", status_code=503)) for _ in range(6)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_jitter_shortens_the_backoff_by_at_most_a_quarter():
    b = RetryBudget(timeout=100, max_retries=3, clock=Clock(), jitter=lambda: 0.999)
    wait = b.delay(ServerError("x", provider="p", status_code=500))
    assert wait is not None
    assert 0.375 <= wait < 0.5


def test_retries_are_counted():
    b = budget(max_retries=2)
    assert b.delay(limited(0.1)) is not None
    assert b.delay(limited(0.1)) is not None
    assert b.delay(limited(0.1)) is None
    assert budget(max_retries=0).delay(limited(0.1)) is None


@pytest.mark.parametrize(
    "error",
    [
        ServerError("x", provider="p", status_code=502),
        ProviderStatusError("x", provider="p", status_code=408),
        ProviderStatusError("x", provider="p", status_code=409),
        ProviderConnectionError("connection failed", provider="p"),
        ProviderTimeoutError("request timed out", provider="p"),
        limited(None),
    ],
)
def test_transient_failures_are_retried(error):
    assert budget().delay(error) == 0.5


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("x", provider="p", status_code=400),
        AuthenticationError("x", provider="p", status_code=401),
        ProviderStatusError("x", provider="p", status_code=418),
        ValueError("not a provider error"),
    ],
)
def test_other_failures_are_not(error):
    assert budget().delay(error) is None


def test_the_time_left_shrinks_and_each_attempt_gets_it():
    clock = Clock()
    b = budget(timeout=2, clock=clock)
    seen: list[float] = []

    def attempt(left: float) -> str:
        seen.append(left)
        clock.now += 0.5
        if len(seen) < 3:
            raise limited(0.25)
        return "ok"

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    assert call_with_retries(attempt, b, sleep) == "ok"
    assert seen == [2.0, 1.25, 0.5]
    assert slept == [0.25, 0.25]


def test_the_last_error_is_raised_as_it_is():
    error = limited(60)

    def attempt(left: float) -> str:
        raise error

    with pytest.raises(RateLimitError) as info:
        call_with_retries(attempt, budget(timeout=5))
    assert info.value is error
    assert info.value.retry_after == 60
    assert info.value.__context__ is None


def test_the_async_driver_waits_and_retries():
    calls: list[float] = []

    async def attempt(left: float) -> str:
        calls.append(left)
        if len(calls) == 1:
            raise limited(0.01)
        return "ok"

    assert asyncio.run(acall_with_retries(attempt, RetryBudget(timeout=5, max_retries=1))) == "ok"
    assert len(calls) == 2
    assert calls[1] < calls[0]
