"""OpenAI's Responses API (``POST /v1/responses``) for :class:`~privllm.testing.OpenAIServer`:
a JSON ``Response`` or, with ``"stream": true``, its typed SSE events.

The answer follows the scripted :class:`~privllm.testing.Reply` as the chat endpoint does
(``Reply.echo()`` answers with the last user text of ``input``); ``store`` is recorded as
sent, like every request (``server.requests``), and echoed back as the API does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Protocol

from .replies import Reply, count_tokens
from .server import RecordedRequest, WireResponse, json_response, sse_response

__all__ = ["respond"]


class _Server(Protocol):
    model: str

    def next_reply(self, request: RecordedRequest | None = None) -> Reply: ...

    def request_id(self) -> str: ...

    def error_response(self, reply: Reply) -> WireResponse: ...


def respond(server: _Server, request: RecordedRequest) -> WireResponse:
    """The answer of ``server`` to a ``POST /v1/responses``."""
    reply = server.next_reply(request)
    if reply.status >= 400:
        return server.error_response(reply)
    payload = request.json()
    texts = _input_texts(payload.get("input"))
    text = reply.answer(texts[-1] if texts else "")
    response_id = f"resp_{server.request_id()}"
    usage: dict[str, Any] = {
        "input_tokens": count_tokens([str(payload.get("instructions") or ""), *texts]),
        "output_tokens": count_tokens([text]),
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    output = _output(reply, text, response_id)
    body = _response(payload, response_id, output, usage, server.model, reply)
    headers = {"x-request-id": server.request_id(), **reply.headers}
    if payload.get("stream"):
        return sse_response(_events(reply, body, text), reply, headers)
    return json_response(200, body, headers, reply.delay)


def _input_texts(value: Any) -> list[str]:
    """The user texts of ``input`` (a string, or items with string or part-list content)."""
    if isinstance(value, str):
        return [value]
    texts: list[str] = []
    for item in value or ():
        if not isinstance(item, dict) or item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.append("".join(p.get("text", "") for p in content if isinstance(p, dict)))
    return texts


def _output(reply: Reply, text: str, response_id: str) -> list[dict[str, Any]]:
    output: list[dict[str, Any]] = []
    if text or not reply.tool_calls:
        output.append(
            {
                "id": f"msg_{response_id}",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        )
    output.extend(
        {
            "id": f"fc_{call.id}",
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": call.arguments,
            "status": "completed",
        }
        for call in reply.tool_calls
    )
    return output


def _response(
    payload: dict[str, Any],
    response_id: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any],
    model: str,
    reply: Reply,
) -> dict[str, Any]:
    incomplete = reply.finish_reason == "length" or reply.blocked
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": "incomplete" if incomplete else "completed",
        "incomplete_details": (
            {"reason": "content_filter" if reply.blocked else "max_output_tokens"}
            if incomplete
            else None
        ),
        "error": None,
        "model": payload.get("model", model),
        "instructions": payload.get("instructions"),
        "output": [] if reply.blocked else output,
        "parallel_tool_calls": payload.get("parallel_tool_calls", True),
        "tool_choice": payload.get("tool_choice", "auto"),
        "tools": payload.get("tools", []),
        "text": payload.get("text", {"format": {"type": "text"}}),
        "store": payload.get("store", True),
        "usage": usage,
        "metadata": payload.get("metadata", {}),
    }


def _events(reply: Reply, body: dict[str, Any], text: str) -> Iterator[bytes]:
    number = 0

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal number
        data = {"type": kind, "sequence_number": number, **fields}
        number += 1
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()

    started = {**body, "status": "in_progress", "output": [], "usage": None}
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    for index, item in enumerate(body["output"]):
        if item["type"] == "message":
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            part = {"type": "output_text", "text": "", "annotations": []}
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            yield event("response.content_part.added", part=part, **where)
            for piece in reply.pieces(text):
                yield event("response.output_text.delta", delta=piece, logprobs=[], **where)
            yield event("response.output_text.done", text=text, logprobs=[], **where)
            yield event("response.content_part.done", part={**part, "text": text}, **where)
        else:
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "arguments": "", "status": "in_progress"},
            )
            mid = len(item["arguments"]) // 2
            for piece in (item["arguments"][:mid], item["arguments"][mid:]):
                yield event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=piece,
                )
            done = {"name": item["name"], "arguments": item["arguments"]}
            yield event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                **done,
            )
        yield event("response.output_item.done", output_index=index, item=item)
    final = "response.incomplete" if body["status"] == "incomplete" else "response.completed"
    yield event(final, response=body)
