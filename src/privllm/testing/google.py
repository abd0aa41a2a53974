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

>>> from privllm.testing import GeminiServer, Reply
>>> with GeminiServer() as server:
...     server.reply(Reply.text("Hello!"))
...     # point google-genai at server.origin, then inspect server.requests
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Literal

from .replies import Reply, ScriptedToolCall, count_tokens, fake_embedding
from .server import RecordedRequest, WireResponse, WireServer, json_response, sse_response

__all__ = ["GeminiServer"]

_PATH = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/"
    r"(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/)?"
    r"models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)

_TUNING = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/"
    r"(?:tuningJobs(?:/(?P<job>[^/:]+))?(?::(?P<verb>cancel))?|models/(?P<model>[^/:]+))$"
)
_JOB_DONE = frozenset({"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"})

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

# Neutral finish reasons a script may give, as Gemini spells them.
_FINISH = {
    "stop": "STOP",
    "tool_calls": "STOP",  # Gemini ends a function-call turn with STOP
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}

_SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
]


class GeminiServer(WireServer):
    """Gemini API and Vertex AI endpoints on one loopback server.

    ``api_key`` makes Gemini API paths check ``x-goog-api-key``; ``access_token`` makes
    Vertex paths check ``Authorization: Bearer``. Unset, any non-empty credential is
    accepted, but a request with none is refused as Google would.
    """

    model = "gemini-test"
    embedding_model = "gemini-embedding-test"
    project = "test-project"
    location = "europe-west4"
    #: The states a tuning job goes through, one per GET of the job.
    tuning_steps: tuple[str, ...] = (
        "JOB_STATE_PENDING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_SUCCEEDED",
    )

    def __init__(
        self,
        *,
        default: Reply | None = None,
        api_key: str | None = None,
        access_token: str | None = None,
    ) -> None:
        super().__init__(default=default, api_key=api_key)
        self.access_token = access_token
        self.tuning_jobs: dict[str, dict[str, Any]] = {}
        self.tuned_models: set[str] = set()
        self._tuning_lock = threading.Lock()

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

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> WireResponse:
        """Check auth, then dispatch on the ``:method`` in the path."""
        tuning = _TUNING.match(request.path)
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
        if details:
            body["error"]["details"] = details
        return json_response(reply.status, body, dict(reply.headers), reply.delay)

    # -- generateContent -----------------------------------------------------------------------

    def generate(self, request: RecordedRequest, model: str, *, stream: bool) -> WireResponse:
        """Answer ``:generateContent`` (JSON) or ``:streamGenerateContent`` (SSE)."""
        reply = self.next_reply()
        if reply.status >= 400:
            return self._error(reply)
        payload = request.json()
        contents = payload.get("contents", [])
        if reply.require_signatures:
            missing = _unsigned_call(contents)
            if missing is not None:
                return self._error(Reply.error(400, missing))
        prompt_tokens = count_tokens(
            [_parts_text(c) for c in contents] + [_parts_text(payload.get("systemInstruction"))]
        )
        response_id = f"resp-{self.request_id()}"
        if reply.blocked:
            blocked = {
                "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": _SAFETY_RATINGS},
                "usageMetadata": {
                    "promptTokenCount": prompt_tokens,
                    "totalTokenCount": prompt_tokens,
                },
                "modelVersion": model,
                "responseId": response_id,
            }
            if stream:
                return sse_response([_event(blocked)], reply)
            return json_response(200, blocked, delay=reply.delay)
        text = reply.answer(_last_user_text(contents))
        finish = _FINISH.get(reply.finish_reason or "stop", (reply.finish_reason or "").upper())
        calls = [_call_part(c) for c in reply.tool_calls]
        completion_tokens = count_tokens([text])
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": completion_tokens,
            "totalTokenCount": prompt_tokens + completion_tokens,
        }
        if stream:
            events = self._events(reply, text, calls, finish, usage, model, response_id)
            return sse_response(events, reply)
        parts: list[dict[str, Any]] = ([{"text": text}] if text else []) + calls
        if reply.text_signature:
            if text:
                parts[0]["thoughtSignature"] = reply.text_signature
            else:
                parts.append({"text": "", "thoughtSignature": reply.text_signature})
        body = {
            "candidates": [_candidate(parts, finish)],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": response_id,
        }
        return json_response(200, body, delay=reply.delay)

    def _events(
        self,
        reply: Reply,
        text: str,
        calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int],
        model: str,
        response_id: str,
    ) -> Iterator[bytes]:
        # Like Gemini: every event is a whole partial response; the last one carries the
        # final piece, finishReason and the full usage. Function calls arrive whole, their
        # signatures on them; a text answer's signature comes on an empty text part.
        pieces: list[list[dict[str, Any]]] = [[{"text": p}] for p in reply.pieces(text)]
        if reply.text_signature:
            pieces.append([{"text": "", "thoughtSignature": reply.text_signature}])
        pieces.extend([call] for call in calls)
        if not pieces:
            pieces = [[{"text": ""}]]
        running = 0
        for i, parts in enumerate(pieces):
            last = i == len(pieces) - 1
            running += count_tokens([p.get("text", "") for p in parts])
            event: dict[str, Any] = {
                "candidates": [_candidate(parts, finish if last else None)],
                "usageMetadata": usage
                if last
                else {
                    "promptTokenCount": usage["promptTokenCount"],
                    "candidatesTokenCount": running,
                    "totalTokenCount": usage["promptTokenCount"] + running,
                },
                "modelVersion": model,
                "responseId": response_id,
            }
            yield _event(event)

    def replayed_calls(
        self, request: RecordedRequest | None = None
    ) -> list[tuple[str, str | None]]:
        """``(name, thoughtSignature)`` of every function call a ``generateContent`` request
        sent back in its model turns, in order (the signature ``None`` where absent).
        ``request`` defaults to the last one received.

        The signature is the text on the wire: google-genai sends URL-safe base64, so compare
        decoded bytes (``base64.urlsafe_b64decode``) with what the server sent out.
        """
        payload = (request or self.last).json()
        return [
            (part["functionCall"].get("name"), part.get("thoughtSignature"))
            for content in payload.get("contents", [])
            if content.get("role") == "model"
            for part in content.get("parts", [])
            if "functionCall" in part
        ]

    # -- Vertex tuning -------------------------------------------------------------------------

    def tuning(self, request: RecordedRequest, match: re.Match[str]) -> WireResponse:
        """Create, get, list or cancel a tuning job, or delete a tuned model."""
        parent = f"projects/{match['project']}/locations/{match['location']}"
        method, job_id, model_id = request.method, match["job"], match["model"]
        with self._tuning_lock:
            if model_id is not None and method == "DELETE":
                name = f"{parent}/models/{model_id}"
                if name not in self.tuned_models:
                    return self._error(Reply.error(404, f"Model {name} not found."))
                self.tuned_models.discard(name)
                return json_response(
                    200, {"name": f"{name}/operations/delete", "done": True, "response": {}}
                )
            if model_id is not None:
                return self._error(Reply.error(404, f"Method not found: {method}"))
            if job_id is None and method == "POST":
                return self._create_tuning(parent, request.json())
            if job_id is None and method == "GET":
                jobs = [j for j in self.tuning_jobs.values() if j["name"].startswith(parent + "/")]
                return json_response(200, {"tuningJobs": jobs})
            job = self.tuning_jobs.get(f"{parent}/tuningJobs/{job_id}")
            if job is None:
                return self._error(Reply.error(404, f"TuningJob {job_id} not found."))
            if match["verb"] == "cancel" and method == "POST":
                if job["state"] in _JOB_DONE:
                    return self._error(Reply.error(400, "The job has already finished."))
                job.update(state="JOB_STATE_CANCELLED", endTime=_now(), updateTime=_now())
                return json_response(200, {})
            if match["verb"] is None and method == "GET":
                self._advance(job, parent)
                return json_response(200, job)
        return self._error(Reply.error(404, f"Method not found: {method}"))

    def _create_tuning(self, parent: str, payload: dict[str, Any]) -> WireResponse:
        spec = payload.get("supervisedTuningSpec") or {}
        uri = spec.get("trainingDatasetUri", "")
        if not uri.startswith("gs://") or "baseModel" not in payload:
            return self._error(Reply.error(400, "baseModel and a gs:// trainingDatasetUri needed"))
        name = f"{parent}/tuningJobs/{len(self.tuning_jobs) + 1001}"
        job = {
            "name": name,
            "tunedModelDisplayName": payload.get("tunedModelDisplayName", ""),
            "baseModel": payload["baseModel"],
            "supervisedTuningSpec": spec,
            "state": self.tuning_steps[0],
            "createTime": _now(),
            "updateTime": _now(),
        }
        self.tuning_jobs[name] = job
        return json_response(200, job)

    def _advance(self, job: dict[str, Any], parent: str) -> None:
        steps = self.tuning_steps
        if job["state"] not in steps or job["state"] == steps[-1]:
            return
        job["state"] = steps[steps.index(job["state"]) + 1]
        job["updateTime"] = _now()
        if job["state"] == "JOB_STATE_RUNNING":
            job["startTime"] = _now()
        if job["state"] == "JOB_STATE_SUCCEEDED":
            number = job["name"].rsplit("/", 1)[-1]
            model = f"{parent}/models/{number}"
            self.tuned_models.add(model)
            job["endTime"] = _now()
            job["tunedModel"] = {"model": f"{model}@1", "endpoint": f"{parent}/endpoints/{number}"}

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
            text = _parts_text(payload.get("content"))
            dims = _dimensions(payload)
            body = {
                "embedding": {"values": fake_embedding(text, dims)},
                "usageMetadata": {"promptTokenCount": count_tokens([text])},
            }
            return json_response(200, body, delay=reply.delay)
        embeddings = [
            {"values": fake_embedding(_parts_text(r.get("content")), _dimensions(r))}
            for r in payload.get("requests", [])
        ]
        return json_response(200, {"embeddings": embeddings}, delay=reply.delay)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\r\n\r\n"


