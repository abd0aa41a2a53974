"""What OpenTelemetry adds to a call: the API's no-op providers, and the SDK recording.

    python benchmarks/otel.py [--calls 400] [--hooks 20000]

Two measures. Hooks alone: the middleware's on_request + on_response (and a 200-chunk
stream's hooks) on a prepared context, no network: microseconds per call, the cost itself
(the SDK exporting each span on the caller's thread into a discarding exporter).
End to end: the same client (redaction and policy on, audit off so its writer thread does
not add noise) without telemetry, with the no-op providers, and with the SDK (a
BatchSpanProcessor into a discarding exporter, a MeterProvider with a reader), against a
local server in its own process; blocks interleaved so drift hits all three alike.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from overhead import _serve, interleaved, summary

TEXT = "lorem ipsum dolor sit amet " * 40


class Discard(SpanExporter):
    """An exporter that drops spans: the cost measured is privllm's and the SDK's, not IO."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def sdk_providers(batch: bool = True) -> tuple[TracerProvider, MeterProvider]:
    """The SDK as deployed (batched spans), or with spans exported on the caller's thread
    (hooks alone: a batch queue filled faster than its thread drains it drops spans)."""
    tracer_provider = TracerProvider()
    processor = BatchSpanProcessor if batch else SimpleSpanProcessor
    tracer_provider.add_span_processor(processor(Discard()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Median over 5 blocks of n calls, in microseconds per call."""
    blocks = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        blocks.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(blocks)


def hooks(n: int) -> None:
    from privllm.integrations.otel import OpenTelemetryMiddleware
    from privllm.pipeline import CallContext
    from privllm.redaction.state import FINDINGS
    from privllm.types import ChatChunk, ChatRequest, ChatResponse, Endpoint, Message, Usage

    endpoint = Endpoint(
        provider="openai", base_url="https://api.openai.com/v1", host="api.openai.com",
        kind="enterprise_api",
    )  # fmt: skip
    request = ChatRequest(messages=[Message.user("Summarise [PERSON_1]'s memo.")], model="m")
    usage = Usage(prompt_tokens=12, completion_tokens=40, total_tokens=52)
    response = ChatResponse(
        text="ok", finish_reason="stop", usage=usage, provider="openai", model="m",
        endpoint=endpoint, id="chatcmpl-1",
    )  # fmt: skip
    chunk = ChatChunk(text="lorem ")
    last = ChatChunk(finish_reason="stop", usage=usage)
    tp, mp_ = sdk_providers(batch=False)
    cases = {"no-op API": OpenTelemetryMiddleware(), "SDK": OpenTelemetryMiddleware(
        tracer_provider=tp, meter_provider=mp_)}  # fmt: skip

    print(f"hooks alone (µs per call, median of 5 x {n}, no network)")
    print(f"{'':<12}{'chat':>10}{'stream 200':>14}")
    for name, mw in cases.items():

        def chat(mw: OpenTelemetryMiddleware = mw) -> None:
            ctx = CallContext(endpoint=endpoint)
            ctx.state[FINDINGS] = {"PERSON": 1, "EMAIL": 2}
            mw.on_request(request, ctx)
            mw.on_response(response, ctx)

        def stream(mw: OpenTelemetryMiddleware = mw) -> None:
            ctx = CallContext(endpoint=endpoint, operation="stream")
            mw.on_request(request, ctx)
            for _ in range(199):
                mw.on_chunk(chunk, ctx)
            mw.on_chunk(last, ctx)
            mw.on_stream_end(ctx)

        print(f"{name:<12}{per_call_us(chat, n):>8.1f}µs{per_call_us(stream, n // 20):>12.1f}µs")
    tp.shutdown()
    mp_.shutdown()


def end_to_end(calls: int) -> None:
    from privllm import Client

    ctx = mp.get_context("spawn")
    port_queue = ctx.Queue()
    stop = ctx.Event()
    proc = ctx.Process(target=_serve, args=(port_queue, stop, TEXT), daemon=True)
    proc.start()
    port = port_queue.get(timeout=30)
    settings = {
        "env": {},
        "provider": {
            "name": "openai",
            "model": "m",
            "openai": {"base_url": f"http://127.0.0.1:{port}/v1", "api_key": "sk-bench"},
        },
        "audit": {"enabled": False},
    }
    tp, mp_ = sdk_providers()
    off = Client(**settings)
    noop = Client(**settings, otel={"enabled": True})
    sdk = Client(**settings, otel={"enabled": True, "tracer_provider": tp, "meter_provider": mp_})
    messages = [{"role": "user", "content": "Summarise the memo for jane.doe@acme-corp.com."}]
    clients = {"off": off, "no-op API": noop, "SDK": sdk}
    for client in clients.values():
        for _ in range(20):
            client.chat(messages)

    print(f"end to end, chat (local server, {calls} calls each, interleaved)")
    print(f"{'':<12}{'median':>10}{'p99':>10}{'added (median)':>17}")
    base, _ = interleaved(lambda: off.chat(messages), lambda: None, calls)
    results = {"off": summary(base)}
    for name in ("no-op API", "SDK"):
        client = clients[name]
        sa, sb = interleaved(lambda: off.chat(messages), lambda c=client: c.chat(messages), calls)
        results[name] = summary(sb)
        results[name + " base"] = summary(sa)
    for name in ("off", "no-op API", "SDK"):
        med, p99 = results[name]
        added = "" if name == "off" else f"{(med - results[name + ' base'][0]) * 1e3:+.3f}ms"
        print(f"{name:<12}{med * 1e3:>8.3f}ms{p99 * 1e3:>8.3f}ms{added:>17}")
    for client in clients.values():
        client.close()
    tp.shutdown()
    mp_.shutdown()
    stop.set()
    proc.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--hooks", type=int, default=20000)
    args = parser.parse_args()
    hooks(args.hooks)
    end_to_end(args.calls)


if __name__ == "__main__":
    main()
