"""The files and fine-tuning endpoints of :class:`~privllm.testing.OpenAIServer`.

Files (``/v1/files``: multipart upload with ``purpose`` and ``expires_after``, list, get,
content, DELETE) and fine-tuning jobs (``/v1/fine_tuning/jobs``: create, get, list, events,
cancel) keep their state on the server (``server.files``, ``server.file_data``,
``server.jobs``, ``server.tuned_models``). A job moves one step along ``job_steps`` each time
it is fetched; a finished job's model is removed by ``DELETE /v1/models/{id}``.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .replies import Reply
from .server import RecordedRequest, WireResponse, WireServer, json_response

__all__ = ["FineTuningEndpoints"]

_FILES = re.compile(r"^/files(?:/(?P<id>[^/]+)(?P<content>/content)?)?$")
_JOBS = re.compile(r"^/fine_tuning/jobs(?:/(?P<id>[^/]+)(?:/(?P<verb>events|cancel))?)?$")
_MODEL = re.compile(r"^/models/(?P<id>[^/]+)$")
_PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
_DONE = frozenset({"succeeded", "failed", "cancelled"})


class FineTuningEndpoints(WireServer):
    """Files, fine-tuning jobs and tuned-model deletion, for a server that answers errors
    in its own format (``_error``) and names its base models (``model``, ``embedding_model``).
    """

    model: str
    embedding_model: str
    #: The statuses a fine-tuning job goes through, one per fetch of the job.
    job_steps: tuple[str, ...] = ("validating_files", "queued", "running", "succeeded")

    def __init__(
        self,
        *,
        default: Reply | None = None,
        api_key: str | None = None,
        responder: Callable[[RecordedRequest], Reply] | None = None,
    ) -> None:
        super().__init__(default=default, api_key=api_key, responder=responder)
        self.files: dict[str, dict[str, Any]] = {}
        self.file_data: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.job_events: dict[str, list[dict[str, Any]]] = {}
        self.tuned_models: set[str] = set()
        self._ft_lock = threading.Lock()
        self._ids = 0

    def _error(self, reply: Reply) -> WireResponse:
        raise NotImplementedError  # the server's own error body

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
