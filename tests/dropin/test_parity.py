"""Every drop-in method, through ``OpenAI`` and ``AsyncOpenAI`` alike: the SDK's types come
back, values are restored for the caller, and the wire carries placeholders."""

from __future__ import annotations

import base64
import struct

import openai
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from pydantic import BaseModel

from privllm import errors
from privllm.errors import InvalidRequestError
from privllm.openai import AsyncStream, RawResponse, Stream
from privllm.testing import OpenAIServer, Reply, fake_embedding

EMAIL = "jane.doe@example.com"
ASK = [{"role": "user", "content": f"Write to {EMAIL} please"}]


class Invoice(BaseModel):
    number: str
    email: str


class GetWeather(BaseModel):
    city: str


def test_create_returns_a_chat_completion_restored(dropin, openai_server: OpenAIServer):
    result = dropin.create(model="gpt-4o-mini", messages=ASK)
    assert isinstance(result, ChatCompletion)
    assert result.object == "chat.completion"
    choice = result.choices[0]
    assert isinstance(choice.message, openai.types.chat.ChatCompletionMessage)
    assert choice.message.content == ASK[0]["content"]
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.total_tokens > 0
    assert result.model == "gpt-4o-mini"
    assert EMAIL.encode() not in openai_server.last.body
    assert openai_server.last.json()["messages"][0]["content"] == "Write to [EMAIL_1] please"
    # Downstream code that dumps the result (to log or cache it) works as on the SDK's.
    assert result.model_dump()["choices"][0]["message"]["content"] == ASK[0]["content"]


def test_create_maps_the_options_users_pass(dropin, openai_server: OpenAIServer):
    dropin.create(
        model="gpt-4o-mini",
        messages=[{"role": "developer", "content": "Be brief."}, *ASK],
        max_completion_tokens=50,
        temperature=0.2,
        top_p=0.9,
        seed=7,
        stop=["END"],
        user="user-42",
        metadata={"app": "desk"},
        parallel_tool_calls=False,
        response_format={"type": "json_object"},
        n=1,
        logprobs=False,
        extra_body={"reasoning_effort": "low"},
        timeout=30,
    )
    sent = openai_server.last.json()
    assert sent["messages"][0] == {"role": "developer", "content": "Be brief."}
    assert sent["max_tokens"] == 50  # a self-hosted (loopback) server gets the older name
    assert (sent["temperature"], sent["top_p"], sent["seed"], sent["stop"]) == (
        0.2,
        0.9,
        7,
        ["END"],
    )
    assert sent["user"] == "user-42"
    assert sent["metadata"] == {"app": "desk"}
    assert sent["parallel_tool_calls"] is False
    assert sent["reasoning_effort"] == "low"
    assert sent["response_format"] == {"type": "json_object"}
    assert "n" not in sent
    assert "logprobs" not in sent


def test_sdk_not_given_markers_are_left_out(dropin, openai_server: OpenAIServer):
    dropin.create(
        model="m", messages=ASK, temperature=openai.NOT_GIVEN, seed=openai.omit, tools=None
    )
    sent = openai_server.last.json()
    assert "temperature" not in sent
    assert "seed" not in sent
    assert "tools" not in sent


def test_tool_calls_come_back_as_the_sdks_and_replay(dropin, openai_server: OpenAIServer):
    tool = openai.pydantic_function_tool(GetWeather)
    openai_server.reply(Reply.tool_call("GetWeather", {"city": "Paris"}, call_id="call_9"))
    first = dropin.create(
        model="m",
        messages=ASK,
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "GetWeather"}},
    )
    sent = openai_server.last.json()
    assert sent["tools"][0]["function"]["name"] == "GetWeather"
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "GetWeather"}}
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    call = message.tool_calls[0]
    assert isinstance(call, openai.types.chat.ChatCompletionMessageFunctionToolCall)
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_9",
        "GetWeather",
        '{"city": "Paris"}',
    )
    # The SDK's message object goes back into the conversation, as apps do.
    dropin.create(
        model="m",
        messages=[*ASK, message, {"role": "tool", "tool_call_id": "call_9", "content": "sunny"}],
        tools=[tool],
    )
    replayed = openai_server.last.json()["messages"]
    assert replayed[1]["tool_calls"][0]["id"] == "call_9"
    assert replayed[2]["content"] == "sunny"


def test_stream_yields_sdk_chunks_restored(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.echo(chunks=4))
    chunks = dropin.stream(model="m", messages=ASK, stream_options={"include_usage": True})
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ASK[0]["content"]
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finish == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.total_tokens > 0
    assert len({c.id for c in chunks}) == 1
    assert EMAIL.encode() not in openai_server.last.body


def test_stream_without_include_usage_has_no_usage_chunk(dropin, openai_server: OpenAIServer):
    chunks = dropin.stream(model="m", messages=ASK)
    assert all(c.choices and c.usage is None for c in chunks)


