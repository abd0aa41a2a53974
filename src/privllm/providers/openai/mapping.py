"""privllm's neutral types to the ``openai`` SDK's chat and embedding calls, and back.

Pure: no client, no IO. Stream chunks are converted in ``streams``.
"""

from __future__ import annotations

from typing import Any

from privllm.errors import ContentFilteredError
from privllm.providers.extra import check_extra, check_headers, check_query
from privllm.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Endpoint,
    FinishReason,
    Message,
    ResponseFormat,
    ToolCall,
    Usage,
)

__all__ = [
    "CHAT_KEYS",
    "EMBED_KEYS",
    "answer",
    "chat_params",
    "embed_params",
    "finish_reason",
    "to_embeddings",
    "to_response",
    "to_usage",
    "with_http_extras",
]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}

# Body fields privllm writes from the (redacted) request. ``extra`` becomes ``extra_body``,
# which the SDK merges over its own fields, so any of these in ``extra`` would replace what
# privllm sent: refused. (``store`` is not here: policy reads it from ``extra`` and decides;
# ``n`` is refused by ``ChatRequest`` itself.)
CHAT_KEYS = frozenset(
    {
        "model",
        "messages",
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "top_p",
        "stop",
        "seed",
        "user",
        "tools",
        "tool_choice",
        "response_format",
        "stream",
        "stream_options",
    }
)
EMBED_KEYS = frozenset({"model", "input", "dimensions"})


def chat_params(
    request: ChatRequest,
    *,
    model: str,
    endpoint: Endpoint,
    stream: bool = False,
    developer_role: bool = True,
) -> dict[str, Any]:
    """Keyword arguments for ``chat.completions.create`` from a neutral request; ``model``
    is the name to send (the provider's ``model_name``). Without ``developer_role`` (Azure's
    GA API versions), a ``developer`` message is sent as ``system``, its older name."""
    check_extra(request.extra, CHAT_KEYS, "chat")
    params: dict[str, Any] = {
        "model": model,
        "messages": [_message(m, developer_role) for m in request.messages],
    }
    if request.temperature is not None:
        params["temperature"] = request.temperature
    if request.max_tokens is not None:
        # OpenAI's own API wants the newer name; compatible servers know the older one.
        key = "max_completion_tokens" if endpoint.kind == "enterprise_api" else "max_tokens"
        params[key] = request.max_tokens
    if request.top_p is not None:
        params["top_p"] = request.top_p
    if request.stop:
        params["stop"] = request.stop
    if request.seed is not None:
        params["seed"] = request.seed
    if request.user is not None:
        params["user"] = request.user
    if request.store is not None:
        params["store"] = request.store
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    **({"description": t.description} if t.description else {}),
                    "parameters": t.parameters,
                    **({"strict": t.strict} if t.strict is not None else {}),
                },
            }
            for t in request.tools
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        params["tool_choice"] = (
            choice
            if choice in ("auto", "none", "required")
            else {"type": "function", "function": {"name": choice}}
        )
    if isinstance(request.response_format, ResponseFormat):
        params["response_format"] = request.response_format.wire()
    elif request.response_format is not None:
        from openai.lib._parsing._completions import type_to_response_format_param

        params["response_format"] = type_to_response_format_param(request.response_format)
    if stream:
        params["stream"] = True
        params["stream_options"] = {"include_usage": True}
    if request.extra:
        params["extra_body"] = dict(request.extra)
    return with_http_extras(params, request)


def with_http_extras(
    params: dict[str, Any], request: ChatRequest | EmbeddingRequest
) -> dict[str, Any]:
    """``extra_headers`` / ``extra_query`` from the request's ``headers`` and ``query``
    (checked: none of the names privllm itself sets)."""
    if request.headers:
        check_headers(request.headers)
        params["extra_headers"] = dict(request.headers)
    if request.query:
        check_query(request.query)
        params["extra_query"] = dict(request.query)
    return params


def embed_params(request: EmbeddingRequest, *, model: str) -> dict[str, Any]:
    """Keyword arguments for ``embeddings.create`` from a neutral request."""
    check_extra(request.extra, EMBED_KEYS, "embedding")
    params: dict[str, Any] = {"model": model, "input": request.input}
    if request.dimensions is not None:
        params["dimensions"] = request.dimensions
    if request.extra:
        params["extra_body"] = dict(request.extra)
    return with_http_extras(params, request)


def to_response(
    completion: Any, request: ChatRequest, *, provider: str, endpoint: Endpoint
) -> ChatResponse:
    """A neutral response from a chat completion; raise when the filter withheld it all."""
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice is not None else None
    text = (message.content or message.refusal or "") if message is not None else ""
    calls = (
        [
            ToolCall(id=tc.id, name=tc.function.name, arguments=tc.function.arguments or "")
            for tc in (message.tool_calls or [])
            if getattr(tc, "function", None) is not None
        ]
        if message is not None
        else []
    )
    finish = finish_reason(choice.finish_reason if choice is not None else None)
    return answer(
        completion,
        text,
        calls,
        finish,
        to_usage(completion.usage),
        request,
        provider=provider,
        endpoint=endpoint,
    )


def answer(
    result: Any,
    text: str,
    calls: list[ToolCall],
    finish: FinishReason | None,
    usage: Usage | None,
    request: ChatRequest,
    *,
    provider: str,
    endpoint: Endpoint,
) -> ChatResponse:
    """The neutral answer to ``request`` from an SDK ``result`` (its ``id``, ``model`` and
    request id) and what was read from it; raise when the filter withheld it all."""
    if finish == "content_filter" and not (text or calls):
        raise ContentFilteredError(
            f"answer withheld by {provider}'s content filter",
            provider=provider,
            request_id=getattr(result, "_request_id", None),
        )
    return ChatResponse(
        id=result.id,
        text=text,
        tool_calls=calls,
        finish_reason=finish,
        usage=usage,
        provider=provider,
        model=result.model or request.model,
        endpoint=endpoint,
    )


def to_embeddings(
    result: Any, request: EmbeddingRequest, *, provider: str, endpoint: Endpoint
) -> EmbeddingResponse:
    """A neutral embedding response, vectors in input order."""
    data = sorted(result.data, key=lambda d: d.index)
    return EmbeddingResponse(
        vectors=[list(d.embedding) for d in data],
        model=result.model or request.model,
        provider=provider,
        endpoint=endpoint,
        usage=to_usage(result.usage),
    )


def _message(m: Message, developer_role: bool) -> dict[str, Any]:
    role = "system" if m.role == "developer" and not developer_role else m.role
    out: dict[str, Any] = {"role": role}
    content = m.content
    if isinstance(content, list):
        out["content"] = [{"type": "text", "text": p.text} for p in content]
    elif content is None and m.role == "assistant" and not m.tool_calls:
        # An empty answer (a reasoning model that spent its budget) replayed: OpenAI wants
        # content unless there are tool calls.
        out["content"] = ""
    else:
        out["content"] = content
    if m.name:
        out["name"] = m.name
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    return out


def finish_reason(reason: str | None) -> FinishReason | None:
    """privllm's name for an OpenAI ``finish_reason`` (``"other"`` for one it does not know)."""
    if reason is None:
        return None
    return _FINISH.get(reason, "other")


def to_usage(usage: Any) -> Usage | None:
    """Token counts from an SDK usage object, or None."""
    if usage is None:
        return None
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        total_tokens=usage.total_tokens or 0,
    )
