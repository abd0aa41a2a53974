"""Azure specifics: Entra ID tokens, deployments, api-version, content filter, environment."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from azure.core.credentials import AccessToken

from privllm import Client
from privllm.config import ProviderConfig
from privllm.errors import ConfigError, ContentFilteredError, NotFoundError
from privllm.providers.azure import AzureProvider
from privllm.testing import AzureOpenAIServer, Reply

SCOPE = "https://cognitiveservices.azure.com/.default"


class FakeCredential:
    """A TokenCredential handing out ``tok-1``, ``tok-2``... that live ``lifetime`` seconds."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.lifetime = lifetime
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken(f"tok-{len(self.scopes)}", int(time.time()) + self.lifetime)


class FakeAsyncCredential(FakeCredential):
    async def get_token(self, *scopes, **kwargs):  # type: ignore[override]
        return FakeCredential.get_token(self, *scopes, **kwargs)

    async def close(self):
        raise AssertionError("a credential passed in is the caller's to close")


def _entra(server, credential, **settings):
    config = server.provider_config(auth="entra_id", api_key=None, **settings)
    return config, AzureProvider(ProviderConfig(**config), env={}, credential=credential)


@pytest.mark.parametrize("v1_api", [False, True])
def test_entra_id_token_from_a_credential_passed_in_code(runner_factory, v1_api):
    with AzureOpenAIServer(tokens={"tok-1"}) as server:
        credential = FakeCredential()
        config, backend = _entra(server, credential, v1_api=v1_api)
        run = runner_factory(provider=config, backend=backend)
        assert run.chat("hello").text == "hello"
        run.embed(["a"])
        for sent in server.requests:
            assert sent.headers["authorization"] == "Bearer tok-1"
            assert "api-key" not in sent.headers
        assert credential.scopes == [(SCOPE,)]  # fetched once, then cached
        expected = (
            "/openai/v1/chat/completions"
            if v1_api
            else ("/openai/deployments/test-deployment/chat/completions")
        )
        assert server.requests[0].path == expected


def test_tokens_are_refreshed_before_they_expire(runner_factory):
    with AzureOpenAIServer(tokens={"tok-1", "tok-2", "tok-3"}) as server:
        credential = FakeCredential(lifetime=120)  # inside azure-core's 300 s refresh margin
        config, backend = _entra(server, credential)
        run = runner_factory(provider=config, backend=backend)
        run.chat("one")
        run.chat("two")
        assert [r.headers["authorization"] for r in server.requests] == [
            "Bearer tok-1",
            "Bearer tok-2",
        ]


def test_custom_token_scope(runner_factory):
    with AzureOpenAIServer(tokens={"tok-1"}) as server:
        credential = FakeCredential()
        config, backend = _entra(server, credential, token_scope="https://ai.azure.com/.default")
        runner_factory(provider=config, backend=backend).chat("x")
        assert credential.scopes == [("https://ai.azure.com/.default",)]


async def test_async_credential_serves_the_async_client():
    from privllm import AsyncClient

    with AzureOpenAIServer(tokens={"tok-1"}) as server:
        credential = FakeAsyncCredential()
        config, backend = _entra(server, credential)
        async with AsyncClient(provider=config, backend=backend, env={}) as client:
            assert (await client.chat("hi")).text == "hi"
        assert server.last.headers["authorization"] == "Bearer tok-1"


def test_environment_cannot_redirect_traffic(monkeypatch):
    with AzureOpenAIServer(api_key="key-from-config") as server, AzureOpenAIServer() as decoy:
        for name, value in {
            "AZURE_OPENAI_ENDPOINT": decoy.url,
            "OPENAI_BASE_URL": decoy.url,
            "OPENAI_API_VERSION": "2025-04-01-preview",
            "AZURE_OPENAI_API_KEY": "key-from-env",
            "AZURE_OPENAI_AD_TOKEN": "token-from-env",
            "OPENAI_CUSTOM_HEADERS": "Authorization: Bearer leaked\nX-Leak: yes",
            "OPENAI_ORG_ID": "org-env",
            "OPENAI_PROJECT_ID": "proj-env",
            "HTTPS_PROXY": decoy.origin,
            "HTTP_PROXY": decoy.origin,
            "ALL_PROXY": decoy.origin,
        }.items():
            monkeypatch.setenv(name, value)
        for v1_api in (False, True):
            config = server.provider_config(v1_api=v1_api)
            with Client(provider=config) as client:  # reads the real os.environ
                client.chat("hello")
                client.embed(["x"])
        assert decoy.requests == []
        assert len(server.requests) == 4
        for sent in server.requests[:2]:
            assert sent.headers["api-key"] == "key-from-config"
            assert "authorization" not in sent.headers
            assert sent.query["api-version"] == ["2024-10-21"]
        for sent in server.requests:
            assert "x-leak" not in sent.headers
            assert "openai-organization" not in sent.headers
            assert "openai-project" not in sent.headers
        assert server.requests[2].headers["authorization"] == "Bearer key-from-config"


