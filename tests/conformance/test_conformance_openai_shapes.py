"""What users of the openai SDK send every day works on every provider, sync and async:
the ``developer`` role, ``response_format`` and ``tool_choice`` dicts,
``max_completion_tokens``, ``input_text`` parts, answers dumped from the SDK. ``n > 1`` is
refused before anything is sent (privllm returns one answer per call).
"""

from __future__ import annotations

import json

import pytest

from privllm.errors import InvalidRequestError
from privllm.testing import Reply

SSN = "536-22-1847"

LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Find a customer.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}


def test_developer_role(run, target):
    messages = [
        {"role": "developer", "content": f"Answer in French. Customer SSN {SSN}."},
        {"role": "user", "content": "Hi"},
    ]
    run.chat(messages)
    body = target.server.last.json()
    # OpenAI has the role; Azure's GA API versions and Gemini know it as system.
    role = "developer" if target.name == "openai" else "system"
    assert target.wire.turns(body) == [
        (role, "Answer in French. Customer SSN [US_SSN_1]."),
        ("user", "Hi"),
    ]
    assert SSN not in target.server.last.body.decode()


def test_developer_role_streamed(run, target):
    run.stream([{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    role = "developer" if target.name == "openai" else "system"
    assert target.wire.turns(target.server.last.json())[0] == (role, "Be brief.")


def test_response_format_json_object(run, target):
    target.server.reply(Reply.text('{"ok": true}'))
    response = run.chat("Reply in JSON", response_format={"type": "json_object"})
    assert response.text == '{"ok": true}'
    assert response.parsed is None  # .parsed is for a pydantic model class
    assert target.wire.json_output(target.server.last.json()) == (True, None)


def test_response_format_json_schema(run, target):
    schema = {
        "type": "object",
        "properties": {"number": {"type": "string"}},
        "required": ["number"],
        "additionalProperties": False,
    }
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "Invoice", "schema": schema, "strict": True},
    }
    target.server.reply(Reply.text('{"number": "INV-7"}'))
    assert run.chat("Extract", response_format=fmt).text == '{"number": "INV-7"}'
    body = target.server.last.json()
    assert target.wire.json_output(body) == (True, schema)
    if "response_format" in body:  # OpenAI and Azure get OpenAI's dict as given
        assert body["response_format"] == fmt


def test_response_format_text_is_the_default(run, target):
    run.chat("hi", response_format={"type": "text"})
    assert target.wire.json_output(target.server.last.json()) == (False, None)


def test_tool_choice_in_openai_shape(run, target):
    # "auto", "none", "required" and a name are in test_conformance_tools.py
    choice = {"type": "function", "function": {"name": "lookup"}}
    run.chat("find x", tools=[LOOKUP], tool_choice=choice)
    assert target.wire.tool_choice(target.server.last.json()) == "lookup"
    run.stream("find x", tools=[LOOKUP], tool_choice=choice)
    assert target.wire.tool_choice(target.server.last.json()) == "lookup"


def test_max_completion_tokens(run, target):
    run.chat("hi", max_completion_tokens=33)
    assert target.wire.options(target.server.last.json())["max_tokens"] == 33
    run.stream("hi", max_completion_tokens=12)
    assert target.wire.options(target.server.last.json())["max_tokens"] == 12
    run.chat("hi", max_tokens=7, max_completion_tokens=7)  # the same limit twice is fine
    assert target.wire.options(target.server.last.json())["max_tokens"] == 7


def test_input_text_parts(run, target):
    content = [{"type": "input_text", "text": f"SSN {SSN}, "}, {"type": "text", "text": "ok?"}]
    run.chat([{"role": "user", "content": content}])
    assert target.wire.turns(target.server.last.json()) == [("user", "SSN [US_SSN_1], ok?")]
    assert SSN not in target.server.last.body.decode()


def test_history_as_the_openai_sdk_dumps_it(run, target):
    """``completion.choices[0].message.model_dump()`` and a tool result, appended as dicts."""
    answer = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "annotations": [],
        "audio": None,
        "function_call": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup", "arguments": json.dumps({"q": "Jane"})},
            }
        ],
    }
    messages = [
        {"role": "user", "content": "find Jane"},
        answer,
        {"role": "tool", "tool_call_id": "call_1", "content": '{"found": true}'},
    ]
    run.chat(messages, tools=[LOOKUP])
    body = target.server.last.json()
    assert target.wire.assistant_calls(body) == [("lookup", {"q": "Jane"})]
    assert target.wire.tool_results(body) == [{"found": True}]


@pytest.mark.parametrize("extra", [{"n": 2}, {"n": 5}, {"candidate_count": 2}])
def test_several_answers_are_refused_not_dropped(run, target, extra):
    with pytest.raises(InvalidRequestError, match="one answer per call") as caught:
        run.chat("hi", extra=extra)
    assert caught.value.field == "extra"
    with pytest.raises(InvalidRequestError):
        run.stream("hi", extra=extra)
    assert target.server.requests == []
