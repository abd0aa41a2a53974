"""The Cloud Storage JSON API endpoints of :class:`~privllm.testing.GeminiServer`.

What ``privllm finetune upload`` and ``purge`` call on Vertex, and a read-back for tests:

- ``POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=...`` (a simple upload;
  ``ifGenerationMatch=0`` refuses an existing object with 412, as Cloud Storage does);
- ``GET /storage/v1/b/{bucket}/o/{object}`` (metadata; ``?alt=media``: the bytes);
- ``DELETE /storage/v1/b/{bucket}/o/{object}``.

Object names in paths are percent-encoded (``a%2Fb.jsonl``). State: ``storage_objects``
(``gs://`` URI -> bytes as received), ``storage_deleted`` (URIs deleted, in order);
``storage_buckets`` (``None``: every bucket exists) and ``fail_storage(reply, ...)`` (the next
storage requests answer these errors) script the rest. Errors use Cloud Storage's body
``{"error": {"code", "message", "errors": [{"reason", "message", "domain"}]}}``.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import re
import threading
import time
from typing import Any
from urllib.parse import quote, unquote

from .replies import Reply
from .server import RecordedRequest, WireResponse, WireServer, json_response

__all__ = ["STORAGE_PATH", "CloudStorageEndpoints"]

#: The paths :meth:`CloudStorageEndpoints.storage` answers.
STORAGE_PATH = re.compile(
    r"^/(?P<upload>upload/)?storage/v1/b/(?P<bucket>[^/]+)/o(?:/(?P<object>[^/]+))?$"
)
_REASONS = {
    400: "invalid",
    401: "required",
    403: "forbidden",
    404: "notFound",
    412: "conditionNotMet",
}


class CloudStorageEndpoints(WireServer):
    """Buckets and objects in memory, for a server that checks auth itself."""

    def __init__(self, *, default: Reply | None = None, api_key: str | None = None) -> None:
        super().__init__(default=default, api_key=api_key)
        #: ``gs://bucket/name`` -> the bytes received.
        self.storage_objects: dict[str, bytes] = {}
        #: ``gs://`` URIs deleted, in order.
        self.storage_deleted: list[str] = []
        #: The buckets that exist; ``None`` means any name does.
        self.storage_buckets: set[str] | None = None
        self._storage_meta: dict[str, dict[str, Any]] = {}
        self._storage_failures: collections.deque[Reply] = collections.deque()
        self._storage_lock = threading.Lock()

    def fail_storage(self, *replies: Reply) -> None:
        """The next storage requests answer these (``Reply.error(503)``...), in order."""
        with self._storage_lock:
            self._storage_failures.extend(replies)

    def storage(self, request: RecordedRequest, match: re.Match[str]) -> WireResponse:
        """Upload, get or delete an object."""
        bucket = unquote(match["bucket"])
        with self._storage_lock:
            if self._storage_failures:
                failure = self._storage_failures.popleft()
                return _storage_error(failure.status, failure.message)
            if self.storage_buckets is not None and bucket not in self.storage_buckets:
                return _storage_error(404, "The specified bucket does not exist.")
            if match["upload"] and match["object"] is None and request.method == "POST":
                return self._storage_upload(request, bucket)
            if not match["upload"] and match["object"] is not None:
                uri = f"gs://{bucket}/{unquote(match['object'])}"
                if uri not in self.storage_objects:
                    return _storage_error(404, f"No such object: {uri[len('gs://') :]}")
                if request.method == "DELETE":
                    del self.storage_objects[uri]
                    del self._storage_meta[uri]
                    self.storage_deleted.append(uri)
                    return WireResponse(204)
                if request.method == "GET":
                    if request.query.get("alt") == ["media"]:
                        body = self.storage_objects[uri]
                        headers = {"Content-Type": self._storage_meta[uri]["contentType"]}
                        return WireResponse(200, headers, body)
                    return json_response(200, self._storage_meta[uri])
        return _storage_error(404, f"Not Found: {request.method} {request.path}")

    def _storage_upload(self, request: RecordedRequest, bucket: str) -> WireResponse:
        query = {k: v[-1] for k, v in request.query.items()}
        name = query.get("name", "")
        if query.get("uploadType") != "media" or not name:
            return _storage_error(400, "this server takes uploadType=media with a name")
        uri = f"gs://{bucket}/{name}"
        if query.get("ifGenerationMatch") == "0" and uri in self.storage_objects:
            return _storage_error(
                412, "At least one of the pre-conditions you specified did not hold."
            )
        data = request.body
        generation = str(time.time_ns() // 1000)
        meta = {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "selfLink": f"/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}",
            "name": name,
            "bucket": bucket,
            "generation": generation,
            "contentType": request.headers.get("content-type", "application/octet-stream"),
            "size": str(len(data)),
            "md5Hash": base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
            "timeCreated": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        }
        self.storage_objects[uri] = data
        self._storage_meta[uri] = meta
        return json_response(200, meta)


def _storage_error(status: int, message: str) -> WireResponse:
    reason = _REASONS.get(status, "backendError")
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }
    return json_response(status, body)
