"""The Azure and Gemini/Vertex wire servers refuse what the real services refuse."""

from __future__ import annotations

import httpx2
import pytest

from privllm.testing import AzureOpenAIServer, GeminiServer, Reply

CHAT = {"messages": [{"role": "user", "content": "hi"}], "model": "test-deployment"}
GENERATE = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
VERTEX = "/v1/projects/p/locations/l/publishers/google/models/gemini-test"


@pytest.fixture
def http():
    with httpx2.Client(trust_env=False) as client:
        yield client


def test_azure_requires_api_version_and_known_deployment(http):
    with AzureOpenAIServer(api_key="k") as server:
        url = f"{server.url}/openai/deployments/test-deployment/chat/completions"
        missing = http.post(url, json=CHAT, headers={"api-key": "k"})
        assert missing.status_code == 404
        assert missing.json() == {"error": {"code": "404", "message": "Resource not found"}}
        old = http.post(
            url, params={"api-version": "2022-01-01"}, json=CHAT, headers={"api-key": "k"}
        )
        assert old.status_code == 400
        ok = http.post(
            url, params={"api-version": "2024-10-21"}, json=CHAT, headers={"api-key": "k"}
        )
        assert ok.status_code == 200
        assert ok.json()["choices"][0]["message"]["content"] == "hi"
        unknown = http.post(
            url.replace("test-deployment", "nope"),
            params={"api-version": "2024-10-21"},
            json=CHAT,
            headers={"api-key": "k"},
        )
        assert unknown.json()["error"]["code"] == "DeploymentNotFound"


def test_azure_auth(http):
    with AzureOpenAIServer(api_key="k", tokens={"entra"}) as server:
        url = f"{server.url}/openai/deployments/test-deployment/chat/completions"
        params = {"api-version": "2024-10-21"}
        for headers, status in [
            ({}, 401),
            ({"api-key": "wrong"}, 401),
            ({"authorization": "Bearer k"}, 401),  # a key is not a bearer token here...
            ({"api-key": "k"}, 200),
            ({"authorization": "Bearer entra"}, 200),
        ]:
            response = http.post(url, params=params, json=CHAT, headers=headers)
            assert response.status_code == status, headers
        v1 = http.post(
            f"{server.url}/openai/v1/chat/completions",
            json=CHAT,
            headers={"authorization": "Bearer k"},  # ...but it is on the v1 API
        )
        assert v1.status_code == 200
        assert server.requests[0].headers.get("api-key") is None
    with AzureOpenAIServer() as server:  # no credential configured: any, but not none
        url = f"{server.url}/openai/v1/chat/completions"
        assert http.post(url, json=CHAT).status_code == 401
        assert http.post(url, json=CHAT, headers={"api-key": "x"}).status_code == 200


def test_azure_content_filter_body(http):
    with AzureOpenAIServer() as server:
        server.reply(Reply.safety_block())
        response = http.post(
            f"{server.url}/openai/v1/chat/completions", json=CHAT, headers={"api-key": "x"}
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "content_filter"
        assert error["innererror"]["code"] == "ResponsibleAIPolicyViolation"
        assert response.headers["x-request-id"] == response.headers["apim-request-id"]


def test_gemini_auth_and_paths(http):
    with GeminiServer(api_key="AIza-right", access_token="ya29.right") as server:
        gemini = f"{server.url}/v1beta/models/gemini-test:generateContent"
        assert http.post(gemini, json=GENERATE).status_code == 403
        wrong = http.post(gemini, json=GENERATE, headers={"x-goog-api-key": "AIza-wrong"})
        assert wrong.status_code == 400
        assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        in_url = http.post(gemini, params={"key": "AIza-right"}, json=GENERATE)
        assert in_url.status_code == 400
        ok = http.post(gemini, json=GENERATE, headers={"x-goog-api-key": "AIza-right"})
        assert ok.json()["candidates"][0]["content"]["parts"] == [{"text": "hi"}]

        vertex = f"{server.url}{VERTEX}:generateContent"
        assert http.post(vertex, json=GENERATE).status_code == 401
        bad = http.post(vertex, json=GENERATE, headers={"authorization": "Bearer nope"})
        assert bad.json()["error"]["status"] == "UNAUTHENTICATED"
        good = http.post(vertex, json=GENERATE, headers={"authorization": "Bearer ya29.right"})
        assert good.status_code == 200


def test_gemini_stream_needs_sse_and_errors_are_google_shaped(http):
    with GeminiServer() as server:
        headers = {"x-goog-api-key": "k"}
        stream = f"{server.url}/v1beta/models/gemini-test:streamGenerateContent"
        assert http.post(stream, json=GENERATE, headers=headers).status_code == 400
        server.reply(Reply.text("a b", chunks=2))
        ok = http.post(stream, params={"alt": "sse"}, json=GENERATE, headers=headers)
        events = [line for line in ok.text.split("\r\n") if line.startswith("data: ")]
        assert len(events) == 2
        assert "[DONE]" not in ok.text
        server.reply(Reply.error(429, "quota", retry_after=7))
        limited = http.post(
            f"{server.url}/v1beta/models/m:generateContent", json=GENERATE, headers=headers
        )
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
        error = limited.json()["error"]
        assert (error["code"], error["status"], error["message"]) == (
            429,
            "RESOURCE_EXHAUSTED",
            "quota",
        )
        assert error["details"][0]["retryDelay"] == "7s"
        unknown = http.post(f"{server.url}/v1beta/models/m:countTokens", json={}, headers=headers)
        assert unknown.status_code == 404


def test_gemini_safety_block_is_prompt_feedback(http):
    with GeminiServer() as server:
        server.reply(Reply.safety_block())
        body = http.post(
            f"{server.url}/v1beta/models/m:generateContent",
            json=GENERATE,
            headers={"x-goog-api-key": "k"},
        ).json()
        assert body["promptFeedback"]["blockReason"] == "SAFETY"
        assert "candidates" not in body


def test_a_responder_answers_what_is_not_scripted(http):
    # A stand-in model for calls a test cannot script in advance (an agent loop, a
    # third-party test suite): it sees each request; queued replies still come first.
    def responder(request):
        asked = request.json()["messages"][-1]["content"]
        return Reply.tool_call("lookup", {"q": asked}) if "look" in asked else Reply.text("no")

    with AzureOpenAIServer(responder=responder) as server:
        url = f"{server.url}/openai/deployments/test-deployment/chat/completions"
        params = {"api-version": "2024-10-21"}
        headers = {"api-key": server.api_key or "k"}

        def ask(text):
            body = {**CHAT, "messages": [{"role": "user", "content": text}]}
            return http.post(url, params=params, json=body, headers=headers).json()

        server.reply(Reply.text("scripted"))
        assert ask("look it up")["choices"][0]["message"]["content"] == "scripted"
        call = ask("look it up")["choices"][0]["message"]["tool_calls"][0]["function"]
        assert call == {"name": "lookup", "arguments": '{"q": "look it up"}'}
        assert ask("hello")["choices"][0]["message"]["content"] == "no"
