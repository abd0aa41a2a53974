"""google-genai's chats over privllm.genai, ``client.chats`` and ``client.aio.chats`` alike
(sync/async parity): the history keeps the values, the wire carries placeholders, a stream
is restored, and Python functions run (the SDK's chat runs them) with the real values."""

from __future__ import annotations

from typing import Any

from google.genai import types

from privllm.testing import Reply

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def _chat(run: Any, **kwargs: Any) -> Any:
    chats = run.client.chats if run.kind == "sync" else run.client.aio.chats
    return chats.create(model="gemini-test", **kwargs)


def _stream(run: Any, chat: Any, message: str) -> list[types.GenerateContentResponse]:
    if run.kind == "sync":
        return list(chat.send_message_stream(message))

    async def go() -> list[types.GenerateContentResponse]:
        return [c async for c in await chat.send_message_stream(message)]

    return run.run(go())


def _sent(server: Any) -> bytes:
    received: bytes = server.received()
    return received


def test_a_chat_keeps_the_values_and_sends_placeholders(run, gemini_server):
    chat = _chat(run)
    first = run.run(chat.send_message(f"My email is {EMAIL}"))
    assert first.text == f"My email is {EMAIL}"
    gemini_server.reply(Reply.text("Noted: [EMAIL_1]"))
    second = run.run(chat.send_message("Repeat it"))
    assert second.text == f"Noted: {EMAIL}"
    history = chat.get_history()
    assert [c.role for c in history] == ["user", "model", "user", "model"]
    assert history[1].parts[0].text == f"My email is {EMAIL}"
    turns = gemini_server.last.json()["contents"]
    assert [t["role"] for t in turns] == ["user", "model", "user"]
    assert EMAIL.encode() not in _sent(gemini_server)


def test_a_chat_stream_is_restored_and_recorded(run, gemini_server):
    chat = _chat(run)
    gemini_server.reply(Reply.text("Card [CREDIT_CARD_1] of [EMAIL_1] is blocked", chunks=9))
    chunks = _stream(run, chat, f"Block card {CARD} of {EMAIL}")
    assert "".join(c.text or "" for c in chunks) == f"Card {CARD} of {EMAIL} is blocked"
    history = chat.get_history()
    assert history[0].parts[0].text == f"Block card {CARD} of {EMAIL}"
    assert "".join(p.text or "" for c in history[1:] for p in c.parts) == (
        f"Card {CARD} of {EMAIL} is blocked"
    )
    assert CARD.encode() not in _sent(gemini_server)


def test_a_chat_runs_python_functions_with_the_values(run, gemini_server):
    seen: list[str] = []

    def lookup(email: str) -> str:
        """Look a customer up by email."""
        seen.append(email)
        return f"{email} holds card {CARD}"

    chat = _chat(run, config=types.GenerateContentConfig(tools=[lookup]))
    gemini_server.reply(Reply.tool_call("lookup", {"email": "[EMAIL_1]"}), Reply.echo())
    answer = run.run(chat.send_message(f"Who is {EMAIL}?"))
    assert seen == [EMAIL]
    assert answer.text == f"Who is {EMAIL}?"
    assert len(gemini_server.requests) == 2
    assert EMAIL.encode() not in _sent(gemini_server)
    assert CARD.encode() not in _sent(gemini_server)
