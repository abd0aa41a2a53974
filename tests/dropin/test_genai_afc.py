"""Automatic function calling through privllm.genai, as google-genai runs it: Python
functions get the restored arguments, their results go out redacted, and answers carry
``automatic_function_calling_history`` shaped as the SDK's. Sync and async, Gemini API and
Vertex AI, plain calls and streams."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types

from privllm.testing import Reply

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
ASK = f"Who is {EMAIL}?"


def _lookup(seen: list[str]) -> Any:
    def lookup(email: str) -> str:
        """Look a customer up by email."""
        seen.append(email)
        return f"{email} holds card {CARD}"

    return lookup


def _wire_has_no_values(server: Any) -> None:
    received = server.received()
    assert EMAIL.encode() not in received
    assert CARD.encode() not in received


def _assert_history(history: list[types.Content], model_turns: int) -> None:
    """The SDK's shape: the caller's contents, the model's turn(s) with the call, a user turn
    with the function's response; all values restored."""
    assert history[0].role == "user"
    assert history[0].parts[0].text == ASK
    calls = [p.function_call for c in history[1 : 1 + model_turns] for p in c.parts or []]
    calls = [c for c in calls if c is not None]
    assert [(c.name, c.args) for c in calls] == [("lookup", {"email": EMAIL})]
    answer = history[1 + model_turns]
    assert answer.role == "user"
    response = answer.parts[0].function_response
    assert response.name == "lookup"
    assert response.response == {"result": f"{EMAIL} holds card {CARD}"}
    assert len(history) == 2 + model_turns


def test_a_plain_call_carries_an_empty_history(run, gemini_server):
    response = run.generate(contents="hi")
    assert response.automatic_function_calling_history == []


def test_the_history_of_a_round_is_the_sdks(run, gemini_server):
    seen: list[str] = []
    gemini_server.reply(Reply.tool_call("lookup", {"email": "[EMAIL_1]"}), Reply.echo())
    response = run.generate(contents=ASK, config=types.GenerateContentConfig(tools=[_lookup(seen)]))
    assert seen == [EMAIL]
    assert response.text == ASK
    _assert_history(response.automatic_function_calling_history, model_turns=1)
    assert response.automatic_function_calling_history[1].role == "model"
    _wire_has_no_values(gemini_server)


def test_ignore_call_history_leaves_it_out(run, gemini_server):
    gemini_server.reply(Reply.tool_call("lookup", {"email": "[EMAIL_1]"}), Reply.echo())
    config = types.GenerateContentConfig(
        tools=[_lookup([])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(ignore_call_history=True),
    )
    response = run.generate(contents=ASK, config=config)
    assert response.automatic_function_calling_history is None
    assert len(gemini_server.requests) == 2


@pytest.mark.parametrize(("maximum", "requests", "ran"), [(1, 1, 0), (2, 2, 1), (3, 3, 2)])
def test_maximum_remote_calls_counts_requests(run, gemini_server, maximum, requests, ran):
    # As the SDK: functions run after every answer but the last one allowed; the last call
    # comes back to the caller to run.
    seen: list[str] = []
    gemini_server.reply(*[Reply.tool_call("lookup", {"email": "[EMAIL_1]"})] * 4)
    config = types.GenerateContentConfig(
        tools=[_lookup(seen)],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(
            maximum_remote_calls=maximum
        ),
    )
    response = run.generate(contents=ASK, config=config)
    assert len(gemini_server.requests) == requests
    assert len(seen) == ran
    assert response.function_calls[0].args == {"email": EMAIL}
    assert len(response.automatic_function_calling_history) == (2 * ran + 1 if ran else 0)


def test_a_stream_runs_functions_and_the_next_chunks_carry_the_history(run, gemini_server):
    seen: list[str] = []
    gemini_server.reply(
        Reply.tool_call("lookup", {"email": "[EMAIL_1]"}), Reply.text("Found [EMAIL_1]", chunks=3)
    )
    chunks = run.stream(contents=ASK, config=types.GenerateContentConfig(tools=[_lookup(seen)]))
    assert seen == [EMAIL]
    first = [c for c in chunks if c.automatic_function_calling_history is None]
    after = [c for c in chunks if c.automatic_function_calling_history is not None]
    assert first
    assert after
    assert chunks.index(after[0]) == len(first)
    assert [f.args for c in first for f in c.function_calls or []] == [{"email": EMAIL}]
    assert "".join(c.text or "" for c in after) == f"Found {EMAIL}"
    history = after[0].automatic_function_calling_history
    assert all(c.automatic_function_calling_history is history for c in after)
    # The SDK keeps each chunk's content of the round: the call's, and the closing one.
    _assert_history(history, model_turns=len(history) - 2)
    assert len(gemini_server.requests) == 2
    _wire_has_no_values(gemini_server)


def test_a_stream_without_functions_carries_no_history(run, gemini_server):
    chunks = run.stream(contents="hi")
    assert chunks
    assert all(c.automatic_function_calling_history is None for c in chunks)
