"""A local server speaking the Gemini Developer API and Vertex AI REST protocols.

One server answers both path styles, so the same scripted replies serve either mode:

- Gemini API: ``POST /v1beta/models/{model}:{method}`` with ``x-goog-api-key``;
- Vertex AI: ``POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{method}``
  with ``Authorization: Bearer <token>``.

Methods: ``generateContent``, ``streamGenerateContent?alt=sse`` (``data:`` events, no
``[DONE]``), ``embedContent``, ``batchEmbedContents`` and (Vertex) ``predict``. Errors use
Google's body ``{"error": {"code", "message", "status", "details"}}``.

Thought signatures: a scripted call's ``signature`` goes out as ``thoughtSignature`` on its
``functionCall`` part (``Reply.text_signature`` on the last text part);
``server.replayed_calls()`` reads back the calls a request replayed, signatures included;
``Reply(require_signatures=True)`` refuses, as Gemini 3 does, a replayed call of the current
turn that lost its signature.

Vertex tuning, as google-genai's ``client.tunings`` calls it: ``POST .../tuningJobs``
(create), ``GET .../tuningJobs/{id}`` (get), ``GET .../tuningJobs`` (list) and
``POST .../tuningJobs/{id}:cancel``, under ``/v1/projects/{p}/locations/{l}/``; and
``DELETE .../models/{id}`` (``client.models.delete``) for tuned models. Jobs move one step
along ``tuning_steps`` per GET and, on success, name a tuned model and its endpoint
(``server.tuning_jobs``, ``server.tuned_models``).

Cloud Storage, where Vertex tuning reads training files (``privllm finetune upload`` on
Vertex): the JSON API's media upload, object get and delete, at the paths
``storage.googleapis.com`` serves (``server.storage_objects``, ``server.storage_deleted``);
``server.storage_settings(bucket)`` is a ``[finetune]`` section pointing there.

This module routes, checks auth, answers errors and embeddings; ``google_generate``,
``google_tuning`` and ``gcs`` hold the rest (the bases of :class:`GeminiServer`).

>>> from privllm.testing import GeminiServer, Reply
>>> with GeminiServer() as server:
...     server.reply(Reply.text("Hello!"))
...     # point google-genai at server.origin, then inspect server.requests
"""

from __future__ import annotations

import re
from typing import Any, Literal

from .gcs import STORAGE_PATH, CloudStorageEndpoints
from .google_generate import GenerateContentEndpoints, parts_text
from .google_tuning import TUNING_PATH, VertexTuningEndpoints
from .replies import Reply, count_tokens, fake_embedding
from .server import RecordedRequest, WireResponse, json_response

__all__ = ["GeminiServer"]

