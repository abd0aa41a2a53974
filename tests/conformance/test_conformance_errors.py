"""Every provider error maps to the same privllm error, with status, provider and no secret."""

from __future__ import annotations

import pytest

from privllm.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    NotFoundError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from privllm.testing import Reply


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_errors_are_mapped(runner_factory, target, status, error_class):
    run = runner_factory(provider=target.config(max_retries=0))
    target.server.reply(Reply.error(status, f"scripted {status}"))
    with pytest.raises(error_class) as info:
        run.chat("x")
    err = info.value
    assert type(err) is error_class
    assert err.status_code == status
    assert err.message == f"scripted {status}"
    assert err.provider == target.provider_name
    assert isinstance(err.__cause__, Exception)
    assert err.request_id.startswith("req_")
    assert len(target.server.requests) == 1  # no retry with max_retries=0


def test_rate_limit_keeps_retry_after(runner_factory, target):
    run = runner_factory(provider=target.config(max_retries=0))
    target.server.reply(Reply.error(429, "Rate limit reached", retry_after=17))
    with pytest.raises(RateLimitError) as info:
        run.chat("x")
    assert info.value.retry_after == 17
    assert info.value.status_code == 429
    assert info.value.provider == target.provider_name


def test_errors_in_streams_and_embeddings_are_mapped(runner_factory, target):
    run = runner_factory(provider=target.config(max_retries=0))
    target.server.reply(Reply.error(401, "bad key"), Reply.error(404, "no such model"))
    with pytest.raises(AuthenticationError):
        run.stream("x")
    with pytest.raises(NotFoundError):
        run.embed(["x"])


def test_server_errors_are_retried(runner_factory, target):
    run = runner_factory(provider=target.config(max_retries=2))
    target.server.reply(
        Reply.error(500, "flaky", headers={"retry-after-ms": "1"}), Reply.text("ok")
    )
    assert run.chat("x").text == "ok"
    assert len(target.server.requests) == 2


def test_timeout(runner_factory, target):
    run = runner_factory(provider=target.config(timeout=0.3, max_retries=0))
    target.server.reply(Reply.text("late", delay=1.5))
    with pytest.raises(ProviderTimeoutError) as info:
        run.chat("x")
    assert info.value.provider == target.provider_name


def test_connection_refused(runner_factory, target):
    with type(target.server)() as gone:
        port = gone.port
    provider = target.config(max_retries=0)
    section = dict(provider[target.provider_name])
    for key in ("base_url", "endpoint"):
        if key in section:
            section[key] = section[key].replace(f":{target.server.port}", f":{port}")
    run = runner_factory(provider={**provider, target.provider_name: section})
    with pytest.raises(ProviderConnectionError) as info:
        run.chat("x")
    assert info.value.provider == target.provider_name


def test_safety_block(run, target):
    target.server.reply(Reply.safety_block())
    with pytest.raises(ContentFilteredError) as info:
        run.chat("x")
    assert info.value.provider == target.provider_name
    target.server.reply(Reply.safety_block())
    with pytest.raises(ContentFilteredError):
        run.stream("x")


def test_filtered_answer_after_some_text_keeps_the_text(run, target):
    target.server.reply(Reply.text("Partial answer", finish_reason="content_filter"))
    response = run.chat("x")
    assert (response.text, response.finish_reason) == ("Partial answer", "content_filter")


def test_api_key_never_in_errors(runner_factory, target):
    key = "live-secret-abcdefghijklmnop1234"
    provider = target.config(max_retries=0)
    section = provider[target.provider_name]
    field = "access_token" if "access_token" in section else "api_key"
    section = {**section, field: key}
    run = runner_factory(provider={**provider, target.provider_name: section})
    target.server.reply(Reply.error(401, f"Incorrect credential provided: {key}"))
    with pytest.raises(AuthenticationError) as info:
        run.chat("x")
    assert key not in str(info.value)
    assert key not in repr(info.value)
    assert "liv…1234" in str(info.value)
    assert key not in repr(run.client)
    assert key.encode() in target.server.received()  # it was sent, in a header
    assert key not in target.server.last.path
    assert not any(key in v for values in target.server.last.query.values() for v in values)
