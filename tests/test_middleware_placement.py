"""Where user middleware runs: outside redaction it sees the caller's raw values; placed
inside redaction it sees placeholders only, in requests, answers, streamed chunks and tool
calls. Sync and async, in code and in config."""

from __future__ import annotations

import json
import sys

import pytest

from privllm import Client, Message, Middleware, MiddlewareEntry, load_config
from privllm.audit.middleware import AuditMiddleware
from privllm.policy.middleware import PolicyMiddleware
from privllm.redaction.middleware import RedactionMiddleware
from privllm.testing import Reply

EMAIL = "jane.doe@acme-corp.com"
CARD = "4111 1111 1111 1111"
KEY = "sk-proj-Q3JvbGxpbmdTdG9uZXNfMjAyNg7x"
NAME = "Jane Doe"
RAW = [EMAIL, CARD, KEY, NAME]
PROMPT = f"I am {NAME} ({EMAIL}); card {CARD}; key {KEY}."
TOOLS = [{"name": "send_mail"}]


class Seer(Middleware):
    """Writes down every text and tool-call argument each hook is shown, and whether the
    policy decision was already made when it saw the request."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.decided_before_request: list[bool] = []

    def on_request(self, request, ctx):
        self.decided_before_request.append(bool(ctx.decisions))
        for m in request.messages:
            self.seen.append(m.text)
            self.seen.extend(c.arguments for c in m.tool_calls or ())
        return request

    def on_response(self, response, ctx):
        self.seen.append(response.text)
        self.seen.extend(c.arguments for c in response.tool_calls)
        return response

    def on_chunk(self, chunk, ctx):
        self.seen.append(chunk.text)
        self.seen.extend(d.arguments or "" for d in chunk.tool_calls)
        return (chunk,)

    def on_stream_end(self, ctx):
        return ()

    @property
    def text(self) -> str:
        return "\n".join(self.seen)


class InsideSeer(Seer):
    place = "inside_redaction"


def _settings(server, *middleware):
    return {
        "provider": server.provider_config(),
        "redaction": {"terms": {"PERSON": [NAME]}},
        "middleware": list(middleware),
    }


def _holds_no_raw_value(seer: Seer) -> None:
    for value in RAW:
        assert value not in seer.text, f"{value!r} reached a middleware inside redaction"
        assert json.dumps(value)[1:-1] not in seer.text


def test_chat_inside_sees_placeholders_outside_sees_raw(runner_factory, openai_server):
    outside, inside = Seer(), InsideSeer()
    run = runner_factory(**_settings(openai_server, outside, inside))
    answer = run.chat(PROMPT)
    assert answer.text == PROMPT  # the echo, restored for the caller
    _holds_no_raw_value(inside)
    assert "[PERSON_1]" in inside.text
    assert "[EMAIL_1]" in inside.text
    assert "[CREDIT_CARD_1]" in inside.text
    assert "[SECRET_1]" in inside.text
    # the answer too, before restoring: the request and the echo, both in placeholder form
    assert inside.seen.count(openai_server.last.json()["messages"][0]["content"]) == 2
    assert all(value in outside.text for value in RAW)  # documented: outside is raw
    assert inside.decided_before_request == [True]
    assert outside.decided_before_request == [False]


@pytest.mark.parametrize("chunks", [1, 5, 40])
def test_stream_chunks_inside_are_placeholders(runner_factory, openai_server, chunks):
    outside, inside = Seer(), InsideSeer()
    run = runner_factory(**_settings(openai_server, outside, inside))
    openai_server.default = Reply.echo(chunks=chunks)
    pieces, assembled = run.stream(PROMPT)
    assert "".join(p.text for p in pieces) == assembled.text == PROMPT
    _holds_no_raw_value(inside)
    streamed = "".join(inside.seen[1:])  # after the request: the chunks as the provider sent
    assert streamed == openai_server.last.json()["messages"][0]["content"]
    assert EMAIL in "".join(outside.seen[1:])


def test_tool_calls_inside_are_placeholders_both_ways(runner_factory, openai_server):
    outside, inside = Seer(), InsideSeer()
    run = runner_factory(**_settings(openai_server, outside, inside))
    openai_server.reply(Reply.tool_call("send_mail", {"to": "[EMAIL_1]", "body": "hi [PERSON_1]"}))
    first = run.chat(f"Mail {EMAIL} to greet {NAME}", tools=TOOLS)
    assert first.tool_calls[0].args() == {"to": EMAIL, "body": f"hi {NAME}"}
    # The app sends back a history holding the real values (its tool call and result).
    history = [
        Message.user(f"Mail {EMAIL} to greet {NAME}"),
        first.message,
        Message.tool(first.tool_calls[0].id, f"sent to {EMAIL}"),
    ]
    run.chat(history, tools=TOOLS)
    openai_server.reply(
        Reply.tool_call("send_mail", {"to": "[EMAIL_1]", "cc": "[PERSON_1]"}, chunks=9)
    )
    _, streamed = run.stream(f"Mail {EMAIL} and {NAME}", tools=TOOLS)
    assert streamed.tool_calls[0].args() == {"to": EMAIL, "cc": NAME}
    _holds_no_raw_value(inside)
    assert '"to": "[EMAIL_1]"' in inside.text
    assert json.dumps({"to": EMAIL, "body": f"hi {NAME}"}) in outside.text


class Named(Middleware):
    """Logs ``name>`` on the way out and ``<name`` on the way back."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def on_request(self, request, ctx):
        self.log.append(f"{self.name}>")
        return request

    def on_response(self, response, ctx):
        self.log.append(f"<{self.name}")
        return response


