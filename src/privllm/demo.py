"""``privllm demo``: a full call against a local wire server, shown side by side.

No API key and no network: the "provider" is a :mod:`privllm.testing` server on 127.0.0.1
that echoes the user's message back, so the table shows exactly what would have left the
process and what the application got back.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
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
    #: Records in the demo's temporary audit log (one per call: the chat and the stream).
    audit_records: int
    #: Whether any value detected in the prompt appears in the log's bytes (it must not).
    audit_log_has_values: bool
    #: Values found in the prompt per type (a named-entity model's types too, when on).
    found: dict[str, int] = field(default_factory=dict)


def _server_for(provider: str) -> tuple[WireServer, dict[str, Any]]:
    if provider == "openai":
        server = OpenAIServer(default=Reply.echo())
        server.start()
        return server, server.provider_config()
    if provider == "azure":
        from privllm.testing import AzureOpenAIServer

        azure = AzureOpenAIServer(default=Reply.echo()).start()
        return azure, azure.provider_config()
    if provider == "google":
        from privllm.testing import GeminiServer

        # Vertex: the Gemini API's free tier may train on data and policy refuses it.
        gemini = GeminiServer(default=Reply.echo()).start()
        return gemini, gemini.provider_config("vertex")
    raise ValueError(f"no local wire server for provider {provider!r} yet")


#: The demo's embedded default: the built-in detectors plus the names in DEFAULT_PROMPT.
DEMO_CONFIG = Config(
    redaction={"terms": {"PERSON": ["Jane Doe"], "ORGANIZATION": ["Acme Corp"]}},
)


def run_demo(
    prompt: str = DEFAULT_PROMPT,
    *,
    provider: str = "openai",
    config: Config | None = None,
    ner_model: str | None = None,
) -> DemoResult:
    """Send ``prompt`` through a client with every built-in middleware, to a local server.

    ``ner_model`` (an installed spaCy model) replaces the demo's term lists with
    ``[redaction.ner] engine = "spacy"``: the names are then the model's to find."""
    if ner_model is not None and config is None:
        config = Config(redaction={"ner": {"engine": "spacy", "model": ner_model}})
    from privllm.audit import AuditStore, MasterKey, generate_key

    server, provider_section = _server_for(provider)
    # A throwaway log and key: the demo shows the audit record without touching the real log.
    key = MasterKey.from_base64(generate_key())
    try:
        with tempfile.TemporaryDirectory(prefix="privllm-demo-") as tmp:
            log = Path(tmp) / "audit.db"
            base = (config or DEMO_CONFIG).model_dump()
            base["provider"] = provider_section
            base["audit"] = {**base.get("audit", {}), "enabled": True, "path": log, "key": key}
            cfg = Config.model_validate(base)
            with Client(cfg, env={}) as client:
                answer = client.chat(prompt)
                received = _last_user_content(server)
                request_bytes = len(server.last.raw)
                with client.stream(prompt) as stream:
                    streamed = "".join(chunk.text for chunk in stream)
            # The client is closed: every record is written.
            with AuditStore(log, key) as store:
                records = sum(1 for _ in store.iter_records(decrypt=False))
            values, found = _detected(prompt, cfg)
            has_values = _log_has_values(log, values)
        return DemoResult(
            provider=provider,
            app_sent=prompt,
            provider_received=received,
            app_received=answer.text,
            streamed=streamed,
            request_bytes=request_bytes,
            audit_records=records,
            audit_log_has_values=has_values,
            found=found,
        )
    finally:
        server.close()


def _detected(prompt: str, config: Config) -> tuple[list[str], dict[str, int]]:
    """The values found in ``prompt``, and how many per type."""
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.vault import Vault

    vault = Vault()
    counts = Redactor.from_config(config.redaction).redact(prompt, vault).counts
    return list(vault.mapping().values()), dict(sorted(counts.items()))


def _log_has_values(log: Path, values: list[str]) -> bool:
    files = [p for p in (log, log.with_name(log.name + "-wal")) if p.exists()]
    raw = b"".join(p.read_bytes() for p in files)
    return any(v.encode() in raw or json.dumps(v)[1:-1].encode() in raw for v in values)


def _last_user_content(server: WireServer) -> str:
    """The last user turn as the server received it, in OpenAI or Gemini shape."""
    body = server.last.json()
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    for turn in reversed(body.get("contents", [])):
        if turn.get("role") == "user":
            return "".join(part.get("text", "") for part in turn.get("parts", []))
    return json.dumps(body)
