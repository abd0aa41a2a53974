"""OpenTelemetry (issue 16, part 3): a span per call and metrics, never any content.

Every case runs through ``Client`` and ``AsyncClient`` against the local OpenAI wire server,
with the SDK's in-memory span exporter and metric reader. The proof is taken from outside:
everything the exporters hold (spans with their events, links and resource; every metric
data point) is serialised and searched for the detected values and the prompt's words.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from privllm import Client
from privllm.audit.middleware import AuditMiddleware
from privllm.errors import PolicyViolation, RedactionBlocked, ServerError
from privllm.integrations.otel import OpenTelemetryMiddleware
from privllm.policy.middleware import PolicyMiddleware
from privllm.redaction.middleware import RedactionMiddleware
from privllm.testing import OpenAIServer, Reply
from privllm.types import ToolDefinition

NAME = "Jane Doe"
EMAIL = "jane.doe@acme-corp.com"
CARD = "4111 1111 1111 1111"
SSN = "536-22-1847"
VALUES = [NAME, EMAIL, CARD, SSN, "4111111111111111", "536221847", "Jane", "acme-corp"]
# Words nothing else in a span or metric could hold: from the prompt, the tool, the answer
# and the provider's error text.
WORDS = ["quokka", "zanzibar", "marmalade", "pangolin", "okapi", "narwhal"]
PROMPT = f"Quokka zanzibar memo for {NAME} ({EMAIL}), SSN {SSN}."
PLACEHOLDERS = ["[PERSON_1]", "[EMAIL_1]", "[US_SSN_1]", "PERSON_1", "EMAIL_1", "US_SSN_1"]
LOOKUP = ToolDefinition(
    name="lookup",
    description="Marmalade lookup",
    parameters={"type": "object", "properties": {"okapi": {"type": "string"}}},
)


class Telemetry:
    """An SDK tracer and meter provider writing to memory, and a dump of all they hold."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def config(self) -> dict:
        return {
            "enabled": True,
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
        }

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def points(self, name: str) -> list:
        data = self.reader.get_metrics_data()
        return [
            point
            for rm in (data.resource_metrics if data else [])
            for sm in rm.scope_metrics
            for metric in sm.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]

    def dump(self) -> str:
        """Every span (attributes, events, links, status, resource) and metric point."""
        spans = [span.to_json() for span in self.spans()]
        data = self.reader.get_metrics_data()
        return "\n".join([*spans, data.to_json() if data else ""])

    def close(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


@pytest.fixture
def telemetry():
    t = Telemetry()
    yield t
    t.close()


def settings(server: OpenAIServer, telemetry: Telemetry, **extra) -> dict:
    return {
        "provider": {**server.provider_config(), "max_retries": 0},
        "redaction": {"terms": {"PERSON": [NAME]}, "actions": {"CREDIT_CARD": "block"}},
        "otel": telemetry.config(),
        **extra,
    }


def attrs(span: ReadableSpan) -> dict:
    return dict(span.attributes or {})


# -- the proof: nothing the exporters hold carries content -------------------------------------


def test_no_value_placeholder_or_prompt_word_in_any_span_metric_or_log(
    runner_factory, openai_server, telemetry, caplog
):
    caplog.set_level(logging.DEBUG)
    run = runner_factory(**settings(openai_server, telemetry))
    # chat (the answer echoes the prompt: placeholders on the wire, values for the caller)
    assert EMAIL in run.chat(PROMPT).text
    # stream
    chunks, _ = run.stream(PROMPT)
    assert EMAIL in "".join(c.text for c in chunks)
    # tools: a call whose arguments carry a placeholder and a prompt word
    openai_server.reply(Reply.tool_call("lookup", {"okapi": "[EMAIL_1] pangolin"}))
    answer = run.chat(PROMPT, tools=[LOOKUP])
    assert EMAIL in answer.tool_calls[0].arguments
    openai_server.reply(Reply.tool_call("lookup", {"okapi": "[EMAIL_1] pangolin"}, chunks=3))
    run.stream(PROMPT, tools=[LOOKUP])
    # embeddings
    run.embed([PROMPT, f"narwhal {EMAIL}"])
    # a call redaction blocks
    with pytest.raises(RedactionBlocked, match="CREDIT_CARD"):
        run.chat(f"{PROMPT} card {CARD}")
    # a provider error whose text quotes the request
    openai_server.reply(Reply.error(500, "upstream failed on [PERSON_1] narwhal quokka"))
    with pytest.raises(ServerError):
        run.chat(PROMPT)
    # a stream the caller leaves early
    run.stream_first(PROMPT)

    assert len(telemetry.spans()) == 8
    dump = telemetry.dump()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for where, text in (("telemetry", dump), ("logs", logged)):
        for value in VALUES + PLACEHOLDERS:
            assert value not in text, f"{value!r} in {where}"
        lowered = text.lower()
        for word in WORDS:
            assert word not in lowered, f"{word!r} in {where}"
    assert "upstream failed" not in dump  # no exception message either
    for span in telemetry.spans():
        assert span.events == ()
        assert span.status.description is None


# -- what the span says ------------------------------------------------------------------------


def test_a_chat_span_follows_the_genai_conventions(runner_factory, openai_server, telemetry):
    run = runner_factory(**settings(openai_server, telemetry))
    answer = run.chat(PROMPT, temperature=0.2, max_tokens=50)
    (span,) = telemetry.spans()
    assert span.name == "chat test-model"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    a = attrs(span)
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == a["gen_ai.response.model"] == "test-model"
    assert a["gen_ai.request.stream"] is False
    assert a["gen_ai.request.temperature"] == 0.2
    assert a["gen_ai.request.max_tokens"] == 50
    assert a["gen_ai.response.id"] == answer.id
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert a["gen_ai.usage.input_tokens"] == answer.usage.prompt_tokens > 0
    assert a["gen_ai.usage.output_tokens"] == answer.usage.completion_tokens > 0
    assert a["server.address"] == "127.0.0.1"
    assert a["server.port"] == openai_server.port
    assert a["privllm.status"] == "ok"
    assert a["privllm.policy.decision"] == "allow"
    assert "privllm.policy.rule" not in a
    assert a["privllm.findings.PERSON"] == 1
    assert a["privllm.findings.EMAIL"] == 1
    assert a["privllm.findings.US_SSN"] == 1
    assert len(a["privllm.call.id"]) == 32
    assert "error.type" not in a
    assert span.end_time > span.start_time


def test_the_span_times_the_whole_call(runner_factory, openai_server, telemetry):
    openai_server.reply(Reply.echo(delay=0.2))
    run = runner_factory(**settings(openai_server, telemetry))
    run.chat("hi")
    (span,) = telemetry.spans()
    assert span.end_time - span.start_time >= 200_000_000
    (point,) = telemetry.points("gen_ai.client.operation.duration")
    assert point.sum >= 0.2


def test_a_stream_span_ends_when_the_stream_does(runner_factory, openai_server, telemetry):
    run = runner_factory(**settings(openai_server, telemetry))
    if run.kind == "sync":
        with run.client.stream("one two three") as stream:
            next(iter(stream))
            assert telemetry.spans() == []  # open while the answer is still coming
            rest = list(stream)
        assert rest
    else:
        run.stream("one two three")
    (span,) = telemetry.spans()
    a = attrs(span)
    assert span.name == "chat test-model"
    assert a["gen_ai.request.stream"] is True
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert a["gen_ai.usage.output_tokens"] > 0
    assert a["privllm.status"] == "ok"


def test_a_stream_left_early_ends_its_span_as_cancelled(runner_factory, openai_server, telemetry):
    run = runner_factory(**settings(openai_server, telemetry))
    run.stream_first("one two three four")
    (span,) = telemetry.spans()
    assert attrs(span)["privllm.status"] == "cancelled"
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in attrs(span)


def test_embeddings_span(runner_factory, openai_server, telemetry):
    run = runner_factory(**settings(openai_server, telemetry))
    response = run.embed(["a", "b"])
    (span,) = telemetry.spans()
    a = attrs(span)
    assert span.name == f"embeddings {openai_server.embedding_model}"
    assert a["gen_ai.operation.name"] == "embeddings"
    assert a["gen_ai.request.model"] == openai_server.embedding_model
    assert a["gen_ai.embeddings.dimension.count"] == len(response.vectors[0])
    assert a["gen_ai.usage.input_tokens"] == response.usage.prompt_tokens


def test_a_provider_error_is_an_error_span_with_its_class_only(
    runner_factory, openai_server, telemetry
):
    openai_server.reply(Reply.error(500, "upstream failed on [PERSON_1]"))
    run = runner_factory(**settings(openai_server, telemetry))
    with pytest.raises(ServerError):
        run.chat(PROMPT)
    (span,) = telemetry.spans()
    a = attrs(span)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is None
    assert span.events == ()  # no recorded exception: its message would be content
    assert a["error.type"] == "ServerError"
    assert a["http.response.status_code"] == 500
    assert a["privllm.status"] == "error"
    (point,) = telemetry.points("gen_ai.client.operation.duration")
    assert point.attributes["error.type"] == "ServerError"


def test_a_blocked_call_is_a_span_and_a_blocked_count(runner_factory, openai_server, telemetry):
    run = runner_factory(**settings(openai_server, telemetry))
    with pytest.raises(RedactionBlocked, match="CREDIT_CARD"):
        run.chat(f"{PROMPT} card {CARD}")
    assert openai_server.requests == []
    (span,) = telemetry.spans()
    a = attrs(span)
    assert span.name == "chat"  # refused before the request reached telemetry: no model
    assert span.status.status_code is StatusCode.ERROR
    assert a["error.type"] == "RedactionBlocked"
    assert a["privllm.status"] == "blocked"
    assert a["privllm.policy.decision"] == "deny"
    assert a["privllm.policy.rule"] == "redaction.block"
    (blocked,) = telemetry.points("privllm.calls.blocked")
    assert blocked.value == 1
    assert blocked.attributes["privllm.policy.rule"] == "redaction.block"
    # never sent: no GenAI operation, so no duration or token points
    assert telemetry.points("gen_ai.client.operation.duration") == []
    assert telemetry.points("gen_ai.client.token.usage") == []


def test_a_policy_refusal_names_its_rule(runner_factory, openai_server, telemetry):
    run = runner_factory(
        **settings(openai_server, telemetry, policy={"denied_hosts": ["127.0.0.1"]})
    )
    with pytest.raises(PolicyViolation, match="denied_hosts"):
        run.chat("hi")
    (span,) = telemetry.spans()
    assert attrs(span)["privllm.policy.rule"] == "denied_hosts"
    assert attrs(span)["privllm.policy.decision"] == "deny"


def test_a_routed_call_names_the_route(runner_factory, openai_server, telemetry):
    with OpenAIServer() as local:
        run = runner_factory(
            **settings(
                openai_server,
                telemetry,
                providers={"local": {**local.provider_config(), "model": "llama-local"}},
                policy={"sensitive_types": ["US_SSN"], "route_sensitive_to": "local"},
            )
        )
        run.chat(f"SSN {SSN}")
        assert len(local.requests) == 1
        port = local.port
    (span,) = telemetry.spans()
    a = attrs(span)
    assert a["privllm.policy.decision"] == "route"
    assert a["privllm.policy.rule"] == "route_sensitive_to"
    assert a["privllm.policy.route"] == "local"
    assert a["server.port"] == port
    assert a["gen_ai.response.model"] == "llama-local"


def test_a_fallback_reports_where_the_call_went(runner_factory, openai_server, telemetry):
    with OpenAIServer() as backup:
        run = runner_factory(
            **settings(
                openai_server,
                telemetry,
                providers={"backup": {**backup.provider_config(), "model": "backup-model"}},
                policy={"fallbacks": ["backup"]},
            )
        )
        openai_server.reply(Reply.error(500, "down"))
        run.chat("hello")
        port = backup.port
    (span,) = telemetry.spans()
    a = attrs(span)
    assert a["server.port"] == port
    assert (a["privllm.policy.decision"], a["privllm.policy.rule"]) == ("route", "fallback")
    assert a["gen_ai.response.model"] == "backup-model"
    assert a["privllm.status"] == "ok"  # the failure it recovered from is not the call's


@pytest.mark.parametrize(
    ("fixture", "mode", "name"),
    [
        ("azure_server", None, "azure.ai.openai"),
        ("gemini_server", "vertex", "gcp.gen_ai"),  # a base_url override: either Google API
        ("gemini_server", "gemini_api", "gcp.gen_ai"),
    ],
)
def test_provider_names_follow_the_conventions(request, telemetry, fixture, mode, name):
    server = request.getfixturevalue(fixture)
    provider = server.provider_config(mode) if mode else server.provider_config()
    with Client(env={}, provider=provider, otel=telemetry.config()) as client:
        client.chat("hi")
    (span,) = telemetry.spans()
    assert attrs(span)["gen_ai.provider.name"] == name
    assert attrs(span)["gen_ai.request.model"] == server.model


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("generativelanguage.googleapis.com", "gcp.gemini"),
        ("aiplatform.googleapis.com", "gcp.vertex_ai"),
        ("europe-west4-aiplatform.googleapis.com", "gcp.vertex_ai"),
    ],
)
def test_google_hosts_name_their_api(host, name):
    from privllm.integrations.otel import _provider_name
    from privllm.types import Endpoint

    endpoint = Endpoint(
        provider="google", base_url=f"https://{host}/", host=host, kind="enterprise_api"
    )
    assert _provider_name(endpoint) == name


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_count_calls_findings_and_tokens(runner_factory, openai_server, telemetry):
    run = runner_factory(**settings(openai_server, telemetry))
    first = run.chat(PROMPT)
    run.chat(f"again {EMAIL}")
    with pytest.raises(RedactionBlocked, match="CREDIT_CARD"):
        run.chat(f"card {CARD}")

    calls = {
        (p.attributes["privllm.status"], p.attributes["privllm.policy.decision"]): p.value
        for p in telemetry.points("privllm.calls")
    }
    assert calls == {("ok", "allow"): 2, ("blocked", "deny"): 1}
    findings = {p.attributes["privllm.finding.type"]: p.value for p in telemetry.points(
        "privllm.findings")}  # fmt: skip
    assert findings == {"EMAIL": 2, "PERSON": 1, "US_SSN": 1}
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert duration.count == 2
    assert duration.attributes["gen_ai.operation.name"] == "chat"
    assert duration.attributes["gen_ai.provider.name"] == "openai"
    assert duration.attributes["gen_ai.request.model"] == "test-model"
    tokens = {p.attributes["gen_ai.token.type"]: p for p in telemetry.points(
        "gen_ai.client.token.usage")}  # fmt: skip
    assert set(tokens) == {"input", "output"}
    assert tokens["input"].count == 2
    assert tokens["input"].min <= first.usage.prompt_tokens <= tokens["input"].max


