"""The client itself: config errors before any request; the environment cannot redirect it.

What every provider does with a call is in tests/conformance/; the OpenAI wire shape is in
tests/providers/test_openai_provider.py.
"""

from __future__ import annotations

import pytest

from privllm import Client
from privllm.errors import ConfigError
from privllm.testing import OpenAIServer


def test_missing_model_is_a_config_error(runner_factory, openai_server):
    config = openai_server.provider_config()
    del config["model"]
    run = runner_factory(provider=config)
    with pytest.raises(ConfigError, match=r"provider\.model"):
        run.chat("x")
    assert openai_server.requests == []


def test_missing_api_key_names_the_env_var(runner_factory):
    run = runner_factory(provider={"name": "openai", "model": "gpt-4o-mini"})
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        run.chat("x")


def test_environment_cannot_redirect_traffic(monkeypatch, openai_server):
    with OpenAIServer() as decoy:
        monkeypatch.setenv("OPENAI_BASE_URL", decoy.url)
        monkeypatch.setenv("HTTPS_PROXY", decoy.origin)
        monkeypatch.setenv("HTTP_PROXY", decoy.origin)
        monkeypatch.setenv("ALL_PROXY", decoy.origin)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-should-not-be-used")
        with Client(provider=openai_server.provider_config()) as client:  # reads real os.environ
            client.chat("hello")
        assert decoy.requests == []
    assert len(openai_server.requests) == 1
    assert openai_server.last.headers["authorization"] == "Bearer sk-test-local-0000"


def test_api_key_from_named_env_var(openai_server):
    config = openai_server.provider_config(api_key=None, api_key_env="MY_LLM_KEY")
    with Client(provider=config, env={"MY_LLM_KEY": "sk-named-env-key-9999"}) as client:
        client.chat("hello")
    assert openai_server.last.headers["authorization"] == "Bearer sk-named-env-key-9999"


def test_sdk_environment_headers_cannot_replace_the_key(monkeypatch, openai_server):
    monkeypatch.setenv(
        "OPENAI_CUSTOM_HEADERS", "Authorization: Bearer sk-leaked-from-env\nX-Leak: 1"
    )
    monkeypatch.setenv("OPENAI_ORG_ID", "org-from-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-from-env")
    with Client(provider=openai_server.provider_config()) as client:
        client.chat("hello")
    headers = openai_server.last.headers
    assert headers["authorization"] == "Bearer sk-test-local-0000"
    assert "x-leak" not in headers
    assert "openai-organization" not in headers
    assert "openai-project" not in headers
