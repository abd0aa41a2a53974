"""Streamed function calls through both drop-ins: a placeholder inside a call's arguments,
cut across the provider's deltas, comes back restored; the wire carries the placeholder
only. Sync and async."""

from __future__ import annotations

import json

import openai
import pytest
from pydantic import BaseModel

from privllm.testing import OpenAIServer, Reply

EMAIL = "jane.doe@example.com"
ASK = [{"role": "user", "content": f"Who is {EMAIL}?"}]


class FindCustomer(BaseModel):
    email: str
    note: str


ARGS = {"email": "[EMAIL_1]", "note": "write to [EMAIL_1] today"}
RESTORED = {"email": EMAIL, "note": f"write to {EMAIL} today"}


@pytest.mark.parametrize("pieces", [3, 7, 40])
def test_openai_stream_tool_call_arguments_are_restored(dropin, openai_server, pieces):
    openai_server.reply(Reply.tool_call("FindCustomer", ARGS, call_id="call_7", chunks=pieces))
    chunks = dropin.stream(
        model="m", messages=ASK, tools=[openai.pydantic_function_tool(FindCustomer)]
    )
    deltas = [d for c in chunks if c.choices for d in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == "call_7"
    assert deltas[0].function.name == "FindCustomer"
    assert {d.index for d in deltas} == {0}
    assert json.loads("".join(d.function.arguments or "" for d in deltas)) == RESTORED
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    sent = openai_server.last.body
    assert EMAIL.encode() not in sent
    assert b"[EMAIL_1]" in sent


def test_openai_stream_helper_parses_restored_arguments(dropin, openai_server):
    openai_server.reply(Reply.tool_call("FindCustomer", ARGS, chunks=9))
    events, final = dropin.stream_events(
        model="m", messages=ASK, tools=[openai.pydantic_function_tool(FindCustomer)]
    )
    (done,) = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert done.parsed_arguments == FindCustomer(**RESTORED)
    call = final.choices[0].message.tool_calls[0]
    assert call.function.parsed_arguments == FindCustomer(**RESTORED)


def test_responses_stream_function_call_arguments_are_restored(dropin, openai_server):
    openai_server.reply(Reply.tool_call("lookup", ARGS, chunks=11))
    tool = {
        "type": "function",
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"email": {"type": "string"}}},
    }
    events = dropin.respond_stream(model="m", input=f"Who is {EMAIL}?", tools=[tool])
    pieces = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert json.loads("".join(pieces)) == RESTORED
    (done,) = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert json.loads(done.arguments) == RESTORED
    assert EMAIL.encode() not in openai_server.last.body


@pytest.mark.parametrize("pieces", [2, 9])
def test_genai_stream_on_the_openai_wire_joins_and_restores_calls(make, pieces):
    # OpenAI-style providers send a call's arguments in pieces; google-genai's chunks carry
    # each call whole, restored.
    with OpenAIServer() as server:
        run = make(provider=server.provider_config(), audit={"enabled": False}, env={})
        server.reply(Reply.tool_call("find_customer", ARGS, chunks=pieces))
        tools = [{"function_declarations": [{"name": "find_customer", "description": "Find."}]}]
        chunks = run.stream(model="m", contents=f"Who is {EMAIL}?", config={"tools": tools})
        calls = [call for c in chunks for call in c.function_calls or []]
        assert [(c.name, c.args) for c in calls] == [("find_customer", RESTORED)]
        assert EMAIL.encode() not in server.last.body
