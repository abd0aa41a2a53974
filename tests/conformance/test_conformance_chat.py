"""Chat, options, multi-turn and structured output: same cases, every provider, sync and async."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from privllm import Message, StructuredOutputError
from privllm.testing import Reply


def test_plain_chat(run, target):
    target.server.reply(Reply.text("Bonjour!"))
    response = run.chat("Say hello in French")
    assert response.text == "Bonjour!"
    assert response.finish_reason == "stop"
    assert response.usage.prompt_tokens == 4
    assert response.usage.completion_tokens == 1
    assert response.usage.total_tokens == 5
    assert response.provider == target.provider_name
    assert response.endpoint.provider == target.provider_name
    # as policy classified the host: every target listens on loopback
    assert response.endpoint.kind == "self_hosted"

    assert len(target.server.requests) == 1
    sent = target.server.last
    target.check_request(sent, target.chat_path)
    assert target.wire.turns(sent.json()) == [("user", "Say hello in French")]


def test_options_are_sent_and_unset_ones_are_not(run, target):
    run.chat("hi", temperature=0.2, max_tokens=50, top_p=0.9, stop="END", seed=7)
    assert target.wire.options(target.server.last.json()) == {
        "temperature": 0.2,
        "max_tokens": 50,
        "top_p": 0.9,
        "stop": ["END"],
        "seed": 7,
    }
    run.chat("again")
    assert set(target.wire.options(target.server.last.json()).values()) == {None}


def test_multi_turn_with_system_prompt(run, target):
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
    assert response.text == "How are you?"  # the server echoes the last user turn
    assert target.wire.turns(target.server.last.json()) == [
        ("system", "You are terse."),
        ("user", "Hi"),
        ("assistant", "Hello."),
        ("user", "How are you?"),
    ]


class Invoice(BaseModel):
    number: str
    total: float


def test_structured_output(run, target):
    target.server.reply(Reply.text('{"number": "INV-7", "total": 12.5}'))
    response = run.chat("extract", response_format=Invoice)
    assert response.parsed == Invoice(number="INV-7", total=12.5)
    schema = target.wire.schema(target.server.last.json())
    assert set(schema["properties"]) == {"number", "total"}
    assert schema["properties"]["total"]["type"] == "number"
    assert sorted(schema["required"]) == ["number", "total"]


def test_structured_output_mismatch_names_fields_not_content(run, target):
    target.server.reply(Reply.text('{"number": "SECRET-VALUE-9"}'))
    with pytest.raises(StructuredOutputError) as info:
        run.chat("extract", response_format=Invoice)
    assert "total" in str(info.value)
    assert "SECRET-VALUE-9" not in str(info.value)
    assert info.value.__cause__ is None  # pydantic's error, as a cause, would quote the answer
    assert info.value.provider == target.provider_name


def test_endpoint_is_known_before_any_request(runner_factory, target):
    run = runner_factory(provider=target.config())
    endpoint = run.client.provider.endpoint
    assert endpoint.provider == target.provider_name
    assert endpoint.host == "127.0.0.1"
    assert target.server.requests == []
