"""Translation between LangChain's messages and privllm's, both ways, for
:mod:`privllm.integrations.langchain` (which checks that LangChain is installed first).

Out: LangChain messages as the OpenAI-style dicts privllm reads; tools and response formats
in OpenAI's shapes. Back: privllm answers and stream chunks as ``AIMessage`` and
``ChatGenerationChunk``, with tool calls, usage and response metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_function

from privllm.types import ChatChunk, ChatResponse, Usage

__all__ = [
    "SIGNATURES",
    "generation_chunk",
    "json_schema_format",
    "last_chunk",
    "openai_tool_choice",
    "result",
    "to_privllm_messages",
]

#: Gemini's opaque per-call context (``ToolCall.signature``), kept on the AIMessage by call
#: id so a replayed conversation sends it back.
SIGNATURES = "privllm_signatures"
_ROLES = ((HumanMessage, "user"), (AIMessage, "assistant"), (ToolMessage, "tool"))


# -- LangChain -> privllm ----------------------------------------------------------------------


def to_privllm_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages as the OpenAI-style dicts privllm reads.

    Text content only (text blocks of a list kept, others passed on for privllm to refuse);
    an assistant's ``tool_use``/``thinking``/``reasoning`` blocks dropped (its
    ``tool_calls`` carry the calls); ``name`` never sent.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ChatMessage):
            role = message.role
        elif isinstance(message, SystemMessage):
            role = message.additional_kwargs.get("__openai_role__", "system")
        else:
            # Chunks too (an AIMessageChunk assembled from a stream is replayed as is);
            # a type privllm has no role for (FunctionMessage) is refused by privllm.
            role = next((r for cls, r in _ROLES if isinstance(message, cls)), message.type)
        item: dict[str, Any] = {"role": role, "content": _content(message)}
        if isinstance(message, AIMessage):
            calls = _tool_calls(message)
            if calls:
                item["tool_calls"] = calls
                item["content"] = item["content"] or None
        elif isinstance(message, ToolMessage):
            item["tool_call_id"] = message.tool_call_id
        out.append(item)
    return out


def _content(message: BaseMessage) -> Any:
    content = message.content
    if isinstance(content, str):
        return content
    assistant = isinstance(message, AIMessage)
    parts: list[Any] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif block.get("type") == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif assistant:
            continue  # tool_use, thinking, tool_call...: the tool calls travel in tool_calls
        else:
            parts.append(block)  # image, audio, file: privllm refuses them, naming the part
    if (assistant or isinstance(message, ToolMessage)) and all(
        p.get("type") == "text" for p in parts
    ):
        return "".join(p["text"] for p in parts)
    return parts


def _tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    signatures = message.additional_kwargs.get(SIGNATURES) or {}
    calls = [
        {"id": c["id"], "name": c["name"], "arguments": json.dumps(c["args"], ensure_ascii=False)}
        for c in message.tool_calls
    ] + [
        {"id": c["id"], "name": c["name"], "arguments": c["args"] or "{}"}
        for c in message.invalid_tool_calls
    ]
    for call in calls:
        if call["id"] in signatures:
            call["signature"] = signatures[call["id"]]
    return calls


def openai_tool_choice(choice: dict[str, Any] | str | bool, names: list[str]) -> Any:
    if isinstance(choice, dict):
        return choice
    if choice is True:
        if len(names) != 1:
            raise ValueError("tool_choice=True needs exactly one tool; name the tool instead")
        choice = names[0]
    if choice == "any":
        return "required"
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def json_schema_format(schema: dict[str, Any] | type, strict: bool | None) -> dict[str, Any]:
    if isinstance(schema, dict) and schema.get("type") == "json_schema":
        return schema  # already OpenAI's response_format
    function = convert_to_openai_function(schema, strict=strict)
    function["schema"] = function.pop("parameters")
    return {"type": "json_schema", "json_schema": function}


# -- privllm -> LangChain ----------------------------------------------------------------------


def _usage(usage: Usage | None) -> UsageMetadata | None:
    if usage is None:
        return None
    # privllm's Usage has totals only; the detail keys are NotRequired, though mypy (reading
    # langchain-core's typing_extensions import) takes them as required.
    metadata = {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    return cast("UsageMetadata", metadata)


def _metadata(response: ChatResponse[Any]) -> dict[str, Any]:
    return {
        "model_name": response.model,
        "finish_reason": response.finish_reason,
        "id": response.id,
        "provider": response.provider,  # the backend that answered (after any routing)
        "model_provider": "privllm",
    }


def result(response: ChatResponse[Any]) -> ChatResult:
    tool_calls, invalid, signatures = [], [], {}
    for call in response.tool_calls:
        raw = {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
        try:
            tool_calls.append(parse_tool_call(raw, return_id=True))
        except Exception as exc:  # LangChain keeps a call it cannot parse, as invalid
            invalid.append(make_invalid_tool_call(raw, str(exc)))
        if call.signature:
            signatures[call.id] = call.signature
    message = AIMessage(
        content=response.text,
        tool_calls=[c for c in tool_calls if c is not None],
        invalid_tool_calls=invalid,
        additional_kwargs={SIGNATURES: signatures} if signatures else {},
        usage_metadata=_usage(response.usage),
        response_metadata=_metadata(response),
        id=response.id,
    )
    info = {"finish_reason": response.finish_reason}
    return ChatResult(generations=[ChatGeneration(message=message, generation_info=info)])


def generation_chunk(chunk: ChatChunk) -> ChatGenerationChunk | None:
    """The text and tool-call pieces of a privllm chunk; usage and the finish reason come
    once, on the last chunk (:func:`last_chunk`), with the model the provider named."""
    if not chunk.text and not chunk.tool_calls:
        return None
    signatures = {d.id: d.signature for d in chunk.tool_calls if d.id and d.signature}
    message = AIMessageChunk(
        content=chunk.text,
        tool_call_chunks=[
            tool_call_chunk(name=d.name, args=d.arguments or None, id=d.id, index=d.index)
            for d in chunk.tool_calls
        ],
        additional_kwargs={SIGNATURES: signatures} if signatures else {},
    )
    return ChatGenerationChunk(message=message)


def last_chunk(response: ChatResponse[Any]) -> ChatGenerationChunk:
    message = AIMessageChunk(
        content="",
        usage_metadata=_usage(response.usage),
        response_metadata=_metadata(response),
        chunk_position="last",
    )
    info = {"finish_reason": response.finish_reason}
    return ChatGenerationChunk(message=message, generation_info=info)
