"""Provider-neutral request and response models.

Every provider maps these to and from its own wire format, so middleware (redaction, audit,
policy) is written once against them.

>>> from privllm.types import Message
>>> Message.user("Hello").text
'Hello'
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "Endpoint",
    "EndpointKind",
    "FinishReason",
    "Message",
    "Role",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolDefinition",
    "Usage",
]

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "other"]
EndpointKind = Literal["enterprise_api", "consumer", "self_hosted", "unknown"]


class _Model(BaseModel):
    # Mutable on purpose: middleware transforms requests and responses in place or by copy.
    model_config = ConfigDict(extra="forbid")


class Endpoint(_Model):
    """Where a call goes and what the provider may do with the data. Built without IO."""

    provider: str
    base_url: str
    host: str
    kind: EndpointKind
    region: str | None = None
    data_zone: str | None = None
    trains_on_data: bool = False
    stores_data: bool = False


class TextPart(_Model):
    """A text content part (``{"type": "text", "text": ...}``)."""

    type: Literal["text"] = "text"
    text: str


class ToolCall(_Model):
    """A function call the model asked for. ``arguments`` is the JSON text as sent.

    ``signature`` is provider-opaque context that must go back with the call when the
    conversation continues (Gemini's ``thoughtSignature``, as base64 text). Keep it as
    received; providers that have no such thing ignore it.
    """

    id: str
    name: str
    arguments: str = "{}"
    #: Opaque and often kilobytes long: left out of ``repr``.
    signature: str | None = Field(default=None, repr=False)

    def args(self) -> Any:
        """The arguments parsed from JSON."""
        return json.loads(self.arguments or "{}")


class ToolCallDelta(_Model):
    """A piece of a streamed tool call; ``index`` ties pieces of one call together.

    ``signature`` (see :class:`ToolCall`) arrives whole, on one piece, never split.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    signature: str | None = Field(default=None, repr=False)


class ToolDefinition(_Model):
    """A function the model may call. ``parameters`` is a JSON schema object."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    #: OpenAI's strict mode (arguments always match the schema); other providers ignore it.
    strict: bool | None = None

    @classmethod
    def from_model(cls, model: type[BaseModel], description: str | None = None) -> ToolDefinition:
        """A tool whose arguments are the fields of a pydantic model.

        >>> class GetWeather(BaseModel):
        ...     city: str
        >>> ToolDefinition.from_model(GetWeather).name
        'GetWeather'
        """
        doc = description or (model.__doc__ or "").strip() or None
        return cls(name=model.__name__, description=doc, parameters=model.model_json_schema())


class Message(_Model):
    """One turn of a conversation."""

    role: Role
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @property
    def text(self) -> str:
        """The content as one string (parts joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)

    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role="system", content=text)

    @classmethod
    def user(cls, text: str) -> Message:
        return cls(role="user", content=text)

    @classmethod
    def assistant(
        cls, text: str | None = None, tool_calls: list[ToolCall] | None = None
    ) -> Message:
        return cls(role="assistant", content=text, tool_calls=tool_calls)

    @classmethod
    def tool(cls, tool_call_id: str, content: str) -> Message:
        return cls(role="tool", tool_call_id=tool_call_id, content=content)


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatRequest(_Model):
    """A chat call as middleware sees it. Options left ``None`` are not sent."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    messages: list[Message]
    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    user: str | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: str | None = None  # "auto" | "none" | "required" | a tool name
    #: A pydantic model class: the provider is asked for JSON matching its schema.
    response_format: type[BaseModel] | None = None
    #: Ask the provider to keep the completion (OpenAI/Azure). Policy sends ``False``.
    store: bool | None = None
    stream: bool = False
    #: Provider-specific options passed through as given (e.g. ``{"logprobs": True}``).
    extra: dict[str, Any] = Field(default_factory=dict)


class ChatResponse(_Model):
    """A complete answer. ``parsed`` holds the ``response_format`` instance, if one was asked."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    provider: str
    model: str
    endpoint: Endpoint
    id: str | None = None
    parsed: Any = None

    @property
    def message(self) -> Message:
        """The answer as an assistant message, ready to append to the conversation."""
        return Message.assistant(self.text or None, self.tool_calls or None)


class ChatChunk(_Model):
    """One piece of a streamed answer. The last chunk carries ``finish_reason`` and ``usage``."""

    text: str = ""
    tool_calls: list[ToolCallDelta] = Field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None


class EmbeddingRequest(_Model):
    input: list[str]
    model: str
    dimensions: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class EmbeddingResponse(_Model):
    """``vectors[i]`` is the embedding of ``input[i]``."""

    vectors: list[list[float]]
    model: str
    provider: str
    endpoint: Endpoint
    usage: Usage | None = None
