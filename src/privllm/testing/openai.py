"""A local server speaking the OpenAI wire protocol (chat completions, SSE, embeddings, models,
files and fine-tuning jobs).

>>> from privllm.testing import OpenAIServer, Reply
>>> with OpenAIServer() as server:
...     server.reply(Reply.text("Hello!"))
...     # point any OpenAI client at server.url, then inspect server.requests

Files (``/v1/files``: multipart upload with ``purpose`` and ``expires_after``, list, get,
content, DELETE) and fine-tuning jobs (``/v1/fine_tuning/jobs``: create, get, list, events,
cancel) keep their state on the server (``server.files``, ``server.file_data``,
``server.jobs``, ``server.tuned_models``). A job moves one step along ``job_steps`` each time
it is fetched, so status tests are deterministic: with the default steps the third GET
sees ``succeeded`` and a ``fine_tuned_model``, which ``DELETE /v1/models/{id}`` removes.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import re
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from .replies import Reply, count_tokens, fake_embedding
from .server import RecordedRequest, WireResponse, WireServer, json_response, sse_response

__all__ = ["OpenAIServer"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


_FILES = re.compile(r"^/files(?:/(?P<id>[^/]+)(?P<content>/content)?)?$")
_JOBS = re.compile(r"^/fine_tuning/jobs(?:/(?P<id>[^/]+)(?:/(?P<verb>events|cancel))?)?$")
_MODEL = re.compile(r"^/models/(?P<id>[^/]+)$")
_PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
_DONE = frozenset({"succeeded", "failed", "cancelled"})


class OpenAIServer(WireServer):
    """OpenAI-compatible endpoints under ``/v1``. ``api_key`` makes the server check it."""

    model = "test-model"
    embedding_model = "test-embedding"
    #: The statuses a fine-tuning job goes through, one per fetch of the job.
    job_steps: tuple[str, ...] = ("validating_files", "queued", "running", "succeeded")

    def __init__(self, *, default: Reply | None = None, api_key: str | None = None) -> None:
        super().__init__(default=default, api_key=api_key)
        self.files: dict[str, dict[str, Any]] = {}
        self.file_data: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.job_events: dict[str, list[dict[str, Any]]] = {}
        self.tuned_models: set[str] = set()
        self._ft_lock = threading.Lock()
        self._ids = 0

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (``.../v1``)."""
        return f"{self.origin}/v1"

    def provider_config(self, **openai_settings: Any) -> dict[str, Any]:
        """A ``provider`` config section pointing privllm at this server."""
        settings = {"base_url": self.url, "api_key": self.api_key or "sk-test-local-0000"}
        settings.update(openai_settings)
        return {
            "name": "openai",
            "model": self.model,
            "embedding_model": self.embedding_model,
            "openai": settings,
        }

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> WireResponse:
        if self.api_key is not None:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                return self._error(Reply.error(401, "Incorrect API key provided."))
        path = request.path.rstrip("/")
        if request.method == "POST" and path.endswith("/chat/completions"):
            return self.chat(request)
        if request.method == "POST" and path.endswith("/embeddings"):
            return self.embeddings(request)
        if request.method == "GET" and path.endswith("/models"):
            return json_response(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "privllm-testing"}
                        for m in (self.model, self.embedding_model)
                    ],
                },
            )
        if path.startswith("/v1/"):
            found = self.finetune_route(request, path[len("/v1") :])
            if found is not None:
                return found
        return self._error(Reply.error(404, f"Unknown path {request.method} {request.path}"))

    # -- files and fine-tuning jobs ------------------------------------------------------------

    def finetune_route(self, request: RecordedRequest, rest: str) -> WireResponse | None:
        """Answer a files, fine-tuning or model-delete path (``rest`` follows the API root),
        or return None if ``rest`` is none of them."""
        method = request.method
        with self._ft_lock:
            if m := _FILES.match(rest):
                file_id = unquote(m["id"]) if m["id"] else None
                if file_id is None:
                    if method == "POST":
                        return self._upload(request)
                    data = sorted(self.files.values(), key=lambda f: f["created_at"])
                    return self._list(data)
                return self._file(method, file_id, content=bool(m["content"]))
            if m := _JOBS.match(rest):
                job_id = unquote(m["id"]) if m["id"] else None
                if job_id is None:
                    if method == "POST":
                        return self._create_job(request)
                    return self._list(list(reversed(self.jobs.values())))
                return self._job(method, job_id, m["verb"])
            if (m := _MODEL.match(rest)) and method == "DELETE":
                model = unquote(m["id"])
                if model in (self.model, self.embedding_model):
                    return self._error(Reply.error(403, "You cannot delete a base model."))
                if model not in self.tuned_models:
                    return self._not_found("model", model)
                self.tuned_models.discard(model)
                return json_response(200, {"id": model, "object": "model", "deleted": True})
        return None

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:06d}"

    def _not_found(self, what: str, name: str) -> WireResponse:
        return self._error(Reply.error(404, f"No such {what}: {name}"))

    def _list(self, data: list[dict[str, Any]]) -> WireResponse:
        return json_response(200, {"object": "list", "data": data, "has_more": False})

    def _upload(self, request: RecordedRequest) -> WireResponse:
        fields, filename, content = _multipart(request)
        purpose = fields.get("purpose", "")
        if content is None or purpose not in _PURPOSES:
            return self._error(Reply.error(400, "Upload needs a file and a valid purpose."))
        created = int(time.time())
        expires_at = None
        if "expires_after[seconds]" in fields:
            seconds = int(fields["expires_after[seconds]"])
            if fields.get("expires_after[anchor]") != "created_at" or not (
                3600 <= seconds <= 2_592_000
            ):
                return self._error(Reply.error(400, "expires_after: 3600 to 2592000 seconds"))
            expires_at = created + seconds
        if purpose == "fine-tune" and not _is_jsonl(content):
            return self._error(Reply.error(400, "Invalid file format for Fine-Tuning API."))
        file_id = self._next_id("file")
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": created,
            "filename": filename or "file",
            "purpose": purpose,
            "status": "processed",
            "expires_at": expires_at,
        }
        self.files[file_id] = obj
        self.file_data[file_id] = content
        return json_response(200, obj)

    def _file(self, method: str, file_id: str, *, content: bool) -> WireResponse:
        obj = self.files.get(file_id)
        if obj is None:
            return self._not_found("file", file_id)
        if method == "DELETE":
            del self.files[file_id]
            self.file_data.pop(file_id, None)
            return json_response(200, {"id": file_id, "object": "file", "deleted": True})
        if content:
            data = self.file_data[file_id]
            return WireResponse(200, {"Content-Type": "application/octet-stream"}, data)
        return json_response(200, obj)

    def _create_job(self, request: RecordedRequest) -> WireResponse:
        payload = request.json()
        training = payload.get("training_file")
        if training not in self.files or self.files[training]["purpose"] != "fine-tune":
            return self._error(Reply.error(400, f"invalid training_file: {training}"))
        validation = payload.get("validation_file")
        if validation is not None and validation not in self.files:
            return self._error(Reply.error(400, f"invalid validation_file: {validation}"))
        job_id = self._next_id("ftjob")
        job: dict[str, Any] = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": int(time.time()),
            "error": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": payload.get("hyperparameters") or {"n_epochs": "auto"},
            "model": payload.get("model", self.model),
            "organization_id": "org-privllm-test",
            "result_files": [],
            "seed": payload.get("seed") or 42,
            "status": self.job_steps[0],
            "trained_tokens": None,
            "training_file": training,
            "validation_file": validation,
            "suffix": payload.get("suffix"),
            "metadata": payload.get("metadata"),
        }
        self.jobs[job_id] = job
        self.job_events[job_id] = []
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        return json_response(200, job)

    def _job(self, method: str, job_id: str, verb: str | None) -> WireResponse:
        job = self.jobs.get(job_id)
        if job is None:
            return self._not_found("job", job_id)
        if verb == "events" and method == "GET":
            return self._list(list(reversed(self.job_events[job_id])))
        if verb == "cancel" and method == "POST":
            if job["status"] in _DONE:
                return self._error(Reply.error(400, f"Job {job_id} has already finished."))
            job["status"] = "cancelled"
            self._event(job_id, "Fine-tuning job cancelled")
            return json_response(200, job)
        if verb is None and method == "GET":
            self._advance(job)
            return json_response(200, job)
        return self._not_found("operation", f"{method} {verb or ''}")

    def _advance(self, job: dict[str, Any]) -> None:
        steps = self.job_steps
        if job["status"] not in steps or job["status"] == steps[-1]:
            return
        job["status"] = steps[steps.index(job["status"]) + 1]
        self._event(job["id"], f"Job status: {job['status']}")
        if job["status"] == "succeeded":
            model = self.tuned_model_name(job)
            job.update(fine_tuned_model=model, finished_at=int(time.time()), trained_tokens=1000)
            self.tuned_models.add(model)
            self._event(job["id"], f"New fine-tuned model created: {model}")

    def tuned_model_name(self, job: dict[str, Any]) -> str:
        """The id a finished job's model gets (OpenAI: ``ft:BASE:ORG:SUFFIX:ID``)."""
        suffix = job.get("suffix") or ""
        return f"ft:{job['model']}:privllm-test:{suffix}:{job['id'].rsplit('-', 1)[-1]}"

    def _event(self, job_id: str, message: str) -> None:
        events = self.job_events[job_id]
        events.append(
            {
                "id": f"ftevent-{job_id}-{len(events) + 1}",
                "object": "fine_tuning.job.event",
                "created_at": int(time.time()),
                "level": "info",
                "message": message,
                "type": "message",
            }
        )

    def _error(self, reply: Reply) -> WireResponse:
        body = {
            "error": {
                "message": reply.message,
                "type": _ERROR_TYPES.get(reply.status, "server_error"),
                "param": None,
                "code": reply.error_code,
            }
        }
        headers = {"x-request-id": self.request_id(), **reply.headers}
        return json_response(reply.status, body, headers, reply.delay)

    def chat(self, request: RecordedRequest) -> WireResponse:
        reply = self.next_reply()
        if reply.status >= 400:
            return self._error(reply)
        payload = request.json()
        messages = payload.get("messages", [])
        text = reply.answer(_last_user_text(messages))
        finish = reply.finish_reason or (
            "content_filter" if reply.blocked else "tool_calls" if reply.tool_calls else "stop"
        )
        usage = {
            "prompt_tokens": count_tokens([_content_text(m.get("content")) for m in messages]),
            "completion_tokens": count_tokens([text]),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        completion_id = f"chatcmpl-{self.request_id()}"
        model = payload.get("model", self.model)
        headers = {"x-request-id": self.request_id(), **reply.headers}
        if payload.get("stream"):
            include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
            events = self._events(
                reply, text, finish, usage if include_usage else None, completion_id, model
            )
            return sse_response(events, reply, headers)
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in reply.tool_calls
            ]
        body = {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": usage,
        }
        return json_response(200, body, headers, reply.delay)

    def _events(
        self,
        reply: Reply,
        text: str,
        finish: str,
        usage: dict[str, int] | None,
        completion_id: str,
        model: str,
    ) -> Iterator[bytes]:
        created = int(time.time())

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
                **extra,
            }
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        yield event(
            [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
        )
        for piece in reply.pieces(text):
            yield event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        for i, call in enumerate(reply.tool_calls):
            head = {
                "index": i,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield event([{"index": 0, "delta": {"tool_calls": [head]}, "finish_reason": None}])
            for piece in reply.pieces(call.arguments) if reply.chunks else _halves(call.arguments):
                delta = {"tool_calls": [{"index": i, "function": {"arguments": piece}}]}
                yield event([{"index": 0, "delta": delta, "finish_reason": None}])
        yield event([{"index": 0, "delta": {}, "finish_reason": finish}])
        if usage is not None:
            yield event([], usage=usage)
        yield b"data: [DONE]\n\n"

    def embeddings(self, request: RecordedRequest) -> WireResponse:
        reply = self.next_reply()
        if reply.status >= 400:
            return self._error(reply)
        payload = request.json()
        inputs = payload.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        dims = int(payload.get("dimensions") or 8)
        base64_wanted = payload.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(inputs):
            vector = fake_embedding(str(text), dims)
            value: Any = (
                base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
                if base64_wanted
                else vector
            )
            data.append({"object": "embedding", "index": i, "embedding": value})
        tokens = count_tokens([str(t) for t in inputs])
        body = {
            "object": "list",
            "data": data,
            "model": payload.get("model", self.embedding_model),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return json_response(200, body, {"x-request-id": self.request_id()}, reply.delay)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def _multipart(request: RecordedRequest) -> tuple[dict[str, str], str | None, bytes | None]:
    """Form fields, the file's name and the file's bytes of a multipart/form-data body."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    fields: dict[str, str] = {}
    filename = content = None
    if not message.is_multipart():
        return fields, None, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        if part.get_filename() is not None and name == "file":
            filename, content = part.get_filename(), data
        else:
            fields[name] = data.decode()
    return fields, filename, content


def _is_jsonl(content: bytes) -> bool:
    try:
        return all(
            isinstance(json.loads(line), dict) for line in content.splitlines() if line.strip()
        )
    except ValueError:
        return False


def _halves(text: str) -> list[str]:
    # Tool arguments arrive in pieces in real streams; two pieces exercise reassembly.
    mid = len(text) // 2
    return [p for p in (text[:mid], text[mid:]) if p]
