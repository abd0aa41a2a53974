"""Entra ID tokens from the client's environment, fetched through privllm's guarded client.

``auth = "entra_id"`` without a credential passed in code used ``DefaultAzureCredential()``,
which reads ``os.environ`` whatever ``Client(env=...)`` says and fetches tokens with
azure-core's own transport, out of the egress guard's sight. Its managed-identity parts
cannot be pointed at another mapping (they read ``os.environ`` inside), so privllm speaks
the three token protocols a server uses itself, reading only the client's ``env`` and
sending through the httpx2 client it is given (privllm's, with the guard inside):

1. a service principal: ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``, ``AZURE_CLIENT_SECRET``
   (client-credentials POST to ``{AZURE_AUTHORITY_HOST}/{tenant}/oauth2/v2.0/token``);
2. workload identity: ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``,
   ``AZURE_FEDERATED_TOKEN_FILE`` (the same POST with the file as client assertion);
3. managed identity: ``IDENTITY_ENDPOINT`` with ``IDENTITY_HEADER`` (App Service,
   Functions, Container Apps), else the instance metadata service
   (``http://169.254.169.254``); ``AZURE_CLIENT_ID`` picks a user-assigned identity.

``AZURE_AUTHORITY_HOST`` may name another Entra authority: Azure's national clouds
(``login.microsoftonline.us``, ``login.chinacloudapi.cn``), which the guard allows for the
token POST only, or a loopback stand-in (``privllm.testing.EntraAuthorityServer``), allowed
for POST of exactly the token URL built from the env. Any other authority is refused by the
guard: it would receive the client secret or assertion.

Developer logins (``az login``, azd, PowerShell, VS Code) run other programs whose traffic no
guard sees: pass such a credential in code (``credential=AzureCliCredential()``) to use one.
Tokens are cached and refreshed by azure-core's bearer token policy, as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
from azure.core.credentials import AccessToken

from privllm.errors import AuthenticationError, ConfigError

__all__ = [
    "ENTRA_AUTHORITY_HOSTS",
    "IMDS_TOKEN_URL",
    "EnvironmentTokenCredential",
    "authority_host",
    "authority_token_urls",
    "entra_token_url",
    "identity_token_urls",
]

IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token"  # noqa: S105 - a URL
_AUTHORITY = "https://login.microsoftonline.com"
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
#: Entra authorities of Azure's clouds (azure-identity's ``AzureAuthorityHosts``): public,
#: US Government, China. The guard lets the one the env names take token POSTs.
ENTRA_AUTHORITY_HOSTS = frozenset(
    {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}
)


def entra_token_url(env: Mapping[str, str]) -> str | None:
    """The token URL of the service-principal or workload-identity flow ``env`` configures
    (``{AZURE_AUTHORITY_HOST}/{AZURE_TENANT_ID}/oauth2/v2.0/token``), or ``None``.

    >>> env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}
    >>> entra_token_url({**env, "AZURE_AUTHORITY_HOST": "login.microsoftonline.us"})
    'https://login.microsoftonline.us/t/oauth2/v2.0/token'
    """
    tenant, client = env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID")
    if not (tenant and client):
        return None
    if not (env.get("AZURE_CLIENT_SECRET") or env.get("AZURE_FEDERATED_TOKEN_FILE")):
        return None
    authority = (env.get("AZURE_AUTHORITY_HOST") or _AUTHORITY).rstrip("/")
    if "://" not in authority:
        authority = "https://" + authority
    return f"{authority}/{tenant}/oauth2/v2.0/token"


def authority_token_urls(env: Mapping[str, str]) -> frozenset[str]:
    """The Entra token URL the guard allows (POST only) for ``env``, when
    ``AZURE_AUTHORITY_HOST`` names a loopback stand-in. Azure's own authorities are identity
    hosts of the guard instead; any other authority is not allowed (it would receive the
    client secret or assertion)."""
    url = entra_token_url(env)
    if url is not None and (urlsplit(url).hostname or "") in _LOOPBACK:
        return frozenset({url})
    return frozenset()


def authority_host(env: Mapping[str, str]) -> str | None:
    """The host of the Entra authority ``env`` uses, if it is one of Azure's clouds'."""
    url = entra_token_url(env)
    host = (urlsplit(url).hostname or "").lower() if url is not None else ""
    return host if host in ENTRA_AUTHORITY_HOSTS else None


def identity_token_urls(env: Mapping[str, str]) -> frozenset[str]:
    """The managed-identity token URLs the guard allows (GET only) for ``env``: the
    metadata service always, and ``IDENTITY_ENDPOINT`` when it is on loopback, where
    Azure's hosts serve it (elsewhere it would carry ``IDENTITY_HEADER`` off the machine,
    so the guard refuses it)."""
    urls = {IMDS_TOKEN_URL}
    endpoint = env.get("IDENTITY_ENDPOINT")
    if endpoint and (urlsplit(endpoint).hostname or "") in _LOOPBACK:
        urls.add(endpoint)
    return frozenset(urls)


class EnvironmentTokenCredential:
    """An azure-core ``TokenCredential`` configured from ``env`` only (see the module).

    >>> cred = EnvironmentTokenCredential({}, httpx2.Client())
    >>> cred.kind
    'managed identity (IMDS)'
    >>> cred.close()
    """

    def __init__(self, env: Mapping[str, str], http: httpx2.Client) -> None:
        self._http = http
        self._env = {k: v for k, v in env.items() if k.startswith(("AZURE_", "IDENTITY_"))}
        tenant, client = self._env.get("AZURE_TENANT_ID"), self._env.get("AZURE_CLIENT_ID")
        if tenant and client and self._env.get("AZURE_CLIENT_SECRET"):
            self.kind = "service principal"
        elif tenant and client and self._env.get("AZURE_FEDERATED_TOKEN_FILE"):
            self.kind = "workload identity"
        elif self._env.get("IDENTITY_ENDPOINT") and self._env.get("IDENTITY_HEADER"):
            if self._env.get("IDENTITY_SERVER_THUMBPRINT"):
                raise ConfigError(
                    "provider.azure: Service Fabric managed identity is not built in; pass "
                    "credential=ManagedIdentityCredential() in code",
                    field="provider.azure.auth",
                )
            self.kind = "managed identity (IDENTITY_ENDPOINT)"
        else:
            self.kind = "managed identity (IMDS)"

    def __repr__(self) -> str:
        return f"EnvironmentTokenCredential({self.kind!r})"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A token for ``scopes[0]`` (one scope, as azure-identity's credentials take)."""
        del kwargs  # claims and tenant_id: not used by these flows
        scope = scopes[0]
        env = self._env
        if self.kind in ("service principal", "workload identity"):
            form = {
                "grant_type": "client_credentials",
                "client_id": env["AZURE_CLIENT_ID"],
                "scope": scope,
            }
            if self.kind == "service principal":
                form["client_secret"] = env["AZURE_CLIENT_SECRET"]
            else:
                form["client_assertion_type"] = _ASSERTION_TYPE
                form["client_assertion"] = _read(env["AZURE_FEDERATED_TOKEN_FILE"])
            token_url = entra_token_url(env)
            assert token_url is not None  # the kind says tenant, client and secret are set
            response = self._http.post(token_url, data=form)
        else:
            resource = scope.removesuffix("/.default")
            params = {"resource": resource}
            client_id = env.get("AZURE_CLIENT_ID")
            if client_id:
                params["client_id"] = client_id
            if self.kind == "managed identity (IMDS)":
                params["api-version"] = "2018-02-01"
                headers = {"Metadata": "true"}
                url = IMDS_TOKEN_URL
            else:
                params["api-version"] = "2019-08-01"
                headers = {"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]}
                url = env["IDENTITY_ENDPOINT"]
            response = self._http.get(url, params=params, headers=headers)
        return self._token(response)

    def _token(self, response: httpx2.Response) -> AccessToken:
        # The body of a refusal may describe the request (client id, tenant): not quoted.
        if response.status_code != 200:
            raise AuthenticationError(
                f"Entra ID: the {self.kind} token request was refused",
                provider="azure",
                status_code=response.status_code,
            )
        try:
            body = json.loads(response.content)
            token = str(body["access_token"])
            if "expires_on" in body:
                expires_on = int(float(body["expires_on"]))
            else:
                expires_on = int(time.time() + float(body["expires_in"]))
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError(
                f"Entra ID: unreadable answer to the {self.kind} token request",
                provider="azure",
                status_code=response.status_code,
            ) from None
        return AccessToken(token, expires_on)

    def close(self) -> None:
        self._http.close()


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"AZURE_FEDERATED_TOKEN_FILE: cannot read {path}: {exc.strerror}",
            field="provider.azure.auth",
        ) from None
