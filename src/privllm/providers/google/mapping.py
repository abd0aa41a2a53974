"""privllm's neutral types to google-genai's and back: requests, responses, stream chunks.

Thought signatures: Gemini puts an opaque ``thoughtSignature`` on function-call parts (on the
first of parallel calls) and Gemini 3 refuses a follow-up request that replays the call
without it. privllm carries it on :attr:`ToolCall.signature <privllm.types.ToolCall>` as
base64 text and sends it back on the same function-call part. A signature on a text or
thought part (Gemini may sign a plain answer's last part, or send it streamed on an empty
text part) has no place in a neutral message and is dropped: Gemini validates signatures on
function calls only, and replays plain text unsigned without complaint.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from google.genai import types as gt
from pydantic import ValidationError

from privllm.errors import BadRequestError, ContentFilteredError, InvalidRequestError
from privllm.providers.extra import camel_to_snake, check_extra
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Endpoint,
    FinishReason,
    Message,
    ResponseFormat,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "CHAT_KEYS",
    "EMBED_KEYS",
    "ChunkMapper",
    "chat_params",
    "embed_params",
    "to_embeddings",
    "to_response",
]


_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "MODEL_ARMOR": "content_filter",
}

# Config fields privllm writes from the (redacted) request, plus ``contents`` (the request's
# own, never a config field) and ``http_options`` (privllm's client carries them; a per-call
# one could add headers, a base URL or an ``extra_body`` merged over ``contents``). Any of
# these in ``extra`` would replace what privllm sent: refused, in either spelling.
CHAT_KEYS = frozenset(
    {
        "contents",
        "http_options",
        "automatic_function_calling",
        "system_instruction",
        "temperature",
        "max_output_tokens",
        "top_p",
        "stop_sequences",
        "seed",
        "tools",
        "tool_config",
        "response_mime_type",
        "response_json_schema",
    }
)
EMBED_KEYS = frozenset({"contents", "http_options", "output_dimensionality"})

# The ids privllm makes up for Gemini function calls that arrive without one.
_SYNTHETIC_ID = re.compile(r"^call_\d+$")


# -- requests ----------------------------------------------------------------------------------


_M = TypeVar("_M", gt.GenerateContentConfig, gt.EmbedContentConfig)


def _openai_only(request: ChatRequest | EmbeddingRequest) -> None:
    # The openai drop-in's Responses calls and per-call HTTP extras have no Gemini form.
    what = "chat" if isinstance(request, ChatRequest) else "embedding"
    for field, given in (
        ("api", isinstance(request, ChatRequest) and request.api != "chat"),
        ("headers", bool(request.headers)),
        ("query", bool(request.query)),
    ):
        if given:
            raise InvalidRequestError(
                f"invalid {what} request: {field}: not carried for Google (OpenAI and Azure only)",
                fields=(field,),
            )


def chat_params(
    request: ChatRequest, provider: str
) -> tuple[list[gt.Content], gt.GenerateContentConfig]:
    """``contents`` and ``config`` for ``generate_content`` from a neutral request."""
    # Gemini has one system instruction and no developer role: both are folded into it.
    check_extra(request.extra, CHAT_KEYS, "chat", spelling=camel_to_snake)
    _openai_only(request)
    system = [m.text for m in request.messages if m.role in ("system", "developer")]
    fields: dict[str, Any] = {
        # privllm runs no Python tools itself: the caller gets the calls back.
        "automatic_function_calling": gt.AutomaticFunctionCallingConfig(disable=True),
    }
    if system:
        fields["system_instruction"] = "\n\n".join(system)
    if request.temperature is not None:
        fields["temperature"] = request.temperature
    if request.max_tokens is not None:
        fields["max_output_tokens"] = request.max_tokens
    if request.top_p is not None:
        fields["top_p"] = request.top_p
    if request.stop:
        fields["stop_sequences"] = request.stop
    if request.seed is not None:
        fields["seed"] = request.seed
    if request.tools:
        declarations = [
            gt.FunctionDeclaration(
                name=t.name, description=t.description, parameters_json_schema=t.parameters
            )
            for t in request.tools
        ]
        fields["tools"] = [gt.Tool(function_declarations=declarations)]
    if request.tool_choice is not None:
        fields["tool_config"] = gt.ToolConfig(
            function_calling_config=_calling_config(request.tool_choice)
        )
    if isinstance(request.response_format, ResponseFormat):
        # OpenAI's dict: json_object is "any JSON"; json_schema adds the schema, if given.
        fields["response_mime_type"] = "application/json"
        spec = request.response_format.json_schema
        if spec is not None and spec.schema_ is not None:
            fields["response_json_schema"] = spec.schema_
    elif request.response_format is not None:
        fields["response_mime_type"] = "application/json"
        fields["response_json_schema"] = request.response_format.model_json_schema()
    fields.update(request.extra)
    config = _validated(gt.GenerateContentConfig, fields, provider)
    return _contents(request.messages, provider), config


def embed_params(
    request: EmbeddingRequest, provider: str
) -> tuple[list[gt.Content], gt.EmbedContentConfig]:
    """``contents`` and ``config`` for ``embed_content`` from a neutral request."""
    check_extra(request.extra, EMBED_KEYS, "embedding", spelling=camel_to_snake)
    _openai_only(request)
    # One Content per input: plain strings would be merged into one multimodal input.
    contents = [gt.Content(role="user", parts=[gt.Part(text=t)]) for t in request.input]
    fields: dict[str, Any] = dict(request.extra)
    if request.dimensions is not None:
        fields["output_dimensionality"] = request.dimensions
    return contents, _validated(gt.EmbedContentConfig, fields, provider)


def _validated(model: type[_M], fields: dict[str, Any], provider: str) -> _M:
    try:
        return model(**fields)
    except ValidationError as exc:
        # Field names only: the values may be (restored) user content.
        where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise BadRequestError(
            f"invalid Google option(s) in extra: {where}", provider=provider
        ) from None


def _calling_config(choice: str) -> gt.FunctionCallingConfig:
    modes = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
    if choice in modes:
        return gt.FunctionCallingConfig(mode=modes[choice])
    return gt.FunctionCallingConfig(mode="ANY", allowed_function_names=[choice])


def _contents(messages: Sequence[Message], provider: str) -> list[gt.Content]:
    names: dict[str, str] = {}  # tool_call_id -> function name, from earlier assistant turns
    contents: list[gt.Content] = []
    for m in messages:
        if m.role in ("system", "developer"):
            continue  # sent as system_instruction
        if m.role == "tool":
            name = names.get(m.tool_call_id or "") or m.name
            if not name:
                raise BadRequestError(
                    f"tool message {m.tool_call_id!r} answers no earlier tool call",
                    provider=provider,
                )
            part = gt.Part(
                function_response=gt.FunctionResponse(name=name, response=_tool_result(m.text))
            )
            last = contents[-1] if contents else None
            if last is not None and last.parts and last.parts[0].function_response is not None:
                last.parts.append(part)  # parallel calls are answered in one turn
            else:
                contents.append(gt.Content(role="user", parts=[part]))
            continue
        parts = [gt.Part(text=p) for p in _texts(m)]
        if m.role == "assistant":
            for call in m.tool_calls or ():
                names[call.id] = call.name
                # Ids are not sent back: they may be privllm's own or another provider's.
                parts.append(
                    gt.Part(
                        function_call=gt.FunctionCall(name=call.name, args=_args(call)),
                        thought_signature=_signature_bytes(call, provider),
                    )
                )
        if parts:  # Google refuses a turn with no parts
            role = "model" if m.role == "assistant" else "user"
            contents.append(gt.Content(role=role, parts=parts))
    return contents


def _texts(m: Message) -> list[str]:
    if m.content is None:
        return []
    if isinstance(m.content, str):
        return [m.content] if m.content else []
    return [p.text for p in m.content]


def _args(call: ToolCall) -> dict[str, Any]:
    try:
        value = call.args()
    except json.JSONDecodeError:
        return {"arguments": call.arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def _signature_bytes(call: ToolCall, provider: str) -> bytes | None:
    if not call.signature:
        return None
    text = call.signature + "=" * (-len(call.signature) % 4)  # padding is optional
    try:
        # Either base64 alphabet: Google's JSON uses the standard one, the SDK sends URL-safe.
        return base64.b64decode(text, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(
            f"tool call {call.name!r}: signature is not base64 (send it back as received)",
            provider=provider,
        ) from None


def _signature_text(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode("ascii") if value else None


def _tool_result(text: str) -> dict[str, Any]:
    # Google wants a JSON object; anything else goes under "output", as its docs suggest.
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {"output": text}
    return value if isinstance(value, dict) else {"output": value}


# -- responses ---------------------------------------------------------------------------------


def to_response(
    result: gt.GenerateContentResponse, request: ChatRequest, *, provider: str, endpoint: Endpoint
) -> ChatResponse:
    """A neutral response from ``generate_content``'s result."""
    _raise_if_prompt_blocked(result, provider)
    candidate = result.candidates[0] if result.candidates else None
    text, calls = _parts(candidate, 0)
    reason = candidate.finish_reason if candidate is not None else None
    finish = _finish(reason, bool(calls))
    if finish == "content_filter" and not text and not calls:
        raise _filtered(f"answer withheld by Google's safety system ({_name(reason)})", provider)
    return ChatResponse(
        id=result.response_id,
        text=text,
        tool_calls=[
            ToolCall(
                id=d.id or f"call_{d.index}",
                name=d.name or "",
                arguments=d.arguments,
                signature=d.signature,
            )
            for d in calls
        ],
        finish_reason=finish,
        usage=_usage(result.usage_metadata),
        provider=provider,
        model=result.model_version or request.model,
        endpoint=endpoint,
    )


