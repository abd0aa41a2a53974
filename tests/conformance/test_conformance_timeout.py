"""A per-call ``timeout=`` replaces the client's ``provider.timeout`` for that call only."""

from __future__ import annotations

import time

import pytest

from privllm import USE_CLIENT_DEFAULT
from privllm.errors import InvalidRequestError, ProviderTimeoutError
from privllm.testing import Reply

DELAY = 3.0  # the server's answer comes this late
SHORT = 0.2  # the call's timeout
QUICK = 2.0  # a timed-out call is over well before the answer would have come (a loaded CI
# machine has taken just over 1 s to raise a 0.2 s timeout)


@pytest.fixture
def patient(runner_factory, target):
    """A client that would wait 30 s (and does not retry, so one attempt is timed)."""
    return runner_factory(provider=target.config(timeout=30, max_retries=0))


def test_a_per_call_timeout_shorter_than_the_answer_raises_quickly(patient, target):
    target.server.reply(Reply.text("late", delay=DELAY))
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError) as info:
        patient.chat("x", timeout=SHORT)
    assert time.monotonic() - started < QUICK
    assert info.value.provider == target.provider_name
    # the same answer, with the client's default: it waits
    target.server.reply(Reply.text("late", delay=DELAY))
    assert patient.chat("x").text == "late"
    target.server.reply(Reply.text("late", delay=DELAY))
    assert patient.chat("x", timeout=USE_CLIENT_DEFAULT).text == "late"


def test_a_per_call_timeout_holds_for_streams_and_embeddings(patient, target):
    target.server.reply(Reply.text("late", delay=DELAY))
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError):
        patient.stream("x", timeout=SHORT)
    assert time.monotonic() - started < QUICK

    target.server.reply(Reply(delay=DELAY))
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError):
        patient.embed(["a"], timeout=SHORT)
    assert time.monotonic() - started < QUICK


def test_a_per_call_timeout_longer_than_the_clients_lets_the_answer_come(runner_factory, target):
    run = runner_factory(provider=target.config(timeout=0.3, max_retries=0))
    target.server.reply(Reply.text("late", delay=0.8))
    assert run.chat("x", timeout=10).text == "late"


@pytest.mark.parametrize("bad", [0, -1, True, "5", None])
def test_a_timeout_that_is_not_positive_seconds_is_refused_before_sending(patient, target, bad):
    with pytest.raises(InvalidRequestError) as info:
        patient.chat("x", timeout=bad)
    assert info.value.fields == ("timeout",)
    assert target.server.requests == []
