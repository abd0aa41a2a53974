"""``privllm demo``: a full call against a local wire server, shown side by side.

No API key and no network: the "provider" is a :mod:`privllm.testing` server on 127.0.0.1
that echoes the user's message back, so the table shows exactly what would have left the
process and what the application got back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from privllm.client import Client
from privllm.config import Config
from privllm.testing import OpenAIServer, Reply, WireServer

__all__ = ["DEFAULT_PROMPT", "DEMO_CONFIG", "DemoResult", "run_demo"]

DEFAULT_PROMPT = (
    "Hi, this is Jane Doe from Acme Corp (jane.doe@acme-corp.com, +1 415 555 0132). "
    "Card 4111 1111 1111 1111 was charged twice for order 88231. "
    "Our staging key is sk-proj-Q3JvbGxpbmdTdG9uZXNfMjAyNg7x. Please draft a short refund reply."
)


@dataclass(frozen=True)
class DemoResult:
    provider: str
    app_sent: str
    provider_received: str
    app_received: str
    streamed: str
    request_bytes: int


def _server_for(provider: str) -> tuple[WireServer, dict[str, Any]]:
    if provider == "openai":
        server = OpenAIServer(default=Reply.echo())
        server.start()
        return server, server.provider_config()
    raise ValueError(f"no local wire server for provider {provider!r} yet")


#: The demo's embedded default: the built-in detectors plus the names in DEFAULT_PROMPT.
DEMO_CONFIG = Config(
    redaction={"terms": {"PERSON": ["Jane Doe"], "ORGANIZATION": ["Acme Corp"]}},
)


def run_demo(
    prompt: str = DEFAULT_PROMPT, *, provider: str = "openai", config: Config | None = None
) -> DemoResult:
    """Send ``prompt`` through a client with every built-in middleware, to a local server."""
    server, provider_section = _server_for(provider)
    try:
        base = (config or DEMO_CONFIG).model_dump()
        base["provider"] = provider_section
        with Client(Config.model_validate(base), env={}) as client:
            answer = client.chat(prompt)
            received = _last_user_content(server)
            request_bytes = len(server.last.raw)
            with client.stream(prompt) as stream:
                streamed = "".join(chunk.text for chunk in stream)
        return DemoResult(
            provider=provider,
            app_sent=prompt,
            provider_received=received,
            app_received=answer.text,
            streamed=streamed,
            request_bytes=request_bytes,
        )
    finally:
        server.close()


def _last_user_content(server: WireServer) -> str:
    body = server.last.json()
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return json.dumps(body)
