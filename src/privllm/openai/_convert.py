"""The SDK's keyword arguments to privllm's, and privllm's results to the SDK's types. Pure.

Every value that reaches the provider goes through privllm's client (redaction, policy,
audit, the egress guard); this module only renames. What privllm cannot carry is refused
with :class:`~privllm.errors.InvalidRequestError` naming the argument, never its value.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from openai import NotGiven, Omit
from openai.types import CompletionUsage, CreateEmbeddingResponse, Embedding
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ParsedChatCompletion,
    ParsedFunctionToolCall,
)
from openai.types.chat import chat_completion as cc
from openai.types.chat import chat_completion_chunk as ccc
from openai.types.chat.chat_completion_message_function_tool_call import Function
from openai.types.chat.parsed_chat_completion import ParsedChatCompletionMessage, ParsedChoice
from openai.types.chat.parsed_function_tool_call import ParsedFunction
from openai.types.create_embedding_response import Usage as EmbeddingUsage
from pydantic import BaseModel, ValidationError

from privllm._construct import Skeleton, construct
from privllm.core import USE_CLIENT_DEFAULT, TimeoutLike
from privllm.errors import InvalidRequestError, StructuredOutputError
from privllm.types import ChatChunk, ChatResponse, EmbeddingResponse, ToolCallDelta, Usage

__all__ = [
    "ChatCall",
    "chat_call",
    "chunks",
    "completion",
    "embed_call",
    "embeddings",
    "http_updates",
    "parsed_completion",
    "timeout_of",
]

#: create() arguments privllm takes as typed arguments of the same name.
_TYPED = (
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
)
#: Options sent as given (privllm's ``extra``): they carry settings, not content. ``store``
#: is read by policy (``require_no_store``); ``n`` other than 1 is refused by privllm.
_PASSED = frozenset(
    {
        "n",
        "store",
        "metadata",
        "parallel_tool_calls",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "reasoning_effort",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "verbosity",
        "modalities",
    }
)
#: Arguments privllm refuses, and why.
_REFUSED = {
    "logprobs": "log-probabilities are of the tokens the provider saw (placeholders, not your "
    "values) and privllm's answer does not carry them",
    "top_logprobs": "log-probabilities are of the tokens the provider saw (placeholders, not "
    "your values) and privllm's answer does not carry them",
    "audio": "privllm sends and restores text only",
    "prediction": "predicted output is content privllm does not redact",
    "web_search_options": "privllm sends function tools only",
    "functions": "use tools=[{'type': 'function', ...}] (privllm takes the current shape)",
    "function_call": "use tool_choice (privllm takes the current shape)",
}


def given(value: object) -> bool:
    """False for the SDK's ``NOT_GIVEN`` / ``omit`` markers and ``None``."""
    return value is not None and not isinstance(value, (NotGiven, Omit))


def _refuse(name: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"invalid chat request: {name}: not supported: {why}", fields=(name,)
    )


def timeout_of(value: object, default: TimeoutLike) -> TimeoutLike:
    """privllm's per-call timeout from the SDK's (seconds or an ``httpx2.Timeout``)."""
    if not given(value):
        return default
    if isinstance(value, httpx2.Timeout):
        parts = [t for t in (value.connect, value.read, value.write, value.pool) if t is not None]
        return max(parts) if parts else default
    return value  # type: ignore[return-value]  # privllm checks it is a positive number


@dataclass(frozen=True, slots=True)
class ChatCall:
    """A create() call as privllm's ``chat``/``stream`` arguments."""

    args: dict[str, Any]
    stream: bool
    include_usage: bool
    #: ``headers`` / ``query`` for the request (``extra_headers``, ``extra_query`` over the
    #: client's ``default_headers`` / ``default_query``); empty when there are none.
    updates: dict[str, Any]


