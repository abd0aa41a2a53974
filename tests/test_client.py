"""The client over the OpenAI wire protocol, sync and async, asserted on what the server got."""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel

from privllm import Message, StructuredOutputError, ToolDefinition
from privllm.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from privllm.testing import OpenAIServer, Reply, fake_embedding


def test_plain_chat(run, openai_server):
    openai_server.reply(Reply.text("Bonjour!"))
    response = run.chat("Say hello in French")
    assert response.text == "Bonjour!"
    assert response.finish_reason == "stop"
    assert response.usage.completion_tokens == 1
    assert response.provider == "openai"
    assert response.endpoint.kind == "self_hosted"
    body = openai_server.last.json()
    assert openai_server.last.path == "/v1/chat/completions"
    assert body["model"] == "test-model"
    assert body["messages"] == [{"role": "user", "content": "Say hello in French"}]
    assert "stream" not in body


def test_options_are_sent_and_unset_ones_are_not(run, openai_server):
    run.chat(
        "hi",
        temperature=0.2,
        max_tokens=50,
        top_p=0.9,
        stop="END",
        seed=7,
        user="hash-123",
        extra={"logprobs": True, "frequency_penalty": 0.5},
    )
    body = openai_server.last.json()
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 50  # self-hosted servers get the classic name
    assert body["top_p"] == 0.9
    assert body["stop"] == ["END"]
    assert body["seed"] == 7
    assert body["user"] == "hash-123"
    assert body["logprobs"] is True
    assert body["frequency_penalty"] == 0.5
    run.chat("again")
    body = openai_server.last.json()
    for key in ("temperature", "max_tokens", "top_p", "stop", "seed", "user", "tools"):
        assert key not in body


def test_multi_turn_with_system_prompt(run, openai_server):
    messages = [
        Message.system("You are terse."),
        {"role": "user", "content": "Hi"},
        Message.assistant("Hello."),
        {
            "role": "user",
            "content": [{"type": "text", "text": "How "}, {"type": "text", "text": "are you?"}],
        },
    ]
    response = run.chat(messages)
    assert response.text == "How are you?"
    sent = openai_server.last.json()["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[0]["content"] == "You are terse."
    assert sent[3]["content"] == [
        {"type": "text", "text": "How "},
        {"type": "text", "text": "are you?"},
    ]


def test_stream_matches_non_streamed_answer(run, openai_server):
    text = "The quick brown fox jumps over the lazy dog"
    openai_server.reply(Reply.text(text), Reply.text(text, chunks=7))
    whole = run.chat("x")
    chunks, assembled = run.stream("x")
    assert "".join(c.text for c in chunks) == whole.text == text
    assert len([c for c in chunks if c.text]) == 7
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])
    assert assembled.text == text
    body = openai_server.last.json()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


class GetWeather(BaseModel):
    """Current weather for a city."""

    city: str


def test_tool_call_round_trip(run, openai_server):
    openai_server.reply(Reply.tool_call("GetWeather", {"city": "Paris"}, call_id="call_42"))
    first = run.chat("Weather in Paris?", tools=[GetWeather], tool_choice="auto")
    assert first.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.args()) for c in first.tool_calls] == [
        ("call_42", "GetWeather", {"city": "Paris"})
    ]
    tools = openai_server.last.json()["tools"]
    assert tools[0]["function"]["name"] == "GetWeather"
    assert tools[0]["function"]["description"] == "Current weather for a city."
    assert tools[0]["function"]["parameters"]["properties"]["city"]["type"] == "string"
    assert openai_server.last.json()["tool_choice"] == "auto"

    openai_server.reply(Reply.text("It is sunny in Paris."))
    conversation = [
        Message.user("Weather in Paris?"),
        first.message,
        Message.tool("call_42", '{"sky": "sunny"}'),
    ]
    second = run.chat(conversation, tools=[GetWeather], tool_choice="GetWeather")
    assert second.text == "It is sunny in Paris."
    sent = openai_server.last.json()
    assert sent["messages"][1]["tool_calls"] == [
        {
            "id": "call_42",
            "type": "function",
            "function": {"name": "GetWeather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert sent["messages"][2] == {
        "role": "tool",
        "content": '{"sky": "sunny"}',
        "tool_call_id": "call_42",
    }
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "GetWeather"}}


def test_streamed_tool_call_is_reassembled(run, openai_server):
    openai_server.reply(Reply.tool_call("lookup", {"query": "invoice 12", "limit": 3}, chunks=5))
    chunks, assembled = run.stream("find it", tools=[ToolDefinition(name="lookup")])
    assert sum(len(c.tool_calls) for c in chunks) >= 5
    assert [(c.name, c.args()) for c in assembled.tool_calls] == [
        ("lookup", {"query": "invoice 12", "limit": 3})
    ]
    assert assembled.finish_reason == "tool_calls"


class Invoice(BaseModel):
    number: str
    total: float