def to_embeddings(
    result: gt.EmbedContentResponse | None,
    request: EmbeddingRequest,
    *,
    provider: str,
    endpoint: Endpoint,
) -> EmbeddingResponse:
    """A neutral embedding response from ``embed_content``'s result (``None``: no input)."""
    embeddings = (result.embeddings or []) if result is not None else []
    tokens = 0
    for e in embeddings:
        if e.statistics is not None and e.statistics.token_count:
            tokens += int(e.statistics.token_count)
    meta = result.usage_metadata if result is not None else None
    if not tokens and meta is not None and meta.prompt_token_count:
        tokens = meta.prompt_token_count
    return EmbeddingResponse(
        vectors=[list(e.values or []) for e in embeddings],
        model=request.model,
        provider=provider,
        endpoint=endpoint,
        usage=Usage(prompt_tokens=tokens, total_tokens=tokens) if tokens else None,
    )


def _name(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _finish(reason: Any, has_calls: bool) -> FinishReason | None:
    if reason is None or _name(reason) == "FINISH_REASON_UNSPECIFIED":
        return None
    mapped = _FINISH.get(_name(reason), "other")
    return "tool_calls" if has_calls and mapped == "stop" else mapped


def _parts(candidate: Any, first_index: int) -> tuple[str, list[ToolCallDelta]]:
    """Answer text (thoughts left out) and function calls, indexed from ``first_index``.

    Signatures are kept on function calls only (see the module docstring).
    """
    content = candidate.content if candidate is not None else None
    texts: list[str] = []
    calls: list[ToolCallDelta] = []
    for part in (content.parts or []) if content is not None else []:
        if part.text and not part.thought:
            texts.append(part.text)
        call = part.function_call
        if call is not None:
            index = first_index + len(calls)
            calls.append(
                ToolCallDelta(
                    index=index,
                    id=call.id or f"call_{index}",
                    name=call.name or "",
                    arguments=json.dumps(call.args or {}),
                    signature=_signature_text(part.thought_signature),
                )
            )
    return "".join(texts), calls


def _usage(meta: Any) -> Usage | None:
    if meta is None:
        return None
    prompt = meta.prompt_token_count or 0
    # Thinking tokens are billed as output, as OpenAI counts reasoning tokens.
    completion = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=meta.total_token_count or prompt + completion,
    )


