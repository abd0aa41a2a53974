"""End to end with the built-in name, address and birth-date detectors turned on (a preview:
``redaction.types`` lists them; no term list, no model): the bytes the local server
receives hold no name, address or date of birth, in chat, streams and tool results; the
caller gets them back."""

from __future__ import annotations

import json

import pytest

from privllm import Message
from privllm.redaction.scanner import BUILTIN_TYPES
from privllm.testing import Reply

NAMES = ["Oluwaseun Adeyemi", "Oluwaseun", "Adeyemi", "Priya Raman", "Priya", "Raman"]
ADDRESS = "742 Evergreen Terrace, Springfield, OR 97403"
DOB = "07/03/1984"
VALUES = [*NAMES, ADDRESS, DOB]
PROMPT = (
    "Hi, my name is Oluwaseun Adeyemi, DOB: 07/03/1984. I moved to "
    f"{ADDRESS}. Please update my file.\n\nThanks,\nOluwaseun"
)


@pytest.fixture
def run(runner_factory, openai_server):
    """The default chain, with the preview types listed in ``redaction.types``."""
    return runner_factory(
        provider=openai_server.provider_config(),
        redaction={"types": sorted(BUILTIN_TYPES)},
    )


def assert_clean(server):
    raw = server.received()
    for value in VALUES:
        assert value.encode() not in raw, f"{value!r} reached the provider"
        assert json.dumps(value)[1:-1].encode() not in raw


def test_chat_sends_no_name_and_restores_them(run, openai_server):
    response = run.chat(PROMPT)
    assert_clean(openai_server)
    assert response.text == PROMPT  # the echo, restored


def test_stream_sends_no_name(run, openai_server):
    openai_server.default = Reply.echo(chunks=7)
    _, assembled = run.stream(PROMPT)
    assert_clean(openai_server)
    assert assembled.text == PROMPT


def test_a_first_name_alone_in_a_later_turn_is_redacted(run, openai_server):
    openai_server.reply(Reply.text("Noted."))
    history = [Message.user("The account holder is Priya Raman."), Message.assistant("Noted.")]
    run.chat([*history, Message.user("Thanks. Priya also asked for a copy.")])
    assert_clean(openai_server)


def test_tool_results_send_no_name(run, openai_server):
    openai_server.reply(Reply.tool_call("lookup", {"id": 7}))
    first = run.chat("Look up customer 7", tools=[{"name": "lookup"}])
    record = {
        "customer": {"name": "Priya Raman", "address": ADDRESS, "date_of_birth": DOB},
        "contacts": ["Oluwaseun Adeyemi"],
    }
    conversation = [
        Message.user("Look up customer 7"),
        first.message,
        Message.tool(first.tool_calls[0].id, json.dumps(record)),
    ]
    run.chat(conversation, tools=[{"name": "lookup"}])
    assert_clean(openai_server)
