"""Errors from the drop-in are the SDK's classes and privllm's at once, and carry no secret
and no restored value; endpoints privllm does not carry are refused before anything is sent."""

from __future__ import annotations

import traceback

import openai
import pytest

from privllm import errors
from privllm.openai import EndpointNotCovered, OpenAI
from privllm.testing import OpenAIServer, Reply

EMAIL = "jane.doe@example.com"
ASK = [{"role": "user", "content": f"Write to {EMAIL}"}]
KEY = "sk-dropin-secret-0123456789"


@pytest.mark.parametrize(
    ("status", "sdk_class", "privllm_class"),
    [
        (400, openai.BadRequestError, errors.BadRequestError),
        (401, openai.AuthenticationError, errors.AuthenticationError),
        (403, openai.PermissionDeniedError, errors.PermissionDeniedError),
        (404, openai.NotFoundError, errors.NotFoundError),
        (409, openai.ConflictError, errors.ProviderStatusError),
        (422, openai.UnprocessableEntityError, errors.BadRequestError),
        (429, openai.RateLimitError, errors.RateLimitError),
        (500, openai.InternalServerError, errors.ServerError),
        (418, openai.APIStatusError, errors.ProviderStatusError),
    ],
)
def test_status_errors_are_both_classes(
    dropin_factory, openai_server: OpenAIServer, status, sdk_class, privllm_class
):
    dropin = dropin_factory(base_url=openai_server.url, api_key=KEY, max_retries=0)
    # The provider echoes the placeholder and the key, as real ones do.
    openai_server.reply(Reply.error(status, f"bad input [EMAIL_1] for key {KEY}", retry_after=2))
    with pytest.raises(sdk_class) as info:
        dropin.create(model="m", messages=ASK)
    exc = info.value
    assert isinstance(exc, openai.APIStatusError)
    assert isinstance(exc, privllm_class)
    assert isinstance(exc, errors.PrivllmError)
    assert exc.status_code == status == exc.response.status_code
    assert exc.request_id
    assert exc.response.headers["x-request-id"] == exc.request_id
    shown = "".join(traceback.format_exception(exc)) + exc.response.text + repr(exc.body)
    assert EMAIL not in shown
    assert KEY not in shown
    assert "[EMAIL_1]" in str(exc)  # the provider's text, in the form the provider saw


def test_rate_limit_keeps_retry_after(dropin_factory, openai_server: OpenAIServer):
    dropin = dropin_factory(base_url=openai_server.url, api_key=KEY, max_retries=0)
    openai_server.reply(Reply.error(429, "slow down", retry_after=20))
    with pytest.raises(errors.RateLimitError) as info:
        dropin.create(model="m", messages=ASK)
    assert info.value.retry_after == 20
    assert info.value.response.headers["retry-after"] == "20"


def test_a_timeout_is_the_sdks_timeout_and_privllms(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.text("late", delay=1.0))
    with pytest.raises(openai.APITimeoutError) as info:
        dropin.create(model="m", messages=ASK, timeout=0.2)
    assert isinstance(info.value, errors.ProviderTimeoutError)
    assert isinstance(info.value, openai.APIConnectionError)


def test_a_refused_connection_is_an_api_connection_error(dropin_factory):
    with OpenAIServer() as server:
        url = server.url
    dropin = dropin_factory(base_url=url, api_key=KEY, max_retries=0)
    with pytest.raises(openai.APIConnectionError) as info:
        dropin.create(model="m", messages=ASK)
    assert isinstance(info.value, errors.ProviderConnectionError)


def test_a_stream_error_is_mapped_too(dropin_factory, openai_server: OpenAIServer):
    dropin = dropin_factory(base_url=openai_server.url, api_key=KEY, max_retries=0)
    openai_server.reply(Reply.error(429, "slow down"))
    with pytest.raises(openai.RateLimitError):
        dropin.stream(model="m", messages=ASK)
    openai_server.reply(Reply.text("one two three four", chunks=4, drop_after=2))
    with pytest.raises(openai.APIConnectionError):
        dropin.stream(model="m", messages=ASK)


