"""Local stand-ins for Entra ID token endpoints: the managed-identity endpoint
(``IDENTITY_ENDPOINT``, as App Service serves it) and the Entra authority
(``AZURE_AUTHORITY_HOST``, for service principals and workload identity).

``ManagedIdentityServer``:

``GET /msi/token?api-version=2019-08-01&resource=...`` with the ``X-IDENTITY-HEADER`` secret
answers ``{"access_token", "expires_on", "resource", "token_type"}``; a wrong or missing
header answers 401. Scripted replies with ``status >= 400`` answer that status, and
``Reply.text(..., status=302, headers={"location": ...})`` a redirect.

>>> from privllm.testing import ManagedIdentityServer
>>> with ManagedIdentityServer(token="entra-token-1") as identity:
...     env = identity.env()  # IDENTITY_ENDPOINT and IDENTITY_HEADER for Client(env=...)
>>> sorted(env)
['IDENTITY_ENDPOINT', 'IDENTITY_HEADER']

``EntraAuthorityServer``: ``POST /{tenant}/oauth2/v2.0/token`` with the client-credentials
form (``grant_type``, ``client_id``, ``scope``, and ``client_secret`` or a
``client_assertion`` of type jwt-bearer) answers ``{"access_token", "expires_in",
"token_type"}`` when the client id and the secret or assertion match, else 401
``invalid_client`` as Entra does. ``forms`` holds each request's form, decoded.

>>> from privllm.testing import EntraAuthorityServer
>>> with EntraAuthorityServer(token="entra-token-2") as authority:
...     env = authority.env(secret="s3cr3t")  # a service principal pointing here
>>> sorted(env)
['AZURE_AUTHORITY_HOST', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID']
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from .replies import Reply
from .server import RecordedRequest, WireResponse, WireServer, json_response

__all__ = ["EntraAuthorityServer", "ManagedIdentityServer"]

_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class ManagedIdentityServer(WireServer):
    """Hands out ``token`` for any resource to requests carrying ``secret``."""

    path = "/msi/token"

    def __init__(
        self,
        *,
        token: str = "entra-token-1",  # noqa: S107 - a test token for a local server
        secret: str = "identity-header-1",  # noqa: S107 - likewise
    ) -> None:
        super().__init__(default=Reply.text(""))
        self.token = token
        self.secret = secret

    @property
    def endpoint(self) -> str:
        return f"{self.origin}{self.path}"

    def env(self) -> dict[str, str]:
        """The variables App Service sets, pointing here."""
        return {"IDENTITY_ENDPOINT": self.endpoint, "IDENTITY_HEADER": self.secret}

    def route(self, request: RecordedRequest) -> WireResponse:
        reply = self.next_reply()
        if reply.status >= 300:
            return json_response(reply.status, {"error": reply.message}, dict(reply.headers))
        if request.method != "GET" or request.path != self.path:
            return json_response(404, {"error": "not found"})
        if request.headers.get("x-identity-header") != self.secret:
            return json_response(401, {"error": "missing or wrong X-IDENTITY-HEADER"})
        resource = (request.query.get("resource") or [""])[0]
        return json_response(
            200,
            {
                "access_token": self.token,
                "expires_on": str(int(time.time()) + 3600),
                "resource": resource,
                "token_type": "Bearer",
            },
        )


class EntraAuthorityServer(WireServer):
    """Hands out ``token`` to a client-credentials request from ``client_id`` in ``tenant``
    with the secret or federated assertion given to :meth:`env` (or set on the server)."""

    def __init__(
        self,
        *,
        token: str = "entra-token-1",  # noqa: S107 - a test token for a local server
        tenant: str = "00000000-0000-0000-0000-00000000aaaa",
        client_id: str = "11111111-1111-1111-1111-11111111bbbb",
    ) -> None:
        super().__init__(default=Reply.text(""))
        self.token = token
        self.tenant = tenant
        self.client_id = client_id
        #: What a client must send as ``client_secret`` or ``client_assertion``.
        self.secret: str | None = None
        self.assertion: str | None = None

    @property
    def path(self) -> str:
        return f"/{self.tenant}/oauth2/v2.0/token"

    def env(
        self, *, secret: str | None = None, federated_token_file: str | None = None
    ) -> dict[str, str]:
        """A service principal (``secret``) or a workload identity (the token file, whose
        content becomes the expected assertion) pointing here."""
        env = {
            "AZURE_AUTHORITY_HOST": self.origin,
            "AZURE_TENANT_ID": self.tenant,
            "AZURE_CLIENT_ID": self.client_id,
        }
        if secret is not None:
            self.secret = secret
            env["AZURE_CLIENT_SECRET"] = secret
        if federated_token_file is not None:
            with open(federated_token_file, encoding="utf-8") as f:
                self.assertion = f.read().strip()
            env["AZURE_FEDERATED_TOKEN_FILE"] = federated_token_file
        return env

    @property
    def forms(self) -> list[dict[str, str]]:
        """Each request's form fields (the last value of each)."""
        return [
            {k: v[-1] for k, v in parse_qs(r.text, keep_blank_values=True).items()}
            for r in self.requests
        ]

    def route(self, request: RecordedRequest) -> WireResponse:
        reply = self.next_reply()
        if reply.status >= 300:
            body = {"error": "invalid_client", "error_description": reply.message}
            return json_response(reply.status, body, dict(reply.headers))
        if request.method != "POST" or request.path != self.path:
            return json_response(404, {"error": "not found"})
        form = {k: v[-1] for k, v in parse_qs(request.text, keep_blank_values=True).items()}
        secret_ok = self.secret is not None and form.get("client_secret") == self.secret
        assertion_ok = (
            self.assertion is not None
            and form.get("client_assertion_type") == _ASSERTION_TYPE
            and form.get("client_assertion") == self.assertion
        )
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or not (secret_ok or assertion_ok)
        ):
            return json_response(
                401, {"error": "invalid_client", "error_description": "AADSTS7000215"}
            )
        return json_response(
            200, {"access_token": self.token, "expires_in": 3599, "token_type": "Bearer"}
        )