def _candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
        candidate["safetyRatings"] = _SAFETY_RATINGS
    return candidate


def _call_part(call: ScriptedToolCall) -> dict[str, Any]:
    part: dict[str, Any] = {
        "functionCall": {"name": call.name, "args": json.loads(call.arguments or "{}")}
    }
    if call.signature:
        part["thoughtSignature"] = call.signature
    return part


def _unsigned_call(contents: list[dict[str, Any]]) -> str | None:
    """Gemini 3's check: in the current turn (everything after the last user content that
    is not only function responses), each model step's first function call must carry its
    signature. The error message is Gemini's."""
    start = 0
    for i in range(len(contents) - 1, -1, -1):
        content = contents[i]
        parts = content.get("parts", [])
        if content.get("role", "user") == "user" and any(
            "functionResponse" not in p for p in parts
        ):
            start = i + 1
            break
    for i in range(start, len(contents)):
        if contents[i].get("role") != "model":
            continue
        calls = [p for p in contents[i].get("parts", []) if "functionCall" in p]
        if calls and not calls[0].get("thoughtSignature"):
            name = calls[0]["functionCall"].get("name", "")
            return (
                f"Function call `{name}` in the `{i}.` content block is missing a "
                "`thought_signature`."
            )
    return None


def _dimensions(request: dict[str, Any]) -> int:
    config = request.get("embedContentConfig") or {}
    return int(request.get("outputDimensionality") or config.get("outputDimensionality") or 8)


def _parts_text(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    return "".join(p.get("text", "") for p in content.get("parts", []) if isinstance(p, dict))


def _last_user_text(contents: list[dict[str, Any]]) -> str:
    for content in reversed(contents):
        if content.get("role", "user") == "user":
            text = _parts_text(content)
            if text:
                return text
    return ""
