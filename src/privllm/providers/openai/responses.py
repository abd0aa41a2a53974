"""privllm's neutral chat request to OpenAI's Responses API (``responses.create``), and back.

A request with ``api="responses"`` went through the chain like any chat call (redaction,
policy, audit); here it is sent in the Responses shape: a leading ``system`` message is the
``instructions``, the others are input items (messages, ``function_call`` and
``function_call_output`` items), tools are flat ``{"type": "function", "name": ...}``, a
``response_format`` is ``text.format``. The answer and the streamed events come back as
neutral ``ChatResponse`` / ``ChatChunk`` objects, so restoring works as for chat.

Pure, except the two stream classes that read the SDK's event stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from privllm.errors import ContentFilteredError, PrivllmError, ServerError
from privllm.providers.cause import detach
from privllm.providers.extra import check_extra
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    Endpoint,
    FinishReason,
    Message,
    ResponseFormat,
    ToolCall,
    ToolCallDelta,
    Usage,
)

from .mapping import answer

if TYPE_CHECKING:
    from .provider import OpenAIProvider

__all__ = [
    "RESPONSES_KEYS",
    "AsyncResponsesStream",
    "ResponsesStream",
    "responses_params",
    "to_chat_response",
]

#: Body fields written from the redacted request: refused in ``extra`` (see providers.extra).
RESPONSES_KEYS = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "text",
        "temperature",
        "top_p",
        "max_output_tokens",
        "user",
        "stream",
        "prompt",
        "previous_response_id",
        "conversation",
    }
)


def responses_params(request: ChatRequest, *, model: str, stream: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``responses.create`` from a neutral request."""
    check_extra(request.extra, RESPONSES_KEYS, "responses")
    messages = list(request.messages)
    params: dict[str, Any] = {"model": model}
    if messages and messages[0].role == "system" and isinstance(messages[0].content, str):
        params["instructions"] = messages.pop(0).content
    params["input"] = [item for m in messages for item in _items(m)]
    if request.temperature is not None:
        params["temperature"] = request.temperature
    if request.top_p is not None:
        params["top_p"] = request.top_p
    if request.max_tokens is not None:
        params["max_output_tokens"] = request.max_tokens
    if request.user is not None:
        params["user"] = request.user
    if request.store is not None:
        params["store"] = request.store
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "parameters": t.parameters,
                "strict": bool(t.strict),
            }
            for t in request.tools
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        params["tool_choice"] = (
            choice
            if choice in ("auto", "none", "required")
            else {"type": "function", "name": choice}
        )
    extra = dict(request.extra)
    text: dict[str, Any] = {}
    if "verbosity" in extra:
        text["verbosity"] = extra.pop("verbosity")
    if request.response_format is not None:
        text["format"] = _text_format(request.response_format)
    if text:
        params["text"] = text
    if stream:
        params["stream"] = True
    if extra:
        params["extra_body"] = extra
    return params


def _text_format(response_format: object) -> dict[str, Any]:
    if isinstance(response_format, ResponseFormat):
        wire = response_format.wire()
        if wire["type"] == "json_object":
            return {"type": "json_object"}
        return {"type": "json_schema", **wire["json_schema"]}
    from openai.lib._parsing._responses import type_to_text_format_param

    return dict(type_to_text_format_param(response_format))  # type: ignore[arg-type]


def _items(message: Message) -> list[dict[str, Any]]:
    content = message.content
    text = ("".join(p.text for p in content) if isinstance(content, list) else content) or ""
    if message.role == "tool":
        return [{"type": "function_call_output", "call_id": message.tool_call_id, "output": text}]
    items: list[dict[str, Any]] = []
    if message.role == "assistant":
        if text:
            items.append(
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            )
        items.extend(
            {
                "type": "function_call",
                "call_id": c.id,
                "name": c.name,
                "arguments": c.arguments,
            }
            for c in message.tool_calls or ()
        )
        return items
    return [{"type": "message", "role": message.role, "content": text}]


def _usage(usage: Any) -> Usage | None:
    if usage is None:
        return None
    return Usage(
        prompt_tokens=usage.input_tokens or 0,
        completion_tokens=usage.output_tokens or 0,
        total_tokens=usage.total_tokens or 0,
    )


