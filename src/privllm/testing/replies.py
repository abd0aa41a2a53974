"""Scripted replies, neutral across wire protocols: each server renders them its own way.

>>> Reply.text("Hi there", chunks=2).pieces("Hi there")
['Hi t', 'here']
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reply", "ScriptedToolCall", "fake_embedding", "split_text"]


@dataclass(frozen=True)
class ScriptedToolCall:
    """A function call to answer with. ``signature`` (base64 text) is sent where the
    protocol has a place for it: Gemini's ``thoughtSignature`` on the call's part."""

    name: str
    arguments: str  # JSON text
    id: str = "call_1"
    signature: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the server answers next.

    ``content=None`` with no tool calls echoes the last user message. ``status >= 400`` sends
    that provider's error body with ``message``. ``delay`` waits before answering;
    ``chunk_delay`` between streamed chunks; ``drop_after`` drops the connection after that
    many streamed chunks; ``chunks`` cuts the text into that many streamed pieces (default:
    one piece per word).

    Gemini only: ``text_signature`` is a ``thoughtSignature`` (base64) on the answer's last
    text part, streamed as Gemini does on a final empty text part; ``require_signatures``
    answers 400, as Gemini 3 does, if the request replays a function call of the current
    turn without its signature (see :meth:`GeminiServer.replayed_calls`).
    """

    content: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    finish_reason: str | None = None
    status: int = 200
    message: str = ""
    error_code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    drop_after: int | None = None
    chunks: int | None = None
    blocked: bool = False  # the provider's safety system withheld the answer
    text_signature: str | None = None
    require_signatures: bool = False

    @classmethod
    def echo(cls, **kw: Any) -> Reply:
        """Answer with the text of the last user message."""
        return cls(**kw)

    @classmethod
    def text(cls, text: str, **kw: Any) -> Reply:
        """Answer with exactly ``text``."""
        return cls(content=text, **kw)

    @classmethod
    def tool_call(
        cls,
        name: str,
        arguments: Mapping[str, Any] | str,
        *,
        call_id: str = "call_1",
        signature: str | None = None,
        **kw: Any,
    ) -> Reply:
        """Answer with one function call; ``signature`` is Gemini's ``thoughtSignature``.

        >>> Reply.tool_call("f", {}, signature="c2ln").tool_calls[0].signature
        'c2ln'
        """
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        call = ScriptedToolCall(name, args, call_id, signature)
        return cls(content="", tool_calls=(call,), **kw)

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "scripted error",
        *,
        retry_after: float | None = None,
        code: str | None = None,
        **kw: Any,
    ) -> Reply:
        headers = dict(kw.pop("headers", {}))
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        return cls(status=status, message=message, error_code=code, headers=headers, **kw)

    @classmethod
    def safety_block(cls) -> Reply:
        return cls(content="", blocked=True)

    def answer(self, last_user_text: str) -> str:
        if self.content is not None:
            return self.content
        return "" if self.tool_calls else last_user_text

    def pieces(self, text: str) -> list[str]:
        return split_text(text, self.chunks)


def split_text(text: str, chunks: int | None) -> list[str]:
    """Cut ``text`` into ``chunks`` nearly equal pieces, or per word when ``None``."""
    if not text:
        return []
    if chunks is None:
        words = text.split(" ")
        return [w + " " for w in words[:-1]] + [words[-1]] if len(words) > 1 else [text]
    n = max(1, min(chunks, len(text)))
    size, extra = divmod(len(text), n)
    out, pos = [], 0
    for i in range(n):
        end = pos + size + (1 if i < extra else 0)
        out.append(text[pos:end])
        pos = end
    return out


def fake_embedding(text: str, dimensions: int = 8) -> list[float]:
    """A deterministic unit vector derived from ``text`` (so tests can check order)."""
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dimensions * 4:
        digest += hashlib.sha256(digest).digest()
    raw = [v / 2**32 - 0.5 for v in struct.unpack(f"<{dimensions}I", digest[: dimensions * 4])]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def count_tokens(texts: Sequence[str]) -> int:
    """A stand-in token count: words."""
    return sum(len(t.split()) for t in texts)
