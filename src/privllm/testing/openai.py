"""A local server speaking the OpenAI wire protocol (chat completions, SSE, embeddings, models,
the Responses API (JSON and SSE events, in ``openai_responses``), files and fine-tuning jobs).

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
Those endpoints are in ``openai_tuning`` (:class:`FineTuningEndpoints`, this server's base).
"""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import Iterator
from typing import Any

from .openai_responses import respond
from .openai_tuning import FineTuningEndpoints
from .replies import Reply, count_tokens, fake_embedding
from .server import RecordedRequest, WireResponse, json_response, sse_response

__all__ = ["OpenAIServer"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


class OpenAIServer(FineTuningEndpoints):
    """OpenAI-compatible endpoints under ``/v1``. ``api_key`` makes the server check it."""

    model = "test-model"
    embedding_model = "test-embedding"

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
        if request.method == "POST" and path.endswith("/responses"):
            return respond(self, request)
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

    def error_response(self, reply: Reply) -> WireResponse:
        """The API's error body for a scripted error ``reply``."""
        return self._error(reply)

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
        reply = self.next_reply(request)
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


def _halves(text: str) -> list[str]:
    # Tool arguments arrive in pieces in real streams; two pieces exercise reassembly.
    mid = len(text) // 2
    return [p for p in (text[:mid], text[mid:]) if p]
