"""``generateContent`` and ``streamGenerateContent`` of :class:`~privllm.testing.GeminiServer`.

Scripted replies become Gemini responses: text and function-call parts, finish reasons as
Gemini spells them, usage metadata, a blocked prompt as ``promptFeedback``. Streams are SSE
``data:`` events, each a whole partial response, with no ``[DONE]``. Thought signatures go
out on function-call parts (and ``Reply.text_signature`` on the last text part);
``Reply(require_signatures=True)`` refuses a replayed call that lost its signature.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .replies import Reply, ScriptedToolCall, count_tokens
from .server import RecordedRequest, WireResponse, WireServer, json_response, sse_response

__all__ = ["GenerateContentEndpoints", "parts_text"]

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


class GenerateContentEndpoints(WireServer):
    """Answers to ``generateContent`` requests, for a server that answers errors in its own
    format (``_error``) and routes the requests here."""

    def _error(self, reply: Reply) -> WireResponse:
        raise NotImplementedError  # the server's own error body

    def generate(self, request: RecordedRequest, model: str, *, stream: bool) -> WireResponse:
        """Answer ``:generateContent`` (JSON) or ``:streamGenerateContent`` (SSE)."""
        reply = self.next_reply(request)
        if reply.status >= 400:
            return self._error(reply)
        payload = request.json()
        contents = payload.get("contents", [])
        if reply.require_signatures:
            missing = _unsigned_call(contents)
            if missing is not None:
                return self._error(Reply.error(400, missing))
        prompt_tokens = count_tokens(
            [parts_text(c) for c in contents] + [parts_text(payload.get("systemInstruction"))]
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


def parts_text(content: Any) -> str:
    """The text of a Gemini ``Content``'s parts, joined (empty for anything else)."""
    if not isinstance(content, dict):
        return ""
    return "".join(p.get("text", "") for p in content.get("parts", []) if isinstance(p, dict))


def _last_user_text(contents: list[dict[str, Any]]) -> str:
    for content in reversed(contents):
        if content.get("role", "user") == "user":
            text = parts_text(content)
            if text:
                return text
    return ""
