"""The whole pipeline with the audit log on, against the raw openai SDK in the same run.

    python benchmarks/audit_pipeline.py [--calls 400] [--stream-calls 100]

Same local server (own process) and harness as benchmarks/overhead.py. Prints per-call
medians and the ratio privllm / raw openai for: audit off, audit on (``redacted``, the
default), ``full``, and ``require_record`` (each call waits for its commit); a 200-chunk
stream with audit on; then what the audit hooks cost the caller's thread per call (the part
that runs on an event loop), and checks the records.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import TEXT, _serve, interleaved, summary

PROMPT = "Summarise the call with Jane Doe (jane.doe@acme-corp.com) in three lines."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--stream-calls", type=int, default=100)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port_queue, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_serve, args=(port_queue, stop, TEXT), daemon=True)
    proc.start()
    base_url = f"http://127.0.0.1:{port_queue.get(timeout=30)}/v1"

    import httpx2
    import openai

    from privllm import Client
    from privllm.audit import AuditStore, MasterKey, generate_key
    from privllm.audit.middleware import AuditMiddleware

    tmp = Path(tempfile.mkdtemp(prefix="privllm-bench-"))
    key = MasterKey.from_base64(generate_key())
    provider = {"name": "openai", "model": "m",
                "openai": {"base_url": base_url, "api_key": "sk-bench"}}  # fmt: skip
    redaction = {"terms": {"PERSON": ["Jane Doe"]}}

    def client(**audit: object) -> Client:
        return Client(env={}, provider=provider, redaction=redaction, audit=audit)

    raw = openai.OpenAI(base_url=base_url, api_key="sk-bench", http_client=httpx2.Client())
    off = client(enabled=False)
    on = client(path=tmp / "redacted.db", key=key)
    full = client(path=tmp / "full.db", key=key, content="full")
    strict = client(path=tmp / "strict.db", key=key, require_record=True)
    messages = [{"role": "user", "content": PROMPT}]

    def raw_chat() -> object:
        return raw.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]

    def raw_stream() -> object:
        stream = raw.chat.completions.create(
            model="m", messages=messages, stream=True,  # type: ignore[arg-type]
            stream_options={"include_usage": True},  # type: ignore[arg-type]
        )  # fmt: skip
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    def stream_with(c: Client) -> object:
        with c.stream(PROMPT) as s:
            return "".join(chunk.text for chunk in s)

    for _ in range(20):  # warm pools and caches
        raw_chat()
        for c in (off, on, full, strict):
            c.chat(PROMPT)

    print(f"privllm with audit vs raw openai {openai.__version__} (local server, own process)")
    print(f"{'case':<34}{'raw median':>12}{'privllm med':>13}{'privllm p99':>13}{'ratio':>8}")
    cases = (
        ("chat, redaction, audit off", raw_chat, lambda: off.chat(PROMPT), args.calls),
        ("chat, redaction, audit redacted", raw_chat, lambda: on.chat(PROMPT), args.calls),
        ("chat, redaction, audit full", raw_chat, lambda: full.chat(PROMPT), args.calls),
        ("chat, audit require_record", raw_chat, lambda: strict.chat(PROMPT), args.calls),
        ("stream 200 chunks, audit redacted", raw_stream, lambda: stream_with(on),
         args.stream_calls),
    )  # fmt: skip
    for name, a, b, n in cases:
        sa, sb = interleaved(a, b, n)
        (ma, _), (mb, pb) = summary(sa), summary(sb)
        print(f"{name:<34}{ma * 1e3:>10.3f}ms{mb * 1e3:>11.3f}ms{pb * 1e3:>11.3f}ms"
              f"{mb / ma:>7.3f}x")  # fmt: skip

    # The caller-thread cost of the audit hooks alone: build the record and queue it.
    audit = next(m for m in on._core.chain.middleware if isinstance(m, AuditMiddleware))
    from privllm.pipeline import CallContext
    from privllm.types import ChatRequest, ChatResponse, Message

    request = ChatRequest(messages=[Message.user(PROMPT)], model="m")
    response = ChatResponse(text=TEXT, provider="openai", model="m",
                            endpoint=on.provider.endpoint)  # fmt: skip
    samples = []
    for _ in range(5000):
        call = CallContext(endpoint=on.provider.endpoint)
        t0 = time.perf_counter()
        audit.on_request(request, call)
        audit.on_response(response, call)
        samples.append(time.perf_counter() - t0)
        if len(samples) % 1000 == 0:
            audit.flush()  # keep the queue short, as a real call rate would
    print(f"audit hooks on the caller's thread: median {statistics.median(samples) * 1e6:.1f} us, "
          f"p99 {sorted(samples)[int(len(samples) * 0.99)] * 1e6:.1f} us per call")  # fmt: skip

    for c in (off, on, full, strict):
        c.close()
    raw.close()
    with AuditStore(tmp / "redacted.db", key) as store:
        report = store.verify_or_raise()
    print(f"records in the redacted log: {report.records} (verified)")
    stop.set()
    proc.join(timeout=10)


if __name__ == "__main__":
    main()
