"""privllm's per-call overhead against the raw openai SDK, on the same local server, same run.

    python benchmarks/overhead.py [--calls 400] [--stream-calls 100]

The server runs in its own process (so its work does not share our GIL); both clients talk
to it over loopback with keep-alive. Prints median and p99 per call and the ratio
privllm / raw openai for non-streamed calls and 200-chunk streams; then prompts of 2 KB
(10 findings), 64 KB and 1 MB with all defaults on (distinct values in every 2 KB, so the
vault grows with the prompt): ratio and added time per KB; then bursts of concurrent calls
(8 threads sharing one client, 100 asyncio tasks sharing one AsyncClient, against the openai
SDK's own default clients): wall time and median latency ratios; then import times. CPU
columns: this process's CPU time per call (privllm's work and the SDK's; the server runs in
its own process), steadier than wall time on a loaded machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

TEXT = "lorem ipsum dolor sit amet " * 40  # ~1 KB answer


def _serve(port_queue: mp.Queue, stop: mp.Event, default_text: str) -> None:  # type: ignore[type-arg]
    from privllm.testing import OpenAIServer, Reply

    with OpenAIServer(default=Reply.text(default_text, chunks=200)) as server:
        port_queue.put(server.port)
        stop.wait()


def start_server(serve: Callable[..., None] = _serve) -> tuple[int, Callable[[], None]]:
    """A wire server (``serve``, e.g. ``_serve``) in its own process, so its work does not
    count as the client's: its port, and the function that stops it."""
    ctx = mp.get_context("spawn")
    port_queue, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=serve, args=(port_queue, stop, TEXT), daemon=True)
    proc.start()
    port = port_queue.get(timeout=30)

    def shutdown() -> None:
        stop.set()
        proc.join(timeout=10)

    return port, shutdown


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def interleaved(
    a: Callable[[], object],
    b: Callable[[], object],
    n: int,
    rounds: int = 5,
    cpu: list[tuple[float, float]] | None = None,
) -> tuple[list[float], list[float]]:
    """Alternate blocks of a and b so drift (thermal, other load) hits both alike.

    ``cpu``, when given, receives each round's CPU seconds per call of a and of b: this
    process's threads only (the server runs in its own), which on a loaded machine varies
    far less than wall time, where waiting for a core counts too."""
    sa: list[float] = []
    sb: list[float] = []
    per = max(1, n // rounds)
    for _ in range(rounds):
        c0 = time.process_time()
        sa += timed(a, per)
        c1 = time.process_time()
        sb += timed(b, per)
        if cpu is not None:
            cpu.append(((c1 - c0) / per, (time.process_time() - c1) / per))
    return sa, sb


def cpu_ratio(cpu: list[tuple[float, float]]) -> tuple[float, float]:
    """(median CPU seconds per call of a, of b) over the rounds ``interleaved`` recorded."""
    return statistics.median(c[0] for c in cpu), statistics.median(c[1] for c in cpu)


def import_time(module: str, repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--stream-calls", type=int, default=100)
    args = parser.parse_args()

    port, stop_server = start_server()
    base_url = f"http://127.0.0.1:{port}/v1"

    import tempfile

    import httpx2
    import openai

    from privllm import Client
    from privllm.audit import MasterKey, generate_key

    raw = openai.OpenAI(base_url=base_url, api_key="sk-bench", http_client=httpx2.Client())
    provider = {
        "name": "openai",
        "model": "m",
        "openai": {"base_url": base_url, "api_key": "sk-bench"},
    }
    # "empty chain": the built-in middleware switched off (policy checks stay: they are not
    # optional); "all defaults": redaction, policy, egress guard and the audit log on.
    bare = Client(
        env={},
        provider=provider,
        redaction={"enabled": False},
        audit={"enabled": False},
        policy={"egress_guard": False},
    )
    tmp = tempfile.TemporaryDirectory(prefix="privllm-bench-")
    full = Client(
        env={},
        provider=provider,
        audit={"path": f"{tmp.name}/audit.db", "key": MasterKey.from_base64(generate_key())},
    )
    messages = [{"role": "user", "content": "Summarise the quarterly report in three lines."}]

    def raw_chat() -> object:
        return raw.chat.completions.create(model="m", messages=messages).choices[0].message.content  # type: ignore[arg-type]

    def priv_chat() -> object:
        return bare.chat(messages).text

    def full_chat() -> object:
        return full.chat(messages).text

    def raw_stream(messages: list = messages) -> object:
        parts = []
        for chunk in raw.chat.completions.create(
            model="m",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},  # type: ignore[arg-type]
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    def priv_stream() -> object:
        with bare.stream(messages) as s:
            return "".join(c.text for c in s)

    def full_stream(messages: list = messages) -> object:
        with full.stream(messages) as s:
            return "".join(c.text for c in s)

    # With findings: the answer is restored chunk by chunk against a vault of ten values.
    pii = [{"role": "user", "content": prompt(2)}]

    assert raw_chat() == priv_chat() == full_chat() == TEXT
    assert raw_stream() == priv_stream() == full_stream() == full_stream(pii) == TEXT
    for _ in range(20):  # warm the connection pools and caches
        raw_chat()
        priv_chat()
        full_chat()

    print(f"privllm overhead vs raw openai {openai.__version__} (local server, separate process)")
    header = ("raw median", 12), ("raw p99", 11), ("privllm med", 13), ("privllm p99", 13)
    print(f"{'case':<28}" + "".join(f"{h:>{w}}" for h, w in header) + f"{'ratio':>8}"
          f"{'CPU/call':>10}{'CPU ratio':>10}")  # fmt: skip
    for name, a, b, n in (
        ("chat, empty chain", raw_chat, priv_chat, args.calls),
        ("stream 200, empty chain", raw_stream, priv_stream, args.stream_calls),
        ("chat, all defaults on", raw_chat, full_chat, args.calls),
        ("stream 200, all defaults", raw_stream, full_stream, args.stream_calls),
        (
            "stream 200, 2 KB PII prompt",
            lambda: raw_stream(pii),
            lambda: full_stream(pii),
            args.stream_calls,
        ),
    ):
        cpu: list[tuple[float, float]] = []
        sa, sb = interleaved(a, b, n, cpu=cpu)
        (ma, pa), (mb, pb) = summary(sa), summary(sb)
        ca, cb = cpu_ratio(cpu)
        print(
            f"{name:<28}{ma * 1e3:>10.3f}ms{pa * 1e3:>9.3f}ms{mb * 1e3:>11.3f}ms"
            f"{pb * 1e3:>11.3f}ms{mb / ma:>7.3f}x{cb * 1e3:>8.3f}ms{cb / ca:>9.3f}x"
        )

    prompt_sizes(raw, full, args.calls)
    concurrency(base_url, provider, tmp.name, messages)

    raw.close()
    bare.close()
    full.close()
    tmp.cleanup()
    stop_server()

    t_priv, t_openai = import_time("privllm"), import_time("openai")
    print(
        f"import privllm: {t_priv * 1e3:.0f} ms   import openai: {t_openai * 1e3:.0f} ms "
        f"(wall, best of 7, includes interpreter start)"
    )


def concurrency(base_url: str, provider: dict, folder: str, messages: list) -> None:
    """Bursts of concurrent calls, privllm (all defaults on) against the openai SDK's own
    default clients (whose pools keep 100 of 1,000 connections alive)."""
    from concurrent.futures import ThreadPoolExecutor

    import openai

    from privllm import AsyncClient, Client
    from privllm.audit import MasterKey, generate_key

    key = MasterKey.from_base64(generate_key())
    audit = {"path": f"{folder}/concurrency.db", "key": key}
    print(f"{'burst':<28}{'raw wall':>12}{'privllm wall':>14}{'ratio':>8}"
          f"{'raw med':>11}{'privllm med':>13}{'ratio':>8}")  # fmt: skip

    def report(name: str, raw: tuple[float, float], priv: tuple[float, float]) -> None:
        print(f"{name:<28}{raw[0] * 1e3:>10.1f}ms{priv[0] * 1e3:>12.1f}ms"
              f"{priv[0] / raw[0]:>7.2f}x{raw[1] * 1e3:>9.2f}ms{priv[1] * 1e3:>11.2f}ms"
              f"{priv[1] / raw[1]:>7.2f}x")  # fmt: skip

    # 8 threads x 50 calls on one shared client.
    raw_sync = openai.OpenAI(base_url=base_url, api_key="sk-bench")
    priv_sync = Client(env={}, provider=provider, audit=audit)

    def threads(call: Callable[[], object]) -> tuple[float, float]:
        def worker(_: int) -> list[float]:
            return timed(call, 50)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            samples = [x for part in pool.map(worker, range(8)) for x in part]
        return time.perf_counter() - t0, statistics.median(samples)

    raw_call = lambda: raw_sync.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]  # noqa: E731
    priv_call = lambda: priv_sync.chat(messages)  # noqa: E731
    threads(raw_call), threads(priv_call)  # warm both pools
    runs = [(threads(raw_call), threads(priv_call)) for _ in range(3)]
    report("8 threads x 50 chats", *_medians(runs))
    raw_sync.close()
    priv_sync.close()

    # 100 concurrent tasks, five bursts each, on one event loop.
    async def bursts() -> list[tuple[tuple[float, float], tuple[float, float]]]:
        raw_async = openai.AsyncOpenAI(base_url=base_url, api_key="sk-bench")
        priv_async = AsyncClient(env={}, provider=provider, audit=audit)

        async def burst(call: Callable[[], object]) -> tuple[float, float]:
            async def one() -> float:
                t = time.perf_counter()
                await call()  # type: ignore[misc]
                return time.perf_counter() - t

            t0 = time.perf_counter()
            latencies = await asyncio.gather(*(one() for _ in range(100)))
            return time.perf_counter() - t0, statistics.median(latencies)

        a = lambda: raw_async.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]  # noqa: E731
        b = lambda: priv_async.chat(messages)  # noqa: E731
        await burst(a)
        await burst(b)
        out = [(await burst(a), await burst(b)) for _ in range(5)]
        await raw_async.close()
        await priv_async.close()
        return out

    report("100 async tasks", *_medians(asyncio.run(bursts())))