def _finish(response: Any, has_calls: bool) -> FinishReason:
    details = getattr(response, "incomplete_details", None)
    reason = getattr(details, "reason", None) if details is not None else None
    if reason == "max_output_tokens":
        return "length"
    if reason == "content_filter":
        return "content_filter"
    return "tool_calls" if has_calls else "stop"


def to_chat_response(
    response: Any, request: ChatRequest, *, provider: str, endpoint: Endpoint
) -> ChatResponse:
    """A neutral response from a ``Response``: its text (refusals included) and calls."""
    parts: list[str] = []
    calls: list[ToolCall] = []
    for item in response.output or ():
        kind = getattr(item, "type", None)
        if kind == "message":
            for part in item.content or ():
                if part.type == "output_text":
                    parts.append(part.text)
                elif part.type == "refusal":
                    parts.append(part.refusal)
        elif kind == "function_call":
            calls.append(ToolCall(id=item.call_id, name=item.name, arguments=item.arguments or ""))
    finish = _finish(response, bool(calls))
    usage = _usage(response.usage)
    return answer(
        response,
        "".join(parts),
        calls,
        finish,
        usage,
        request,
        provider=provider,
        endpoint=endpoint,
    )


class _Events:
    """Neutral chunks from Responses stream events, one stream's state."""

    __slots__ = ("_calls", "_provider", "delivered")

    def __init__(self, provider: OpenAIProvider) -> None:
        self._provider = provider
        self._calls: dict[str, int] = {}  # output item id -> tool call index
        self.delivered = False

    def __call__(self, event: Any) -> ChatChunk | None:
        kind = event.type
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            self.delivered = True
            return ChatChunk(text=event.delta) if event.delta else None
        if kind == "response.output_item.added" and event.item.type == "function_call":
            item = event.item
            index = self._calls[item.id or item.call_id] = len(self._calls)
            self.delivered = True
            return ChatChunk(
                tool_calls=[
                    ToolCallDelta(
                        index=index, id=item.call_id, name=item.name, arguments=item.arguments
                    )
                ]
            )
        if kind == "response.function_call_arguments.delta":
            found = self._calls.get(event.item_id)
            if found is None or not event.delta:
                return None
            return ChatChunk(tool_calls=[ToolCallDelta(index=found, arguments=event.delta)])
        if kind in ("response.completed", "response.incomplete"):
            finish = _finish(event.response, bool(self._calls))
            name = self._provider.name
            if finish == "content_filter" and not self.delivered:
                raise ContentFilteredError(
                    f"answer withheld by {name}'s content filter", provider=name
                )
            return ChatChunk(finish_reason=finish, usage=_usage(event.response.usage))
        if kind in ("response.failed", "error"):
            # The provider's own text may quote the input: its code only.
            error = getattr(event, "code", None) or getattr(
                getattr(getattr(event, "response", None), "error", None), "code", None
            )
            raise ServerError(
                f"the Responses stream failed ({error or 'no code given'})",
                provider=self._provider.name,
            )
        return None


class ResponsesStream:
    """Neutral chunks from a ``responses.create(stream=True)`` event stream."""

    __slots__ = ("_provider", "_sdk_stream")

    def __init__(self, provider: OpenAIProvider, sdk_stream: Any) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream

    def __iter__(self) -> Iterator[ChatChunk]:
        convert = _Events(self._provider)
        error: PrivllmError | None = None
        try:
            for event in self._sdk_stream:
                chunk = convert(event)
                if chunk is not None:
                    yield chunk
        except PrivllmError:
            raise
        except Exception as exc:
            error = detach(self._provider.map_error(exc, streaming=True), exc)
        if error is not None:
            raise error

    def close(self) -> None:
        self._sdk_stream.close()


class AsyncResponsesStream:
    """The async twin of :class:`ResponsesStream`."""

    __slots__ = ("_provider", "_sdk_stream")

    def __init__(self, provider: OpenAIProvider, sdk_stream: Any) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        convert = _Events(self._provider)
        error: PrivllmError | None = None
        try:
            async for event in self._sdk_stream:
                chunk = convert(event)
                if chunk is not None:
                    yield chunk
        except PrivllmError:
            raise
        except Exception as exc:
            error = detach(self._provider.map_error(exc, streaming=True), exc)
        if error is not None:
            raise error

    async def aclose(self) -> None:
        await self._sdk_stream.close()
