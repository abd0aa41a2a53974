"""A local Azure managed-identity endpoint (``IDENTITY_ENDPOINT``), as App Service serves it.

``GET /msi/token?api-version=2019-08-01&resource=...`` with the ``X-IDENTITY-HEADER`` secret
answers ``{"access_token", "expires_on", "resource", "token_type"}``; a wrong or missing
header answers 401. Scripted replies with ``status >= 400`` answer that status, and
``Reply.text(..., status=302, headers={"location": ...})`` a redirect.

>>> from privllm.testing import ManagedIdentityServer
>>> with ManagedIdentityServer(token="entra-token-1") as identity:
...     env = identity.env()  # IDENTITY_ENDPOINT and IDENTITY_HEADER for Client(env=...)
>>> sorted(env)
['IDENTITY_ENDPOINT', 'IDENTITY_HEADER']
"""

from __future__ import annotations

import time

from .replies import Reply
from .server import RecordedRequest, WireResponse, WireServer, json_response

__all__ = ["ManagedIdentityServer"]


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
