"""Per-call HTTP options (``extra_headers``, ``extra_query``), the client's
``default_headers`` / ``default_query``, ``with_raw_response``'s real headers, and the SDK's
``chat.completions.stream()`` helper, through ``OpenAI`` and ``AsyncOpenAI`` alike."""

from __future__ import annotations

import json

import pytest
from openai.types.chat import ParsedChatCompletion
from pydantic import BaseModel

from privllm import errors
from privllm.testing import OpenAIServer, Reply

EMAIL = "jane.doe@example.com"
ASK = [{"role": "user", "content": f"Write to {EMAIL} please"}]
KEY = "sk-dropin-0000"


class Contact(BaseModel):
    email: str


def test_extra_headers_and_query_reach_the_provider(dropin, openai_server: OpenAIServer):
    dropin.create(
        model="m", messages=ASK, extra_headers={"X-Trace-Id": "t-1"}, extra_query={"tier": "b"}
    )
    last = openai_server.last
    assert last.headers["x-trace-id"] == "t-1"
    assert last.query == {"tier": ["b"]}
    assert last.headers["authorization"] == f"Bearer {KEY}"
    dropin.embed(model="e", input="x", extra_headers={"X-Trace-Id": "t-2"})
    assert openai_server.last.headers["x-trace-id"] == "t-2"
    dropin.respond(model="m", input="x", extra_query={"tier": "c"})
    assert openai_server.last.query == {"tier": ["c"]}


def test_default_headers_and_query_go_with_every_call(dropin_factory, openai_server):
    run = dropin_factory(
        base_url=openai_server.url,
        api_key=KEY,
        max_retries=0,
        default_headers={"X-App": "desk", "X-Team": "billing"},
        default_query={"tier": "a"},
        audit={"enabled": False},
    )
    run.create(model="m", messages=ASK, extra_headers={"X-Team": "support"})
    last = openai_server.last
    assert (last.headers["x-app"], last.headers["x-team"]) == ("desk", "support")
    assert last.query == {"tier": ["a"]}
    run.models()
    assert openai_server.last.headers["x-app"] == "desk"
    copy = run.client.with_options(default_headers={"X-App": "copy"})
    run.create(copy, model="m", messages=ASK)
    assert openai_server.last.headers["x-app"] == "copy"


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("extra_headers", {"Authorization": "Bearer sk-other"}, "extra_headers.Authorization"),
        ("extra_headers", {"api-key": "other"}, "extra_headers.api-key"),
        ("extra_headers", {"OpenAI-Organization": "org-x"}, "extra_headers.OpenAI-Organization"),
        ("extra_headers", {"Content-Type": "text/plain"}, "extra_headers.Content-Type"),
        (
            "extra_headers",
            {"X-Stainless-Raw-Response": "raw"},
            "extra_headers.X-Stainless-Raw-Response",
        ),
        ("extra_query", {"api-version": "2020-01-01"}, "extra_query.api-version"),
        ("extra_body", {"messages": [{"role": "user", "content": EMAIL}]}, "extra.messages"),
    ],
)
def test_what_privllm_sets_cannot_be_replaced_per_call(dropin, openai_server, option, value, field):
    with pytest.raises(errors.InvalidRequestError) as info:
        dropin.create(model="m", messages=ASK, **{option: value})
    assert info.value.fields == (field,)
    text = str(info.value)
    assert "sk-other" not in text
    assert EMAIL not in text
    assert openai_server.requests == []


def test_extra_body_cannot_replace_the_redacted_responses_input(dropin, openai_server):
    with pytest.raises(errors.InvalidRequestError) as info:
        dropin.respond(model="m", input="hi", extra_body={"input": EMAIL})
    assert info.value.fields == ("extra.input",)
    assert openai_server.requests == []


def test_with_raw_response_has_the_providers_headers(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.echo(headers={"x-ratelimit-remaining-tokens": "999"}))
    raw = dropin.raw("chat.completions", "create", model="m", messages=ASK)
    assert raw.headers["x-ratelimit-remaining-tokens"] == "999"
    assert raw.request_id == raw.headers["x-request-id"]
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.parse().choices[0].message.content == ASK[0]["content"]
    raw = dropin.raw("embeddings", "create", model="e", input="x")
    assert raw.headers["x-request-id"].startswith("req_")
    assert len(raw.parse().data) == 1
    raw = dropin.raw("models", "list")
    assert raw.headers["content-type"].startswith("application/json")
    assert [m.id for m in raw.parse().data] == ["test-model", "test-embedding"]
    openai_server.reply(Reply.text('{"email": "[EMAIL_1]"}'))
    raw = dropin.raw("chat.completions", "parse", model="m", messages=ASK, response_format=Contact)
    assert raw.headers["x-request-id"].startswith("req_")
    assert isinstance(raw.parse(), ParsedChatCompletion)
    assert raw.parse().choices[0].message.parsed == Contact(email=EMAIL)


def test_the_stream_helper_gives_the_sdks_events(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.echo(chunks=12))
    events, final = dropin.stream_events(model="m", messages=ASK)
    deltas = [e.delta for e in events if e.type == "content.delta"]
    assert "".join(deltas) == ASK[0]["content"]
    assert [e.type for e in events].count("content.done") == 1
    assert final.choices[0].message.content == ASK[0]["content"]
    assert EMAIL.encode() not in openai_server.last.raw


def test_the_stream_helper_parses_tools_and_formats(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.text('{"email": "[EMAIL_1]"}', chunks=5))
    _, final = dropin.stream_events(model="m", messages=ASK, response_format=Contact)
    assert final.choices[0].message.parsed == Contact(email=EMAIL)
    openai_server.reply(Reply.tool_call("notify", {"email": "[EMAIL_1]"}))
    tool = {
        "type": "function",
        "function": {
            "name": "notify",
            "parameters": {"type": "object", "properties": {"email": {"type": "string"}}},
        },
    }
    events, final = dropin.stream_events(model="m", messages=ASK, tools=[tool])
    (done,) = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert json.loads(done.arguments) == {"email": EMAIL}
    assert final.choices[0].message.tool_calls[0].function.name == "notify"


def test_the_stream_helper_takes_no_stream_argument(dropin):
    with pytest.raises(TypeError, match="stream"):
        dropin.client.chat.completions.stream(model="m", messages=ASK, stream=True)


def test_stream_options_include_usage(dropin, openai_server: OpenAIServer):
    chunks = dropin.stream(model="m", messages=ASK, stream_options={"include_usage": True})
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens > 0
    chunks = dropin.stream(model="m", messages=ASK)
    assert all(c.usage is None for c in chunks)
