"""The Vertex AI tuning endpoints of :class:`~privllm.testing.GeminiServer`.

As google-genai's ``client.tunings`` calls them: ``POST .../tuningJobs`` (create),
``GET .../tuningJobs/{id}`` (get), ``GET .../tuningJobs`` (list) and
``POST .../tuningJobs/{id}:cancel``, under ``/v1/projects/{p}/locations/{l}/``; and
``DELETE .../models/{id}`` (``client.models.delete``) for tuned models.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from typing import Any

from .replies import Reply
from .server import RecordedRequest, WireResponse, WireServer, json_response

__all__ = ["TUNING_PATH", "VertexTuningEndpoints"]

#: The paths :meth:`VertexTuningEndpoints.tuning` answers.
TUNING_PATH = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/"
    r"(?:tuningJobs(?:/(?P<job>[^/:]+))?(?::(?P<verb>cancel))?|models/(?P<model>[^/:]+))$"
)
_JOB_DONE = frozenset({"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"})


class VertexTuningEndpoints(WireServer):
    """Tuning jobs and tuned models, for a server that answers errors in its own format
    (``_error``). Jobs move one step along ``tuning_steps`` per GET and, on success, name a
    tuned model and its endpoint (``tuning_jobs``, ``tuned_models``).
    """

    #: The states a tuning job goes through, one per GET of the job.
    tuning_steps: tuple[str, ...] = (
        "JOB_STATE_PENDING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_SUCCEEDED",
    )

    def __init__(self, *, default: Reply | None = None, api_key: str | None = None) -> None:
        super().__init__(default=default, api_key=api_key)
        self.tuning_jobs: dict[str, dict[str, Any]] = {}
        self.tuned_models: set[str] = set()
        self._tuning_lock = threading.Lock()

    def _error(self, reply: Reply) -> WireResponse:
        raise NotImplementedError  # the server's own error body

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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
