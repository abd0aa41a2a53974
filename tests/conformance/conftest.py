"""One conformance suite for every provider, each through its local wire server.

A ``Target`` bundles a running server, the provider config that points privllm at it, and
a ``Wire`` reader that turns what the server received into neutral facts, so one test body
asserts on the bytes every provider got. Adding a provider means adding one entry to
``_TARGETS`` (and a ``Wire`` if it speaks a new protocol).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from privllm.testing import AzureOpenAIServer, GeminiServer, OpenAIServer, RecordedRequest
from privllm.testing.server import WireServer

# -- reading what a server received ------------------------------------------------------------


class OpenAIWire:
    """Chat Completions bodies (OpenAI and Azure)."""

    @staticmethod
    def turns(body: dict[str, Any]) -> list[tuple[str, str]]:
        out = []
        for m in body["messages"]:
            content = m.get("content")
            if isinstance(content, list):
                content = "".join(p["text"] for p in content)
            if m["role"] != "tool":
                out.append((m["role"], content or ""))
        return out

    @staticmethod
    def options(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "temperature": body.get("temperature"),
            "max_tokens": body.get("max_completion_tokens", body.get("max_tokens")),
            "top_p": body.get("top_p"),
            "stop": body.get("stop"),
            "seed": body.get("seed"),
        }

    @staticmethod
    def tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """name -> {"description", "parameters"}"""
        return {
            t["function"]["name"]: {
                "description": t["function"].get("description"),
                "parameters": t["function"].get("parameters"),
            }
            for t in body.get("tools", [])
        }

    @staticmethod
    def tool_choice(body: dict[str, Any]) -> str | None:
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            return str(choice["function"]["name"])
        return choice

    @staticmethod
    def assistant_calls(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (c["function"]["name"], json.loads(c["function"]["arguments"]))
            for m in body["messages"]
            if m["role"] == "assistant"
            for c in m.get("tool_calls") or []
        ]

    @staticmethod
    def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]

    @staticmethod
    def schema(body: dict[str, Any]) -> dict[str, Any]:
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema"
        return dict(fmt["json_schema"]["schema"])

    @staticmethod
    def json_output(body: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
        """(JSON asked for, the schema if one was sent)"""
        fmt = body.get("response_format")
        if fmt is None:
            return False, None
        return fmt["type"] != "text", (fmt.get("json_schema") or {}).get("schema")

    @staticmethod
    def embed_inputs(body: dict[str, Any]) -> list[str]:
        return list(body["input"])


class GeminiWire:
    """``generateContent`` bodies (Vertex AI and the Gemini API)."""

    @staticmethod
    def _text(content: dict[str, Any] | None) -> str:
        return "".join(p.get("text", "") for p in (content or {}).get("parts", []))

    @classmethod
    def turns(cls, body: dict[str, Any]) -> list[tuple[str, str]]:
        out = []
        if "systemInstruction" in body:
            out.append(("system", cls._text(body["systemInstruction"])))
        for c in body["contents"]:
            if any("functionResponse" in p for p in c["parts"]):
                continue
            role = {"model": "assistant"}.get(c.get("role", "user"), c.get("role", "user"))
            out.append((role, cls._text(c)))
        return out

    @staticmethod
    def options(body: dict[str, Any]) -> dict[str, Any]:
        gen = body.get("generationConfig", {})
        return {
            "temperature": gen.get("temperature"),
            "max_tokens": gen.get("maxOutputTokens"),
            "top_p": gen.get("topP"),
            "stop": gen.get("stopSequences"),
            "seed": gen.get("seed"),
        }

    @staticmethod
    def tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        out = {}
        for tool in body.get("tools", []):
            for d in tool.get("functionDeclarations", []):
                # proto JSON: Google accepts both field spellings
                params = d.get("parametersJsonSchema", d.get("parameters_json_schema"))
                out[d["name"]] = {"description": d.get("description"), "parameters": params}
        return out

    @staticmethod
    def tool_choice(body: dict[str, Any]) -> str | None:
        config = body.get("toolConfig", {}).get("functionCallingConfig")
        if config is None:
            return None
        names = config.get("allowedFunctionNames", config.get("allowed_function_names"))
        if names:
            assert config["mode"] == "ANY"
            return str(names[0])
        return {"AUTO": "auto", "NONE": "none", "ANY": "required"}[config["mode"]]

    @staticmethod
    def assistant_calls(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (p["functionCall"]["name"], p["functionCall"]["args"])
            for c in body["contents"]
            if c.get("role") == "model"
            for p in c["parts"]
            if "functionCall" in p
        ]

    @staticmethod
    def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            p["functionResponse"]["response"]
            for c in body["contents"]
            for p in c["parts"]
            if "functionResponse" in p
        ]

    @staticmethod
    def schema(body: dict[str, Any]) -> dict[str, Any]:
        gen = body["generationConfig"]
        assert gen["responseMimeType"] == "application/json"
        return dict(gen["responseJsonSchema"])

    @staticmethod
    def json_output(body: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
        """(JSON asked for, the schema if one was sent)"""
        gen = body.get("generationConfig", {})
        return gen.get("responseMimeType") == "application/json", gen.get("responseJsonSchema")

    @staticmethod
    def embed_inputs(body: dict[str, Any]) -> list[str]:
        return ["".join(p["text"] for p in r["content"]["parts"]) for r in body["requests"]]


# -- targets -----------------------------------------------------------------------------------


@dataclass
class Target:
    """One provider, its server, and what a correct request to it looks like."""

    name: str
    provider_name: str
    server: Any
    provider: dict[str, Any]
    wire: Any
    chat_path: str
    stream_path: str
    stream_query: dict[str, list[str]]
    embed_path: str
    #: header name -> exact value every request must carry
    auth: dict[str, str]
    #: query every request must carry (Azure's api-version)
    query: dict[str, list[str]] = field(default_factory=dict)

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The provider section, with top-level overrides (``max_retries=0``...)."""
        return {**self.provider, **overrides}

    def check_request(self, request: RecordedRequest, path: str) -> None:
        assert request.method == "POST"
        assert request.path == path
        for name, value in self.auth.items():
            assert request.headers.get(name) == value, (name, request.headers)
        for name, values in self.query.items():
            assert request.query.get(name) == values


