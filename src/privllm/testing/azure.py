"""A local server speaking the Azure OpenAI wire protocol.

Deployment URLs ``/openai/deployments/{deployment}/chat/completions?api-version=...`` (and
``/embeddings``) with a required ``api-version``, and the v1 API under ``/openai/v1/``. The
Responses API (JSON and SSE events, as on :class:`~privllm.testing.OpenAIServer`) answers
on ``/openai/v1/responses`` and on ``/openai/responses?api-version=...`` for the versions
that have it (2025-03-01-preview and later); the deployment is the body's ``model``.
Auth is an ``api-key`` header or ``Authorization: Bearer`` (an Entra ID token, or the key on
the v1 API). Errors use Azure's body ``{"error": {"code", "message", ...}}``; a
``Reply.safety_block()`` is the 400 with code ``content_filter`` Azure sends when the prompt
trips the filter, and ``Reply.text(..., finish_reason="content_filter")`` a filtered answer.

Files and fine-tuning jobs answer as on :class:`~privllm.testing.OpenAIServer`, under
``/openai/files...``, ``/openai/fine_tuning/jobs...`` and ``DELETE /openai/models/{id}``
(with a supported ``api-version``) and the same under ``/openai/v1/`` (without one). Jobs
go ``pending`` -> ``running`` -> ``succeeded``; the model is named ``BASE.ft-JOBID``.

>>> from privllm.testing import AzureOpenAIServer, Reply
>>> with AzureOpenAIServer() as server:
...     server.reply(Reply.text("Hello!"))
...     # point AzureOpenAI(azure_endpoint=server.origin, ...) here, then read server.requests
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from .openai import OpenAIServer
from .openai_responses import respond
from .replies import Reply
from .server import RecordedRequest, WireResponse, json_response

__all__ = ["AzureOpenAIServer"]

_DEPLOYMENT_PATH = re.compile(
    r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|embeddings)$"
)
_V1_PATH = re.compile(r"^/openai/v1/(?P<op>chat/completions|embeddings|models|responses)$")
_RESPONSES_PATH = re.compile(r"^/openai/(?P<op>responses)$")
_FINETUNE_PATH = re.compile(r"^/openai(?P<v1>/v1)?(?P<rest>/(?:files|fine_tuning/jobs|models/).*)$")

_FILTER_MESSAGE = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management "
    "policy. Please modify your prompt and retry."
)


class AzureOpenAIServer(OpenAIServer):
    """Azure OpenAI endpoints on one loopback server.

    ``api_key`` makes the server check the key (``api-key`` header, or bearer on the v1
    API); ``tokens`` are the Entra ID bearer tokens it accepts. With neither, any
    credential is accepted but a request without one is refused. ``deployments`` lists the
    deployments that exist (others answer 404 ``DeploymentNotFound``).
    """

    model = "test-deployment"
    embedding_model = "test-embedding-deployment"
    api_versions: Collection[str] = ("2024-10-21", "2025-04-01-preview")
    #: The api-versions with the Responses API on ``/openai/responses``.
    responses_api_versions: Collection[str] = ("2025-04-01-preview",)
    job_steps: tuple[str, ...] = ("pending", "running", "succeeded")

    def __init__(
        self,
        *,
        default: Reply | None = None,
        api_key: str | None = None,
        responder: Callable[[RecordedRequest], Reply] | None = None,
        tokens: Collection[str] | None = None,
        deployments: Collection[str] | None = None,
    ) -> None:
        super().__init__(default=default, api_key=api_key, responder=responder)
        self.tokens = set(tokens) if tokens is not None else None
        self.deployments = (
            set(deployments) if deployments is not None else {self.model, self.embedding_model}
        )

    @property
    def url(self) -> str:
        """The resource endpoint to give privllm or ``AzureOpenAI(azure_endpoint=...)``."""
        return self.origin

    def provider_config(self, **azure_settings: Any) -> dict[str, Any]:
        """A ``provider`` config section pointing privllm at this server (API key auth)."""
        settings: dict[str, Any] = {
            "endpoint": self.url,
            "api_key": self.api_key or "azure-test-local-0000",
            "region": "swedencentral",
            "data_zone": "eu",
        }
        settings.update(azure_settings)
        return {
            "name": "azure",
            "model": self.model,
            "embedding_model": self.embedding_model,
            "azure": settings,
        }

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> WireResponse:
        """Check path, auth, api-version and deployment, then answer as OpenAI would."""
        finetune = _FINETUNE_PATH.match(request.path.rstrip("/"))
        if finetune is not None:
            return self._finetune(request, finetune["rest"], v1=finetune["v1"] is not None)
        deployment_match = _DEPLOYMENT_PATH.match(request.path.rstrip("/"))
        v1_match = _V1_PATH.match(request.path.rstrip("/"))
        responses_match = _RESPONSES_PATH.match(request.path.rstrip("/"))
        if request.method not in ("POST", "GET") or not (
            deployment_match or v1_match or responses_match
        ):
            return self._error(Reply.error(404, "Resource not found", code="404"))
        refused = self._check_auth(request, v1=v1_match is not None)
        if refused is not None:
            return refused
        if responses_match is not None:
            asked = request.query.get("api-version") or [""]
            if asked[0] not in self.responses_api_versions:
                return self._error(Reply.error(404, "Resource not found", code="404"))
            op = "responses"
            deployment = str((request.json() or {}).get("model", ""))
        elif deployment_match is not None:
            versions = request.query.get("api-version")
            if not versions:
                return self._error(Reply.error(404, "Resource not found", code="404"))
            if versions[0] not in self.api_versions:
                return self._error(Reply.error(400, "API version not supported", code="BadRequest"))
            deployment, op = deployment_match["deployment"], deployment_match["op"]
        else:
            assert v1_match is not None
            if "api-version" in request.query and request.query["api-version"] != ["preview"]:
                return self._error(
                    Reply.error(400, "api-version is not allowed on the v1 API", code="BadRequest")
                )
            op = v1_match["op"]
            if op == "models":
                return super().route(request)
            deployment = str((request.json() or {}).get("model", ""))
        if deployment not in self.deployments:
            return self._error(
                Reply.error(
                    404,
                    "The API deployment for this resource does not exist. If you created the "
                    "deployment within the last 5 minutes, please wait a moment and try again.",
                    code="DeploymentNotFound",
                )
            )
        if op == "embeddings":
            return self.embeddings(request)
        if self._peek().blocked:
            self.next_reply()
            return self._error(Reply.error(400, _FILTER_MESSAGE, code="content_filter"))
        return respond(self, request) if op == "responses" else self.chat(request)

    def _finetune(self, request: RecordedRequest, rest: str, *, v1: bool) -> WireResponse:
        refused = self._check_auth(request, v1=v1) or self._check_version(request, v1=v1)
        if refused is not None:
            return refused
        found = self.finetune_route(request, rest)
        return found or self._error(Reply.error(404, "Resource not found", code="404"))

    def _check_version(self, request: RecordedRequest, *, v1: bool) -> WireResponse | None:
        versions = request.query.get("api-version")
        if v1:
            if versions is not None and versions != ["preview"]:
                return self._error(
                    Reply.error(400, "api-version is not allowed on the v1 API", code="BadRequest")
                )
            return None
        if not versions:
            return self._error(Reply.error(404, "Resource not found", code="404"))
        if versions[0] not in self.api_versions:
            return self._error(Reply.error(400, "API version not supported", code="BadRequest"))
        return None

    def tuned_model_name(self, job: dict[str, Any]) -> str:
        """Azure names a tuned model after its base and job: ``BASE.ft-JOBID``."""
        return f"{job['model']}.ft-{job['id'].rsplit('-', 1)[-1]}"

    def _check_auth(self, request: RecordedRequest, *, v1: bool) -> WireResponse | None:
        key = request.headers.get("api-key", "")
        auth = request.headers.get("authorization", "")
        bearer = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if self.api_key is None and self.tokens is None:
            ok = bool(key or bearer)
        else:
            ok = (self.api_key is not None and key == self.api_key) or (
                bool(bearer)
                and (
                    (self.tokens is not None and bearer in self.tokens)
                    or (v1 and bearer == self.api_key)
                )
            )
        if ok:
            return None
        return self._error(
            Reply.error(
                401,
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure "
                "to provide a valid key for an active subscription and use a correct regional "
                "API endpoint for your resource.",
                code="401",
            )
        )

    def _peek(self) -> Reply:
        with self._lock:
            return self.replies[0] if self.replies else self.default

    def _error(self, reply: Reply) -> WireResponse:
        error: dict[str, Any] = {
            "code": reply.error_code or str(reply.status),
            "message": reply.message,
        }
        if reply.error_code == "content_filter":
            error.update(
                param="prompt",
                status=400,
                innererror={
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {
                        "hate": {"filtered": False, "severity": "safe"},
                        "self_harm": {"filtered": False, "severity": "safe"},
                        "sexual": {"filtered": False, "severity": "safe"},
                        "violence": {"filtered": True, "severity": "high"},
                    },
                },
            )
        request_id = self.request_id()
        headers = {"x-request-id": request_id, "apim-request-id": request_id, **reply.headers}
        return json_response(reply.status, {"error": error}, headers, reply.delay)
