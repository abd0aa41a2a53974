"""OpenAI chat streams as neutral chunks; the finish chunk waits for the usage after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from privllm.errors import ContentFilteredError, PrivllmError
from privllm.providers.cause import detach
from privllm.types import ChatChunk, ToolCallDelta

from .mapping import finish_reason, to_usage

if TYPE_CHECKING:
    from .provider import OpenAIProvider

__all__ = ["AsyncStream", "SyncStream"]


class SyncStream:
    """Neutral chunks from an ``openai`` chat stream; ``close()`` releases the connection."""

    __slots__ = ("_pending", "_provider", "_sdk_stream")

    def __init__(self, provider: OpenAIProvider, sdk_stream: Any) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._pending: ChatChunk | None = None

    def __iter__(self) -> Iterator[ChatChunk]:
        delivered = False
        error: PrivllmError | None = None
        try:
            for raw in self._sdk_stream:
                for chunk in _convert_chunk(raw, self):
                    delivered = _check_filtered(chunk, delivered, self._provider)
                    yield chunk
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            error = detach(self._provider.map_error(exc, streaming=True), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        if self._pending is not None:
            _check_filtered(self._pending, delivered, self._provider)
            yield self._pending
            self._pending = None

    def close(self) -> None:
        self._sdk_stream.close()


class AsyncStream:
    """Neutral chunks from an async ``openai`` chat stream; ``aclose()`` releases it."""

    __slots__ = ("_pending", "_provider", "_sdk_stream")

    def __init__(self, provider: OpenAIProvider, sdk_stream: Any) -> None:
        self._provider = provider
        self._sdk_stream = sdk_stream
        self._pending: ChatChunk | None = None

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        delivered = False
        error: PrivllmError | None = None
        try:
            async for raw in self._sdk_stream:
                for chunk in _convert_chunk(raw, self):
                    delivered = _check_filtered(chunk, delivered, self._provider)
                    yield chunk
        except PrivllmError:
            raise  # already ours (EgressBlocked from the guard): no self-cause
        except Exception as exc:
            error = detach(self._provider.map_error(exc, streaming=True), exc)
        if error is not None:
            raise error  # outside the except block: the SDK exception is not its context
        if self._pending is not None:
            _check_filtered(self._pending, delivered, self._provider)
            yield self._pending
            self._pending = None

    async def aclose(self) -> None:
        await self._sdk_stream.close()


def _check_filtered(chunk: ChatChunk, delivered: bool, provider: OpenAIProvider) -> bool:
    """Raise when the safety filter withheld the whole answer; else whether text arrived.

    An empty string with ``finish_reason="content_filter"`` would read as "the model said
    nothing"; callers need to know the answer was withheld.
    """
    delivered = delivered or bool(chunk.text or chunk.tool_calls)
    if chunk.finish_reason == "content_filter" and not delivered:
        raise ContentFilteredError(
            f"answer withheld by {provider.name}'s content filter", provider=provider.name
        )
    return delivered


def _convert_chunk(raw: Any, holder: SyncStream | AsyncStream) -> Iterator[ChatChunk]:
    # The finish chunk is held until the usage-only chunk that follows it, so the last chunk
    # a caller sees carries both finish_reason and usage.
    if not raw.choices:
        usage = to_usage(raw.usage)
        pending = holder._pending
        if pending is not None:
            pending.usage = usage
            holder._pending = None
            yield pending
        elif usage is not None:
            yield ChatChunk(usage=usage)
        return
    choice = raw.choices[0]
    delta = choice.delta
    calls = (
        [
            ToolCallDelta(
                index=tc.index,
                id=tc.id,
                name=tc.function.name if tc.function else None,
                arguments=(tc.function.arguments or "") if tc.function else "",
            )
            for tc in (delta.tool_calls or ())
        ]
        if delta is not None
        else []
    )
    chunk = ChatChunk(
        # A refusal streams in its own field; the whole answer reads it as the text too.
        text=(delta.content or getattr(delta, "refusal", None) or "") if delta is not None else "",
        tool_calls=calls,
        finish_reason=finish_reason(choice.finish_reason),
        # Some servers (vLLM, llama.cpp, Mistral) put usage on the finish chunk itself.
        usage=to_usage(raw.usage) if getattr(raw, "usage", None) else None,
    )
    if chunk.finish_reason is not None:
        if holder._pending is not None:
            yield holder._pending
        holder._pending = chunk
        return
    if chunk.text or chunk.tool_calls:
        yield chunk
