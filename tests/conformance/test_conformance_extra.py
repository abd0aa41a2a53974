"""``extra=`` cannot replace what privllm sends from the redacted request, on any provider.

``extra`` is merged after redaction, so a key privllm itself sets (``messages``, ``tools``,
``system_instruction``...) given there would send its value unredacted. Each case asserts on
what the local server received (nothing) and on the error's text (the key, never the value).
"""

from __future__ import annotations

import traceback

import pytest

from privllm import ToolDefinition
from privllm.errors import InvalidRequestError

SSN = "536-22-1847"
CARD = "4852 6228 9015 8001"
RAW = [{"role": "user", "content": f"SSN {SSN}, card {CARD}"}]
RAW_TOOL = [{"type": "function", "function": {"name": f"ssn_{SSN}", "parameters": {}}}]

# key -> a value carrying raw content, per wire protocol
CHAT_CASES = {
    "openai": {
        "messages": RAW,
        "tools": RAW_TOOL,
        "tool_choice": {"type": "function", "function": {"name": f"ssn_{SSN}"}},
        "model": f"model-{SSN}",
        "response_format": {"type": "json_schema", "json_schema": {"name": SSN}},
        "stop": [SSN],
    },
    "google": {
        "system_instruction": f"SSN {SSN}",
        "systemInstruction": f"SSN {SSN}",
        "contents": RAW,
        "tools": [{"function_declarations": [{"name": f"ssn_{SSN}"}]}],
        "tool_config": {"function_calling_config": {"mode": "ANY"}},
        "http_options": {"extra_body": {"contents": RAW}},
        "httpOptions": {"extraBody": {"contents": RAW}},
        "stop_sequences": [SSN],
    },
}
EMBED_CASES = {
    "openai": {"input": [f"SSN {SSN}"], "model": f"m-{SSN}"},
    "google": {"contents": RAW, "http_options": {"extra_body": {"requests": RAW}}},
}


def _wire(target) -> str:
    return "google" if target.provider_name == "google" else "openai"


def _check(error: InvalidRequestError, key: str) -> None:
    text = "".join(traceback.format_exception(error))
    assert repr(key) in str(error)
    assert error.field == f"extra.{key}"
    for value in (SSN, CARD, "4852"):
        assert value not in text


def test_extra_cannot_replace_what_privllm_sets(run, target):
    lookup = ToolDefinition(name="lookup")
    for key, value in CHAT_CASES[_wire(target)].items():
        with pytest.raises(InvalidRequestError) as caught:
            run.chat("hi", tools=[lookup], extra={key: value})
        _check(caught.value, key)
        with pytest.raises(InvalidRequestError) as caught:
            run.stream("hi", extra={"logprobs": True, key: value})
        _check(caught.value, key)
    assert target.server.requests == []


def test_extra_cannot_replace_embedding_inputs(run, target):
    for key, value in EMBED_CASES[_wire(target)].items():
        with pytest.raises(InvalidRequestError) as caught:
            run.embed(["alpha"], extra={key: value})
        _check(caught.value, key)
    assert target.server.requests == []


def test_other_extra_options_still_pass_through(run, target):
    run.chat("hi", extra={"presence_penalty": 0.5})
    body = target.server.last.json()
    sent = body if _wire(target) == "openai" else body["generationConfig"]
    assert sent.get("presence_penalty", sent.get("presencePenalty")) == 0.5


def test_docstring_examples():
    import doctest

    from privllm.providers import extra

    failures, tried = doctest.testmod(extra)
    assert tried > 0
    assert failures == 0
