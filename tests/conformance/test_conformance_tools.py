"""Tool calls: declared, called, answered, and sent back in the provider's own shape."""

from __future__ import annotations

from pydantic import BaseModel

from privllm import Message, ToolDefinition
from privllm.testing import Reply


class GetWeather(BaseModel):
    """Current weather for a city."""

    city: str


def test_tool_call_round_trip(run, target):
    target.server.reply(Reply.tool_call("GetWeather", {"city": "Paris"}))
    first = run.chat("Weather in Paris?", tools=[GetWeather], tool_choice="auto")
    assert first.finish_reason == "tool_calls"
    assert [(c.name, c.args()) for c in first.tool_calls] == [("GetWeather", {"city": "Paris"})]
    call_id = first.tool_calls[0].id
    assert call_id
    body = target.server.last.json()
    tools = target.wire.tools(body)
    assert list(tools) == ["GetWeather"]
    assert tools["GetWeather"]["description"] == "Current weather for a city."
    assert tools["GetWeather"]["parameters"]["properties"]["city"]["type"] == "string"
    assert target.wire.tool_choice(body) == "auto"

    target.server.reply(Reply.text("It is sunny in Paris."))
    conversation = [
        Message.user("Weather in Paris?"),
        first.message,
        Message.tool(call_id, '{"sky": "sunny"}'),
    ]
    second = run.chat(conversation, tools=[GetWeather], tool_choice="GetWeather")
    assert second.text == "It is sunny in Paris."
    assert second.finish_reason == "stop"
    body = target.server.last.json()
    assert target.wire.assistant_calls(body) == [("GetWeather", {"city": "Paris"})]
    assert target.wire.tool_results(body) == [{"sky": "sunny"}]
    assert target.wire.tool_choice(body) == "GetWeather"
    assert target.wire.turns(body)[0] == ("user", "Weather in Paris?")


def test_tool_choice_required_and_none(run, target):
    run.chat("x", tools=[ToolDefinition(name="lookup")], tool_choice="required")
    assert target.wire.tool_choice(target.server.last.json()) == "required"
    run.chat("x", tools=[ToolDefinition(name="lookup")], tool_choice="none")
    assert target.wire.tool_choice(target.server.last.json()) == "none"
    run.chat("x")
    assert target.wire.tool_choice(target.server.last.json()) is None
    assert target.wire.tools(target.server.last.json()) == {}


def test_streamed_tool_call_is_reassembled(run, target):
    target.server.reply(Reply.tool_call("lookup", {"query": "invoice 12", "limit": 3}, chunks=5))
    chunks, assembled = run.stream("find it", tools=[ToolDefinition(name="lookup")])
    assert any(c.tool_calls for c in chunks)
    assert [(c.name, c.args()) for c in assembled.tool_calls] == [
        ("lookup", {"query": "invoice 12", "limit": 3})
    ]
    assert assembled.tool_calls[0].id
    assert assembled.finish_reason == "tool_calls"
