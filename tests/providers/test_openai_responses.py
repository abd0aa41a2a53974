"""The Responses API path of the OpenAI provider: a neutral request with ``api="responses"``
in the ``responses.create`` shape, and its answers and events back as neutral types.

End to end (through the drop-in, both clients, the wire server) in tests/dropin/.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from privllm import Client
from privllm.errors import InvalidRequestError, ServerError
from privllm.providers.google import mapping as google_mapping
from privllm.providers.openai.responses import _Events
from privllm.types import ChatRequest, EmbeddingRequest


class Answer(BaseModel):
    value: int


@pytest.fixture
def provider(openai_server):
    with Client(env={}, provider=openai_server.provider_config(), audit={"enabled": False}) as c:
        yield c.provider


def request(**fields) -> ChatRequest:
    base = {"messages": [{"role": "user", "content": "hi"}], "model": "m", "api": "responses"}
    return ChatRequest.model_validate({**base, **fields})


def test_messages_become_instructions_and_items(provider):
    params = provider.responses_params(
        request(
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Find A-1"},
                {
                    "role": "assistant",
                    "content": "Looking.",
                    "tool_calls": [{"id": "c1", "name": "find", "arguments": '{"id": "A-1"}'}],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "found"},
            ],
            max_tokens=30,
            store=False,
            tools=[{"name": "find", "parameters": {"type": "object"}}],
            tool_choice="find",
        )
    )
    assert params["instructions"] == "Be brief."
    assert params["input"] == [
        {"type": "message", "role": "user", "content": "Find A-1"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Looking.", "annotations": []}],
        },
        {"type": "function_call", "call_id": "c1", "name": "find", "arguments": '{"id": "A-1"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "found"},
    ]
    assert params["max_output_tokens"] == 30
    assert params["store"] is False
    assert params["tools"] == [
        {"type": "function", "name": "find", "parameters": {"type": "object"}, "strict": False}
    ]
    assert params["tool_choice"] == {"type": "function", "name": "find"}


def test_formats_and_verbosity_go_in_text(provider):
    params = provider.responses_params(request(response_format=Answer))
    assert params["text"]["format"]["type"] == "json_schema"
    assert params["text"]["format"]["name"] == "Answer"
    params = provider.responses_params(
        request(response_format={"type": "json_object"}, extra={"verbosity": "low"})
    )
    assert params["text"] == {"format": {"type": "json_object"}, "verbosity": "low"}
    assert "extra_body" not in params


@pytest.mark.parametrize("key", ["input", "instructions", "previous_response_id", "text"])
def test_extra_cannot_replace_what_privllm_writes(provider, key):
    with pytest.raises(InvalidRequestError) as info:
        provider.responses_params(request(extra={key: "536-22-1847"}))
    assert info.value.fields == (f"extra.{key}",)
    assert "536-22-1847" not in str(info.value)


def test_azure_carries_the_responses_api_where_azure_serves_it(azure_server):
    # The v1 API, or api-version 2025-03-01-preview and later; not the GA 2024-10-21.
    config = {"provider": azure_server.provider_config(), "audit": {"enabled": False}}
    with Client(env={}, **config) as c, pytest.raises(InvalidRequestError) as info:
        c.provider.responses_params(request())  # type: ignore[attr-defined]
    assert info.value.fields == ("api",)
    assert "v1_api" in str(info.value)
    for settings in ({"v1_api": True}, {"api_version": "2025-04-01-preview"}):
        config["provider"] = azure_server.provider_config(**settings)
        with Client(env={}, **config) as c:
            params = c.provider.responses_params(request())  # type: ignore[attr-defined]
        assert params["model"] == "m"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"api": "responses"}, "api"),
        ({"headers": {"x-a": "1"}}, "headers"),
        ({"query": {"a": "1"}}, "query"),
    ],
)
def test_google_refuses_what_only_openai_carries(fields, field):
    with pytest.raises(InvalidRequestError) as info:
        google_mapping.chat_params(request(**{"api": "chat", **fields}), "google")
    assert info.value.fields == (field,)


def test_google_refuses_embedding_headers():
    embedding = EmbeddingRequest(input=["x"], model="e", headers={"x-a": "1"})
    with pytest.raises(InvalidRequestError) as info:
        google_mapping.embed_params(embedding, "google")
    assert info.value.fields == ("headers",)


def event(kind: str, **fields) -> SimpleNamespace:
    return SimpleNamespace(type=kind, **fields)


def test_stream_events_to_chunks(provider):
    convert = _Events(provider)
    assert convert(event("response.created", response=None)) is None
    assert convert(event("response.output_text.delta", delta="Hi")).text == "Hi"
    item = SimpleNamespace(type="function_call", id="fc_1", call_id="c1", name="f", arguments="")
    head = convert(event("response.output_item.added", item=item)).tool_calls[0]
    assert (head.index, head.id, head.name) == (0, "c1", "f")
    part = convert(event("response.function_call_arguments.delta", item_id="fc_1", delta="{}"))
    assert (part.tool_calls[0].index, part.tool_calls[0].arguments) == (0, "{}")
    usage = SimpleNamespace(input_tokens=3, output_tokens=2, total_tokens=5)
    done = SimpleNamespace(
        usage=usage, incomplete_details=SimpleNamespace(reason="max_output_tokens")
    )
    last = convert(event("response.incomplete", response=done))
    assert last.finish_reason == "length"
    assert last.usage.total_tokens == 5


def test_a_failed_stream_raises_without_the_providers_text(provider):
    error = SimpleNamespace(code="server_error", message="failed on 536-22-1847")
    with pytest.raises(ServerError) as info:
        _Events(provider)(event("response.failed", response=SimpleNamespace(error=error)))
    assert "server_error" in str(info.value)
    assert "536-22-1847" not in str(info.value)