def test_errors_privllm_raises_before_sending_keep_their_class(dropin, openai_server):
    # And are the SDK's too (test_errors_before_sending.py): nothing sent.
    with pytest.raises(errors.InvalidRequestError) as info:
        dropin.create(model="m", messages=[{"content": "no role"}])
    assert isinstance(info.value, openai.BadRequestError)
    assert openai_server.requests == []


def test_a_closed_client_refuses_calls(dropin, openai_server):
    # As the SDK reports a closed http client: a connection error.
    dropin.run(dropin.client.close())
    with pytest.raises(errors.ClientClosedError) as info:
        dropin.create(model="m", messages=ASK)
    assert isinstance(info.value, openai.APIConnectionError)
    with pytest.raises(openai.APIConnectionError) as info:
        dropin.models()
    assert isinstance(info.value, errors.ClientClosedError)
    assert openai_server.requests == []


REFUSED = [
    ("files", "privllm finetune"),
    ("fine_tuning", "privllm finetune"),
    ("batches", "one by one"),
    ("uploads", "privllm finetune upload"),
    ("realtime", "egress guard"),
    ("audio", "text only"),
    ("images", "text only"),
    ("vector_stores", "embeddings.create"),
    ("completions", "chat.completions.create"),
    ("moderations", "redaction"),
    ("containers", "privllm.Client"),
    ("conversations", "privllm.Client"),
    ("evals", "privllm.Client"),
    ("post", "raw HTTP"),
    ("get", "raw HTTP"),
    ("with_streaming_response", "privllm.Client"),
]


@pytest.mark.parametrize(("name", "way"), REFUSED)
def test_uncovered_endpoints_are_refused_naming_the_privllm_way(dropin, openai_server, name, way):
    with pytest.raises(EndpointNotCovered) as info:
        getattr(dropin.client, name)
    assert way in str(info.value)
    assert isinstance(info.value, errors.PolicyViolation)
    assert info.value.rule == "dropin.endpoint"
    assert openai_server.requests == []


@pytest.mark.parametrize("name", ["assistants", "threads", "realtime", "chatkit", "agents"])
def test_beta_endpoints_are_refused_but_beta_chat_parse_works(dropin, openai_server, name):
    with pytest.raises(EndpointNotCovered, match=f"beta.{name}"):
        getattr(dropin.client.beta, name)
    assert dropin.client.beta.chat.completions is dropin.client.chat.completions


def test_other_refusals(dropin, openai_server):
    with pytest.raises(EndpointNotCovered, match="privllm finetune purge"):
        dropin.run(dropin.client.models.delete("ft:model"))
    assert openai_server.requests == []


def test_unknown_attributes_stay_attribute_errors(dropin):
    assert not hasattr(dropin.client, "no_such_thing")


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("http_client", object()),
        ("default_headers", {"Authorization": "Bearer sk-other"}),
        ("default_query", {"api-version": "2020-01-01"}),
        ("websocket_base_url", "wss://example.invalid"),
        ("api_key", lambda: "sk-x"),
    ],
)
def test_constructor_arguments_privllm_cannot_honour_are_refused(argument, value):
    kwargs = {"api_key": KEY, argument: value}
    with pytest.raises(errors.ConfigError) as info:
        OpenAI(env={}, audit={"enabled": False}, **kwargs)
    assert info.value.field == argument


def test_with_options_refuses_what_is_client_config(dropin):
    with pytest.raises(errors.ConfigError, match=r"provider\.max_retries"):
        dropin.client.with_options(max_retries=5)
    with pytest.raises(errors.ConfigError, match="base_url"):
        dropin.client.with_options(base_url="https://evil.example/v1")
    assert dropin.client.with_options(max_retries=0).max_retries == 0