_PATH = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/"
    r"(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/)?"
    r"models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class GeminiServer(GenerateContentEndpoints, VertexTuningEndpoints, CloudStorageEndpoints):
    """Gemini API, Vertex AI and Cloud Storage endpoints on one loopback server.

    ``api_key`` makes Gemini API paths check ``x-goog-api-key``; ``access_token`` makes
    Vertex paths check ``Authorization: Bearer``. Unset, any non-empty credential is
    accepted, but a request with none is refused as Google would.
    """

    model = "gemini-test"
    embedding_model = "gemini-embedding-test"
    project = "test-project"
    location = "europe-west4"

    def __init__(
        self,
        *,
        default: Reply | None = None,
        api_key: str | None = None,
        access_token: str | None = None,
    ) -> None:
        super().__init__(default=default, api_key=api_key)
        self.access_token = access_token

    @property
    def url(self) -> str:
        """The base URL to give google-genai (``http_options.base_url``)."""
        return self.origin

    def provider_config(
        self, mode: Literal["vertex", "gemini_api"] = "vertex", **google_settings: Any
    ) -> dict[str, Any]:
        """A ``provider`` config section pointing privllm at this server in ``mode``.

        Vertex gets a fixed ``access_token`` (no ADC needed); the Gemini API gets an API
        key and the ``paid`` tier (the free tier may train on data).
        """
        settings: dict[str, Any] = {"mode": mode, "base_url": self.url}
        if mode == "vertex":
            settings.update(
                project=self.project,
                location=self.location,
                access_token=self.access_token or "ya29.test-local-token",
            )
        else:
            settings.update(api_key=self.api_key or "AIza-test-local-0000", tier="paid")
        settings.update(google_settings)
        return {
            "name": "google",
            "model": self.model,
            "embedding_model": self.embedding_model,
            "google": settings,
        }

    def storage_settings(self, bucket: str = "test-bucket", **settings: Any) -> dict[str, Any]:
        """A ``finetune`` config section whose Vertex uploads land in ``bucket`` here."""
        return {"gcs_bucket": bucket, "gcs_endpoint": self.url, **settings}

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> WireResponse:
        """Check auth, then dispatch on the ``:method`` in the path."""
        storage = STORAGE_PATH.match(request.path)
        if storage is not None:
            return self._check_auth(request, vertex=True) or self.storage(request, storage)
        tuning = TUNING_PATH.match(request.path)
        if tuning is not None:
            return self._check_auth(request, vertex=True) or self.tuning(request, tuning)
        match = _PATH.match(request.path)
        if request.method != "POST" or match is None:
            return self._error(
                Reply.error(404, f"Method not found: {request.method} {request.path}")
            )
        vertex = match["project"] is not None
        refused = self._check_auth(request, vertex=vertex)
        if refused is not None:
            return refused
        method, model = match["method"], match["model"]
        if method == "generateContent":
            return self.generate(request, model, stream=False)
        if method == "streamGenerateContent":
            if request.query.get("alt") != ["sse"]:
                return self._error(Reply.error(400, "this server streams only with alt=sse"))
            return self.generate(request, model, stream=True)
        if method in ("embedContent", "batchEmbedContents") or (vertex and method == "predict"):
            return self.embed(request, method)
        return self._error(Reply.error(404, f"Method not found: {method}"))

    def _check_auth(self, request: RecordedRequest, *, vertex: bool) -> WireResponse | None:
        if "key" in request.query:
            # privllm sends keys in a header only; a key in a URL ends up in logs.
            return self._error(Reply.error(400, "API key in the URL: use x-goog-api-key"))
        if vertex:
            auth = request.headers.get("authorization", "")
            token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
            if not token or (self.access_token is not None and token != self.access_token):
                return self._error(
                    Reply.error(
                        401,
                        "Request had invalid authentication credentials. Expected OAuth 2 "
                        "access token, login cookie or other valid authentication credential.",
                    )
                )
            return None
        key = request.headers.get("x-goog-api-key", "")
        if not key:
            return self._error(
                Reply.error(403, "Method doesn't allow unregistered callers (no API key).")
            )
        if self.api_key is not None and key != self.api_key:
            # Google answers a wrong key with 400 and reason API_KEY_INVALID, not 401.
            return self._error(
                Reply.error(400, "API key not valid. Please pass a valid API key."),
                reason="API_KEY_INVALID",
            )
        return None

    def _error(self, reply: Reply, *, reason: str | None = None) -> WireResponse:
        # Google names the request in ``x-goog-request-id`` and in a RequestInfo detail.
        request_id = self.request_id()
        details: list[dict[str, Any]] = []
        if reason or reply.error_code:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": reason or reply.error_code,
                    "domain": "googleapis.com",
                }
            )
        retry_after = reply.headers.get("retry-after")
        if reply.status == 429 and retry_after:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after}s",
                }
            )
        body: dict[str, Any] = {
            "error": {
                "code": reply.status,
                "message": reply.message,
                "status": _STATUS.get(reply.status, "UNKNOWN"),
            }
        }
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": request_id}
        )
        body["error"]["details"] = details
        headers = {"x-goog-request-id": request_id, **reply.headers}
        return json_response(reply.status, body, headers, reply.delay)

    # -- embeddings ----------------------------------------------------------------------------

    def embed(self, request: RecordedRequest, method: str) -> WireResponse:
        """Answer ``:embedContent``, ``:batchEmbedContents`` or Vertex ``:predict``."""
        reply = self.next_reply()
        if reply.status >= 400:
            return self._error(reply)
        payload = request.json()
        if method == "predict":  # Vertex text-embedding models
            instances = payload.get("instances", [])
            dims = int((payload.get("parameters") or {}).get("outputDimensionality") or 8)
            predictions = [
                {
                    "embeddings": {
                        "values": fake_embedding(str(inst.get("content", "")), dims),
                        "statistics": {
                            "token_count": count_tokens([str(inst.get("content", ""))]),
                            "truncated": False,
                        },
                    }
                }
                for inst in instances
            ]
            return json_response(200, {"predictions": predictions}, delay=reply.delay)
        if method == "embedContent":
            text = parts_text(payload.get("content"))
            dims = _dimensions(payload)
            body = {
                "embedding": {"values": fake_embedding(text, dims)},
                "usageMetadata": {"promptTokenCount": count_tokens([text])},
            }
            return json_response(200, body, delay=reply.delay)
        embeddings = [
            {"values": fake_embedding(parts_text(r.get("content")), _dimensions(r))}
            for r in payload.get("requests", [])
        ]
        return json_response(200, {"embeddings": embeddings}, delay=reply.delay)


def _dimensions(request: dict[str, Any]) -> int:
    config = request.get("embedContentConfig") or {}
    return int(request.get("outputDimensionality") or config.get("outputDimensionality") or 8)
