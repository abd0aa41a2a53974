"""OpenTelemetry for privllm calls: one span per call and a few metrics, never any content.

Turn it on with ``[otel] enabled = true`` (``pip install 'privllm[otel]'``). The client puts
this middleware inside redaction, next to the audit log, and it reads metadata only: names
of things (provider, model, finding types, policy rules), numbers (tokens, counts, seconds)
and error class names. Never a prompt, an answer, tool arguments, an exception message, the
placeholder map or a detected value: span attributes, events and metric points all end up
in third-party backends.

The span, named ``"{gen_ai.operation.name} {gen_ai.request.model}"``, kind CLIENT, follows
the GenAI semantic conventions: ``gen_ai.operation.name`` (``chat``, ``embeddings``),
``gen_ai.provider.name``, ``gen_ai.request.model``, ``gen_ai.response.model``,
``gen_ai.response.id``, ``gen_ai.response.finish_reasons``, ``gen_ai.usage.input_tokens``,
``gen_ai.usage.output_tokens``, ``server.address``, ``server.port``, ``error.type``; and
privllm's own: ``privllm.call.id`` (the audit record's id), ``privllm.status``
(``ok``/``error``/``blocked``/``cancelled``), ``privllm.policy.decision``
(``allow``/``route``/``deny``), ``privllm.policy.rule``, ``privllm.findings.<TYPE>``.

Metrics: ``gen_ai.client.operation.duration`` (s) and ``gen_ai.client.token.usage``
(histograms, as the conventions define them), and counters ``privllm.calls``
(by status and decision), ``privllm.calls.blocked`` (by rule) and ``privllm.findings`` (by
``privllm.finding.type``).

The span starts when the call did (before redaction) and ends with the answer, at the end of
a stream, or when the call fails or is abandoned. It is not made the current span: hooks
cannot hold a context open across the provider call (an async stream may end in another
task), so spans made inside the call (HTTP instrumentation) are its siblings, under the span
that was current when the call was made.

In code, with your own providers (the SDK's in-memory exporter here)::

    Client(otel={"enabled": True, "tracer_provider": tp, "meter_provider": mp})
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from privllm import __version__
from privllm.config import OTelConfig
from privllm.errors import ConfigError, PolicyViolation, ProviderError
from privllm.pipeline import CallContext, Middleware
from privllm.policy.middleware import ROUTE, call_decision
from privllm.redaction.state import FINDINGS
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Endpoint,
    Usage,
)

try:
    from opentelemetry import metrics, trace
except ImportError as exc:  # the extra is not installed
    raise ConfigError(
        "OpenTelemetry is configured (otel.enabled) but not installed: pip install 'privllm[otel]'",
        field="otel.enabled",
    ) from exc

__all__ = ["OpenTelemetryMiddleware"]

# GenAI semantic conventions. Spelt out rather than imported: opentelemetry-semantic-conventions
# marks them incubating (and deprecated there, moved to their own repository), and this
# module depends on opentelemetry-api only.
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_STREAM = "gen_ai.request.stream"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE = "gen_ai.request.temperature"
REQUEST_TOP_P = "gen_ai.request.top_p"
REQUEST_SEED = "gen_ai.request.seed"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
TOKEN_TYPE = "gen_ai.token.type"  # noqa: S105 - an attribute name, not a secret
EMBEDDING_DIMENSIONS = "gen_ai.embeddings.dimension.count"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
HTTP_STATUS = "http.response.status_code"
# privllm's own, for what the conventions have no name for.
CALL_ID = "privllm.call.id"
STATUS = "privllm.status"
DECISION = "privllm.policy.decision"
RULE = "privllm.policy.rule"
ROUTED_TO = "privllm.policy.route"
ENDPOINT_KIND = "privllm.endpoint.kind"
FINDINGS_PREFIX = "privllm.findings."
FINDING_TYPE = "privllm.finding.type"

# Bucket boundaries the conventions advise for the two GenAI histograms.
_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                     40.96, 81.92]  # fmt: skip
_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                  16777216, 67108864]  # fmt: skip

_CALL = "otel.call"  # ctx.state key: this call's _Call
_CANCELLED = (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)


class _Call:
    """The span of one call and what its stream has shown so far."""

    __slots__ = ("attributes", "done", "finish", "span", "usage")

    def __init__(self, span: trace.Span, attributes: dict[str, Any]) -> None:
        self.span = span
        self.attributes = attributes  # the low-cardinality ones, shared with the metrics
        self.done = False
        self.finish: str | None = None
        self.usage: Usage | None = None


class OpenTelemetryMiddleware(Middleware):
    """A span per call and GenAI metrics, without content. Unset providers mean the global ones.

    Configure it (``Client(otel={"enabled": True})``), or pass an instance as ``middleware=``:
    either way it runs inside redaction and policy (its ``place`` is ``"inside_redaction"``),
    so it sees placeholders only and the policy decision. Configured, it also runs inside
    your own inside-redaction middleware, so its span records an error one of them raised.

    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> OpenTelemetryMiddleware(tracer_provider=TracerProvider())
    OpenTelemetryMiddleware()
    """

    #: Telemetry leaves the process: it runs where values are placeholders.
    place = "inside_redaction"

    def __init__(self, *, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self._tracer = trace.get_tracer("privllm", __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter("privllm", __version__, meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self._calls = meter.create_counter(
            "privllm.calls", unit="{call}", description="Calls, by outcome and policy decision"
        )
        self._blocked = meter.create_counter(
            "privllm.calls.blocked", unit="{call}", description="Calls refused, by rule"
        )
        self._findings = meter.create_counter(
            "privllm.findings", unit="{finding}", description="Values redacted, by type"
        )

    @classmethod
    def from_config(cls, config: OTelConfig) -> OpenTelemetryMiddleware:
        return cls(tracer_provider=config.tracer_provider, meter_provider=config.meter_provider)

    def __repr__(self) -> str:
        return "OpenTelemetryMiddleware()"

    # -- hooks ---------------------------------------------------------------------------------

    def on_request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        span_attributes: dict[str, Any] = {REQUEST_STREAM: ctx.operation == "stream"}
        for key, value in (
            (REQUEST_MAX_TOKENS, request.max_tokens),
            (REQUEST_TEMPERATURE, request.temperature),
            (REQUEST_TOP_P, request.top_p),
            (REQUEST_SEED, request.seed),
        ):
            if value is not None:
                span_attributes[key] = value
        self._start(ctx, request.model, span_attributes)
        return request

    def on_embedding_request(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        self._start(ctx, request.model, {})
        return request

    def on_response(self, response: ChatResponse, ctx: CallContext) -> ChatResponse:
        call = self._call(ctx)
        if not call.done:
            span = call.span
            span.set_attribute(RESPONSE_MODEL, response.model)
            if response.id:
                span.set_attribute(RESPONSE_ID, response.id)
            if response.finish_reason:
                span.set_attribute(FINISH_REASONS, [response.finish_reason])
            self._end(ctx, call, None, response.usage, response.model)
        return response

    def on_embedding_response(
        self, response: EmbeddingResponse, ctx: CallContext
    ) -> EmbeddingResponse:
        call = self._call(ctx)
        if not call.done:
            call.span.set_attribute(RESPONSE_MODEL, response.model)
            if response.vectors:
                call.span.set_attribute(EMBEDDING_DIMENSIONS, len(response.vectors[0]))
            self._end(ctx, call, None, response.usage, response.model)
        return response

    def on_chunk(self, chunk: ChatChunk, ctx: CallContext) -> Iterable[ChatChunk]:
        call: _Call | None = ctx.state.get(_CALL)
        if call is not None:
            if chunk.finish_reason is not None:
                call.finish = chunk.finish_reason
            if chunk.usage is not None:
                call.usage = chunk.usage
        return (chunk,)

    def on_stream_end(self, ctx: CallContext) -> Iterable[ChatChunk]:
        call = self._call(ctx)
        if not call.done:
            if call.finish:
                call.span.set_attribute(FINISH_REASONS, [call.finish])
            self._end(ctx, call, None, call.usage, None)
        return ()

    def on_error(self, error: BaseException, ctx: CallContext) -> None:
        call = self._call(ctx)
        if not call.done:
            self._end(ctx, call, error, call.usage, None)

    # -- spans and metrics ---------------------------------------------------------------------

    def _start(self, ctx: CallContext, model: str | None, extra: dict[str, Any]) -> _Call:
        operation = "embeddings" if ctx.operation == "embed" else "chat"
        endpoint = ctx.endpoint
        attributes: dict[str, Any] = {
            OPERATION: operation,
            PROVIDER: _provider_name(endpoint),
            SERVER_ADDRESS: endpoint.host,
        }
        port = _port(endpoint.base_url)
        if port is not None:
            attributes[SERVER_PORT] = port
        if model:
            attributes[REQUEST_MODEL] = model
        # The call began before redaction ran: start the span then, on the wall clock.
        started_ns = time.time_ns() - int((time.monotonic() - ctx.started) * 1e9)
        span = self._tracer.start_span(
            f"{operation} {model}" if model else operation,
            kind=trace.SpanKind.CLIENT,
            attributes={**attributes, **extra, CALL_ID: ctx.call_id},
            start_time=started_ns,
        )
        call = ctx.state[_CALL] = _Call(span, attributes)
        return call

    def _call(self, ctx: CallContext) -> _Call:
        call: _Call | None = ctx.state.get(_CALL)
        if call is None:
            # Refused before this middleware saw the request (redaction block, policy): the
            # span still records the call, without the model the request named.
            call = self._start(ctx, None, {})
        return call

    def _end(
        self,
        ctx: CallContext,
        call: _Call,
        error: BaseException | None,
        usage: Usage | None,
        response_model: str | None,
    ) -> None:
        call.done = True
        span = call.span
        attributes = call.attributes
        # Routing or a fallback may have moved the call since it started.
        endpoint = ctx.endpoint
        attributes[PROVIDER] = _provider_name(endpoint)
        attributes[SERVER_ADDRESS] = endpoint.host
        port = _port(endpoint.base_url)
        if port is not None:
            attributes[SERVER_PORT] = port
        if response_model:
            attributes[RESPONSE_MODEL] = response_model
        decision, rule = call_decision(ctx, error)
        status = _status(error)
        if error is not None and status != "cancelled":
            # The class name only: a message may quote the request (in placeholder form).
            attributes[ERROR_TYPE] = type(error).__name__
        span_attributes: dict[str, Any] = {
            **attributes,
            STATUS: status,
            DECISION: decision,
            ENDPOINT_KIND: endpoint.kind,
        }
        if rule:
            span_attributes[RULE] = rule
        route = ctx.state.get(ROUTE)
        if route:
            span_attributes[ROUTED_TO] = route
        if isinstance(error, ProviderError) and error.status_code is not None:
            span_attributes[HTTP_STATUS] = error.status_code
        if usage is not None:
            span_attributes[INPUT_TOKENS] = usage.prompt_tokens
            span_attributes[OUTPUT_TOKENS] = usage.completion_tokens
        findings: Mapping[str, int] = ctx.state.get(FINDINGS) or {}
        for kind, count in findings.items():
            if count:
                span_attributes[FINDINGS_PREFIX + kind] = count
        span.set_attributes(span_attributes)
        if status in ("error", "blocked"):
            # No description: exception messages stay out of telemetry.
            span.set_status(trace.StatusCode.ERROR)
        span.end()

        operation = attributes[OPERATION]
        self._calls.add(
            1, {OPERATION: operation, PROVIDER: attributes[PROVIDER], STATUS: status,
                DECISION: decision},
        )  # fmt: skip
        for kind, count in findings.items():
            if count:
                self._findings.add(count, {OPERATION: operation, FINDING_TYPE: kind})
        if status == "blocked":
            # Never sent: no operation took place, so no GenAI duration or token points.
            self._blocked.add(1, {OPERATION: operation, RULE: rule or "unknown"})
            return
        self._duration.record(time.monotonic() - ctx.started, attributes)
        if usage is not None:
            self._tokens.record(usage.prompt_tokens, {**attributes, TOKEN_TYPE: "input"})
            self._tokens.record(usage.completion_tokens, {**attributes, TOKEN_TYPE: "output"})


def _status(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, PolicyViolation):
        return "blocked"
    if isinstance(error, _CANCELLED):
        return "cancelled"
    return "error"


def _provider_name(endpoint: Endpoint) -> str:
    """The conventions' ``gen_ai.provider.name`` for an endpoint."""
    if endpoint.provider == "azure":
        return "azure.ai.openai"
    if endpoint.provider == "google":
        host = endpoint.host
        if host.endswith("generativelanguage.googleapis.com"):
            return "gcp.gemini"
        if "aiplatform" in host:
            return "gcp.vertex_ai"
        return "gcp.gen_ai"  # a base_url override: either API
    return endpoint.provider  # openai, and OpenAI-compatible servers spoken to as OpenAI


@lru_cache(maxsize=64)
def _port(base_url: str) -> int | None:
    parts = urlsplit(base_url)
    try:
        port = parts.port
    except ValueError:
        return None
    if port is not None:
        return port
    return {"https": 443, "http": 80}.get(parts.scheme)
