"""LlamaIndex messages to privllm's and privllm's answers to LlamaIndex's (for
``privllm.integrations.llamaindex``). Pure: no IO.

Tool calls go out as LlamaIndex's ``ToolCallBlock`` blocks and, as llama-index-llms-openai
writes them, OpenAI-shaped dicts in ``additional_kwargs["tool_calls"]``; both are read back
from the history, as are tool results (``role=tool`` with ``additional_kwargs["tool_call_id"]``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from privllm.errors import InvalidRequestError
from privllm.types import ChatChunk, Message, ToolCall, Usage
from privllm.types import ChatResponse as PrivllmResponse

__all__ = ["ChunkJoiner", "chat_response", "to_privllm_messages", "usage_kwargs"]

_ROLES = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "developer",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
}


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value or {})


def _calls(message: ChatMessage) -> list[ToolCall]:
    calls = [
        ToolCall(
            id=block.tool_call_id or f"call_{i}",
            name=block.tool_name,
            arguments=_arguments(block.tool_kwargs),
        )
        for i, block in enumerate(b for b in message.blocks if isinstance(b, ToolCallBlock))
    ]
    if calls:
        return calls
    for item in message.additional_kwargs.get("tool_calls") or []:
        data = item.model_dump() if hasattr(item, "model_dump") else item
        calls.append(ToolCall.model_validate(data))  # OpenAI's shape
    return calls


def _text(message: ChatMessage, i: int) -> str:
    texts: list[str] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif not isinstance(block, (ToolCallBlock, ThinkingBlock)):
            kind = getattr(block, "block_type", type(block).__name__)
            raise InvalidRequestError(
                f"invalid chat request: messages[{i}]: {kind} blocks are not supported: "
                "privllm sends text only (it cannot redact what it cannot read)",
                fields=(f"messages[{i}]",),
            )
    return "".join(texts)


def to_privllm_messages(messages: Sequence[ChatMessage]) -> list[Message]:
    """privllm messages from LlamaIndex's: text, tool calls and tool results."""
    out: list[Message] = []
    for i, m in enumerate(messages):
        role = _ROLES.get(m.role)
        if role is None:
            raise InvalidRequestError(
                f"invalid chat request: messages[{i}].role: not supported", fields=("role",)
            )
        text = _text(m, i)
        if role == "tool":
            call_id = m.additional_kwargs.get("tool_call_id")
            out.append(
                Message(
                    role="tool",
                    tool_call_id=str(call_id) if call_id else None,
                    name=m.additional_kwargs.get("name"),
                    content=text,
                )
            )
        elif role == "assistant":
            out.append(Message.assistant(text or None, _calls(m) or None))
        else:
            out.append(Message(role=role, content=text))
    return out


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """Token counts as llama-index-llms-openai puts them in ``additional_kwargs``."""
    if usage is None:
        return {}
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _kwargs(arguments: str) -> dict[str, Any] | str:
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return arguments
    return value if isinstance(value, dict) else arguments


def _message(text: str, calls: Sequence[ToolCall]) -> ChatMessage:
    blocks: list[Any] = [TextBlock(text=text)] if text else []
    blocks.extend(
        ToolCallBlock(tool_call_id=c.id, tool_name=c.name, tool_kwargs=_kwargs(c.arguments))
        for c in calls
    )
    extra: dict[str, Any] = {}
    if calls:
        extra["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def chat_response(response: PrivllmResponse[Any]) -> ChatResponse:
    """A LlamaIndex ``ChatResponse`` from privllm's answer (values restored)."""
    raw: Mapping[str, Any] = {
        "id": response.id,
        "model": response.model,
        "finish_reason": response.finish_reason,
    }
    return ChatResponse(
        message=_message(response.text, response.tool_calls),
        raw=dict(raw),
        additional_kwargs=usage_kwargs(response.usage),
    )


class ChunkJoiner:
    """Stream chunks as LlamaIndex streams them: each ``ChatResponse`` holds the message so
    far and ``delta`` the new text; tool calls appear once their arguments are complete."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]

    def __call__(self, chunk: ChatChunk) -> ChatResponse | None:
        for delta in chunk.tool_calls:
            slot = self._calls.setdefault(delta.index, ["", "", ""])
            slot[0] = slot[0] or delta.id or ""
            slot[1] += delta.name or ""
            slot[2] += delta.arguments
        if chunk.text:
            self._text.append(chunk.text)
        if not (chunk.text or chunk.tool_calls or chunk.finish_reason or chunk.usage):
            return None
        calls = [
            ToolCall(id=call_id or f"call_{index}", name=name, arguments=arguments or "{}")
            for index, (call_id, name, arguments) in sorted(self._calls.items())
            if name and (chunk.finish_reason is not None or isinstance(_kwargs(arguments), dict))
        ]
        return ChatResponse(
            message=_message("".join(self._text), calls),
            delta=chunk.text,
            raw={"finish_reason": chunk.finish_reason} if chunk.finish_reason else None,
            additional_kwargs=usage_kwargs(chunk.usage),
        )
