"""Gemini thought signatures: kept on tool calls, sent back on the same functionCall part.

Gemini 3 refuses (400) a follow-up request that replays a function call of the current turn
without the ``thoughtSignature`` it came with; the local server does the same when a reply
says ``require_signatures=True``, so every test here would fail on a lost signature.
"""

from __future__ import annotations

import base64
import json

import pytest

from privllm import Message
from privllm.conversation import Conversation
from privllm.errors import BadRequestError
from privllm.pipeline import CallContext
from privllm.redaction.secrets import SecretKeyDetector
from privllm.streaming import StreamAssembler
from privllm.testing import Reply, ScriptedToolCall
from privllm.types import ChatChunk, ChatRequest, Endpoint, ToolCall, ToolCallDelta

# Opaque bytes whose standard base64 has "+" and "/" (google-genai re-sends it URL-safe).
SIG_BYTES = bytes(range(250, 256)) + b"gemini-3 thought signature \x00\x01\xfe\xff" * 8
SIG = base64.b64encode(SIG_BYTES).decode()
OTHER = base64.b64encode(b"second step" * 5).decode()
TOOLS = [{"name": "get_weather"}, {"name": "get_time"}]


def wire_bytes(signature: str | None) -> bytes | None:
    """The bytes a signature on the wire stands for (either base64 alphabet, any padding)."""
    if signature is None:
        return None
    return base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))


@pytest.fixture
def run(runner_factory, gemini_server):
    return runner_factory(provider=gemini_server.provider_config())


