"""Google specifics: modes and hosts, credentials and their refresh, mapping details, env."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import google.auth
import google.auth.credentials
import google.auth.exceptions
import httpx2
import pytest
from google.auth import _helpers
from google.genai import types as gt

from privllm import Client, Message
from privllm.config import ProviderConfig
from privllm.errors import AuthenticationError, BadRequestError, ConfigError
from privllm.providers.google import CLOUD_PLATFORM_SCOPE, GoogleProvider, google_endpoint
from privllm.testing import GeminiServer, Reply, ScriptedToolCall, fake_embedding
from privllm.testing.server import RecordedRequest, WireResponse, WireServer, json_response
from privllm.types import ChatRequest

GENERATED = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
}


def _settings(**google):
    return ProviderConfig(name="google", google=google).google


# -- endpoints ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "host", "region", "zone"),
    [
        ("global", "aiplatform.googleapis.com", None, None),
        ("europe-west4", "europe-west4-aiplatform.googleapis.com", "europe-west4", None),
        ("eu", "aiplatform.eu.rep.googleapis.com", "eu", "eu"),
        ("us", "aiplatform.us.rep.googleapis.com", "us", "us"),
    ],
)
def test_vertex_endpoint_follows_location(location, host, region, zone):
    ep = google_endpoint(_settings(mode="vertex", project="p", location=location))
    assert (ep.provider, ep.kind, ep.host, ep.region, ep.data_zone) == (
        "google",
        "enterprise_api",
        host,
        region,
        zone,
    )
    assert not ep.trains_on_data


def test_gemini_api_free_tier_may_train_on_data():
    free = google_endpoint(_settings(mode="gemini_api"))
    paid = google_endpoint(_settings(mode="gemini_api", tier="paid"))
    assert free.host == paid.host == "generativelanguage.googleapis.com"
    assert (free.trains_on_data, free.stores_data) == (True, True)
    assert (paid.trains_on_data, paid.stores_data) == (False, False)


# -- the hosts actually used, without a network ------------------------------------------------


def _mock(seen):
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=GENERATED)

    return lambda inner: httpx2.MockTransport(handler)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_default_hosts_paths_and_auth(kind, monkeypatch):
    # An mTLS switch in the environment must not move traffic to another host either.
    monkeypatch.setenv("GOOGLE_API_USE_MTLS_ENDPOINT", "always")
    seen: list[httpx2.Request] = []
    vertex = ProviderConfig(
        name="google",
        google={"project": "acme", "location": "europe-west4", "access_token": "ya29.fixed"},
    )
    gemini = ProviderConfig(
        name="google", google={"mode": "gemini_api", "api_key": "AIza-key-123456", "tier": "paid"}
    )
    request = ChatRequest(messages=[Message.user("hi")], model="gemini-x")
    for config in (vertex, gemini):
        provider = GoogleProvider(config, env={}, transport_wrapper=_mock(seen))
        if kind == "sync":
            assert provider.chat(request).text == "ok"
            provider.close()
        else:
            import asyncio

            async def go(provider=provider):
                assert (await provider.achat(request)).text == "ok"
                await provider.aclose()

            asyncio.run(go())
    assert [str(r.url) for r in seen] == [
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/acme/locations/europe-west4"
        "/publishers/google/models/gemini-x:generateContent",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-x:generateContent",
    ]
    assert seen[0].headers["authorization"] == "Bearer ya29.fixed"
    assert "x-goog-api-key" not in seen[0].headers
    assert seen[1].headers["x-goog-api-key"] == "AIza-key-123456"
    assert "authorization" not in seen[1].headers


def test_environment_cannot_redirect_traffic(monkeypatch):
    with GeminiServer() as server, GeminiServer() as decoy:
        for name, value in {
            "GOOGLE_VERTEX_BASE_URL": decoy.url,
            "GOOGLE_GEMINI_BASE_URL": decoy.url,
            "GOOGLE_GENAI_USE_VERTEXAI": "true",
            "GOOGLE_GENAI_USE_ENTERPRISE": "true",
            "GOOGLE_CLOUD_PROJECT": "env-project",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
            "GOOGLE_API_KEY": "AIza-from-env",
            "GEMINI_API_KEY": "AIza-from-env",
            "GOOGLE_GENAI_API_VERSION": "v9",
            "GOOGLE_GENAI_CLIENT_MODE": "replay",
            "GOOGLE_GENAI_REPLAYS_DIRECTORY": "/nonexistent",
            "HTTPS_PROXY": decoy.origin,
            "HTTP_PROXY": decoy.origin,
            "ALL_PROXY": decoy.origin,
        }.items():
            monkeypatch.setenv(name, value)
        for mode in ("vertex", "gemini_api"):
            with Client(provider=server.provider_config(mode)) as client:  # real os.environ
                client.chat("hello")
                client.embed(["x"])
        assert decoy.requests == []
        paths = [r.path for r in server.requests]
        assert paths[0].startswith("/v1/projects/test-project/locations/europe-west4/")
        assert paths[2] == "/v1beta/models/gemini-test:generateContent"
        assert server.requests[0].headers["authorization"] == "Bearer ya29.test-local-token"
        assert "x-goog-api-key" not in server.requests[0].headers
        assert server.requests[2].headers["x-goog-api-key"] == "AIza-test-local-0000"


# -- credentials -------------------------------------------------------------------------------


class TokenServer(WireServer):
    """A stand-in for oauth2.googleapis.com: hands out tok-1, tok-2... for ``lifetime`` s."""

    lifetime = 3600

    def route(self, request: RecordedRequest) -> WireResponse:
        n = len(self.requests)
        return json_response(200, {"access_token": f"tok-{n}", "expires_in": self.lifetime})


class RefreshingCredentials(google.auth.credentials.Credentials):
    def __init__(self, token_url):
        super().__init__()
        self.token_url = token_url

    def refresh(self, request):
        response = request(url=self.token_url, method="POST", body=b"grant_type=refresh_token")
        data = json.loads(response.data)
        self.token = data["access_token"]
        self.expiry = _helpers.utcnow() + datetime.timedelta(seconds=data["expires_in"])


@pytest.mark.parametrize("lifetime", [3600, 60])
def test_credentials_passed_in_code_refresh_through_privllms_transport(runner_factory, lifetime):
    seen: list[str] = []

    def recording(inner):
        class Recording(type(inner).__mro__[1]):  # BaseTransport or AsyncBaseTransport
            def handle_request(self, request):
                seen.append(str(request.url))
                return inner.handle_request(request)

            async def handle_async_request(self, request):
                seen.append(str(request.url))
                return await inner.handle_async_request(request)

            def close(self):
                inner.close()

            async def aclose(self):
                await inner.aclose()

        return Recording()

    with GeminiServer() as server, TokenServer() as tokens:
        tokens.lifetime = lifetime  # 60 s is inside google-auth's refresh margin: refresh
        config = ProviderConfig(**server.provider_config(access_token=None))
        credentials = RefreshingCredentials(f"{tokens.origin}/token")
        backend = GoogleProvider(
            config, env={}, transport_wrapper=recording, credentials=credentials
        )
        run = runner_factory(provider=config.model_dump(), backend=backend)
        run.chat("one")
        run.chat("two")
        expected = ["tok-1", "tok-1"] if lifetime == 3600 else ["tok-1", "tok-2"]
        assert [r.headers["authorization"] for r in server.requests] == [
            f"Bearer {t}" for t in expected
        ]
        assert all(r.path == "/token" for r in tokens.requests)
        token_calls = [u for u in seen if u.endswith("/token")]
        assert len(token_calls) == len(tokens.requests) == len(set(expected))


def test_application_default_credentials(monkeypatch, gemini_server):
    calls = []

    class Static(google.auth.credentials.Credentials):
        def __init__(self):
            super().__init__()
            self.token = "adc-token"

        def refresh(self, request):
            raise AssertionError("a valid token needs no refresh")

    def fake_default(scopes=None, **kwargs):
        calls.append(scopes)
        return Static(), "adc-project"

    monkeypatch.setattr(google.auth, "default", fake_default)
    config = gemini_server.provider_config(access_token=None)
    with Client(provider=config, env={}) as client:
        assert calls == []  # looked up on first use, not when the client is built
        client.chat("x")
    assert calls == [[CLOUD_PLATFORM_SCOPE]]
    assert gemini_server.last.headers["authorization"] == "Bearer adc-token"
    assert "/projects/test-project/" in gemini_server.last.path  # config's project, not ADC's


def test_no_credentials_is_a_config_error(monkeypatch, gemini_server):
    def no_adc(**kwargs):
        raise google.auth.exceptions.DefaultCredentialsError("none")

    monkeypatch.setattr(google.auth, "default", no_adc)
    config = gemini_server.provider_config(access_token=None)
    with (
        Client(provider=config, env={}) as client,
        pytest.raises(ConfigError, match="application-default login"),
    ):
        client.chat("x")
    assert gemini_server.requests == []


@pytest.mark.parametrize("content", [None, b"{not json", b'{"type": "nonsense"}'])
def test_a_bad_google_application_credentials_file_is_named(
    monkeypatch, tmp_path, gemini_server, content
):
    path = tmp_path / "sa.json"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))  # real google.auth.default
    config = gemini_server.provider_config(access_token=None)
    with Client(provider=config, env={}) as client, pytest.raises(ConfigError) as caught:
        client.chat("x")
    message = str(caught.value)
    assert f"GOOGLE_APPLICATION_CREDENTIALS names {path}" in message
    assert ("does not exist" if content is None else "not a service account") in message
    assert "nonsense" not in message  # the file's content is never quoted
    assert gemini_server.requests == []


def test_config_errors(gemini_server):
    config = gemini_server.provider_config(project=None)
    with Client(provider=config, env={}) as client, pytest.raises(ConfigError, match="project"):
        client.chat("x")
    config = gemini_server.provider_config("gemini_api", api_key=None)
    with (
        Client(provider=config, env={}) as client,
        pytest.raises(ConfigError, match="GEMINI_API_KEY"),
    ):
        client.chat("x")
    assert gemini_server.requests == []


def test_access_token_and_api_key_from_named_env_vars(gemini_server):
    env = {"MY_TOKEN": "ya29.from-named-env", "MY_KEY": "AIza-from-named-env"}
    vertex = gemini_server.provider_config(access_token=None, access_token_env="MY_TOKEN")
    gemini = gemini_server.provider_config("gemini_api", api_key=None, api_key_env="MY_KEY")
    for config in (vertex, gemini):
        with Client(provider=config, env=env) as client:
            client.chat("x")
            assert "from-named-env" not in repr(client)
    assert gemini_server.requests[0].headers["authorization"] == "Bearer ya29.from-named-env"
    assert gemini_server.requests[1].headers["x-goog-api-key"] == "AIza-from-named-env"


def test_invalid_api_key_is_an_authentication_error(runner_factory):
    with GeminiServer(api_key="AIza-right-key") as server:
        config = server.provider_config("gemini_api", api_key="AIza-wrong-key-000")
        run = runner_factory(provider={**config, "max_retries": 0})
        with pytest.raises(AuthenticationError) as info:
            run.chat("x")
        assert info.value.status_code == 400  # Google's answer; the class says what it means
        assert "AIza-wrong-key-000" not in str(info.value)


# -- mapping -----------------------------------------------------------------------------------


def test_parallel_tool_calls_get_ids_and_answers_go_back_by_name(runner_factory, gemini_server):
    run = runner_factory(provider=gemini_server.provider_config())
    calls = (
        ScriptedToolCall("weather", '{"city": "Paris"}'),
        ScriptedToolCall("time", '{"tz": "CET"}'),
    )
    gemini_server.reply(Reply(content="", tool_calls=calls))
    first = run.chat("weather and time?", tools=[{"name": "weather"}, {"name": "time"}])
    assert [(c.id, c.name) for c in first.tool_calls] == [("call_0", "weather"), ("call_1", "time")]
    conversation = [
        Message.user("weather and time?"),
        first.message,
        Message.tool("call_1", "14:00"),  # answered out of order, and not JSON
        Message.tool("call_0", '{"sky": "clear"}'),
    ]
    run.chat(conversation)
    contents = gemini_server.last.json()["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert [p["functionCall"]["name"] for p in contents[1]["parts"]] == ["weather", "time"]
    assert [p["functionResponse"] for p in contents[2]["parts"]] == [
        {"name": "time", "response": {"output": "14:00"}},
        {"name": "weather", "response": {"sky": "clear"}},
    ]
    assert all("id" not in p["functionCall"] for p in contents[1]["parts"])


def test_tool_answer_without_a_call_is_refused_before_sending(run_google, gemini_server):
    with pytest.raises(BadRequestError, match="answers no earlier tool call"):
        run_google.chat([Message.user("x"), Message.tool("call_9", "{}")])
    assert gemini_server.requests == []


@pytest.fixture
def run_google(runner_factory, gemini_server):
    return runner_factory(provider=gemini_server.provider_config())


def test_max_tokens_is_length_in_chat_and_stream(run_google, gemini_server):
    gemini_server.reply(
        Reply.text("cut short", finish_reason="length"),
        Reply.text("cut short", finish_reason="length"),
    )
    assert run_google.chat("x").finish_reason == "length"
    chunks, assembled = run_google.stream("x")
    assert chunks[-1].finish_reason == assembled.finish_reason == "length"
    assert assembled.text == "cut short"


def test_extra_options_reach_generation_config(run_google, gemini_server):
    run_google.chat("x", extra={"top_k": 40, "candidate_count": 1})
    generation = gemini_server.last.json()["generationConfig"]
    assert (generation["topK"], generation["candidateCount"]) == (40, 1)
    with pytest.raises(BadRequestError, match="no_such_option"):
        run_google.chat("x", extra={"no_such_option": 1})


@pytest.mark.parametrize(
    ("model", "texts", "method"),
    [
        ("text-embedding-005", ["a", "b"], "predict"),
        ("gemini-embedding-001", ["a"], "embedContent"),
        ("gemini-embedding-001", ["a", "b"], "batchEmbedContents"),
    ],
)
def test_vertex_embedding_methods(runner_factory, gemini_server, model, texts, method):
    run = runner_factory(provider=gemini_server.provider_config())
    result = run.embed(texts, model=model, dimensions=4)
    assert result.vectors == [pytest.approx(fake_embedding(t, 4), abs=1e-6) for t in texts]
    assert gemini_server.last.path.endswith(f"/models/{model}:{method}")


def test_empty_embedding_input_sends_nothing(run_google, gemini_server):
    assert run_google.embed([]).vectors == []
    assert gemini_server.requests == []


def test_thoughts_are_not_answer_text_but_are_counted():
    provider = GoogleProvider(ProviderConfig(name="google", google={"project": "p"}), env={})
    result = gt.GenerateContentResponse.model_validate(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"text": "thinking...", "thought": True}, {"text": "42"}],
                    },
                    "finish_reason": "STOP",
                }
            ],
            "usage_metadata": {
                "prompt_token_count": 3,
                "candidates_token_count": 1,
                "thoughts_token_count": 5,
                "total_token_count": 9,
            },
        }
    )
    response = provider.to_response(result, ChatRequest(messages=[], model="m"))
    assert response.text == "42"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (3, 6)
    assert response.usage.total_tokens == 9


def test_building_a_google_client_loads_no_openai_or_azure_sdk():
    code = (
        "import sys\n"
        "from privllm import Client\n"
        "Client(env={}, provider={'name': 'google', 'google': {'project': 'p'}})\n"
        "print(','.join(m for m in ('openai', 'google.genai', 'azure.identity')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "google.genai"


def test_a_stream_that_fails_at_its_start_falls_back_like_a_chat(runner_factory, gemini_server):
    # google-genai sends a streamed request only at the first read; a 503 there must still
    # reach the fallback logic, as a chat's does.
    with GeminiServer() as backup:
        run = runner_factory(
            provider={**gemini_server.provider_config(), "max_retries": 0},
            providers={"backup": {**backup.provider_config(), "max_retries": 0}},
            policy={"fallbacks": ["backup"]},
        )
        gemini_server.reply(Reply.error(503, "down"))
        pieces, response = run.stream("stream me")
        assert response.text == "stream me"
        assert "".join(p.text for p in pieces) == "stream me"
        assert len(backup.requests) == 1
        assert len(gemini_server.requests) == 1


def test_google_errors_name_the_request_from_the_body_when_no_header_does():
    from google.genai import errors as genai_errors

    from privllm.providers.google.errors import to_privllm_error

    body = {
        "error": {
            "code": 503,
            "message": "busy",
            "status": "UNAVAILABLE",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "r-17"}
            ],
        }
    }
    err = to_privllm_error(genai_errors.APIError(503, body), provider="google")
    assert err.request_id == "r-17"
