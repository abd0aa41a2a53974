"""The constructors: the SDK's arguments and privllm's config, OpenAI and Azure."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from privllm.openai import AsyncAzureOpenAI, AsyncOpenAI, AzureOpenAI, OpenAI
from privllm.testing import AzureOpenAIServer, OpenAIServer, Reply

ASK = [{"role": "user", "content": "Call Jane Roe at jane.roe@example.com"}]


def test_sdk_arguments_become_privllm_config(openai_server: OpenAIServer):
    with OpenAI(
        api_key="sk-config-0000",
        base_url=openai_server.url,
        organization="org-1",
        project="proj-1",
        timeout=12.5,
        max_retries=1,
        env={},
        audit={"enabled": False},
    ) as client:
        provider = client.privllm.config.provider
        assert (provider.name, provider.timeout, provider.max_retries) == ("openai", 12.5, 1)
        assert provider.openai.base_url == openai_server.url
        assert (client.timeout, client.max_retries) == (12.5, 1)
        client.chat.completions.create(model="m", messages=ASK)
    headers = openai_server.last.headers
    assert headers["authorization"] == "Bearer sk-config-0000"
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"


def test_the_api_key_comes_from_the_environment_as_on_the_sdk(openai_server: OpenAIServer):
    env = {"OPENAI_API_KEY": "sk-from-env-0000", "OPENAI_BASE_URL": "https://evil.example/v1"}
    with OpenAI(base_url=openai_server.url, env=env, audit={"enabled": False}) as client:
        client.chat.completions.create(model="m", messages=ASK)
    assert openai_server.last.headers["authorization"] == "Bearer sk-from-env-0000"


def test_privllm_config_as_a_mapping_a_path_or_sections(
    openai_server: OpenAIServer, tmp_path: Path
):
    terms = {"redaction": {"terms": {"PERSON": ["Jane Roe"]}}, "audit": {"enabled": False}}
    path = tmp_path / "privllm.toml"
    path.write_text('[redaction]\nterms = { PERSON = ["Jane Roe"] }\n[audit]\nenabled = false\n')
    common = {"base_url": openai_server.url, "api_key": "sk-x-0000", "env": {}}
    for client in (
        OpenAI(config=terms, **common),
        OpenAI(privllm=str(path), **common),
        OpenAI(redaction=terms["redaction"], audit={"enabled": False}, **common),
    ):
        with client:
            client.chat.completions.create(model="m", messages=ASK)
        sent = openai_server.last.json()["messages"][0]["content"]
        assert sent == "Call [PERSON_1] at [EMAIL_1]"


def test_the_four_classes_are_subclasses_as_in_the_sdk():
    assert issubclass(AzureOpenAI, OpenAI)
    assert issubclass(AsyncAzureOpenAI, AsyncOpenAI)
    assert issubclass(openai.AzureOpenAI, openai.OpenAI)


def azure_client(server: AzureOpenAIServer, **kwargs):
    return AzureOpenAI(
        azure_endpoint=server.url, api_version="2024-10-21", env={}, audit={"enabled": False},
        max_retries=0, **kwargs,
    )  # fmt: skip


def test_azure_with_a_key_uses_deployment_urls():
    with AzureOpenAIServer(api_key="azure-key-0000") as server:
        with azure_client(server, api_key="azure-key-0000") as client:
            result = client.chat.completions.create(model=server.model, messages=ASK)
            client.embeddings.create(model=server.embedding_model, input="x")
        chat, embed = server.requests
    assert result.choices[0].message.content == ASK[0]["content"]
    assert chat.path == f"/openai/deployments/{server.model}/chat/completions"
    assert chat.query["api-version"] == ["2024-10-21"]
    assert chat.headers["api-key"] == "azure-key-0000"
    assert embed.path == f"/openai/deployments/{server.embedding_model}/embeddings"


def test_azure_deployment_fixes_where_every_call_goes():
    with AzureOpenAIServer(api_key="azure-key-0000") as server:
        with azure_client(server, api_key="azure-key-0000", azure_deployment=server.model) as c:
            c.chat.completions.create(model="gpt-4o", messages=ASK)
        assert server.last.path == f"/openai/deployments/{server.model}/chat/completions"


def test_azure_ad_token_provider_is_asked_for_each_call():
    calls = []

    def token() -> str:
        calls.append(1)
        return "entra-token-1"

    with AzureOpenAIServer(tokens={"entra-token-1"}) as server:
        with azure_client(server, azure_ad_token_provider=token) as client:
            client.chat.completions.create(model=server.model, messages=ASK)
            client.chat.completions.create(model=server.model, messages=ASK)
        assert server.last.headers["authorization"] == "Bearer entra-token-1"
        assert "api-key" not in server.last.headers
    assert len(calls) == 2


def test_async_azure_takes_an_async_token_provider():
    async def token() -> str:
        return "entra-token-2"

    async def main(server: AzureOpenAIServer) -> str | None:
        async with AsyncAzureOpenAI(
            azure_endpoint=server.url,
            api_version="2024-10-21",
            azure_ad_token_provider=token,
            env={},
            audit={"enabled": False},
        ) as client:
            result = await client.chat.completions.create(model=server.model, messages=ASK)
            return result.choices[0].message.content

    with AzureOpenAIServer(tokens={"entra-token-2"}) as server:
        assert asyncio.run(main(server)) == ASK[0]["content"]


def test_azure_v1_base_url():
    with AzureOpenAIServer(api_key="azure-key-0000") as server:
        client = AzureOpenAI(
            base_url=f"{server.url}/openai/v1/", api_key="azure-key-0000", env={},
            audit={"enabled": False},
        )  # fmt: skip
        with client:
            client.chat.completions.create(model=server.model, messages=ASK)
        assert server.last.path == "/openai/v1/chat/completions"


def test_azure_content_filter_is_the_sdks_bad_request_with_its_code():
    with AzureOpenAIServer(api_key="azure-key-0000") as server:
        server.reply(Reply.safety_block())
        client = azure_client(server, api_key="azure-key-0000")
        with client, pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(model=server.model, messages=ASK)
    assert info.value.code == "content_filter"
    assert info.value.status_code == 400


def test_importing_privllm_openai_is_needed_for_the_sdk():
    code = "import sys, privllm; print('privllm.openai' in sys.modules, 'openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