def answer(run, how, *args, **kwargs):
    """The whole answer from ``run.chat`` or, assembled, from ``run.stream``."""
    if how == "chat":
        return run.chat(*args, **kwargs)
    _, response = run.stream(*args, **kwargs)
    return response


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_signature_goes_back_on_the_function_call_part(run, gemini_server, how):
    gemini_server.reply(
        Reply.tool_call("get_weather", {"city": "Paris"}, signature=SIG),
        Reply.text("Sunny", require_signatures=True),
    )
    first = answer(run, how, "Weather in Paris?", tools=TOOLS)
    (call,) = first.tool_calls
    assert call.signature == SIG
    assert "signature" not in repr(call)  # reprs stay short

    second = run.chat(
        [
            Message.user("Weather in Paris?"),
            first.message,
            Message.tool(call.id, '{"sky": "clear"}'),
        ]
    )
    assert second.text == "Sunny"
    contents = gemini_server.last.json()["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    (part,) = contents[1]["parts"]
    assert part["functionCall"] == {"name": "get_weather", "args": {"city": "Paris"}}
    assert wire_bytes(part["thoughtSignature"]) == SIG_BYTES  # byte for byte
    assert gemini_server.replayed_calls() == [("get_weather", part["thoughtSignature"])]


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_parallel_calls_keep_the_signature_on_the_first_part_only(run, gemini_server, how):
    calls = (
        ScriptedToolCall("get_weather", '{"city": "Paris"}', signature=SIG),  # as Gemini signs
        ScriptedToolCall("get_time", '{"tz": "CET"}'),
    )
    gemini_server.reply(Reply(content="", tool_calls=calls), Reply.text("ok"))
    first = answer(run, how, "weather and time?", tools=TOOLS)
    assert [c.signature for c in first.tool_calls] == [SIG, None]

    run.chat(
        [
            Message.user("weather and time?"),
            first.message,
            Message.tool("call_0", '{"sky": "clear"}'),
            Message.tool("call_1", "14:00"),
        ]
    )
    replayed = gemini_server.replayed_calls()
    assert [(name, wire_bytes(sig)) for name, sig in replayed] == [
        ("get_weather", SIG_BYTES),
        ("get_time", None),
    ]


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_every_step_of_a_turn_keeps_its_own_signature(run, gemini_server, how):
    gemini_server.reply(
        Reply.tool_call("get_weather", {"city": "Paris"}, signature=SIG),
        Reply.tool_call("get_time", {"tz": "CET"}, signature=OTHER, require_signatures=True),
        Reply.text("Sunny, 14:00", require_signatures=True),
    )
    messages = [Message.user("Weather and time in Paris?")]
    for _ in range(2):
        step = answer(run, how, messages, tools=TOOLS)
        messages += [step.message, Message.tool(step.tool_calls[0].id, "{}")]
    assert run.chat(messages).text == "Sunny, 14:00"
    assert [(n, wire_bytes(s)) for n, s in gemini_server.replayed_calls()] == [
        ("get_weather", SIG_BYTES),
        ("get_time", base64.b64decode(OTHER)),
    ]


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_conversation_helper_replays_signatures(run, gemini_server, how):
    gemini_server.reply(
        Reply.tool_call("get_weather", {"city": "Paris"}, signature=SIG),
        Reply.text("Sunny", require_signatures=True),
    )
    conv = Conversation().user("Weather in Paris?")
    first = answer(run, how, conv, tools=TOOLS)
    conv.add(first).tool(first.tool_calls[0].id, '{"sky": "clear"}')
    assert run.chat(conv, tools=TOOLS).text == "Sunny"
    ((name, sig),) = gemini_server.replayed_calls()
    assert (name, wire_bytes(sig)) == ("get_weather", SIG_BYTES)


def test_signature_survives_a_conversation_saved_as_json(run, gemini_server):
    gemini_server.reply(
        Reply.tool_call("get_weather", {"city": "Paris"}, signature=SIG),
        Reply.text("Sunny", require_signatures=True),
    )
    first = run.chat("Weather in Paris?", tools=TOOLS)
    saved = json.dumps(
        [
            m.model_dump(mode="json")
            for m in [
                Message.user("Weather in Paris?"),
                first.message,
                Message.tool("call_0", "{}"),
            ]
        ]
    )
    assert run.chat(json.loads(saved)).text == "Sunny"  # plain dicts, as an app would store them
    ((_, sig),) = gemini_server.replayed_calls()
    assert wire_bytes(sig) == SIG_BYTES


def test_the_assembler_keeps_a_signature_that_comes_on_any_piece():
    endpoint = Endpoint(provider="google", base_url="http://x", host="x", kind="enterprise_api")
    assembler = StreamAssembler(ChatRequest(messages=[], model="m"), CallContext(endpoint))
    pieces = [
        [ToolCallDelta(index=0, id="call_0", name="get_weather", arguments='{"ci')],
        [
            ToolCallDelta(index=1, id="call_1", name="get_time"),
            ToolCallDelta(index=0, signature=SIG),
        ],
        [ToolCallDelta(index=0, arguments='ty": "Paris"}')],  # e.g. held back, then released
    ]
    for calls in pieces:
        assembler.add(ChatChunk(tool_calls=calls))
    response = assembler.finish()
    assert [(c.id, c.arguments, c.signature) for c in response.tool_calls] == [
        ("call_0", '{"city": "Paris"}', SIG),
        ("call_1", "", None),
    ]


# -- what the server refuses, and what privllm refuses -----------------------------------------


def test_a_call_replayed_without_its_signature_is_refused_like_gemini_3(run, gemini_server):
    gemini_server.reply(Reply.text("never", require_signatures=True))
    unsigned = Message.assistant(tool_calls=[ToolCall(id="c1", name="get_weather")])
    with pytest.raises(BadRequestError, match="missing a `thought_signature`") as info:
        run.chat([Message.user("Weather?"), unsigned, Message.tool("c1", "{}")])
    assert info.value.status_code == 400


def test_an_earlier_turns_unsigned_call_is_not_checked(run, gemini_server):
    # Gemini 3 checks the current turn only: calls before the last plain user message pass.
    gemini_server.reply(Reply.text("ok", require_signatures=True))
    unsigned = Message.assistant(tool_calls=[ToolCall(id="c1", name="get_weather")])
    history = [Message.user("Weather?"), unsigned, Message.tool("c1", "{}")]
    assert run.chat([*history, Message.assistant("Sunny"), Message.user("Thanks")]).text == "ok"


def test_a_signature_that_is_not_base64_is_refused_before_sending(run, gemini_server):
    bad = Message.assistant(tool_calls=[ToolCall(id="c1", name="get_weather", signature="no!")])
    with pytest.raises(BadRequestError, match="'get_weather': signature is not base64"):
        run.chat([Message.user("Weather?"), bad, Message.tool("c1", "{}")])
    assert gemini_server.requests == []


@pytest.mark.parametrize(
    "signature",
    [
        "context_engineering_is_the_way_to_go",  # URL-safe (Google's documented stand-in)
        SIG.rstrip("="),  # unpadded
        base64.urlsafe_b64encode(SIG_BYTES).decode(),
    ],
)
def test_either_base64_alphabet_is_accepted(run, gemini_server, signature):
    call = ToolCall(id="c1", name="get_weather", signature=signature)
    run.chat(
        [Message.user("Weather?"), Message.assistant(tool_calls=[call]), Message.tool("c1", "{}")]
    )
    ((_, sent),) = gemini_server.replayed_calls()
    assert wire_bytes(sent) == wire_bytes(signature)


# -- signatures on text parts ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["chat", "stream"])
def test_a_signature_on_a_text_answer_is_dropped_and_the_text_replays_unsigned(
    run, gemini_server, how
):
    # Neutral messages hold text as plain strings: there is nowhere to keep it. Gemini only
    # validates function calls, so the plain answer goes back without one (docs/providers.md).
    gemini_server.reply(
        Reply.text("Sunny all day", text_signature=SIG), Reply.text("ok", require_signatures=True)
    )
    first = answer(run, how, "Weather in Paris?")
    assert first.text == "Sunny all day"
    assert first.tool_calls == []
    run.chat([Message.user("Weather in Paris?"), first.message, Message.user("Thanks")])
    model_turn = gemini_server.last.json()["contents"][1]
    assert model_turn == {"role": "model", "parts": [{"text": "Sunny all day"}]}


# -- redaction and other providers -------------------------------------------------------------

# Standard base64 that holds an AWS key id between "/"s: a detector would take it for a key.
LOOKALIKE = "CiQBjz1rX2" * 4 + "/AKIAQWERTYUIOP234567/" + "c2lnbmF0dXJl" * 3 + "Zz"


def test_redaction_leaves_a_lookalike_signature_byte_identical(run, gemini_server):
    assert "AKIAQWERTYUIOP234567" in [f.value for f in SecretKeyDetector().find(LOOKALIKE)]
    call = ToolCall(
        id="c1", name="send_mail", arguments='{"to": "jane.doe@acme-corp.com"}', signature=LOOKALIKE
    )
    conversation = [
        Message.user("Mail jane.doe@acme-corp.com the report"),
        Message.assistant(tool_calls=[call]),
        Message.tool("c1", '{"sent": true}'),
    ]
    run.chat(conversation)
    (part,) = gemini_server.last.json()["contents"][1]["parts"]
    assert part["functionCall"]["args"] == {"to": "[EMAIL_1]"}  # arguments were redacted...
    assert wire_bytes(part["thoughtSignature"]) == base64.b64decode(LOOKALIKE)  # ...this not
    assert "AKIAQWERTYUIOP234567" in part["thoughtSignature"]
    assert call.signature == LOOKALIKE  # the caller's message is not changed either


def test_restoring_a_streamed_answer_keeps_the_signature(run, gemini_server):
    gemini_server.reply(Reply.tool_call("send_mail", {"to": "[EMAIL_1]"}, signature=SIG))
    _, response = run.stream(
        "Mail jane.doe@acme-corp.com the report", tools=[{"name": "send_mail"}]
    )
    (call,) = response.tool_calls
    assert (call.args(), call.signature) == ({"to": "jane.doe@acme-corp.com"}, SIG)


def test_restoring_an_answer_keeps_the_signature(run, gemini_server):
    gemini_server.reply(Reply.tool_call("send_mail", {"to": "[EMAIL_1]"}, signature=SIG))
    response = run.chat("Mail jane.doe@acme-corp.com the report", tools=[{"name": "send_mail"}])
    (call,) = response.tool_calls
    assert call.args() == {"to": "jane.doe@acme-corp.com"}
    assert call.signature == SIG


def test_other_providers_do_not_send_the_signature(runner_factory, openai_server):
    run = runner_factory(provider=openai_server.provider_config())
    call = ToolCall(id="call_1", name="get_weather", signature=SIG)
    run.chat(
        [
            Message.user("Weather?"),
            Message.assistant(tool_calls=[call]),
            Message.tool("call_1", "{}"),
        ]
    )
    sent = openai_server.last.json()["messages"][1]["tool_calls"]
    assert sent == [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    ]
    assert SIG.encode() not in openai_server.received()


def test_signature_survives_an_openai_style_tool_call_dict(run, gemini_server):
    # Apps that store history in OpenAI's shape keep the signature next to "function".
    gemini_server.reply(
        Reply.tool_call("get_weather", {"city": "Paris"}, signature=SIG),
        Reply.text("Sunny", require_signatures=True),
    )
    (call,) = run.chat("Weather in Paris?", tools=TOOLS).tool_calls
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                    "signature": call.signature,
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "{}"},
    ]
    assert run.chat(history).text == "Sunny"
    ((_, sig),) = gemini_server.replayed_calls()
    assert wire_bytes(sig) == SIG_BYTES
