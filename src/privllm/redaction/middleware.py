"""The redaction middleware: detected values never leave; answers come back whole.

On the way out, every message (system prompt, user and assistant text, tool-call arguments,
tool results) is scanned and each finding replaced per its action; the same value gets the
same placeholder everywhere in the request, and across turns of a ``Conversation``. On the
way back, placeholders are restored in the text and tool-call arguments of answers, streamed
ones too. Provider errors are never restored: they stay in placeholder form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from contextlib import nullcontext
from typing import TYPE_CHECKING

from privllm.pipeline import CallContext, Middleware
from privllm.redaction.redactor import Redactor, blocked_error
from privllm.redaction.restore import StreamRestorer
from privllm.redaction.restored import RestoredValues
from privllm.redaction.state import FINDINGS, VAULT
from privllm.redaction.vault import Vault
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    Message,
    TextPart,
    ToolCallDelta,
)

if TYPE_CHECKING:
    from privllm.config import RedactionConfig

__all__ = ["FINDINGS", "VAULT", "RedactionMiddleware"]

_TEXT = "redaction.text_restorer"
_TOOLS = "redaction.tool_restorers"


class RedactionMiddleware(Middleware):
    """Redact requests and embedding inputs; restore answers. Fail closed on detector errors."""

    def __init__(
        self,
        redactor: Redactor,
        *,
        embeddings: str = "redact",
        keep_in_tool_calls: Iterable[str] = ("SECRET", "URL_CREDENTIALS"),
    ) -> None:
        self.redactor = redactor
        self.embeddings = embeddings
        self.keep_in_tool_calls = frozenset(keep_in_tool_calls)
        # Every value this client put back into an answer, whichever call's vault did it: a
        # history list replayed into a new call (a fresh vault) must not send them in clear.
        self.restored = RestoredValues()

    @classmethod
    def from_config(cls, config: RedactionConfig) -> RedactionMiddleware:
        return cls(
            Redactor.from_config(config),
            embeddings=config.embeddings,
            keep_in_tool_calls=config.keep_placeholders_in_tool_calls,
        )

    def __repr__(self) -> str:
        return f"RedactionMiddleware({len(self.redactor.detectors)} detectors)"

    # -- requests ------------------------------------------------------------------------------

    def _vault(self, ctx: CallContext) -> Vault:
        session = ctx.state.get("session")
        vault: Vault
        if session is not None:
            found = session.get(VAULT)
            vault = found if isinstance(found, Vault) else Vault(self.restored)
            session[VAULT] = vault
        else:
            vault = Vault(self.restored)
        ctx.state[VAULT] = vault
        return vault

    def on_request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        vault = self._vault(ctx)
        # Look-alikes anywhere the request holds text, tool-call arguments included: a number
        # already there is never issued, so it can never be "restored" into a real value.
        vault.reserve_from(
            text
            for m in request.messages
            for text in (m.text, *(c.arguments for c in m.tool_calls or ()))
        )
        counts: Counter[str] = Counter()
        messages: list[Message] = []
        # How many values the vault held when each message was done; for a message of
        # several texts (parts, tool calls), when it began, as a later text may teach one.
        learnt: list[int] = []
        # A named-entity model runs once over all the request's texts (nlp.pipe), not once
        # per text: a dry pass on a scratch vault tells it which texts will be asked about.
        batch = (
            self.redactor.prefetched(lambda: self._messages(request, Vault(), Counter()))
            if self.redactor.models and sum(map(_texts, request.messages)) > 1
            else nullcontext()
        )
        with batch:
            for i, message in enumerate(request.messages):
                before = len(vault)
                messages.append(self._message(message, i, vault, counts, context=_asked(messages)))
                learnt.append(before if _texts(message) > 1 else len(vault))
        # A value learnt from a later text (the user's "SSN 536 22 1847" after an assistant
        # turn that repeats the number without the cue) is redacted in the earlier ones too:
        # a second, detector-free pass over those.
        for i, seen in enumerate(learnt):
            if seen < len(vault):
                messages[i] = self._message(messages[i], i, vault, counts, detect=False)
        ctx.state[FINDINGS] = counts
        if all(new is old for new, old in zip(messages, request.messages, strict=True)):
            return request
        return request.model_copy(update={"messages": messages})

    def _messages(self, request: ChatRequest, vault: Vault, counts: Counter[str]) -> None:
        done: list[Message] = []
        for i, message in enumerate(request.messages):
            done.append(self._message(message, i, vault, counts, context=_asked(done)))

    def _message(
        self,
        message: Message,
        index: int,
        vault: Vault,
        counts: Counter[str],
        *,
        detect: bool = True,
        context: str = "",
    ) -> Message:
        """``message`` redacted; ``context`` is what was asked just before (see _asked)."""
        where = f"message {index} ({message.role})"
        if message.role != "user":
            context = ""
        update: dict[str, object] = {}
        content = message.content
        if isinstance(content, str):
            # A tool result is usually JSON: scanned decoded ("Jos\u00e9" is José), keys too.
            if message.role == "tool":
                r = self.redactor.redact_json(content, vault, detect=detect)
            else:
                r = self.redactor.redact(content, vault, detect=detect, context=context)
            self._account(r.counts, r.blocked, where, counts)
            if r.text != content:
                update["content"] = r.text
        elif content:
            parts = []
            for j, part in enumerate(content):
                r = self.redactor.redact(
                    part.text, vault, detect=detect, context=context if j == 0 else ""
                )
                self._account(r.counts, r.blocked, f"{where} part {j}", counts)
                parts.append(part if r.text == part.text else TextPart(text=r.text))
            if any(p is not q for p, q in zip(parts, content, strict=True)):
                update["content"] = parts
        if message.tool_calls:
            calls = []
            for call in message.tool_calls:
                r = self.redactor.redact_json(call.arguments, vault, detect=detect)
                self._account(r.counts, r.blocked, f"{where} tool call {call.name}", counts)
                calls.append(
                    call
                    if r.text == call.arguments
                    else call.model_copy(update={"arguments": r.text})
                )
            if any(c is not d for c, d in zip(calls, message.tool_calls, strict=True)):
                update["tool_calls"] = calls
        return message.model_copy(update=update) if update else message

    @staticmethod
    def _account(
        found: Counter[str], blocked: list[tuple[str, int, int]], where: str, counts: Counter[str]
    ) -> None:
        if blocked:
            raise blocked_error(blocked, where)
        counts.update(found)

    def on_embedding_request(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        vault = self._vault(ctx)
        vault.reserve_from(request.input)
        counts: Counter[str] = Counter()
        texts: list[str] = []
        learnt: list[int] = []
        for i, text in enumerate(request.input):
            texts.append(self._input(text, i, vault, counts, detect=True))
            learnt.append(len(vault))
        for i, seen in enumerate(learnt):  # values learnt from later inputs, as in chat
            if seen < len(vault):
                texts[i] = self._input(texts[i], i, vault, counts, detect=False)
        ctx.state[FINDINGS] = counts
        if texts == request.input:
            return request
        return request.model_copy(update={"input": texts})

    def _input(
        self, text: str, index: int, vault: Vault, counts: Counter[str], *, detect: bool
    ) -> str:
        r = self.redactor.redact(text, vault, detect=detect)
        denied = sorted(k for k in r.counts if self.redactor.action(k) != "allow")
        if self.embeddings == "block" and denied:
            r.blocked.append((", ".join(denied), 0, len(text)))
        self._account(r.counts, r.blocked, f"input {index}", counts)
        return r.text

    # -- answers -------------------------------------------------------------------------------

    def on_response(self, response: ChatResponse, ctx: CallContext) -> ChatResponse:
        vault: Vault | None = ctx.state.get(VAULT)
        if vault is None or not len(vault):
            return response
        update: dict[str, object] = {}
        text = vault.restore(response.text)
        if text != response.text:
            update["text"] = text
        if response.tool_calls:
            # A copy, not a new ToolCall: provider fields (Gemini's thought signature) stay.
            update["tool_calls"] = [
                c.model_copy(update={"arguments": self._restore_arguments(c.arguments, vault)})
                for c in response.tool_calls
            ]
        return response.model_copy(update=update) if update else response

    def _restore_arguments(self, arguments: str, vault: Vault) -> str:
        return vault.restore(arguments, json_escape=True, keep=self.keep_in_tool_calls)

    def on_chunk(self, chunk: ChatChunk, ctx: CallContext) -> Iterable[ChatChunk]:
        vault: Vault | None = ctx.state.get(VAULT)
        if vault is None or not len(vault):
            return (chunk,)
        restorer: StreamRestorer | None = ctx.state.get(_TEXT)
        if restorer is None:
            restorer = ctx.state[_TEXT] = StreamRestorer(vault)
        text = restorer.feed(chunk.text) if chunk.text else ""
        calls = [self._tool_delta(d, vault, ctx) for d in chunk.tool_calls]
        if chunk.finish_reason is not None:
            # Nothing follows the finish chunk: release what is held so it stays the last.
            text += restorer.flush()
            calls.extend(self._flush_tools(ctx))
        if text == chunk.text and calls == chunk.tool_calls:
            return (chunk,)
        if not text and not calls and chunk.finish_reason is None and chunk.usage is None:
            return ()
        return (chunk.model_copy(update={"text": text, "tool_calls": calls}),)

    def _tool_delta(self, delta: ToolCallDelta, vault: Vault, ctx: CallContext) -> ToolCallDelta:
        if not delta.arguments:
            return delta
        restorers: dict[int, StreamRestorer] = ctx.state.setdefault(_TOOLS, {})
        restorer = restorers.get(delta.index)
        if restorer is None:
            restorer = restorers[delta.index] = StreamRestorer(
                vault, json_escape=True, keep=self.keep_in_tool_calls
            )
        args = restorer.feed(delta.arguments)
        return delta if args == delta.arguments else delta.model_copy(update={"arguments": args})

    def _flush_tools(self, ctx: CallContext) -> list[ToolCallDelta]:
        restorers: dict[int, StreamRestorer] = ctx.state.get(_TOOLS, {})
        out = []
        for index, restorer in sorted(restorers.items()):
            rest = restorer.flush()
            if rest:
                out.append(ToolCallDelta(index=index, arguments=rest))
        return out

    def on_stream_end(self, ctx: CallContext) -> Iterable[ChatChunk]:
        restorer: StreamRestorer | None = ctx.state.get(_TEXT)
        text = restorer.flush() if restorer is not None else ""
        calls = self._flush_tools(ctx)
        if text or calls:
            return (ChatChunk(text=text, tool_calls=calls),)
        return ()


def _asked(done: list[Message]) -> str:
    """The end of the assistant turn a user message answers, already redacted.

    "What's your SSN?" then "536221847": the cue is in the question, the value in the reply.
    Only the last line or so counts, and it holds placeholders, never values.
    """
    if not done or done[-1].role != "assistant":
        return ""
    return done[-1].text[-_ASKED_CHARS:]


_ASKED_CHARS = 120


def _texts(message: Message) -> int:
    """How many separately scanned texts ``message`` holds."""
    content = message.content
    parts = 1 if isinstance(content, str) else len(content or ())
    return parts + len(message.tool_calls or ())