def test_structured_output(run, openai_server):
    openai_server.reply(Reply.text('{"number": "INV-7", "total": 12.5}'))
    response = run.chat("extract", response_format=Invoice)
    assert response.parsed == Invoice(number="INV-7", total=12.5)
    fmt = openai_server.last.json()["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Invoice"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False


def test_structured_output_mismatch_names_fields_not_content(run, openai_server):
    openai_server.reply(Reply.text('{"number": "SECRET-VALUE-9"}'))
    with pytest.raises(StructuredOutputError) as info:
        run.chat("extract", response_format=Invoice)
    assert "total" in str(info.value)
    assert "SECRET-VALUE-9" not in str(info.value)
    assert info.value.__cause__ is None


def test_embeddings_shape_and_order(run, openai_server):
    texts = ["alpha", "beta", "gamma"]
    result = run.embed(texts)
    assert len(result.vectors) == 3
    for text, vector in zip(texts, result.vectors, strict=False):
        assert vector == pytest.approx(fake_embedding(text), abs=1e-6)
    body = openai_server.last.json()
    assert openai_server.last.path == "/v1/embeddings"
    assert body["input"] == texts
    assert body["model"] == "test-embedding"


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, ServerError),
    ],
)
def test_status_errors_are_mapped(runner_factory, openai_server, status, error_class):
    run = runner_factory(provider={**openai_server.provider_config(), "max_retries": 0})
    openai_server.reply(Reply.error(status, f"scripted {status}"))
    with pytest.raises(error_class) as info:
        run.chat("x")
    err = info.value
    assert err.status_code == status
    assert err.message == f"scripted {status}"
    assert err.provider == "openai"
    assert err.request_id
    assert err.request_id.startswith("req_")
    assert isinstance(err.__cause__, Exception)


def test_rate_limit_keeps_retry_after(runner_factory, openai_server):
    run = runner_factory(provider={**openai_server.provider_config(), "max_retries": 0})
    openai_server.reply(Reply.error(429, "Rate limit reached", retry_after=17))
    with pytest.raises(RateLimitError) as info:
        run.chat("x")
    assert info.value.retry_after == 17
    assert info.value.status_code == 429


def test_sdk_retries_then_succeeds(runner_factory, openai_server):
    run = runner_factory(provider={**openai_server.provider_config(), "max_retries": 2})
    openai_server.reply(
        Reply.error(500, "flaky", headers={"retry-after-ms": "1"}), Reply.text("ok")
    )
    assert run.chat("x").text == "ok"
    assert len(openai_server.requests) == 2


def test_timeout(runner_factory, openai_server):
    run = runner_factory(
        provider={**openai_server.provider_config(), "timeout": 0.3, "max_retries": 0}
    )
    openai_server.reply(Reply.text("late", delay=1.5))
    with pytest.raises(ProviderTimeoutError):
        run.chat("x")


def test_connection_refused(runner_factory):
    with OpenAIServer() as gone:
        config = {**gone.provider_config(), "max_retries": 0}
    run = runner_factory(provider=config)
    with pytest.raises(ProviderConnectionError):
        run.chat("x")


def test_stream_dropped_midway(run, openai_server):
    openai_server.reply(Reply.text("one two three four five six", drop_after=3))
    with pytest.raises(ProviderConnectionError):
        run.stream("x")


def test_leaving_a_stream_early_closes_the_connection(run, openai_server):
    openai_server.reply(Reply.text("word " * 60, chunk_delay=0.05))
    first = run.stream_first("x")
    assert first.text == "word "
    deadline = time.monotonic() + 5
    while openai_server.aborted_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert openai_server.aborted_streams == 1


def test_api_key_never_in_errors(runner_factory, openai_server):
    key = "sk-live-abcdefghijklmnop1234"
    run = runner_factory(provider=openai_server.provider_config(api_key=key) | {"max_retries": 0})
    openai_server.reply(Reply.error(401, f"Incorrect API key provided: {key}"))
    with pytest.raises(AuthenticationError) as info:
        run.chat("x")
    assert key not in str(info.value)
    assert key not in repr(info.value)
    assert "sk-…1234" in str(info.value)
    assert key not in repr(run.client)


def test_missing_model_is_a_config_error(runner_factory, openai_server):
    config = openai_server.provider_config()
    del config["model"]
    run = runner_factory(provider=config)
    with pytest.raises(ConfigError, match=r"provider\.model"):
        run.chat("x")
    assert openai_server.requests == []


def test_missing_api_key_names_the_env_var(runner_factory):
    run = runner_factory(provider={"name": "openai", "model": "gpt-4o-mini"})
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        run.chat("x")


def test_environment_cannot_redirect_traffic(monkeypatch, openai_server):
    from privllm import Client

    with OpenAIServer() as decoy:
        monkeypatch.setenv("OPENAI_BASE_URL", decoy.url)
        monkeypatch.setenv("HTTPS_PROXY", decoy.origin)
        monkeypatch.setenv("HTTP_PROXY", decoy.origin)
        monkeypatch.setenv("ALL_PROXY", decoy.origin)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-should-not-be-used")
        with Client(provider=openai_server.provider_config()) as client:  # reads real os.environ
            client.chat("hello")
        assert decoy.requests == []
    assert len(openai_server.requests) == 1
    assert openai_server.last.headers["authorization"] == "Bearer sk-test-local-0000"


def test_api_key_from_named_env_var(openai_server):
    from privllm import Client

    config = openai_server.provider_config(api_key=None, api_key_env="MY_LLM_KEY")
    with Client(provider=config, env={"MY_LLM_KEY": "sk-named-env-key-9999"}) as client:
        client.chat("hello")
    assert openai_server.last.headers["authorization"] == "Bearer sk-named-env-key-9999"


def test_sdk_environment_headers_cannot_replace_the_key(monkeypatch, openai_server):
    from privllm import Client

    monkeypatch.setenv(
        "OPENAI_CUSTOM_HEADERS", "Authorization: Bearer sk-leaked-from-env\nX-Leak: 1"
    )
    monkeypatch.setenv("OPENAI_ORG_ID", "org-from-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-from-env")
    with Client(provider=openai_server.provider_config()) as client:
        client.chat("hello")
    headers = openai_server.last.headers
    assert headers["authorization"] == "Bearer sk-test-local-0000"
    assert "x-leak" not in headers
    assert "openai-organization" not in headers
    assert "openai-project" not in headers
