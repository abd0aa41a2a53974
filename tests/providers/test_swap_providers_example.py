"""examples/swap_providers.py runs unchanged against OpenAI, Azure and Vertex: config only.

Offline, each config file is pointed at its local wire server with ``PRIVLLM_*`` overrides
(the file's host, auth and models otherwise untouched). The ``live`` variant runs the same
files against the real services when their credentials are set.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from privllm.testing import AzureOpenAIServer, GeminiServer, OpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "swap_providers.py"
CONFIGS = ROOT / "examples" / "configs"
TRIAGE = '{"category": "billing", "urgent": true}'
DRAFT = "Sorry about the double charge. The refund is on its way."


def _example():
    spec = importlib.util.spec_from_file_location("swap_providers_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _local(name: str, monkeypatch):
    """A server for ``name`` and the env overrides that point its config file at it."""
    if name == "openai":
        server = OpenAIServer().start()
        monkeypatch.setenv("PRIVLLM_PROVIDER__OPENAI__BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-example-test-0000")
    elif name == "azure":
        # the deployments azure.toml names
        server = AzureOpenAIServer(deployments={"gpt-4o-mini", "text-embedding-3-small"}).start()
        monkeypatch.setenv("PRIVLLM_PROVIDER__AZURE__ENDPOINT", server.url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-example-test-0000")
    else:
        server = GeminiServer().start()
        monkeypatch.setenv("PRIVLLM_PROVIDER__GOOGLE__BASE_URL", server.url)
        monkeypatch.setenv("PRIVLLM_PROVIDER__GOOGLE__ACCESS_TOKEN", "ya29.example-test")
    return server


@pytest.mark.parametrize("name", ["openai", "azure", "vertex"])
def test_example_runs_against_each_local_server(name, monkeypatch, capsys):
    example = _example()
    server = _local(name, monkeypatch)
    try:
        server.reply(Reply.text(TRIAGE), Reply.text(DRAFT, chunks=4))
        assert example.main([str(CONFIGS / f"{name}.toml")]) == 0
    finally:
        server.close()
    out = capsys.readouterr().out
    assert "triage: billing, urgent=True" in out
    assert DRAFT in out
    # what the provider received: placeholders, never the email in the ticket
    assert b"jane.doe@example.com" not in server.received()
    triage, draft = server.requests
    expected = {
        "openai": ("/v1/chat/completions", "authorization", "Bearer sk-example-test-0000"),
        "azure": (
            "/openai/deployments/gpt-4o-mini/chat/completions",
            "api-key",
            "azure-example-test-0000",
        ),
        "vertex": (
            "/v1/projects/your-project-id/locations/europe-west4/publishers/google/models/"
            "gemini-2.5-flash:generateContent",
            "authorization",
            "Bearer ya29.example-test",
        ),
    }[name]
    path, header, value = expected
    assert triage.path == path
    assert triage.headers[header] == value
    body = json.dumps(triage.json())
    assert "Classify the support ticket." in body
    assert '"category"' in body  # the Triage schema went along
    assert "two-sentence reply" in draft.text


LIVE = {
    "openai": ["OPENAI_API_KEY"],
    "azure": ["AZURE_OPENAI_API_KEY", "PRIVLLM_PROVIDER__AZURE__ENDPOINT"],
    "vertex": ["GOOGLE_APPLICATION_CREDENTIALS", "PRIVLLM_PROVIDER__GOOGLE__PROJECT"],
}


@pytest.mark.live
@pytest.mark.parametrize("name", list(LIVE))
def test_example_runs_against_the_real_service(name, capsys):
    missing = [v for v in LIVE[name] if not os.environ.get(v)]
    if missing:
        pytest.skip(f"set {', '.join(missing)} to run against the real {name} service")
    assert _example().main([str(CONFIGS / f"{name}.toml")]) == 0
    assert "triage: " in capsys.readouterr().out
