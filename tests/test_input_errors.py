"""Inputs privllm does not accept: an InvalidRequestError naming the field, never the value.

pydantic's own error quotes the input (``input_value={'content': 'SSN 536-22-1847'}``), so a
prompt would reach logs and error trackers. Every entry point that builds a request from the
caller's input is checked here: the error's str, repr, formatted traceback and
``logging.exception`` output hold no input value, and nothing reached the server.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from privllm import ChatRequest, Conversation, Message, ToolCall, ToolDefinition
from privllm.core import message_from_dict
from privllm.errors import InvalidRequestError, PrivllmError
from privllm.input_errors import input_error
from privllm.types import EmbeddingRequest, TextPart

SSN = "536-22-1847"
EMAIL = "jane.roe@example.org"
SECRET_VALUES = (SSN, EMAIL, "536", "jane.roe")


def _text_of(err: BaseException) -> str:
    """Everything an application or a logger could print about ``err``."""
    logger = logging.getLogger("privllm-input-errors-test")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    try:
        try:
            raise err
        except BaseException:
            logger.exception("call failed")
    finally:
        logger.removeHandler(handler)
    return "\n".join([str(err), repr(err), "".join(traceback.format_exception(err)), *records])


def _refused(call: Callable[[], Any], *fields: str) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        call()
    err = caught.value
    assert isinstance(err, PrivllmError)
    assert isinstance(err, ValueError)  # what pydantic's error was: `except ValueError` holds
    # pydantic's error is neither the cause nor the context (not merely hidden from print)
    assert err.__cause__ is None
    assert err.__context__ is None
    text = _text_of(err)
    for value in SECRET_VALUES:
        assert value not in text, value
    assert "input_value" not in text
    assert "ValidationError" not in text
    for field in fields:
        assert field in err.fields, (field, err.fields)
        assert field in str(err)
    return err


# -- client.chat / stream: messages ------------------------------------------------------------

BAD_MESSAGES: list[tuple[list[Any], str]] = [
    ([{"content": f"SSN {SSN}"}], "messages[0].role"),
    ([{"role": "customer", "content": f"SSN {SSN}"}], "messages[0].role"),
    (
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": EMAIL}}]},
        ],
        "messages[2].content[0].type",
    ),
    (
        [{"role": "user", "content": [{"type": "text", "txt": f"SSN {SSN}"}]}],
        "messages[0].content[0].text",
    ),
    ([{"role": "user", "content": [f"SSN {SSN}"]}], "messages[0].content[0]"),
    ([{"role": "user", "content": {"text": f"SSN {SSN}"}}], "messages[0].content"),
    ([{"role": "user", "content": f"SSN {SSN}", "email": EMAIL}], "messages[0].email"),
    (
        [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": SSN}}]}],
        "messages[0].tool_calls[0].id",
    ),
    (
        [
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": {"ssn": SSN}}}],
            }
        ],
        "messages[0].tool_calls[0].arguments",
    ),
    ([{"role": "tool", "content": f"SSN {SSN}", "tool_call_id": 7}], "messages[0].tool_call_id"),
    ([Message.user("hi"), f"SSN {SSN}"], "messages[1]"),
]


@pytest.mark.parametrize(("messages", "field"), BAD_MESSAGES)
def test_chat_refuses_a_bad_message_by_field(run, openai_server, messages, field):
    _refused(lambda: run.chat(messages), field)
    _refused(lambda: run.stream(messages), field)
    assert openai_server.requests == []


@pytest.mark.parametrize("messages", [{"role": "user", "content": SSN}, 42, None])
def test_messages_of_the_wrong_kind(run, openai_server, messages):
    _refused(lambda: run.chat(messages), "messages")
    assert openai_server.requests == []


# -- client.chat: options ----------------------------------------------------------------------

BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    (
        {"tools": [{"type": "function", "function": {"description": f"for {EMAIL}"}}]},
        "tools[0].name",
    ),
    ({"tools": [{"type": "web_search", "note": EMAIL}]}, "tools[0]"),
    ({"tools": [{"name": "f", "parameters": f"SSN {SSN}"}]}, "tools[0].parameters"),
    ({"tool_choice": {"type": "function", "function": {"nom": EMAIL}}}, "tool_choice"),
    ({"tool_choice": {"type": "allowed_tools", "tools": [EMAIL]}}, "tool_choice"),
    (
        {"response_format": {"type": "json_schema", "json_schema": {"schema": {"x": SSN}}}},
        "response_format.json_schema.name",
    ),
    ({"response_format": {"type": EMAIL}}, "response_format.type"),
    ({"response_format": {"type": "json_schema"}}, "response_format"),
    ({"stop": [EMAIL, 5]}, "stop[1]"),
    ({"temperature": SSN}, "temperature"),
    ({"user": {"email": EMAIL}}, "user"),
    ({"extra": {"n": 2}}, "extra"),
    ({"extra": {"candidate_count": 3}}, "extra"),
]


@pytest.mark.parametrize(("options", "field"), BAD_OPTIONS)
def test_chat_refuses_a_bad_option_by_field(run, openai_server, options, field):
    _refused(lambda: run.chat(f"SSN {SSN}", **options), field)
    assert openai_server.requests == []


def test_two_different_token_limits_are_refused(run, openai_server):
    _refused(
        lambda: run.chat("hi", max_tokens=10, max_completion_tokens=20),
        "max_tokens",
        "max_completion_tokens",
    )
    assert openai_server.requests == []


def test_embed_refuses_a_bad_input_by_index(run, openai_server):
    _refused(lambda: run.embed([f"SSN {SSN}", {"text": EMAIL}]), "input[1]")
    _refused(lambda: run.embed(None), "input")
    _refused(lambda: run.embed("x", dimensions=SSN), "dimensions")
    assert openai_server.requests == []


# -- building the types directly ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Message(content=f"SSN {SSN}"), "role"),
        (
            lambda: Message(role="user", content=[{"type": "input_image", "image_url": EMAIL}]),
            "content[0].type",
        ),
        (lambda: Message.model_validate({"role": "user", "content": 7, "x": SSN}), "x"),
        (lambda: Message.model_validate_json(f'{{"content": "SSN {SSN}"}}'), "role"),
        (lambda: Message.user(123), "content"),
        (lambda: TextPart(text=None, type=SSN), "type"),
        (lambda: ToolCall(id="c1", name="f", arguments={"ssn": SSN}), "arguments"),
        (lambda: ToolDefinition(name="f", parameters=[SSN]), "parameters"),
        (
            lambda: ChatRequest(
                model="m", messages=[{"role": "user", "content": [{"text": SSN, "type": "file"}]}]
            ),
            "messages[0].content[0].type",
        ),
        (lambda: EmbeddingRequest(model="m", input=[SSN, None]), "input[1]"),
        (lambda: message_from_dict({"role": "user", "content": SSN, "ssn": SSN}), "ssn"),
    ],
)
def test_types_refuse_by_field(build, field):
    _refused(build, field)


def test_conversation_names_the_message():
    _refused(
        lambda: Conversation([{"role": "user", "content": "hi"}, {"content": f"SSN {SSN}"}]),
        "messages[1].role",
    )
    conv = Conversation().user("hi").system("be brief")
    _refused(
        lambda: conv.add({"role": "user", "content": [{"type": "image_url"}], "e": EMAIL}),
        "messages[2].content[0].type",
    )
    assert len(conv) == 2


def test_a_dict_appended_to_a_conversation_is_checked_at_the_call(run, openai_server):
    conv = Conversation().user("hi")
    conv.messages.append({"role": "user", "text": f"SSN {SSN}"})  # type: ignore[arg-type]
    _refused(lambda: run.chat(conv), "messages[1].text")
    assert openai_server.requests == []


# -- the formatter -----------------------------------------------------------------------------


def test_the_formatter_keeps_the_schema_reason_and_drops_the_value():
    class Strict(BaseModel):
        when: int
        email: str

        @field_validator("email")
        @classmethod
        def _check(cls, value: str) -> str:
            raise ValueError(f"{value} is not allowed")  # a reason that quotes the value

    with pytest.raises(ValidationError) as caught:
        Strict.model_validate({"when": f"SSN {SSN}", "email": EMAIL})
    err = input_error(caught.value, "thing", root=("items", 3))
    assert str(err) == (
        "invalid thing: items[3].when: must be a valid integer; items[3].email: invalid value"
    )
    assert err.fields == ("items[3].when", "items[3].email")


def test_many_errors_are_counted_not_all_listed():
    bad = [{"content": f"SSN {SSN}"} for _ in range(8)]
    err = _refused(lambda: ChatRequest(model="m", messages=bad), "messages[0].role")
    assert len(err.fields) == 8
    assert str(err).endswith("and 3 more")