# -- configuration and placement ---------------------------------------------------------------


def test_it_sits_inside_redaction_and_policy_next_to_audit(openai_server, telemetry):
    with Client(env={}, **settings(openai_server, telemetry)) as client:
        kinds = [type(m) for m in client._core.chain.middleware]
    assert kinds == [
        RedactionMiddleware,
        PolicyMiddleware,
        OpenTelemetryMiddleware,
        AuditMiddleware,
    ]


def test_an_instance_passed_as_middleware_also_sits_inside(openai_server, telemetry):
    mw = OpenTelemetryMiddleware(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    config = {**settings(openai_server, telemetry), "otel": {"enabled": False}}
    with Client(env={}, middleware=[mw], **config) as client:
        kinds = [type(m) for m in client._core.chain.middleware]
        client.chat(f"narwhal {EMAIL}")
    assert kinds == [
        RedactionMiddleware,
        PolicyMiddleware,
        OpenTelemetryMiddleware,
        AuditMiddleware,
    ]
    (span,) = telemetry.spans()
    assert attrs(span)["privllm.policy.decision"] == "allow"  # it saw policy decide
    assert attrs(span)["privllm.findings.EMAIL"] == 1


def test_off_by_default(openai_server):
    with Client(env={}, provider=openai_server.provider_config()) as client:
        chain = client._core.chain.middleware
    assert not any(isinstance(m, OpenTelemetryMiddleware) for m in chain)


def test_turned_on_from_the_environment_it_uses_the_global_providers(openai_server):
    env = {"PRIVLLM_OTEL__ENABLED": "true"}
    with Client(env=env, provider=openai_server.provider_config()) as client:
        assert client.config.otel.enabled
        assert any(isinstance(m, OpenTelemetryMiddleware) for m in client._core.chain.middleware)
        client.chat("hi")  # the API's no-op providers: nothing recorded, nothing fails


def test_a_missing_extra_fails_with_the_pip_line():
    code = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None  # as if not installed\n"
        "from privllm import Client\n"
        "from privllm.errors import ConfigError\n"
        "try:\n"
        "    Client(env={}, provider={'name': 'openai', 'openai': {'api_key': 'sk-x'}},\n"
        "           audit={'enabled': False}, otel={'enabled': True})\n"
        "except ConfigError as exc:\n"
        "    print(json.dumps([str(exc), exc.field]))\n"
    ).replace("import sys\n", "import json, sys\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    message, field = json.loads(out.stdout)
    assert "pip install 'privllm[otel]'" in message
    assert field == "otel.enabled"


def test_the_providers_are_never_dumped(telemetry):
    from privllm.config import load_config

    config = load_config(env={}, otel=telemetry.config())
    assert config.otel.tracer_provider is telemetry.tracer_provider
    assert config.model_dump()["otel"] == {"enabled": True}
