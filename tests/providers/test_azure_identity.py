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
from privllm.testing import AzureOpenAIServer, EntraAuthorityServer, ManagedIdentityServer, Reply

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
    from privllm.policy.egress.guard import EgressPolicy

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


# -- service principal and workload identity, against a local Entra authority ------------------

SCOPE = "https://cognitiveservices.azure.com/.default"
SECRET = "s3cr3t-Client~Secret.0000"
ASSERTION = "eyJhbGciOiJSUzI1NiJ9.federated-assertion.signature"


def _flow_env(authority, flow, tmp_path):
    if flow == "service principal":
        return authority.env(secret=SECRET)
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(ASSERTION + "\n")
    return authority.env(federated_token_file=str(token_file))


FLOWS = ["service principal", "workload identity"]


@pytest.mark.parametrize("flow", FLOWS)
def test_entra_flows_from_the_clients_env_through_the_guard(flow, tmp_path, monkeypatch):
    with (
        AzureOpenAIServer(tokens={"entra-token-2"}) as api,
        EntraAuthorityServer(token="entra-token-2") as authority,
        EntraAuthorityServer(token="decoy-token") as decoy,
    ):
        # The process environment points elsewhere: only the client's env may count.
        for name, value in decoy.env(secret="decoy-secret").items():
            monkeypatch.setenv(name, value)
        env = _flow_env(authority, flow, tmp_path)
        recorder = Recorder()
        with Client(env=env, provider=_entra(api), audit=NO_AUDIT, transport_wrapper=recorder) as c:
            assert c.chat("hi").text == "hi"
            assert c.chat("again").text == "again"  # the token is cached

        async def use_async() -> str:
            async with AsyncClient(env=env, provider=_entra(api), audit=NO_AUDIT) as c:
                return (await c.chat("async")).text

        assert asyncio.run(use_async()) == "async"  # a sync credential serving AsyncClient
        token_url = authority.origin + authority.path
    assert decoy.requests == []
    assert len(authority.requests) == 2  # one per client
    request = authority.requests[0]
    assert (request.method, request.path) == ("POST", authority.path)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = authority.forms[0]
    expected = {
        "grant_type": "client_credentials",
        "client_id": authority.client_id,
        "scope": SCOPE,
    }
    if flow == "service principal":
        expected["client_secret"] = SECRET
    else:
        expected["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        expected["client_assertion"] = ASSERTION
    assert form == expected
    assert recorder.urls[0] == token_url  # passed the guard first
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer entra-token-2"}


def _chat_once(mode, env, api):
    if mode == "sync":
        with Client(env=env, provider=_entra(api), audit=NO_AUDIT) as c:
            return c.chat("hi")

    async def call():
        async with AsyncClient(env=env, provider=_entra(api), audit=NO_AUDIT) as c:
            return await c.chat("hi")

    return asyncio.run(call())


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_entra_token_refusal_is_an_authentication_error_without_secrets(flow, mode, tmp_path):
    with AzureOpenAIServer() as api, EntraAuthorityServer() as authority:
        env = _flow_env(authority, flow, tmp_path)
        # An authority that quotes what it was sent: none of it may reach the error.
        authority.reply(Reply.error(401, f"AADSTS7000215: bad secret {SECRET} / {ASSERTION}"))

        with pytest.raises(AuthenticationError) as info:
            _chat_once(mode, env, api)
        assert api.requests == []
    assert info.value.status_code == 401
    assert flow in str(info.value)
    printed = "".join(traceback.format_exception(info.value))
    for secret in (SECRET, ASSERTION, "AADSTS7000215", authority.client_id):
        assert secret not in printed


def test_a_wrong_secret_is_refused_by_the_authority_not_sent_on(tmp_path):
    with AzureOpenAIServer() as api, EntraAuthorityServer() as authority:
        env = {**authority.env(secret=SECRET), "AZURE_CLIENT_SECRET": "not-the-secret"}
        with pytest.raises(AuthenticationError):
            _chat_once("sync", env, api)
        assert len(authority.requests) == 1
        assert api.requests == []


@pytest.mark.parametrize(
    ("authority_host", "rule"),
    [
        ("http://login.example.net", "egress.host"),  # the secret in clear, off this machine
        ("https://login.example.net", "egress.host"),  # not one of Azure's Entra authorities
        ("login.example.net", "egress.host"),  # as azure-identity takes it: https implied
    ],
)
def test_an_authority_the_guard_refuses_gets_nothing(authority_host, rule):
    with AzureOpenAIServer() as api, EntraAuthorityServer() as authority:
        env = {**authority.env(secret=SECRET), "AZURE_AUTHORITY_HOST": authority_host}
        with pytest.raises(EgressBlocked) as info:
            _chat_once("sync", env, api)
        assert (info.value.rule, info.value.host) == (rule, "login.example.net")
        assert SECRET not in "".join(traceback.format_exception(info.value))
        assert authority.requests == []
        assert api.requests == []


def test_the_authority_from_env_takes_its_token_post_only():
    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.policy.egress.guard import EgressPolicy

    with AzureOpenAIServer() as api, EntraAuthorityServer() as authority:
        env = authority.env(secret=SECRET)
        guard = EgressPolicy.from_config(ProviderConfig(**_entra(api)), PolicyConfig(), env=env)
        guard.check_url(authority.origin + authority.path, "POST")
        for url, method in [
            (authority.origin + authority.path, "GET"),
            (f"{authority.origin}/other-tenant/oauth2/v2.0/token", "POST"),
            (f"{authority.origin}/v1/chat/completions", "POST"),
        ]:
            with pytest.raises(EgressBlocked) as info:
                guard.check_url(url, method)
            assert info.value.rule == "egress.identity"
        # Azure's national clouds: their Entra authority, for token POSTs only.
        us = {**env, "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.us"}
        guard = EgressPolicy.from_config(ProviderConfig(**_entra(api)), PolicyConfig(), env=us)
        guard.check_url(f"https://login.microsoftonline.us{authority.path}", "POST")
        with pytest.raises(EgressBlocked, match=r"\(egress\.identity\)"):
            guard.check_url("https://login.microsoftonline.us/other", "POST")
        with pytest.raises(EgressBlocked, match=r"\(egress\.(host|port)\)"):
            guard.check_url(authority.origin + authority.path, "POST")
        # Without a service principal or workload identity in env, the authority is unknown.
        guard = EgressPolicy.from_config(
            ProviderConfig(**_entra(api)),
            PolicyConfig(),
            env={"AZURE_AUTHORITY_HOST": authority.origin},
        )
        # (the loopback host is allowed for the API's own port only: the authority's is not)
        with pytest.raises(EgressBlocked, match=r"egress\.(host|port)"):
            guard.check_url(authority.origin + authority.path, "POST")