def test_configured_deployments_route_the_default_models(runner_factory):
    with AzureOpenAIServer(deployments={"prod-gpt", "prod-embed", "other"}) as server:
        config = server.provider_config(deployment="prod-gpt", embedding_deployment="prod-embed")
        config.update(model="gpt-4o-mini", embedding_model="text-embedding-3-small")
        run = runner_factory(provider=config)
        run.chat("x")
        assert server.last.path == "/openai/deployments/prod-gpt/chat/completions"
        run.embed(["x"])
        assert server.last.path == "/openai/deployments/prod-embed/embeddings"
        run.chat("x", model="other")  # a call naming a model addresses that deployment
        assert server.last.path == "/openai/deployments/other/chat/completions"


def test_unknown_deployment_is_not_found(runner_factory):
    with AzureOpenAIServer() as server:
        run = runner_factory(provider={**server.provider_config(), "max_retries": 0})
        with pytest.raises(NotFoundError) as info:
            run.chat("x", model="missing")
        assert "deployment for this resource does not exist" in info.value.message
        assert info.value.request_id.startswith("req_")


def test_prompt_filter_is_a_content_filtered_error(runner_factory):
    with AzureOpenAIServer() as server:
        run = runner_factory(provider={**server.provider_config(), "max_retries": 0})
        server.reply(Reply.safety_block())
        with pytest.raises(ContentFilteredError) as info:
            run.chat("x")
        assert info.value.status_code == 400
        assert info.value.message.startswith("The response was filtered")
        assert info.value.request_id.startswith("req_")


def test_filtered_stream_without_text_raises(runner_factory):
    with AzureOpenAIServer() as server:
        run = runner_factory(provider=server.provider_config())
        server.reply(Reply.text("", finish_reason="content_filter"))
        with pytest.raises(ContentFilteredError):
            run.stream("x")
        server.reply(Reply.text("", finish_reason="content_filter"))
        with pytest.raises(ContentFilteredError):
            run.chat("x")


def test_endpoint_reports_declared_residency():
    config = ProviderConfig(
        name="azure",
        azure={
            "endpoint": "https://Contoso-EU.openai.azure.com/openai/v1/",
            "region": "swedencentral",
            "data_zone": "eu",
            "api_key": "k",
        },
    )
    provider = AzureProvider(config, env={})
    ep = provider.endpoint
    assert (ep.provider, ep.kind, ep.region, ep.data_zone) == (
        "azure",
        "enterprise_api",
        "swedencentral",
        "eu",
    )
    assert ep.host == "contoso-eu.openai.azure.com"
    assert ep.base_url == "https://Contoso-EU.openai.azure.com/openai"
    assert not ep.trains_on_data


def test_config_errors():
    with pytest.raises(ConfigError, match=r"provider\.azure\.endpoint"):
        AzureProvider(ProviderConfig(name="azure"), env={})
    section = {"endpoint": "https://x.openai.azure.com"}
    provider = AzureProvider(ProviderConfig(name="azure", model="m", azure=section), env={})
    with pytest.raises(ConfigError, match="AZURE_OPENAI_API_KEY"):
        _ = provider.sdk
    provider = AzureProvider(
        ProviderConfig(name="azure", azure={**section, "api_key": "k", "api_version": None}),
        env={},
    )
    with pytest.raises(ConfigError, match=r"provider\.azure\.api_version"):
        _ = provider.sdk


def test_api_key_from_named_env_var_and_never_in_repr(azure_server):
    config = azure_server.provider_config(api_key=None, api_key_env="MY_AZURE_KEY")
    key = "azure-secret-key-0123456789"
    with Client(provider=config, env={"MY_AZURE_KEY": key}) as client:
        client.chat("x")
        assert key not in repr(client)
        assert key not in repr(client.provider)
    assert azure_server.last.headers["api-key"] == key


def test_building_an_azure_client_loads_no_google_sdk():
    code = (
        "import sys\n"
        "from privllm import Client\n"
        "Client(env={}, provider={'name': 'azure', 'azure': "
        "{'endpoint': 'https://x.openai.azure.com', 'api_key': 'k'}})\n"
        "print(','.join(m for m in ('openai', 'google.genai', 'azure.identity')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "openai"


def test_credential_through_provider_options_also_serves_profiles(runner_factory):
    with (
        AzureOpenAIServer(tokens={"tok-1"}) as primary,
        AzureOpenAIServer(tokens={"tok-1"}) as backup,
    ):
        primary.reply(Reply.error(500, "down"))
        run = runner_factory(
            provider={**primary.provider_config(auth="entra_id", api_key=None), "max_retries": 0},
            providers={"backup": backup.provider_config(auth="entra_id", api_key=None)},
            policy={"fallbacks": ["backup"]},
            provider_options={
                "default": {"credential": FakeCredential()},
                "backup": {"credential": FakeCredential()},
            },
        )
        assert run.chat("hello").text == "hello"
        assert primary.requests[0].headers["authorization"] == "Bearer tok-1"
        assert backup.requests[0].headers["authorization"] == "Bearer tok-1"


def test_provider_options_must_name_a_profile():
    from privllm import Client
    from privllm.errors import ConfigError

    with pytest.raises(ConfigError, match="nope"):
        Client(
            env={},
            provider={"name": "openai", "openai": {"api_key": "sk-x"}},
            provider_options={"nope": {}},
        )
