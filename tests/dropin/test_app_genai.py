"""An app written for google-genai runs on privllm's drop-in with only its import changed,
and what Google received holds none of its personal data: on the Gemini API and on Vertex.

tests/dropin/app_genai.py is run against the same scripted server as written
(``from privllm import genai``) and with the SDK's import line instead. The SDK run is the
control: it shows the values do reach a server when nothing stands in between, so the
check on the privllm run can fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from privllm.audit.keys import MasterKey
from privllm.audit.store import AuditStore
from privllm.testing import GeminiServer, Reply

APP = Path(__file__).with_name("app_genai.py")
PRIVLLM_IMPORT = "from privllm import genai\n"
SDK_IMPORT = "from google import genai\n"


def load_app(source: str) -> ModuleType:
    module = ModuleType("app_genai")
    module.__file__ = str(APP)
    exec(compile(source, str(APP), "exec"), module.__dict__)  # noqa: S102 - our own test app
    return module


def script(server: GeminiServer) -> None:
    """Google's answers, in the order the app calls."""
    server.reply(Reply.echo(chunks=6))  # stream_reply: echoes the (redacted) claim
    server.reply(Reply.echo())  # usage
    server.reply(Reply.tool_call("lookup_order", {"order_id": "A-1001"}))
    server.reply(Reply.text("The refund for [EMAIL_1] is pending."))
    server.reply(Reply.tool_call("refund_status", {"order_id": "A-1001"}))  # run by the SDK
    server.reply(Reply.text("Order A-1001 of [EMAIL_1]: refund pending."))
    triage = {"category": "billing", "priority": "high", "customer_email": "[EMAIL_1]"}
    server.reply(Reply.text(json.dumps(triage)))
    server.reply(Reply.text('{"sentiment": "negative"}'))
    server.reply(Reply.echo(), Reply.text("You gave me [EMAIL_1]."))  # the chat session
    server.reply(Reply.echo())  # embeddings
    server.reply(Reply.echo())  # async
    server.reply(Reply.error(429, "Resource has been exhausted (e.g. check quota)."))


def values(module: ModuleType) -> list[str]:
    customer = module.CUSTOMER
    return [customer["name"], customer["email"], customer["card"], customer["ssn"], "536221847"]


def leaked(server: GeminiServer, secrets: list[str]) -> set[str]:
    wire = server.received()
    return {s for s in secrets if s.encode() in wire}


@pytest.fixture
def privllm_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """privllm's config for the app, given as a deployed app would: ``PRIVLLM_CONFIG``. The
    Gemini API is declared paid (the free tier may train on data: denied by default)."""
    path = tmp_path / "privllm.toml"
    path.write_text(
        '[redaction]\nterms = { PERSON = ["Margaret Thornbury"] }\n'
        f'[audit]\npath = "{tmp_path / "audit.db"}"\n'
        '[provider.google]\ntier = "paid"\naccess_token = "ya29.app-local-token"\n'
    )
    monkeypatch.setenv("PRIVLLM_CONFIG", str(path))
    return path


def check_result(module: ModuleType, result: dict[str, Any]) -> None:
    claim, email = module.CLAIM, module.CUSTOMER["email"]
    # The provider saw placeholders; the app gets its own values back, everywhere.
    assert result["stream"] == f"Draft a short reply to: {claim}"
    assert result["stream_chunks"] > 2
    assert result["usage"] > 0
    assert result["tools"] == f"The refund for {email} is pending."
    assert result["afc"] == f"Order A-1001 of {email}: refund pending."
    assert result["triage"] == module.Triage(
        category="billing", priority="high", customer_email=email
    )
    assert result["sentiment"] == {"sentiment": "negative"}
    assert result["chat"] == [
        f"Remember this customer: {email}",
        f"You gave me {email}.",
        "4",
    ]
    assert len(result["vectors"]) == 2
    assert all(isinstance(x, float) for x in result["vectors"][0])
    assert result["async"] == f"Summarise: {claim}"
    assert result["escalate"] == "rate limited (429), retry later"


def test_the_app_differs_from_the_sdk_version_by_its_import_line_only():
    source = APP.read_text()
    assert source.count(PRIVLLM_IMPORT) == 1
    assert "privllm" not in source.replace(PRIVLLM_IMPORT, "").replace(
        "privllm's drop-in", ""
    ).replace("privllm.testing", "")


@pytest.mark.parametrize("mode", ["gemini_api", "vertex"])
def test_genai_app_runs_unchanged_and_sends_no_personal_data(
    privllm_config: Path, monkeypatch: pytest.MonkeyPatch, mode: str
):
    module = load_app(APP.read_text())
    with GeminiServer() as server:
        monkeypatch.setenv("APP_GOOGLE_BASE_URL", server.url)
        if mode == "vertex":
            monkeypatch.setenv("APP_USE_VERTEX", "1")
            monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", server.project)
            monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", server.location)
        else:
            monkeypatch.setenv("GEMINI_API_KEY", "AIza-app-local-0000")
        script(server)
        result = module.main()
        assert leaked(server, values(module)) == set()
        first = server.requests[0]
        sent = first.json()["contents"][0]["parts"][0]["text"]
        assert "[EMAIL_1]" in sent
        assert "[PERSON_1]" in sent
        if mode == "vertex":
            assert first.path.startswith(
                f"/v1/projects/{server.project}/locations/{server.location}/publishers/google/"
            )
            assert first.headers["authorization"] == "Bearer ya29.app-local-token"
        else:
            assert first.path == "/v1beta/models/gemini-test:streamGenerateContent"
            assert first.headers["x-goog-api-key"] == "AIza-app-local-0000"
        # The function the SDK ran got the real order id; its result went out as sent.
        afc_turn = server.requests[5].json()["contents"]
        assert afc_turn[-1]["parts"][0]["functionResponse"] == {
            "name": "refund_status",
            "response": {"result": {"status": "charged twice", "refund": "pending"}},
        }
        assert len(server.requests) == 13
    check_result(module, result)
    # Every call was recorded (the 429 too), in a chain that verifies; no value in clear.
    log = privllm_config.parent / "audit.db"
    with AuditStore(log, MasterKey.from_file(log.with_name("audit.key")), read_only=True) as store:
        report = store.verify()
    assert report.ok
    assert report.records == 13  # one per request (AFC rounds are calls of their own)
    raw = log.read_bytes()
    assert all(v.encode() not in raw for v in values(module))


# The SDK's async path uses aiohttp, which warns about the SDK's own subclass.
@pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")
def test_the_same_app_on_the_sdk_sends_the_values(monkeypatch: pytest.MonkeyPatch):
    # The control: without privllm the same script puts every value on the wire.
    module = load_app(APP.read_text().replace(PRIVLLM_IMPORT, SDK_IMPORT))
    with GeminiServer() as server:
        monkeypatch.setenv("APP_GOOGLE_BASE_URL", server.url)
        monkeypatch.setenv("GEMINI_API_KEY", "AIza-app-local-0000")
        script(server)
        result = module.main()
        assert leaked(server, values(module)) == set(values(module)) - {"536221847"}
        assert len(server.requests) == 13
    assert result["escalate"] == "rate limited (429), retry later"
    assert result["stream"].startswith("Draft a short reply to: Hi, this is Margaret")
