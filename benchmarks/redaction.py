"""Redaction on the hot path: redact + restore of a prompt, streaming restoration latency,
and the whole pipeline with redaction on against the raw openai SDK in the same run.

    python benchmarks/redaction.py

(Detector throughput in MB/s and recall/precision: benchmarks/redaction_detect.py.)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import _serve, interleaved, summary

from privllm.redaction.redactor import Redactor
from privllm.redaction.restore import StreamRestorer
from privllm.redaction.vault import Vault

FINDINGS = [
    "jane.doe@acme-corp.com",
    "+1 415 555 0132",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "10.20.30.40",
    "sk-proj-Q3JvbGxpbmdTdG9uZXNfMjAyNg7x",
    "bob@example.org",
    "5500 0000 0000 0004",
    "192.168.1.20",
    "AKIAIOSFODNN7EXAMPLE",
]


def prompt_2kb() -> str:
    filler = (
        "The quarterly numbers look fine but the customer escalated twice about the invoice, "
        "and we promised a written answer by Friday with the corrected amounts. "
    )
    parts = []
    for value in FINDINGS:
        parts.append(filler)
        parts.append(f"Reference {value}. ")
    text = "".join(parts)
    while len(text) < 2048:
        text += filler
    return text[:2048] if len(text) > 2200 else text


def per_call(fn, n: int = 2000) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    redactor = Redactor.from_types()
    text = prompt_2kb()
    vault = Vault()
    redacted = redactor.redact(text, vault)
    found = sum(redacted.counts.values())

    def round_trip() -> None:
        v = Vault()
        v.reserve_from([text])
        r = redactor.redact(text, v)
        assert v.restore(r.text) == text

    samples = per_call(round_trip)
    print(
        f"redact + restore, {len(text)} chars, {found} findings: "
        f"median {statistics.median(samples) * 1e6:.0f} us, "
        f"p99 {sorted(samples)[int(len(samples) * 0.99)] * 1e6:.0f} us   (bar: < 200 us median)"
    )

    # Streaming: time from the first provider chunk to the first restored text, in chunks of
    # 4 characters (a typical token), over the redacted answer.
    answer = redacted.text
    pieces = [answer[i : i + 4] for i in range(0, len(answer), 4)]

    def first_token() -> None:
        restorer = StreamRestorer(vault)
        for piece in pieces:
            if restorer.feed(piece):
                return

    ttft = per_call(first_token, 5000)

    def whole_stream() -> None:
        restorer = StreamRestorer(vault)
        for piece in pieces:
            restorer.feed(piece)
        restorer.flush()

    full = per_call(whole_stream, 500)
    print(
        f"stream restore: first text after {statistics.median(ttft) * 1e6:.1f} us median "
        f"(bar: < 1 ms added to time-to-first-token); whole {len(pieces)}-chunk answer "
        f"{statistics.median(full) * 1e6:.0f} us"
    )

    # Whole pipeline against the raw SDK, same server, same run.
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    port_queue, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(
        target=_serve, args=(port_queue, stop, "Noted, we will answer by Friday."), daemon=True
    )
    proc.start()
    base_url = f"http://127.0.0.1:{port_queue.get(timeout=30)}/v1"

    import httpx2
    import openai

    from privllm import Client

    raw = openai.OpenAI(base_url=base_url, api_key="sk-bench", http_client=httpx2.Client())
    priv = Client(
        env={},
        provider={
            "name": "openai",
            "model": "m",
            "openai": {"base_url": base_url, "api_key": "sk-bench"},
        },
        audit={"enabled": False},  # redaction alone: the audit log has its own benchmark
        policy={"egress_guard": False},  # so has the guard (docs/egress.md)
    )
    messages = [{"role": "user", "content": text}]

    def raw_chat() -> object:
        return raw.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]

    def priv_chat() -> object:
        return priv.chat(text)

    for _ in range(20):
        raw_chat()
        priv_chat()
    sa, sb = interleaved(raw_chat, priv_chat, 400)
    (ma, _), (mb, _) = summary(sa), summary(sb)
    print(
        f"chat with a 2 KB prompt, redaction on: raw openai {ma * 1e3:.3f} ms, "
        f"privllm {mb * 1e3:.3f} ms, ratio {mb / ma:.3f}x"
    )
    raw.close()
    priv.close()
    stop.set()
    proc.join(timeout=10)


if __name__ == "__main__":
    main()
