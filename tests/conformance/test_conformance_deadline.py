"""One deadline per call: ``timeout`` bounds every attempt, every retry wait and the call.

Behaviour tests against the local servers, with generous margins (not benchmarks): before,
a 429 with ``retry-after: 20`` blocked about 40 s, and ``timeout=1`` took 4.4 s (7.8 s on
Gemini) as each SDK retried with a fresh timeout per attempt.
"""

from __future__ import annotations

import time

import pytest

from privllm.errors import ProviderTimeoutError, RateLimitError, ServerError
from privllm.testing import Reply


def warm(run, target):
    """Build the SDK client (done on first use) before a timed call: on a loaded machine
    that alone can take a good part of a second."""
    run.chat("warm up")
    target.server.clear()


@pytest.fixture
def quick_backoff(monkeypatch):
    # The exponential backoff starts at 0.5 s: shorter here, so retried cases stay fast.
    monkeypatch.setattr("privllm.providers.retry._INITIAL_DELAY", 0.01)


@pytest.mark.parametrize("call", ["chat", "stream", "embed"])
def test_a_retry_after_past_the_deadline_fails_at_once_with_it(runner_factory, target, call):
    run = runner_factory(provider=target.config(max_retries=2))
    warm(run, target)
    target.server.reply(*[Reply.error(429, "Rate limit reached", retry_after=20)] * 3)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        getattr(run, call)(["x"] if call == "embed" else "x", timeout=1)
    assert time.monotonic() - started < 2.0
    assert info.value.retry_after == 20
    assert info.value.request_id
    assert len(target.server.requests) == 1  # no retry could end in time: none was tried


def test_a_retry_after_within_the_deadline_is_waited_for(runner_factory, target):
    run = runner_factory(provider=target.config(max_retries=2))
    target.server.reply(Reply.error(429, "Rate limit reached", retry_after=0.3), Reply.text("ok"))
    started = time.monotonic()
    assert run.chat("x", timeout=5).text == "ok"
    assert time.monotonic() - started >= 0.3
    assert len(target.server.requests) == 2


def test_the_client_timeout_is_the_deadline_when_the_call_sets_none(runner_factory, target):
    run = runner_factory(provider=target.config(timeout=1, max_retries=2))
    warm(run, target)
    target.server.reply(*[Reply.error(429, "Rate limit reached", retry_after=20)] * 3)
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        run.chat("x")
    assert time.monotonic() - started < 2.0


def test_slow_attempts_share_one_deadline(runner_factory, target):
    # Each attempt would time out on its own after 0.5 s; three of them used to take 1.5 s
    # and more, plus the backoff between them. The first uses up the deadline: no retry.
    run = runner_factory(provider=target.config(max_retries=2))
    warm(run, target)
    target.server.reply(*[Reply.text("late", delay=2.5)] * 3)
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError):
        run.chat("x", timeout=0.5)
    assert time.monotonic() - started < 2.0  # three attempts alone would take 1.5 s
    assert len(target.server.requests) == 1


def test_retries_stop_at_the_deadline(runner_factory, target, quick_backoff):
    run = runner_factory(provider=target.config(max_retries=50))
    warm(run, target)
    target.server.reply(*[Reply.error(503, "busy", delay=0.25)] * 50)
    started = time.monotonic()
    with pytest.raises((ServerError, ProviderTimeoutError)):
        run.chat("x", timeout=1)
    assert time.monotonic() - started < 2.0
    assert len(target.server.requests) <= 5  # only while time was left (4 at most fit)


def test_a_stream_that_fails_then_succeeds_is_retried(runner_factory, target, quick_backoff):
    run = runner_factory(provider=target.config(max_retries=2))
    target.server.reply(Reply.error(503, "busy"), Reply.text("fine then"))
    _, response = run.stream("x", timeout=5)
    assert response.text == "fine then"
    assert len(target.server.requests) == 2