def _filtered(message: str, provider: str) -> ContentFilteredError:
    return ContentFilteredError(message, provider=provider)


def _raise_if_prompt_blocked(result: Any, provider: str) -> None:
    feedback = result.prompt_feedback
    if feedback is not None and feedback.block_reason and not result.candidates:
        raise _filtered(
            f"prompt blocked by Google's safety system ({_name(feedback.block_reason)})", provider
        )


# -- stream chunks -----------------------------------------------------------------------------


class ChunkMapper:
    """Turns SDK stream chunks into neutral ones; holds the finish chunk until the end so the
    last chunk a caller sees carries both ``finish_reason`` and ``usage``."""

    __slots__ = ("_calls", "_delivered", "_pending", "_provider", "_usage")

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._calls = 0
        self._delivered = False
        self._pending: ChatChunk | None = None
        self._usage: Usage | None = None

    def feed(self, raw: gt.GenerateContentResponse) -> Iterator[ChatChunk]:
        _raise_if_prompt_blocked(raw, self._provider)
        self._usage = _usage(raw.usage_metadata) or self._usage
        candidate = raw.candidates[0] if raw.candidates else None
        text, calls = _parts(candidate, self._calls)
        self._calls += len(calls)
        reason = candidate.finish_reason if candidate is not None else None
        finish = _finish(reason, self._calls > 0)
        if finish is None:
            if text or calls:
                self._delivered = True
                yield ChatChunk(text=text, tool_calls=calls)
            return
        if finish == "content_filter" and not (self._delivered or text or calls):
            raise _filtered(
                f"answer withheld by Google's safety system ({_name(reason)})", self._provider
            )
        self._delivered = self._delivered or bool(text or calls)
        if self._pending is not None:
            yield self._pending
        self._pending = ChatChunk(text=text, tool_calls=calls, finish_reason=finish)

    def end(self) -> Iterator[ChatChunk]:
        if self._pending is not None:
            self._pending.usage = self._usage
            yield self._pending
            self._pending = None
        elif self._usage is not None:
            yield ChatChunk(usage=self._usage)
