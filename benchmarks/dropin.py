"""The openai drop-in (``privllm.openai.OpenAI``) against privllm's own ``Client``, same
config, same local server, same run.

    python benchmarks/dropin.py [--calls 400] [--stream-calls 100] [--rounds 20]

The drop-in maps the SDK's arguments to privllm's and privllm's answer to the SDK's types;
this measures what that costs per call, for a chat and a 200-chunk stream, with the
built-in middleware off ("empty chain": the mapping is the largest share there) and on
("all defaults"). The bar is a ratio <= 1.05. The raw openai SDK is in overhead.py.

Each case runs in interleaved rounds (Client then drop-in, then the other way round); the
ratio printed is the median of the per-round ratios, with the lowest and highest round,
for wall time and for this process's CPU time (the server runs in another process, so the
CPU ratio is the client side alone and moves less with other load on the machine).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from overhead import TEXT, start_server


def rounds_of(
    a: Callable[[], object], b: Callable[[], object], n: int, rounds: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Per-round seconds per call of a and of b, wall and CPU: ``rounds`` rounds of ``n //
    rounds`` calls of each, a and b taking turns to go first. A round's ratio compares a and
    b under the same load, so load that comes and goes (other processes on a shared machine)
    moves both sides of it; the median of the rounds' ratios is the figure reported."""
    per = max(1, n // rounds)
    out: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
    wall_a, wall_b, cpu_a, cpu_b = out
    for r in range(rounds):
        order = ((a, wall_a, cpu_a), (b, wall_b, cpu_b))
        for fn, walls, cpus in order if r % 2 == 0 else order[::-1]:
            c0 = time.process_time()
            t0 = time.perf_counter()
            for _ in range(per):
                fn()
            walls.append((time.perf_counter() - t0) / per)
            cpus.append((time.process_time() - c0) / per)
    return out


def ratios(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """(median, lowest, highest) of the per-round ratios y / x."""
    each = [y / x for x, y in zip(xs, ys, strict=True) if x > 0]
    return statistics.median(each), min(each), max(each)


Call = Callable[[], str]


def side_by_side(
    own_chat: Callable[[Any], Call],
    own_stream: Callable[[Any], Call],
    drop_chat: Callable[[Any], Call],
    drop_stream: Callable[[Any], Call],
    empty: tuple[Any, Any],
    full: tuple[Any, Any],
    calls: int,
    stream_calls: int,
    more: Sequence[tuple[str, Call, Call, int]] = (),
) -> list[tuple[str, Call, Call, int]]:
    """The four cases every drop-in benchmark times, ``(name, Client call, drop-in call, n)``:
    chat and a 200-chunk stream with an empty chain and with all defaults on, then ``more``.
    Each pair is checked to answer the same text, then warmed (pools, caches) before any
    timing."""
    cases = []
    for label, (own, drop) in (("empty chain", empty), ("all defaults", full)):
        cases.append((f"chat, {label}", own_chat(own), drop_chat(drop), calls))
        cases.append((f"stream 200, {label}", own_stream(own), drop_stream(drop), stream_calls))
    cases.extend(more)
    for _, own_call, drop_call, _ in cases:
        assert own_call() == drop_call() == TEXT
        for _ in range(20):
            own_call()
            drop_call()
    return cases


def report(title: str, cases: list[tuple[str, Call, Call, int]], rounds: int) -> None:
    """Times each case in interleaved rounds and prints per-call medians (ms) and the
    drop-in / Client ratios: wall and CPU, median over the rounds [lowest-highest round]."""
    print(title)
    print(
        f"{'case':<24}{'Client ms':>10}{'drop-in ms':>11}"
        f"{'wall ratio [rounds]':>27}{'cpu ratio [rounds]':>27}"
    )
    for name, own, drop, n in cases:
        wall_a, wall_b, cpu_a, cpu_b = rounds_of(own, drop, n, rounds)
        wall, cpu = ratios(wall_a, wall_b), ratios(cpu_a, cpu_b)
        print(
            f"{name:<24}{statistics.median(wall_a) * 1e3:>10.3f}"
            f"{statistics.median(wall_b) * 1e3:>11.3f}"
            f"{wall[0]:>9.3f}x [{wall[1]:.3f}-{wall[2]:.3f}]"
            f"{cpu[0]:>9.3f}x [{cpu[1]:.3f}-{cpu[2]:.3f}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--stream-calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    port, stop_server = start_server()
    base_url = f"http://127.0.0.1:{port}/v1"

    from privllm import Client
    from privllm.audit import MasterKey, generate_key
    from privllm.openai import OpenAI

    tmp = tempfile.TemporaryDirectory(prefix="privllm-bench-")
    key = MasterKey.from_base64(generate_key())
    provider = {"name": "openai", "model": "m", "openai": {"base_url": base_url, "api_key": "sk-b"}}
    empty = {
        "redaction": {"enabled": False},
        "audit": {"enabled": False},
        "policy": {"egress_guard": False},
    }
    full = {"audit": {"path": f"{tmp.name}/audit.db", "key": key}}
    own_empty = Client(env={}, provider=provider, **empty)
    own_full = Client(env={}, provider=provider, **full)
    drop_empty = OpenAI(base_url=base_url, api_key="sk-b", env={}, **empty)
    drop_full = OpenAI(base_url=base_url, api_key="sk-b", env={}, **full)
    messages = [{"role": "user", "content": "Summarise the quarterly report in three lines."}]

    def own_chat(client: Client):
        return lambda: client.chat(messages, model="m").text

    def own_stream(client: Client):
        def go() -> str:
            with client.stream(messages, model="m") as s:
                return "".join(c.text for c in s)

        return go

    def drop_chat(client: OpenAI):
        return lambda: (
            client.chat.completions.create(model="m", messages=messages).choices[0].message.content
        )

    def drop_stream(client: OpenAI):
        def go() -> str:
            parts = []
            with client.chat.completions.create(
                model="m", messages=messages, stream=True, stream_options={"include_usage": True}
            ) as s:
                for chunk in s:
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
            return "".join(parts)

        return go

    cases = side_by_side(
        own_chat, own_stream, drop_chat, drop_stream,
        (own_empty, drop_empty), (own_full, drop_full), args.calls, args.stream_calls,
    )  # fmt: skip
    report(
        "privllm.openai drop-in vs privllm Client (local server, separate process)",
        cases,
        args.rounds,
    )

    for client in (own_empty, own_full, drop_empty, drop_full):
        client.close()
    tmp.cleanup()
    stop_server()


if __name__ == "__main__":
    main()