def http_updates(
    options: Mapping[str, Any],
    headers: Mapping[str, str] | None,
    query: Mapping[str, object] | None,
) -> dict[str, Any]:
    """The request's ``headers`` and ``query`` from a call's ``extra_headers`` and
    ``extra_query`` over the client's defaults. A header given as ``None`` or ``omit`` removes
    a default, as in the SDK."""
    merged_headers = {**(headers or {}), **(options.get("extra_headers") or {})}
    merged_query = {**(query or {}), **(options.get("extra_query") or {})}
    updates: dict[str, Any] = {}
    sent = {str(k): str(v) for k, v in merged_headers.items() if given(v)}
    if sent:
        updates["headers"] = sent
    if merged_query:
        updates["query"] = dict(merged_query)
    return updates


def chat_call(
    kwargs: Mapping[str, Any],
    *,
    default_timeout: TimeoutLike,
    model: str | None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, object] | None = None,
) -> ChatCall:
    """privllm's arguments for ``chat.completions.create(**kwargs)``. ``model`` (Azure's
    ``azure_deployment``) replaces the one given, as the SDK's URL does."""
    options = {k: v for k, v in kwargs.items() if given(v)}
    unknown = set(options) - {
        "messages",
        "model",
        "stream",
        "stream_options",
        "timeout",
        "extra_body",
        "extra_headers",
        "extra_query",
        *_TYPED,
        *_PASSED,
        *_REFUSED,
    }
    if unknown:
        raise TypeError(f"create() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    for name, why in _REFUSED.items():
        if name in options and not (name == "logprobs" and options[name] is False):
            raise _refuse(name, why)
    if "messages" not in options:
        raise TypeError("create() missing required keyword argument: 'messages'")
    args: dict[str, Any] = {
        "messages": options["messages"],
        "model": model or options.get("model"),
        "timeout": timeout_of(kwargs.get("timeout"), default_timeout),
    }
    args.update((name, options[name]) for name in _TYPED if name in options)
    extra = {name: options[name] for name in _PASSED if name in options}
    if options.get("n") == 1:
        del extra["n"]
    extra.update(options.get("extra_body") or {})
    if extra:
        args["extra"] = extra
    stream_options = options.get("stream_options") or {}
    return ChatCall(
        args=args,
        stream=bool(options.get("stream")),
        include_usage=bool(stream_options.get("include_usage")),
        updates=http_updates(options, headers, query) if headers or query or _http(options) else {},
    )


def _http(options: Mapping[str, Any]) -> bool:
    return "extra_headers" in options or "extra_query" in options


def embed_call(
    kwargs: Mapping[str, Any],
    *,
    default_timeout: TimeoutLike,
    model: str | None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, object] | None = None,
) -> tuple[dict[str, Any], bool, dict[str, Any]]:
    """privllm's ``embed`` arguments for ``embeddings.create(**kwargs)``, whether the
    caller asked for base64, and the request's ``headers`` / ``query``."""
    options = {k: v for k, v in kwargs.items() if given(v)}
    allowed = {"input", "model", "dimensions", "encoding_format", "user", "timeout", "extra_body"}
    unknown = set(options) - allowed - {"extra_headers", "extra_query"}
    if unknown:
        raise TypeError(f"create() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    texts = options.get("input")
    if not isinstance(texts, str) and not (
        isinstance(texts, (list, tuple)) and all(isinstance(t, str) for t in texts)
    ):
        raise InvalidRequestError(
            "invalid embedding request: input: must be a string or a list of strings "
            "(privllm redacts text; token ids are not accepted)",
            fields=("input",),
        )
    extra: dict[str, Any] = dict(options.get("extra_body") or {})
    if "user" in options:
        extra["user"] = options["user"]
    args: dict[str, Any] = {
        "texts": texts,
        "model": model or options.get("model"),
        "dimensions": options.get("dimensions"),
        "timeout": timeout_of(kwargs.get("timeout"), default_timeout),
    }
    if extra:
        args["extra"] = extra
    updates = http_updates(options, headers, query) if headers or query or _http(options) else {}
    return args, options.get("encoding_format") == "base64", updates


# -- results --------------------------------------------------------------------------------

_FINISH = frozenset({"stop", "length", "tool_calls", "content_filter"})


def _finish(reason: str | None) -> Any:
    # privllm's "other" (a reason it does not know) has no SDK spelling: "stop" is the
    # closest the SDK's Literal allows.
    return reason if reason in _FINISH else "stop"


def _usage(usage: Usage | None) -> CompletionUsage | None:
    if usage is None:
        return None
    return construct(
        CompletionUsage,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


def _id(response_id: str | None) -> str:
    return response_id or f"chatcmpl-privllm-{uuid.uuid4().hex[:24]}"


def completion(response: ChatResponse[Any]) -> ChatCompletion:
    """A ``ChatCompletion`` from privllm's answer (values restored, as privllm returns them)."""
    calls: list[Any] = [
        construct(
            ChatCompletionMessageFunctionToolCall,
            id=c.id,
            type="function",
            function=construct(Function, name=c.name, arguments=c.arguments),
        )
        for c in response.tool_calls
    ]
    message = construct(
        ChatCompletionMessage,
        role="assistant",
        content=response.text if response.text or not calls else None,
        refusal=None,
        tool_calls=calls or None,
    )
    choice = construct(
        cc.Choice,
        index=0,
        message=message,
        finish_reason=_finish(response.finish_reason),
        logprobs=None,
    )
    return construct(
        ChatCompletion,
        id=_id(response.id),
        object="chat.completion",
        created=int(time.time()),
        model=response.model,
        choices=[choice],
        usage=_usage(response.usage),
    )


def parsed_completion(
    response: ChatResponse[Any], tools: object, response_format: object
) -> ParsedChatCompletion[Any]:
    """A ``ParsedChatCompletion``: ``message.parsed`` is privllm's parsed answer, and tool
    calls to a ``pydantic_function_tool`` (or a strict function) get ``parsed_arguments``."""
    by_name = _input_functions(tools)
    calls = [
        construct(
            ParsedFunctionToolCall,
            id=c.id,
            type="function",
            function=construct(
                ParsedFunction,
                name=c.name,
                arguments=c.arguments,
                parsed_arguments=_parse_arguments(by_name.get(c.name), c.name, c.arguments),
            ),
        )
        for c in response.tool_calls
    ]
    content_type: Any = response_format if isinstance(response_format, type) else Any
    message = construct(
        ParsedChatCompletionMessage[content_type],
        role="assistant",
        content=response.text if response.text or not calls else None,
        refusal=None,
        tool_calls=calls or None,
        parsed=response.parsed,
    )
    choice = construct(
        ParsedChoice[content_type],
        index=0,
        message=message,
        finish_reason=_finish(response.finish_reason),
        logprobs=None,
    )
    result: ParsedChatCompletion[Any] = construct(
        ParsedChatCompletion[content_type],
        id=_id(response.id),
        object="chat.completion",
        created=int(time.time()),
        model=response.model,
        choices=[choice],
        usage=_usage(response.usage),
    )
    return result


def _input_functions(tools: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(tools, (list, tuple)):
        for tool in tools:
            function = tool.get("function") if isinstance(tool, Mapping) else None
            if isinstance(function, Mapping) and isinstance(function.get("name"), str):
                out[function["name"]] = function
    return out


def _parse_arguments(function: Any, name: str, arguments: str) -> object | None:
    model = getattr(function, "model", None)  # openai.pydantic_function_tool keeps it here
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate_json(arguments)
        if isinstance(function, Mapping) and function.get("strict"):
            parsed: object = json.loads(arguments)
            return parsed
    except (ValidationError, ValueError):
        # Never pydantic's text: it quotes the arguments, which hold restored values.
        raise StructuredOutputError(
            f"tool call {name}: arguments do not match its schema", provider="openai"
        ) from None
    return None


class ChunkMaker:
    """``ChatCompletionChunk`` objects from privllm's chunks, for one stream."""

    __slots__ = ("_created", "_first", "_id", "_include_usage", "_model", "_text_chunk")

    def __init__(self, model: str | None, include_usage: bool) -> None:
        self._id = _id(None)
        self._created = int(time.time())
        self._model = model or ""
        self._include_usage = include_usage
        self._first = True
        self._text_chunk = Skeleton(
            ChatCompletionChunk,
            "choices",
            id=self._id,
            object="chat.completion.chunk",
            created=self._created,
            model=self._model,
            usage=None,
        )

    def __call__(self, chunk: ChatChunk) -> tuple[ChatCompletionChunk, ...]:
        text = chunk.text
        if chunk.tool_calls or chunk.finish_reason is not None or self._first:
            return self._full(chunk)
        if chunk.usage is not None:
            return self._full(chunk)
        if not text:
            return ()
        # Most chunks are a piece of text and nothing else: the objects _full would make,
        # from shapes prepared once (this runs for every chunk of a stream).
        return (self._text_chunk([_TEXT_CHOICE(_TEXT_DELTA(text))]),)

    def _full(self, chunk: ChatChunk) -> tuple[ChatCompletionChunk, ...]:
        out: list[ChatCompletionChunk] = []
        if chunk.text or chunk.tool_calls or chunk.finish_reason is not None or self._first:
            calls = [_tool_delta(d) for d in chunk.tool_calls]
            delta = construct(
                ccc.ChoiceDelta,
                role="assistant" if self._first else None,
                content=chunk.text or None,
                tool_calls=calls or None,
            )
            self._first = False
            finish = _finish(chunk.finish_reason) if chunk.finish_reason is not None else None
            choice = construct(ccc.Choice, index=0, delta=delta, finish_reason=finish)
            out.append(self._chunk([choice], None))
        if chunk.usage is not None and self._include_usage:
            out.append(self._chunk([], _usage(chunk.usage)))
        return tuple(out)

    def _chunk(self, choices: list[Any], usage: CompletionUsage | None) -> ChatCompletionChunk:
        return construct(
            ChatCompletionChunk,
            id=self._id,
            object="chat.completion.chunk",
            created=self._created,
            model=self._model,
            choices=choices,
            usage=usage,
        )


def _tool_delta(delta: ToolCallDelta) -> ccc.ChoiceDeltaToolCall:
    # Only what the wire would carry is set: the SDK's stream helper merges the fields set
    # on each delta into its snapshot, and a None set here would erase the name or type.
    function = {"arguments": delta.arguments} if delta.arguments else {}
    if delta.name:
        function["name"] = delta.name
    fields: dict[str, Any] = {"index": delta.index}
    if delta.id:
        fields.update(id=delta.id, type="function")
    return construct(
        ccc.ChoiceDeltaToolCall,
        function=construct(ccc.ChoiceDeltaToolCallFunction, **function),
        **fields,
    )


_TEXT_DELTA = Skeleton(ccc.ChoiceDelta, "content", role=None, tool_calls=None)
_TEXT_CHOICE = Skeleton(ccc.Choice, "delta", index=0, finish_reason=None)


def chunks(model: str | None, include_usage: bool) -> ChunkMaker:
    return ChunkMaker(model, include_usage)


def embeddings(response: EmbeddingResponse, base64_wanted: bool) -> CreateEmbeddingResponse:
    """A ``CreateEmbeddingResponse``; with ``encoding_format="base64"`` each vector is the
    base64 of little-endian float32s, as the API sends it."""
    # With base64 the embedding is text, as the API sends it (the SDK's type says floats).
    vectors: list[Any] = [
        base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() if base64_wanted else v
        for v in response.vectors
    ]
    data = [
        construct(Embedding, object="embedding", index=i, embedding=v)
        for i, v in enumerate(vectors)
    ]
    usage = response.usage or Usage()
    return construct(
        CreateEmbeddingResponse,
        object="list",
        data=data,
        model=response.model,
        usage=construct(
            EmbeddingUsage, prompt_tokens=usage.prompt_tokens, total_tokens=usage.total_tokens
        ),
    )


#: ``USE_CLIENT_DEFAULT`` re-exported for the resources.
DEFAULT = USE_CLIENT_DEFAULT