def test_order_outside_then_builtins_then_inside_then_audit(openai_server):
    log: list[str] = []

    def named(name: str, place: str) -> MiddlewareEntry:
        return MiddlewareEntry(Named(log, name), place=place)

    with Client(
        env={},
        provider=openai_server.provider_config(),
        middleware=[named("a-out", "outside_redaction"), named("b-in", "inside_redaction"),
                    named("c-out", "outside_redaction")],
    ) as client:  # fmt: skip
        assert client.chat("hi").text == "hi"
    assert log == ["a-out>", "c-out>", "b-in>", "<b-in", "<c-out", "<a-out"]

    log.clear()
    in_config = [
        {"use": f"{__name__}:Named", "options": {"log": log, "name": "cfg-in"},
         "place": "inside_redaction"},
        {"use": f"{__name__}:Named", "options": {"log": log, "name": "cfg-out"}},
    ]  # fmt: skip
    config = load_config(env={}, provider=openai_server.provider_config(), middleware=in_config)
    with Client(config, middleware=[named("code-in", "inside_redaction")]) as client:
        client.chat("hi")
        kinds = [type(m).__name__ for m in client._core.chain.middleware]
    # in each place: passed in code first, then named in config
    assert log == ["cfg-out>", "code-in>", "cfg-in>", "<cfg-in", "<code-in", "<cfg-out"]
    assert kinds == [
        "Named",
        RedactionMiddleware.__name__,
        PolicyMiddleware.__name__,
        "Named",
        "Named",
        AuditMiddleware.__name__,
    ]


def test_place_from_the_class_and_the_entry_overrides_it(openai_server):
    inside = InsideSeer()
    moved = InsideSeer()
    with Client(
        env={},
        **_settings(openai_server, inside, MiddlewareEntry(moved, place="outside_redaction")),
    ) as client:
        client.chat(PROMPT)
        chain = client._core.chain.middleware
    assert chain.index(moved) < chain.index(next(m for m in chain if type(m) is PolicyMiddleware))
    assert chain.index(inside) > chain.index(next(m for m in chain if type(m) is PolicyMiddleware))
    _holds_no_raw_value(inside)
    assert EMAIL in moved.text


def test_config_file_entry_with_options_and_place(openai_server, tmp_path, monkeypatch):
    (tmp_path / "file_mw.py").write_text(
        "from privllm import Middleware\n"
        "SEEN = []\n"
        "class Log(Middleware):\n"
        "    def __init__(self, prefix):\n"
        "        self.prefix = prefix\n"
        "    def on_request(self, request, ctx):\n"
        "        SEEN.append(self.prefix + request.messages[-1].text)\n"
        "        return request\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "file_mw", raising=False)
    path = tmp_path / "privllm.toml"
    path.write_text(
        "middleware = [\n"
        '  { use = "file_mw:Log", options = { prefix = "in: " }, place = "inside_redaction" },\n'
        '  { use = "file_mw:Log", options = { prefix = "out: " } },\n'
        "]\n"
    )
    with Client(path, env={}, provider=openai_server.provider_config()) as client:
        client.chat(f"write to {EMAIL}")
    import file_mw

    assert [f"out: write to {EMAIL}", "in: write to [EMAIL_1]"] == file_mw.SEEN