def prompt(kb: int) -> str:
    """``kb`` KB of the 2 KB prompt of benchmarks/redaction.py: ten findings of eight types
    per 2 KB, the emails, IPs and card-like keys made distinct in each block."""
    from redaction import prompt_2kb

    block = prompt_2kb()
    if kb <= 2:
        return block
    parts = []
    for i in range(kb // 2):
        parts.append(
            block.replace("jane.doe@", f"jane.doe{i}@")
            .replace("bob@", f"bob{i}@")
            .replace("10.20.30.40", f"10.{i // 250 % 250}.{i % 250}.40")
            .replace("192.168.1.20", f"192.168.{i // 250 % 250}.{i % 250 + 1}")
        )
    return "".join(parts)


def prompt_sizes(raw: object, full: object, calls: int) -> None:
    """Large prompts, all defaults on: the ratio, and what privllm adds per KB of prompt
    (flat from 2 KB to 1 MB when its cost is linear in the prompt)."""
    print(f"{'prompt, all defaults on':<28}{'raw median':>12}{'privllm med':>13}{'ratio':>8}"
          f"{'added':>11}{'per KB':>11}{'CPU ratio':>11}{'CPU per KB':>12}")  # fmt: skip
    for kb, n in ((2, calls), (64, max(10, calls // 20)), (1024, 6)):
        messages = [{"role": "user", "content": prompt(kb)}]

        def raw_chat(messages: list = messages) -> object:
            return raw.chat.completions.create(model="m", messages=messages)  # type: ignore[attr-defined]

        def priv_chat(messages: list = messages) -> object:
            return full.chat(messages)  # type: ignore[attr-defined]

        raw_chat(), priv_chat()
        cpu: list[tuple[float, float]] = []
        sa, sb = interleaved(raw_chat, priv_chat, n, rounds=min(5, n), cpu=cpu)
        ma, mb = statistics.median(sa), statistics.median(sb)
        ca, cb = cpu_ratio(cpu)
        added = mb - ma
        print(f"{f'{kb} KB prompt':<28}{ma * 1e3:>10.3f}ms{mb * 1e3:>11.3f}ms{mb / ma:>7.2f}x"
              f"{added * 1e3:>9.2f}ms{added / kb * 1e6:>9.1f}us{cb / ca:>10.2f}x"
              f"{(cb - ca) / kb * 1e6:>10.1f}us")  # fmt: skip


def _medians(
    runs: list[tuple[tuple[float, float], tuple[float, float]]],
) -> tuple[tuple[float, float], tuple[float, float]]:
    raw = (statistics.median(r[0][0] for r in runs), statistics.median(r[0][1] for r in runs))
    priv = (statistics.median(r[1][0] for r in runs), statistics.median(r[1][1] for r in runs))
    return raw, priv


if __name__ == "__main__":
    main()