def _openai(server: OpenAIServer) -> Target:
    return Target(
        name="openai",
        provider_name="openai",
        server=server,
        provider=server.provider_config(),
        wire=OpenAIWire,
        chat_path="/v1/chat/completions",
        stream_path="/v1/chat/completions",
        stream_query={},
        embed_path="/v1/embeddings",
        auth={"authorization": "Bearer sk-test-local-0000"},
    )


def _azure(server: AzureOpenAIServer) -> Target:
    base = "/openai/deployments"
    return Target(
        name="azure",
        provider_name="azure",
        server=server,
        provider=server.provider_config(),
        wire=OpenAIWire,
        chat_path=f"{base}/test-deployment/chat/completions",
        stream_path=f"{base}/test-deployment/chat/completions",
        stream_query={"api-version": ["2024-10-21"]},
        embed_path=f"{base}/test-embedding-deployment/embeddings",
        auth={"api-key": "azure-test-local-0000"},
        query={"api-version": ["2024-10-21"]},
    )


def _azure_v1(server: AzureOpenAIServer) -> Target:
    return Target(
        name="azure_v1",
        provider_name="azure",
        server=server,
        provider=server.provider_config(v1_api=True),
        wire=OpenAIWire,
        chat_path="/openai/v1/chat/completions",
        stream_path="/openai/v1/chat/completions",
        stream_query={},
        embed_path="/openai/v1/embeddings",
        auth={"authorization": "Bearer azure-test-local-0000"},
    )


def _vertex(server: GeminiServer) -> Target:
    base = "/v1/projects/test-project/locations/europe-west4/publishers/google/models"
    return Target(
        name="vertex",
        provider_name="google",
        server=server,
        provider=server.provider_config("vertex"),
        wire=GeminiWire,
        chat_path=f"{base}/gemini-test:generateContent",
        stream_path=f"{base}/gemini-test:streamGenerateContent",
        stream_query={"alt": ["sse"]},
        embed_path=f"{base}/gemini-embedding-test:batchEmbedContents",
        auth={"authorization": "Bearer ya29.test-local-token"},
    )


def _gemini_api(server: GeminiServer) -> Target:
    return Target(
        name="gemini_api",
        provider_name="google",
        server=server,
        provider=server.provider_config("gemini_api"),
        wire=GeminiWire,
        chat_path="/v1beta/models/gemini-test:generateContent",
        stream_path="/v1beta/models/gemini-test:streamGenerateContent",
        stream_query={"alt": ["sse"]},
        embed_path="/v1beta/models/gemini-embedding-test:batchEmbedContents",
        auth={"x-goog-api-key": "AIza-test-local-0000"},
    )


_TARGETS: dict[str, tuple[Callable[[], WireServer], Callable[[Any], Target]]] = {
    "openai": (OpenAIServer, _openai),
    "azure": (AzureOpenAIServer, _azure),
    "azure_v1": (AzureOpenAIServer, _azure_v1),
    "vertex": (GeminiServer, _vertex),
    "gemini_api": (GeminiServer, _gemini_api),
}


@pytest.fixture(scope="session")
def _servers() -> Iterator[dict[str, WireServer]]:
    # One server per target for the session: stopping a server costs a poll interval
    # (~50 ms), which over hundreds of cases was a third of the suite's time.
    servers = {name: make_server().start() for name, (make_server, _) in _TARGETS.items()}
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture(params=list(_TARGETS))
def target(request: pytest.FixtureRequest, _servers: dict[str, WireServer]) -> Target:
    """Each provider in turn, behind its local server, emptied for this test."""
    server = _servers[request.param]
    server.clear()
    server.aborted_streams = 0
    return _TARGETS[request.param][1](server)


@pytest.fixture
def run(runner_factory: Callable[..., Any], target: Target) -> Any:
    """A Runner (sync and async) on ``target`` with privllm's default chain."""
    return runner_factory(provider=target.config())
