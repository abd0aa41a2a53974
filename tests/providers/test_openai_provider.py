"""OpenAI specifics: the Chat Completions wire shape privllm sends to OpenAI-compatible servers.

What holds for every provider (text, options, tools, streams, errors) is in tests/conformance/;
this file checks only the details of the OpenAI body, sync and async.
"""

from __future__ import annotations

from pydantic import BaseModel

from privllm import Message, ToolDefinition
from privllm.testing import Reply


def test_models_options_and_passthroughs_in_the_body(run, openai_server):
    run.chat(
        "hi", max_tokens=50, user="hash-123", extra={"logprobs": True, "frequency_penalty": 0.5}
    )
    body = openai_server.last.json()
    assert body["model"] == "test-model"
    assert body["max_tokens"] == 50  # a self-hosted server gets the classic name
    assert "max_completion_tokens" not in body
    assert body["user"] == "hash-123"
    assert body["logprobs"] is True  # extra= is merged into the body as given
    assert body["frequency_penalty"] == 0.5
    run.chat("again")
    body = openai_server.last.json()
    for key in ("max_tokens", "user", "logprobs", "frequency_penalty", "tools", "tool_choice"):
        assert key not in body
    run.embed(["alpha"])
    assert openai_server.last.json()["model"] == "test-embedding"


def test_content_parts_are_sent_as_parts(run, openai_server):
    parts = [{"type": "text", "text": "How "}, {"type": "text", "text": "are you?"}]
    run.chat([Message.system("You are terse."), {"role": "user", "content": parts}])
    assert openai_server.last.json()["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": parts},
    ]


def test_tool_calls_go_back_with_their_ids(run, openai_server):
    lookup = ToolDefinition(name="lookup")
    openai_server.reply(Reply.tool_call("lookup", {"q": "x"}, call_id="call_42"))
    first = run.chat("find x", tools=[lookup])
    assert first.tool_calls[0].id == "call_42"  # the server's id, not one of ours
    assert openai_server.last.json()["tools"] == [
        {"type": "function", "function": {"name": "lookup", "parameters": lookup.parameters}}
    ]

    conversation = [Message.user("find x"), first.message, Message.tool("call_42", '{"n": 1}')]
    run.chat(conversation, tools=[lookup], tool_choice="lookup")
    sent = openai_server.last.json()
    assert sent["messages"][1]["tool_calls"] == [
        {
            "id": "call_42",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "x"}'},
        }
    ]
    assert sent["messages"][2] == {"role": "tool", "content": '{"n": 1}', "tool_call_id": "call_42"}
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}


def test_streamed_tool_call_arguments_pass_through_piece_by_piece(run, openai_server):
    arguments = '{"query": "invoice 12", "limit": 3}'
    openai_server.reply(Reply.tool_call("lookup", arguments, chunks=5))
    chunks, assembled = run.stream("find it", tools=[ToolDefinition(name="lookup")])
    pieces = [d.arguments for c in chunks for d in c.tool_calls if d.arguments]
    assert len(pieces) == 5  # as the server sent them, not buffered into one
    assert "".join(pieces) == arguments == assembled.tool_calls[0].arguments


class Invoice(BaseModel):
    number: str
    total: float


def test_structured_output_asks_for_a_strict_json_schema(run, openai_server):
    openai_server.reply(Reply.text('{"number": "INV-7", "total": 12.5}'))
    run.chat("extract", response_format=Invoice)
    fmt = openai_server.last.json()["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Invoice"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
