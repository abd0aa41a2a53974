"""Entra ID without a credential in code: tokens from the client's env, through the guard,
and credential failures as AuthenticationError (issue 11, item 5)."""

from __future__ import annotations

import asyncio
import traceback

import httpx2
import pytest
from azure.core.exceptions import ClientAuthenticationError
from click.testing import CliRunner

from privllm import AsyncClient, Client
from privllm.cli import main
from privllm.errors import AuthenticationError, EgressBlocked
from privllm.testing import AzureOpenAIServer, ManagedIdentityServer, Reply

NO_AUDIT = {"enabled": False}


class Recorder:
    """A transport_wrapper: privllm puts the guard outside it, so what it sees passed."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, inner):
        recorder = self

        class Recording(httpx2.BaseTransport):
            def handle_request(self, request):
                recorder.urls.append(str(request.url))
                return inner.handle_request(request)

            def close(self):
                inner.close()

        if isinstance(inner, httpx2.AsyncBaseTransport):
            return inner  # the model calls of AsyncClient: not what this test looks at
        return Recording()


def _entra(server):
    return server.provider_config(auth="entra_id", api_key=None)


def test_managed_identity_from_the_clients_env_through_the_guard(monkeypatch):
    with (
        AzureOpenAIServer(tokens={"entra-token-1"}) as api,
        ManagedIdentityServer(token="entra-token-1") as identity,
        ManagedIdentityServer(token="decoy-token") as decoy,
    ):
        # The process environment points elsewhere: only the client's env may count.
        for name, value in decoy.env().items():
            monkeypatch.setenv(name, value)
        recorder = Recorder()
        with Client(
            env=identity.env(), provider=_entra(api), audit=NO_AUDIT, transport_wrapper=recorder
        ) as client:
            assert client.chat("hi").text == "hi"
            assert client.chat("again").text == "again"  # the token is cached

        async def use_async() -> str:
            async with AsyncClient(env=identity.env(), provider=_entra(api), audit=NO_AUDIT) as c:
                return (await c.chat("async")).text

        assert asyncio.run(use_async()) == "async"
        endpoint = identity.endpoint
    assert decoy.requests == []
    assert len(identity.requests) == 2  # one per client
    token_request = identity.requests[0]
    assert token_request.method == "GET"
    assert token_request.headers["x-identity-header"] == identity.secret
    assert token_request.query["resource"] == ["https://cognitiveservices.azure.com"]
    assert recorder.urls[0].startswith(endpoint + "?")  # passed the guard first
    assert api.last.headers["authorization"] == "Bearer entra-token-1"


def test_a_redirect_from_the_identity_endpoint_is_refused_by_the_guard():
    with AzureOpenAIServer() as api, ManagedIdentityServer() as identity:
        identity.reply(Reply.error(307, "moved", headers={"location": "https://evil.example/t"}))
        client = Client(env=identity.env(), provider=_entra(api), audit=NO_AUDIT)
        with client, pytest.raises(EgressBlocked) as info:
            client.chat("hi")
        assert info.value.rule == "egress.redirect"
        assert api.requests == []


def test_an_identity_endpoint_off_this_machine_is_refused():
    env = {"IDENTITY_ENDPOINT": "http://identity.example.net/msi/token", "IDENTITY_HEADER": "s"}
    with AzureOpenAIServer() as api:
        client = Client(env=env, provider=_entra(api), audit=NO_AUDIT)
        with client, pytest.raises(EgressBlocked) as info:
            client.chat("hi")
        assert (info.value.rule, info.value.host) == ("egress.host", "identity.example.net")
        assert api.requests == []


def test_the_identity_endpoint_takes_token_gets_only():
    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.policy.egress import EgressPolicy

    with AzureOpenAIServer() as api, ManagedIdentityServer() as identity:
        guard = EgressPolicy.from_config(
            ProviderConfig(**_entra(api)), PolicyConfig(), env=identity.env()
        )
        guard.check_url(identity.endpoint + "?resource=x", "GET")
        for url, method in [
            (identity.endpoint, "POST"),
            (f"{identity.origin}/other", "GET"),
            ("http://169.254.169.254/metadata/instance", "GET"),
        ]:
            with pytest.raises(EgressBlocked) as info:
                guard.check_url(url, method)
            assert info.value.rule == "egress.identity"


class SecretSpillingCredential:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def get_token(self, *scopes, **kwargs):
        raise self.exc


@pytest.mark.parametrize(
    "exc",
    [
        ClientAuthenticationError("AADSTS7000215: Invalid client secret provided: s3cr3t-Value"),
        RuntimeError("vault said no to s3cr3t-Value"),
    ],
)
def test_credential_errors_are_authentication_errors(exc):
    with AzureOpenAIServer() as api:
        options = {"default": {"credential": SecretSpillingCredential(exc)}}
        with (
            Client(
                env={}, provider=_entra(api), provider_options=options, audit=NO_AUDIT
            ) as client,
            pytest.raises(AuthenticationError) as info,
        ):
            client.chat("hi")
        assert api.requests == []
    assert info.value.provider == "azure"
    assert type(exc).__name__ in str(info.value)
    printed = "".join(traceback.format_exception(info.value))
    assert "s3cr3t-Value" not in printed
    assert info.value.__context__ is None


def test_cli_chat_says_one_line_when_entra_id_fails(tmp_path, monkeypatch):
    with AzureOpenAIServer() as api, ManagedIdentityServer() as identity:
        identity.reply(Reply.error(400, "no identity assigned"))
        monkeypatch.chdir(tmp_path)
        (tmp_path / "privllm.toml").write_text(
            f'[provider]\nname = "azure"\nmodel = "test-deployment"\n[provider.azure]\n'
            f'endpoint = "{api.origin}"\nauth = "entra_id"\n[audit]\nenabled = false\n'
        )
        for name, value in identity.env().items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(main, ["chat", "--no-stream", "hi"])
    assert result.exit_code == 1
    assert result.output.startswith("error: Entra ID: the managed identity")
    assert result.output.count("\n") == 1
