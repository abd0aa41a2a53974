"""privllm's answers as ``google.genai.types`` objects. Pure.

The values are privllm's (restored, as privllm returns them); ids privllm made up for calls
Google sent without one (``call_0``...) are left out, as the SDK would have none.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from google.genai import types as gt

from privllm._construct import Skeleton, construct
from privllm.errors import StructuredOutputError
from privllm.types import ChatChunk, ChatResponse, EmbeddingResponse, ToolCall, Usage

__all__ = ["ChunkMaker", "embed_response", "model_content", "response_of", "usage_of"]

_FINISH: dict[str, gt.FinishReason] = {
    "stop": gt.FinishReason.STOP,
    "tool_calls": gt.FinishReason.STOP,
    "length": gt.FinishReason.MAX_TOKENS,
    "content_filter": gt.FinishReason.SAFETY,
    "other": gt.FinishReason.OTHER,
}
_SYNTHETIC_ID = re.compile(r"^call_\d+$")


def usage_of(usage: Usage | None) -> gt.GenerateContentResponseUsageMetadata | None:
    if usage is None:
        return None
    return construct(
        gt.GenerateContentResponseUsageMetadata,
        prompt_token_count=usage.prompt_tokens,
        candidates_token_count=usage.completion_tokens,
        total_token_count=usage.total_tokens,
    )


def _call_part(name: str, call_id: str | None, arguments: str, signature: str | None) -> gt.Part:
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        args = {"arguments": arguments}
    if not isinstance(args, dict):
        args = {"arguments": args}
    ident = None if call_id is None or _SYNTHETIC_ID.match(call_id) else call_id
    return construct(
        gt.Part,
        function_call=construct(gt.FunctionCall, id=ident, name=name, args=args),
        thought_signature=base64.b64decode(signature) if signature else None,
    )


def _parts(text: str, calls: list[ToolCall]) -> list[gt.Part]:
    parts = [construct(gt.Part, text=text)] if text else []
    parts.extend(_call_part(c.name, c.id, c.arguments, c.signature) for c in calls)
    return parts


def _parsed(response: ChatResponse[Any], parse: Callable[[str], Any] | None) -> Any:
    if response.parsed is not None:
        return response.parsed
    if parse is None or not response.text:
        return None
    try:
        return parse(response.text)
    except ValueError:
        # Never the parser's text: it quotes the answer, which holds restored values.
        raise StructuredOutputError(
            "the answer does not match response_schema", provider=response.provider
        ) from None


def response_of(
    response: ChatResponse[Any],
    parse: Callable[[str], Any] | None = None,
    history: list[gt.Content] | None = None,
) -> gt.GenerateContentResponse:
    """A ``GenerateContentResponse`` from privllm's answer; ``history``: its
    ``automatic_function_calling_history`` (None: not set)."""
    finish = _FINISH.get(response.finish_reason or "")
    # Built from values privllm has validated (``construct``); ``parsed`` unvalidated too,
    # as the SDK assigns it: its field's Union would turn a dict or a list into a BaseModel.
    extra = {} if history is None else {"automatic_function_calling_history": history}
    return construct(
        gt.GenerateContentResponse,
        candidates=[_candidate(_parts(response.text, response.tool_calls), finish)],
        usage_metadata=usage_of(response.usage),
        model_version=response.model,
        response_id=response.id,
        parsed=_parsed(response, parse),
        **extra,
    )


def model_content(response: ChatResponse[Any]) -> gt.Content:
    """The model's turn of ``response`` (a round of the function-calling history)."""
    return construct(gt.Content, role="model", parts=_parts(response.text, response.tool_calls))


def _candidate(parts: list[gt.Part], finish: gt.FinishReason | None) -> gt.Candidate:
    content = construct(gt.Content, role="model", parts=parts)
    return construct(gt.Candidate, content=content, finish_reason=finish, index=0)


_TEXT_PART = Skeleton(gt.Part, "text")
_MODEL_CONTENT = Skeleton(gt.Content, "parts", role="model")
_CANDIDATE = Skeleton(gt.Candidate, "content", finish_reason=None, index=0)


class ChunkMaker:
    """``GenerateContentResponse`` chunks from privllm's stream chunks, for one stream.

    Text goes out as it comes. A function call goes out whole, in the chunk where its
    arguments are complete JSON (Google sends each call whole; another provider's pieces
    are joined first); any left at the end go out with the last chunk.
    """

    __slots__ = ("_calls", "_extra", "_model", "_text_chunk", "output")

    def __init__(self, model: str | None, history: list[gt.Content] | None = None) -> None:
        self._model = model
        self._calls: dict[int, list[Any]] = {}  # index -> [id, name, arguments, signature]
        #: The model's content of every chunk made: a round of the function-calling history.
        self.output: list[gt.Content] = []
        # After a round of automatic function calling, each chunk carries the history (the
        # same list on every chunk, as the SDK assigns it).
        self._extra = {} if history is None else {"automatic_function_calling_history": history}
        self._text_chunk = Skeleton(
            gt.GenerateContentResponse,
            "candidates",
            usage_metadata=None,
            model_version=model,
            **self._extra,
        )

    def _ready(self, final: bool) -> list[gt.Part]:
        parts = []
        for index in sorted(self._calls):
            call_id, name, arguments, signature = self._calls[index]
            if not final:
                # An OpenAI-style first delta has the name and no arguments yet: not whole.
                try:
                    complete = bool(name and arguments) and isinstance(json.loads(arguments), dict)
                except json.JSONDecodeError:
                    complete = False
                if not complete:
                    continue
            parts.append(_call_part(name, call_id, arguments, signature))
            del self._calls[index]
        return parts

    def __call__(self, chunk: ChatChunk) -> tuple[gt.GenerateContentResponse, ...]:
        text = chunk.text
        if chunk.tool_calls or chunk.finish_reason is not None or chunk.usage is not None:
            return self._full(chunk)
        if not text:
            return ()
        # Most chunks are a piece of text and nothing else: what _full makes for them, from
        # shapes prepared once (this runs for every chunk of a stream).
        content = _MODEL_CONTENT([_TEXT_PART(text)])
        self.output.append(content)
        return (self._text_chunk([_CANDIDATE(content)]),)

    def _full(self, chunk: ChatChunk) -> tuple[gt.GenerateContentResponse, ...]:
        for delta in chunk.tool_calls:
            slot = self._calls.setdefault(delta.index, [None, "", "", None])
            slot[0] = slot[0] or delta.id
            slot[1] = slot[1] or delta.name or ""
            slot[2] += delta.arguments
            slot[3] = slot[3] or delta.signature
        final = chunk.finish_reason is not None
        parts = _parts(chunk.text, []) + self._ready(final)
        if not parts and not final and chunk.usage is None:
            return ()
        candidate = _candidate(parts, _FINISH.get(chunk.finish_reason or ""))
        self.output.append(candidate.content)  # type: ignore[arg-type]  # made just above
        made = construct(
            gt.GenerateContentResponse,
            candidates=[candidate],
            usage_metadata=usage_of(chunk.usage),
            model_version=self._model,
            **self._extra,
        )
        return (made,)


def embed_response(response: EmbeddingResponse) -> gt.EmbedContentResponse:
    """An ``EmbedContentResponse``: ``embeddings[i].values`` is the vector of input ``i``."""
    return gt.EmbedContentResponse(
        embeddings=[gt.ContentEmbedding(values=list(v)) for v in response.vectors]
    )
