"""The google-genai drop-in (``privllm.genai.Client``) against privllm's own ``Client``, same
config, same local Gemini server (Gemini API wire), same run.

    python benchmarks/genai_dropin.py [--calls 400] [--stream-calls 100] [--rounds 20]

The drop-in maps google-genai's arguments to privllm's and privllm's answer to
``google.genai.types``; this measures what that costs per call, for a chat and a 200-chunk
stream, with the built-in middleware off ("empty chain": the mapping is the largest share
there) and on ("all defaults"). The bar is a ratio <= 1.05; how the ratio is measured
(interleaved rounds, median of per-round ratios, wall and CPU) is in dropin.py. The stream
cases read ``chunk.text`` as google-genai users do; "parts" reads the parts' text instead,
which leaves out the SDK's ``.text`` property (its cost is google-genai's own: a
``model_dump`` of every part, ~10 us a chunk, paid with or without privllm).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile

from overhead import start_server

from dropin import report, side_by_side


def _serve(port_queue: mp.Queue, stop: mp.Event, default_text: str) -> None:  # type: ignore[type-arg]
    from privllm.testing import GeminiServer, Reply

    with GeminiServer(default=Reply.text(default_text, chunks=200)) as server:
        port_queue.put(server.port)
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--stream-calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    port, stop_server = start_server(_serve)
    base_url = f"http://127.0.0.1:{port}"

    from privllm import Client
    from privllm.audit import MasterKey, generate_key
    from privllm.genai import Client as GenaiClient

    tmp = tempfile.TemporaryDirectory(prefix="privllm-bench-")
    key = MasterKey.from_base64(generate_key())
    google = {"mode": "gemini_api", "base_url": base_url, "api_key": "AIza-b", "tier": "paid"}
    provider = {"name": "google", "model": "m", "google": google}
    empty = {
        "redaction": {"enabled": False},
        "audit": {"enabled": False},
        "policy": {"egress_guard": False},
    }
    full = {"audit": {"path": f"{tmp.name}/audit.db", "key": key}}
    own_empty = Client(env={}, provider=provider, **empty)
    own_full = Client(env={}, provider=provider, **full)
    drop_empty = GenaiClient(env={}, provider=provider, **empty)
    drop_full = GenaiClient(env={}, provider=provider, **full)
    prompt = "Summarise the quarterly report in three lines."

    def own_chat(client: Client):
        return lambda: client.chat(prompt, model="m").text

    def own_stream(client: Client):
        def go() -> str:
            with client.stream(prompt, model="m") as s:
                return "".join(c.text for c in s)

        return go

    def drop_chat(client: GenaiClient):
        return lambda: client.models.generate_content(model="m", contents=prompt).text

    def drop_stream(client: GenaiClient):
        def go() -> str:
            chunks = client.models.generate_content_stream(model="m", contents=prompt)
            return "".join(c.text or "" for c in chunks)

        return go

    def drop_stream_parts(client: GenaiClient):
        # The same chunks, their text read from the parts: without google-genai's own
        # ``.text`` property (a model_dump per part, paid with or without privllm).
        def go() -> str:
            chunks = client.models.generate_content_stream(model="m", contents=prompt)
            return "".join(p.text or "" for c in chunks for p in c.candidates[0].content.parts)

        return go

    parts = ("stream 200, empty, parts", own_stream(own_empty), drop_stream_parts(drop_empty))
    cases = side_by_side(
        own_chat, own_stream, drop_chat, drop_stream,
        (own_empty, drop_empty), (own_full, drop_full), args.calls, args.stream_calls,
        more=[(*parts, args.stream_calls)],
    )  # fmt: skip
    report(
        "privllm.genai drop-in vs privllm Client (local Gemini server, separate process)",
        cases,
        args.rounds,
    )

    for client in (own_empty, own_full, drop_empty, drop_full):
        client.close()
    tmp.cleanup()
    stop_server()


if __name__ == "__main__":
    main()
