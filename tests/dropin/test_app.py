"""An app written for the openai SDK runs on privllm's drop-in with only its import changed,
and what the provider received holds none of its personal data.

tests/dropin/app_openai.py is run twice against the same scripted server: as written
(``from privllm.openai import ...``) and with the SDK's import line instead. The SDK run is
the control: it shows the values do reach a server when nothing stands in between, so the
check on the privllm run can fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from privllm.testing import AzureOpenAIServer, OpenAIServer, Reply

APP = Path(__file__).with_name("app_openai.py")
PRIVLLM_IMPORT = "from privllm.openai import AzureOpenAI, OpenAI\n"
SDK_IMPORT = "from openai import AzureOpenAI, OpenAI\n"


def load_app(source: str) -> ModuleType:
    module = ModuleType("app_openai")
    module.__file__ = str(APP)
    exec(compile(source, str(APP), "exec"), module.__dict__)  # noqa: S102 - our own test app
    return module


def script(server: OpenAIServer, responses_api: bool = True) -> None:
    """The provider's answers, in the order the app calls."""
    server.reply(Reply.echo(chunks=6))  # stream_reply: echoes the (redacted) ticket
    server.reply(Reply.tool_call("lookup_order", {"order_id": "A-1001"}))
    server.reply(Reply.echo())  # the answer after the tool result
    triage = {"category": "billing", "priority": "high", "customer_email": "[EMAIL_1]"}
    server.reply(Reply.text(json.dumps(triage)))
    server.reply(Reply.text('{"sentiment": "negative"}'))
    server.reply(Reply.echo())  # embeddings
    if responses_api:
        server.reply(Reply.echo())  # summarise: the Responses API
        server.reply(Reply.echo(chunks=9))  # summarise_streamed: its events
    server.reply(Reply.error(429, "Rate limit reached", retry_after=1))


def values(module: ModuleType) -> list[str]:
    customer = module.CUSTOMER
    return [customer["name"], customer["email"], customer["card"], customer["ssn"], "536221847"]


def leaked(server: OpenAIServer, secrets: list[str]) -> set[str]:
    wire = b"".join(r.raw for r in server.requests)
    return {s for s in secrets if s.encode() in wire}


@pytest.fixture
def privllm_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """privllm's config for the app, given as a deployed app would: ``PRIVLLM_CONFIG``."""
    path = tmp_path / "privllm.toml"
    path.write_text(
        '[redaction]\nterms = { PERSON = ["Margaret Thornbury"] }\n'
        f'[audit]\npath = "{tmp_path / "audit.db"}"\n'
    )
    monkeypatch.setenv("PRIVLLM_CONFIG", str(path))
    return path


def run_app(module: ModuleType, server: OpenAIServer, **options: Any) -> dict[str, Any]:
    script(server, options.get("responses_api", True))
    result: dict[str, Any] = module.main(**options)
    return result


def test_the_app_differs_from_the_sdk_version_by_its_import_line_only():
    source = APP.read_text()
    assert source.count(PRIVLLM_IMPORT) == 1
    assert "privllm" not in source.replace(PRIVLLM_IMPORT, "").replace(
        "privllm's drop-in", ""
    ).replace("privllm.testing", "")


def test_openai_app_runs_unchanged_and_sends_no_personal_data(
    privllm_config: Path, monkeypatch: pytest.MonkeyPatch
):
    module = load_app(APP.read_text())
    with OpenAIServer() as server:
        monkeypatch.setenv("APP_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-app-local-0000")
        result = run_app(module, server)
        assert leaked(server, values(module)) == set()
        sent = server.requests[0].json()["messages"][0]["content"]
        assert "[EMAIL_1]" in sent
        assert "[PERSON_1]" in sent
        assert len(server.requests) == 9
        responses = [r.json() for r in server.requests if r.path == "/v1/responses"]
        assert [r["store"] for r in responses] == [False, False]
        assert (
            responses[0]["instructions"]
            == "You summarise tickets for [PERSON_1]'s account manager."
        )

    ticket = module.TICKET
    # The provider saw placeholders; the app gets its own values back, everywhere.
    assert result["stream"] == f"Draft a short reply to: {ticket}"
    assert result["stream_tokens"]
    assert result["tools"] == ticket
    assert result["triage"] == module.Triage(
        category="billing", priority="high", customer_email=module.CUSTOMER["email"]
    )
    assert result["sentiment"] == {"sentiment": "negative"}
    assert len(result["vectors"]) == 2
    assert all(isinstance(x, float) for x in result["vectors"][0])
    assert result["summary"] == f"Summarise: {ticket}"
    assert result["summary_stream"] == f"Summarise for the customer: {ticket}"
    assert result["escalate"] == "rate limited (429), retry later"


def test_the_same_app_on_the_sdk_sends_the_values(monkeypatch: pytest.MonkeyPatch):
    # The control: without privllm the same script puts every value on the wire.
    module = load_app(APP.read_text().replace(PRIVLLM_IMPORT, SDK_IMPORT))
    with OpenAIServer() as server:
        monkeypatch.setenv("APP_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-app-local-0000")
        result = run_app(module, server)
        assert leaked(server, values(module)) == set(values(module)) - {"536221847"}
    assert result["escalate"] == "rate limited (429), retry later"


def test_the_app_runs_unchanged_on_azure(privllm_config: Path, monkeypatch: pytest.MonkeyPatch):
    module = load_app(APP.read_text())
    with AzureOpenAIServer(api_key="azure-app-key-0000") as server:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-app-key-0000")
        result = run_app(
            module,
            server,
            chat_model=server.model,
            embedding_model=server.embedding_model,
        )
        assert leaked(server, values(module)) == set()
        paths = {r.path for r in server.requests}
        assert paths == {
            f"/openai/deployments/{server.model}/chat/completions",
            f"/openai/deployments/{server.embedding_model}/embeddings",
            "/openai/responses",  # the Responses API (api-version 2025-04-01-preview)
        }
    assert result["tools"] == module.TICKET
    assert result["triage"].customer_email == module.CUSTOMER["email"]
    assert result["escalate"] == "rate limited (429), retry later"
