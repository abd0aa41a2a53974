"""Assemble a streamed answer into a ``ChatResponse`` (sans-IO, shared by both clients)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .types import ChatChunk, ChatRequest, ChatResponse, FinishReason, ToolCall, Usage

if TYPE_CHECKING:
    from .pipeline import CallContext

__all__ = ["StreamAssembler"]


class StreamAssembler:
    """Collects chunks as the caller receives them; ``response`` is set by ``finish()``."""

    __slots__ = (
        "_calls",
        "_ctx",
        "_parts",
        "_request",
        "finish_reason",
        "response",
        "usage",
    )

    def __init__(self, request: ChatRequest, ctx: CallContext) -> None:
        self._request = request
        self._ctx = ctx
        self._parts: list[str] = []
        self._calls: dict[int, list[str]] = {}  # index -> [id, name, arguments...]
        self.finish_reason: FinishReason | None = None
        self.usage: Usage | None = None
        self.response: ChatResponse | None = None

    def add(self, chunk: ChatChunk) -> None:
        if chunk.text:
            self._parts.append(chunk.text)
        for delta in chunk.tool_calls:
            slot = self._calls.setdefault(delta.index, ["", ""])
            if delta.id:
                slot[0] = delta.id
            if delta.name:
                slot[1] += delta.name
            if delta.arguments:
                slot.append(delta.arguments)
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage

    def finish(self) -> ChatResponse:
        calls = [
            ToolCall(id=slot[0], name=slot[1], arguments="".join(slot[2:]))
            for _, slot in sorted(self._calls.items())
        ]
        self.response = ChatResponse(
            text="".join(self._parts),
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
            provider=self._ctx.endpoint.provider,
            model=(self._ctx.sent or self._request).model,
            endpoint=self._ctx.endpoint,
        )
        return self.response
