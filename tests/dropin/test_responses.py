"""``client.responses`` through ``OpenAI`` and ``AsyncOpenAI`` alike: the SDK's ``Response``
and stream events come back restored, ``/v1/responses`` receives placeholders and
``store: false``, and the call is recorded in the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from openai.types.responses import ParsedResponse, Response
from pydantic import BaseModel

from privllm import errors
from privllm.audit import AuditStore, MasterKey, generate_key
from privllm.audit.middleware import AuditMiddleware
from privllm.openai import EndpointNotCovered
from privllm.testing import OpenAIServer, Reply

EMAIL = "jane.doe@example.com"
SSN = "536-22-1847"
KEY = "sk-dropin-0000"
LOOKUP = {
    "type": "function",
    "name": "lookup_customer",
    "description": "Find a customer by email.",
    "parameters": {
        "type": "object",
        "properties": {"email": {"type": "string"}},
        "required": ["email"],
    },
    "strict": True,
}


class Contact(BaseModel):
    email: str
    urgent: bool


def sent(server: OpenAIServer) -> dict:
    assert server.last.path == "/v1/responses"
    body: dict = server.last.json()
    return body


def test_a_string_input_returns_a_response_restored(dropin, openai_server: OpenAIServer):
    result = dropin.respond(
        model="gpt-4.1-mini", input=f"Write to {EMAIL}", instructions=f"Never repeat {SSN}."
    )
    assert isinstance(result, Response)
    assert result.output_text == f"Write to {EMAIL}"
    assert result.status == "completed"
    assert result.output[0].type == "message"
    assert result.usage is not None
    assert result.usage.total_tokens > 0
    assert result.instructions == f"Never repeat {SSN}."  # the caller's own, as the SDK echoes
    assert result.store is False
    body = sent(openai_server)
    assert body["input"] == [{"type": "message", "role": "user", "content": "Write to [EMAIL_1]"}]
    assert body["instructions"] == "Never repeat [US_SSN_1]."
    assert body["store"] is False
    assert EMAIL.encode() not in openai_server.last.raw
    assert SSN.encode() not in openai_server.last.raw
    # Downstream code that dumps the result works as on the SDK's.
    assert result.model_dump()["output"][0]["content"][0]["text"] == f"Write to {EMAIL}"


def test_list_input_with_parts_and_options(dropin, openai_server: OpenAIServer):
    dropin.respond(
        model="gpt-4.1-mini",
        input=[
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "input_text", "text": f"Mail {EMAIL}"}]},
        ],
        temperature=0.2,
        top_p=0.9,
        max_output_tokens=50,
        metadata={"app": "desk"},
        parallel_tool_calls=False,
        reasoning={"effort": "low"},
        text={"verbosity": "low"},
        extra_body={"service_tier": "auto"},
    )
    body = sent(openai_server)
    assert body["input"] == [
        {"type": "message", "role": "developer", "content": "Be brief."},
        {"type": "message", "role": "user", "content": "Mail [EMAIL_1]"},
    ]
    assert (body["temperature"], body["top_p"], body["max_output_tokens"]) == (0.2, 0.9, 50)
    assert body["metadata"] == {"app": "desk"}
    assert body["parallel_tool_calls"] is False
    assert body["reasoning"] == {"effort": "low"}
    assert body["text"] == {"verbosity": "low"}
    assert body["service_tier"] == "auto"
    assert body["store"] is False


def test_a_tool_loop_with_function_call_output(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.tool_call("lookup_customer", {"email": "[EMAIL_1]"}))
    first = dropin.respond(
        model="m", input=[{"role": "user", "content": f"Who is {EMAIL}?"}], tools=[LOOKUP]
    )
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert json.loads(call.arguments) == {"email": EMAIL}  # restored for the app
    assert call.call_id == "call_1"
    body = sent(openai_server)
    assert body["tools"] == [LOOKUP]
    # The app passes the output items back, with its tool's result, as the SDK's docs show.
    turn = [
        {"role": "user", "content": f"Who is {EMAIL}?"},
        *first.output,
        {"type": "function_call_output", "call_id": call.call_id, "output": f"{EMAIL}: VIP"},
    ]
    final = dropin.respond(model="m", input=turn, tools=[LOOKUP], tool_choice="auto")
    assert final.output_text == f"Who is {EMAIL}?"
    body = sent(openai_server)
    assert body["input"][1] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "lookup_customer",
        "arguments": '{"email": "[EMAIL_1]"}',
    }
    assert body["input"][2] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": "[EMAIL_1]: VIP",
    }
    assert body["tool_choice"] == "auto"
    assert all(EMAIL.encode() not in r.raw for r in openai_server.requests)


def test_text_format_json_schema_and_json_object(dropin, openai_server: OpenAIServer):
    schema = {
        "type": "json_schema",
        "name": "contact",
        "schema": Contact.model_json_schema(),
        "strict": True,
    }
    openai_server.reply(Reply.text('{"email": "[EMAIL_1]", "urgent": true}'))
    result = dropin.respond(model="m", input=f"Extract: {EMAIL}", text={"format": schema})
    assert json.loads(result.output_text) == {"email": EMAIL, "urgent": True}
    assert sent(openai_server)["text"] == {"format": schema}
    dropin.respond(model="m", input="As JSON", text={"format": {"type": "json_object"}})
    assert sent(openai_server)["text"] == {"format": {"type": "json_object"}}


def test_parse_gives_output_parsed(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.text('{"email": "[EMAIL_1]", "urgent": false}'))
    result = dropin.respond_parse(model="m", input=f"Extract: {EMAIL}", text_format=Contact)
    assert isinstance(result, ParsedResponse)
    assert result.output_parsed == Contact(email=EMAIL, urgent=False)
    fmt = sent(openai_server)["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Contact", True)


def test_stream_events_are_restored_across_split_placeholders(dropin, openai_server):
    # Fifteen pieces split "[EMAIL_1]" across deltas: the caller still reads whole values.
    openai_server.reply(Reply.echo(chunks=15))
    events = dropin.respond_stream(model="m", input=f"Forward to {EMAIL} today")
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == f"Forward to {EMAIL} today"
    assert not any("[EMAIL" in d or d.startswith("EMAIL") for d in deltas)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    done = events[-1].response
    assert done.output_text == f"Forward to {EMAIL} today"
    assert done.usage is not None
    assert done.usage.total_tokens > 0
    assert isinstance(events[0], openai.types.responses.ResponseCreatedEvent)
    body = sent(openai_server)
    assert body["stream"] is True
    assert body["store"] is False
    assert EMAIL.encode() not in openai_server.last.raw


def test_stream_function_call_events(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.tool_call("lookup_customer", {"email": "[EMAIL_1]"}))
    events = dropin.respond_stream(model="m", input=f"Who is {EMAIL}?", tools=[LOOKUP])
    added = [e for e in events if e.type == "response.output_item.added"]
    assert added[0].item.type == "function_call"
    assert added[0].item.name == "lookup_customer"
    args = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(args) == {"email": EMAIL}
    (done,) = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert json.loads(done.arguments) == {"email": EMAIL}
    final = events[-1].response
    assert final.output[0].type == "function_call"


def test_with_raw_response_has_the_providers_headers(dropin, openai_server: OpenAIServer):
    openai_server.reply(Reply.echo(headers={"x-ratelimit-remaining-requests": "41"}))
    raw = dropin.raw("responses", "create", model="m", input="hi")
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["x-ratelimit-remaining-requests"] == "41"
    assert raw.parse().output_text == "hi"


def test_store_true_is_refused_by_policy_before_sending(dropin, openai_server: OpenAIServer):
    with pytest.raises(errors.PolicyViolation) as info:
        dropin.respond(model="m", input="hi", store=True)
    assert info.value.rule == "require_no_store"
    assert openai_server.requests == []


def test_a_policy_that_allows_storing_sends_what_the_caller_asked(dropin_factory, openai_server):
    run = dropin_factory(
        base_url=openai_server.url,
        api_key=KEY,
        max_retries=0,
        policy={"require_no_store": False},
        audit={"enabled": False},
    )
    run.respond(model="m", input="hi")
    assert "store" not in sent(openai_server)  # the API's own default applies
    run.respond(model="m", input="hi", store=True)
    assert sent(openai_server)["store"] is True


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("previous_response_id", "resp_1", "previous_response_id"),
        ("conversation", "conv_1", "conversation"),
        ("prompt", {"id": "pmpt_1"}, "prompt"),
        ("background", True, "background"),
        ("top_logprobs", 2, "top_logprobs"),
        ("tools", [{"type": "web_search"}], "tools[0].type"),
        ("tool_choice", {"type": "web_search"}, "tool_choice"),
        ("text", {"format": {"type": "grammar"}}, "text.format.type"),
        (
            "input",
            [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}],
            "input[0].content[0].type",
        ),
        ("input", [{"type": "reasoning", "summary": []}], "input[0].type"),
    ],
)
def test_what_privllm_cannot_carry_is_refused(dropin, openai_server, option, value, field):
    kwargs = {"model": "m", "input": "hi", option: value}
    with pytest.raises(errors.InvalidRequestError) as info:
        dropin.respond(**kwargs)
    assert info.value.fields == (field,)
    assert openai_server.requests == []


def test_an_unknown_argument_is_a_type_error(dropin, openai_server):
    with pytest.raises(TypeError, match="temprature"):
        dropin.respond(model="m", input="hi", temprature=0.1)
    assert openai_server.requests == []


@pytest.mark.parametrize("name", ["retrieve", "delete", "cancel", "input_items", "compact"])
def test_what_needs_a_stored_response_is_refused(dropin, name):
    with pytest.raises(EndpointNotCovered, match="store=false"):
        getattr(dropin.client.responses, name)


def test_the_stream_helper_points_to_create(dropin):
    with pytest.raises(EndpointNotCovered, match=r"create\(stream=True\)"):
        dropin.client.responses.stream(model="m", input="hi")


def test_provider_errors_are_the_sdks_classes(dropin, openai_server):
    openai_server.reply(Reply.error(429, "slow down", retry_after=1))
    with pytest.raises(openai.RateLimitError) as info:
        dropin.respond(model="m", input=f"hi {EMAIL}")
    assert isinstance(info.value, errors.RateLimitError)
    assert EMAIL not in str(info.value)


def test_responses_are_recorded_in_the_audit_log(dropin_factory, openai_server, tmp_path: Path):
    key = MasterKey.from_base64(generate_key())
    log = tmp_path / "audit.db"
    run = dropin_factory(
        base_url=openai_server.url, api_key=KEY, max_retries=0, audit={"path": log, "key": key}
    )
    run.respond(model="m", input=f"Mail {EMAIL}")
    chain = run.client.privllm._core.chain.middleware
    next(m for m in chain if isinstance(m, AuditMiddleware)).flush()
    with AuditStore(log, key) as store:
        (record,) = store.iter_records()
    assert record.status == "ok"
    assert record.findings == {"EMAIL": 1}
    request = record.payload["request"]
    assert request["api"] == "responses"
    assert request["store"] is False
    assert request["messages"][0]["content"] == "Mail [EMAIL_1]"


def test_the_egress_guard_refuses_a_stored_responses_call(openai_server):
    # Below the policy: a Responses request without store=false never leaves, even if the
    # policy middleware were bypassed (here: the raw SDK on privllm's guarded transport).
    from privllm import Client

    config = {"provider": openai_server.provider_config(), "audit": {"enabled": False}}
    with (
        Client(env={}, **config) as c,
        pytest.raises(errors.EgressBlocked, match=r"egress\.store"),
    ):
        c.provider.sdk.responses.create(model="m", input="hi")  # type: ignore[attr-defined]
    assert openai_server.requests == []
