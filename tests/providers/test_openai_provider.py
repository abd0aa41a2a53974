"""OpenAI specifics: the Chat Completions wire shape privllm sends to OpenAI-compatible servers.

What holds for every provider (text, options, tools, streams, errors) is in tests/conformance/;
this file checks only the details of the OpenAI body, sync and async.
"""

from __future__ import annotations

import json as _json

import pytest
from pydantic import BaseModel

from privllm import Message, ToolDefinition
from privllm.errors import ContentFilteredError
from privllm.testing import OpenAIServer, Reply
from privllm.testing.server import RecordedRequest, WireResponse


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


# -- stream shapes other OpenAI-compatible servers send ------------------------------------
class ScriptedStream(OpenAIServer):
    """Streams exactly the chunks a test gives (``events``), as a server might shape them."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []

    def route(self, request: RecordedRequest) -> WireResponse:
        body = b"".join(b"data: " + _json.dumps(e).encode() + b"\n\n" for e in self.events)
        headers = {"Content-Type": "text/event-stream"}
        return WireResponse(200, headers, body + b"data: [DONE]\n\n")


def _chunk(delta: dict | None = None, finish: str | None = None, **extra) -> dict:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [choice], **extra}  # fmt: skip


USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


@pytest.fixture
def scripted():
    with ScriptedStream() as server:
        yield server


@pytest.fixture
def srun(runner_factory, scripted):
    return runner_factory(provider={**scripted.provider_config(), "max_retries": 0})


def test_usage_on_the_finish_chunk_is_kept(srun, scripted):
    # vLLM, llama.cpp and Mistral put usage on the finish chunk, with no usage-only chunk.
    scripted.events = [_chunk({"content": "Hi"}), _chunk({}, "stop", usage=USAGE)]
    _, response = srun.stream("hi")
    assert response.text == "Hi"
    assert response.usage is not None
    assert response.usage.total_tokens == 5


def test_a_streamed_refusal_reads_like_the_whole_one(srun, scripted):
    scripted.events = [_chunk({"refusal": "I can't help with that."}), _chunk({}, "stop")]
    _, response = srun.stream("hi")
    assert response.text == "I can't help with that."


def test_a_withheld_stream_without_a_usage_chunk_still_raises(srun, scripted):
    scripted.events = [_chunk({}, "content_filter")]
    with pytest.raises(ContentFilteredError):
        srun.stream("hi")


def test_an_empty_answer_replays_as_empty_text_not_null(run, openai_server):
    # A reasoning model that spends its budget answers nothing; OpenAI refuses an assistant
    # turn whose content is null unless it has tool calls.
    openai_server.reply(Reply.text("", finish_reason="length"))
    empty = run.chat("x")
    run.chat([Message.user("x"), empty.message, Message.user("y")])
    assert openai_server.last.json()["messages"][1] == {"role": "assistant", "content": ""}


def test_openai_tool_definitions_and_history_dicts_are_taken_as_written(run, openai_server):
    # Copied from OpenAI's docs: a "strict" tool, and history kept in OpenAI's message shape.
    from privllm import Conversation

    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            "strict": True,
        },
    }
    history = Conversation(
        [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "clear"}'},
        ]
    )
    run.chat(history, tools=[tool])
    body = openai_server.last.json()
    assert body["tools"][0]["function"]["strict"] is True
    assert body["messages"][1]["tool_calls"][0]["function"]["name"] == "get_weather"
