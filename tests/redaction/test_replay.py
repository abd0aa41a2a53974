"""A restored answer sent back in a later request never carries a real value in clear, even
when the model glued its placeholder to a letter or digit (issue 11, item 1).

The app's copy of an answer holds real values; apps replay it, in a ``Conversation`` or a
plain history list. Asserted on the bytes the local server received.
"""

from __future__ import annotations

import json

import pytest

from privllm import Client, Conversation, Message
from privllm.testing import Reply

CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
SSN = "536 22 1847"  # spaced: found only after its cue
NAME = "Jane Doe"

# (what the user says, the model's answer with a glued placeholder, the value)
GLUED = [
    (f"Card {CARD}, please keep it on file.", "Card on file: [CREDIT_CARD_1]9", CARD),
    (f"Pay to {IBAN} today.", "Paying [IBAN_1]1 now.", IBAN),
    (f"My SSN is {SSN}.", "Noted [US_SSN_1]1 and filed.", SSN),
    (f"Schreib an {NAME}.", "Ich schreibe an [PERSON_1]s Adresse.", NAME),
    (f"Schreib an {NAME}.", "An x[PERSON_1] und [PERSON_1]", NAME),
]


def config(server):
    return {"provider": server.provider_config(), "redaction": {"terms": {"PERSON": [NAME]}}}


def forms(value: str) -> list[bytes]:
    return [value.encode(), json.dumps(value)[1:-1].encode(), value.replace(" ", "").encode()]


def assert_never_sent(server, value: str) -> None:
    raw = server.received()
    for form in forms(value):
        assert form not in raw, f"{value!r} reached the provider"


@pytest.mark.parametrize(("said", "answer", "value"), GLUED)
def test_a_glued_value_replayed_in_a_conversation_stays_redacted(
    openai_server, said, answer, value
):
    openai_server.reply(Reply.text(answer))
    conv = Conversation().user(said)
    with Client(env={}, **config(openai_server)) as client:
        first = client.chat(conv)
        assert value in first.text  # the app's copy holds the real value, glued
        client.chat(conv.add(first).user("Thanks, go on."))
    assert_never_sent(openai_server, value)


@pytest.mark.parametrize(("said", "answer", "value"), GLUED)
def test_a_glued_value_replayed_alone_in_a_plain_history_stays_redacted(
    runner_factory, openai_server, said, answer, value
):
    # Only the answer is replayed, not the message that taught the value: the new call's
    # vault is empty and no detector sees the glued form. The client remembers what it
    # restored.
    run = runner_factory(**config(openai_server))
    openai_server.reply(Reply.text(answer))
    first = run.chat(said)
    run.chat([Message.assistant(first.text), Message.user("Go on.")])
    assert_never_sent(openai_server, value)
    sent = openai_server.last.json()["messages"][0]["content"]
    assert "_1]" in sent  # the value went out as a placeholder, glue and all


def test_a_value_restored_in_a_stream_is_remembered_too(runner_factory, openai_server):
    run = runner_factory(**config(openai_server))
    openai_server.reply(Reply.text("Card on file: [CREDIT_CARD_1]9 ok", chunks=7))
    _, assembled = run.stream(f"Card {CARD}")
    assert CARD in assembled.text
    run.chat([Message.assistant(assembled.text), Message.user("Go on.")])
    assert_never_sent(openai_server, CARD)


def test_a_value_restored_into_tool_arguments_is_remembered_too(runner_factory, openai_server):
    run = runner_factory(**config(openai_server))
    openai_server.reply(Reply.tool_call("charge", {"card": "[CREDIT_CARD_1]0"}))
    first = run.chat(f"Charge card {CARD}")
    assert CARD in first.tool_calls[0].arguments
    run.chat([Message.user(f"Note: {first.tool_calls[0].arguments}")])
    assert_never_sent(openai_server, CARD)


def test_a_replayed_value_is_restored_again_in_the_next_answer(runner_factory, openai_server):
    run = runner_factory(**config(openai_server))
    openai_server.reply(Reply.text("Card on file: [CREDIT_CARD_1]9"))
    first = run.chat(f"Card {CARD}")
    second = run.chat([Message.assistant(first.text), Message.user("Repeat it.")])
    # The echo of the last user message comes back unchanged; the replayed assistant turn
    # went out redacted and nothing was lost on the app's side.
    assert second.text == "Repeat it."
    assert openai_server.last.json()["messages"][0]["content"] == "Card on file: [CREDIT_CARD_1]9"


def test_clients_do_not_share_what_they_restored(openai_server):
    # State lives on the client: another client (another tenant) has no memory of the value
    # and sends what its own detectors do not find. Here the glued card is not a card.
    openai_server.reply(Reply.text("Card on file: [CREDIT_CARD_1]9"))
    with Client(env={}, **config(openai_server)) as one:
        glued = one.chat(f"Card {CARD}").text
    with Client(env={}, **config(openai_server)) as other:
        other.chat(glued)
    assert CARD.encode() in openai_server.received().rsplit(b"POST", 1)[-1]