def test_stream_tool_calls_arrive_as_deltas(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.tool_call("GetWeather", {"city": "Paris"}, call_id="call_3"))
    chunks = dropin.stream(
        model="m", messages=ASK, tools=[openai.pydantic_function_tool(GetWeather)]
    )
    deltas = [d for c in chunks if c.choices for d in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == "call_3"
    assert deltas[0].function.name == "GetWeather"
    assert "".join(d.function.arguments or "" for d in deltas) == '{"city": "Paris"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_the_stream_objects_are_the_drop_ins(dropin, openai_server: OpenAIServer):
    stream = dropin.create(model="m", messages=ASK, stream=True)
    assert isinstance(stream, AsyncStream if dropin.kind == "async" else Stream)
    dropin.run(stream.close()) if dropin.kind == "async" else stream.close()


def test_parse_returns_a_parsed_chat_completion(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.text('{"number": "INV-7", "email": "[EMAIL_1]"}'))
    result = dropin.parse(model="m", messages=ASK, response_format=Invoice)
    assert isinstance(result, ParsedChatCompletion)
    assert isinstance(result, ChatCompletion)
    assert result.choices[0].message.parsed == Invoice(number="INV-7", email=EMAIL)
    schema = openai_server.last.json()["response_format"]
    assert schema["type"] == "json_schema"
    assert schema["json_schema"]["name"] == "Invoice"


def test_parse_gives_tool_calls_parsed_arguments(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.tool_call("GetWeather", {"city": "Paris"}))
    result = dropin.parse(
        model="m", messages=ASK, tools=[openai.pydantic_function_tool(GetWeather)]
    )
    call = result.choices[0].message.tool_calls[0]
    assert call.function.parsed_arguments == GetWeather(city="Paris")


def test_embeddings_return_the_sdks_response(dropin, openai_server: OpenAIServer):
    result = dropin.embed(model="text-embedding-3-small", input=["one", f"mail {EMAIL}"])
    assert isinstance(result, CreateEmbeddingResponse)
    assert [d.index for d in result.data] == [0, 1]
    assert result.data[0].embedding == pytest.approx(fake_embedding("one"), rel=1e-6)
    assert result.usage.total_tokens > 0
    assert EMAIL.encode() not in openai_server.last.body


def test_embeddings_in_base64_when_asked(dropin, openai_server: OpenAIServer):
    result = dropin.embed(model="e", input="one", encoding_format="base64")
    raw = base64.b64decode(result.data[0].embedding)
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == pytest.approx(fake_embedding("one"))


def test_models_list_goes_through_the_guarded_client(dropin, openai_server: OpenAIServer):
    page = dropin.models()
    assert [m.id for m in page.data] == [openai_server.model, openai_server.embedding_model]
    assert isinstance(page.data[0], openai.types.Model)
    assert openai_server.last.path == "/v1/models"


def test_with_raw_response_parses_to_the_completion(dropin, openai_server: OpenAIServer):
    raw = dropin.raw_create(model="m", messages=ASK)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers is not None
    assert isinstance(raw.parse(), ChatCompletion)
    assert raw.parse().choices[0].message.content == ASK[0]["content"]


def test_with_options_sets_the_per_call_timeout(dropin, openai_server: OpenAIServer):
    quick = dropin.client.with_options(timeout=0.2)
    assert type(quick) is type(dropin.client)
    assert quick.timeout == 0.2
    openai_server.reply(Reply.text("late", delay=1.0))
    with pytest.raises(openai.APITimeoutError):
        dropin.create(quick, model="m", messages=ASK)


def test_n_above_one_is_refused_before_sending(dropin, openai_server: OpenAIServer):
    with pytest.raises(InvalidRequestError, match="n / candidate_count"):
        dropin.create(model="m", messages=ASK, n=2)
    assert openai_server.requests == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("logprobs", True),
        ("top_logprobs", 3),
        ("prediction", {"type": "content", "content": "x"}),
        ("audio", {"voice": "alloy", "format": "wav"}),
    ],
)
def test_options_privllm_cannot_carry_are_refused(dropin, openai_server, option, value):
    with pytest.raises(InvalidRequestError) as info:
        dropin.create(model="m", messages=ASK, **{option: value})
    assert info.value.fields == (option,)
    assert openai_server.requests == []


def test_an_unknown_argument_is_a_type_error_as_on_the_sdk(dropin, openai_server):
    with pytest.raises(TypeError, match="temprature"):
        dropin.create(model="m", messages=ASK, temprature=0.1)
    assert openai_server.requests == []


def test_models_retrieve_goes_through_the_guarded_client(dropin, openai_server: OpenAIServer):
    # The local server lists models but has no per-model path: its 404 comes back as the
    # SDK's NotFoundError, sync and async alike.
    with pytest.raises(openai.NotFoundError) as info:
        dropin.run(dropin.client.models.retrieve("gpt-4o-mini"))
    assert isinstance(info.value, errors.NotFoundError)
    assert openai_server.last.path == "/v1/models/gpt-4o-mini"
