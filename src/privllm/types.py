"""Provider-neutral request and response models.

Every provider maps these to and from its own wire format, so middleware (redaction, audit,
policy) is written once against them.

>>> from privllm.types import Message
>>> Message.user("Hello").text
'Hello'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypeVar

from privllm.input_errors import InputModel, input_error, refuse
from privllm.response_format import JsonSchemaFormat, ResponseFormat

__all__ = [
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "Endpoint",
    "EndpointKind",
    "FinishReason",
    "JsonSchemaFormat",
    "Message",
    "ParsedT",
    "ResponseFormat",
    "Role",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolDefinition",
    "Usage",
    "message_from_dict",
    "validate_messages",
]

#: ``developer`` is OpenAI's newer name for ``system``: sent as is to OpenAI, as ``system``
#: (or Gemini's system instruction) elsewhere.
Role = Literal["system", "developer", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "other"]
EndpointKind = Literal["enterprise_api", "consumer", "self_hosted", "unknown"]
#: What ``ChatResponse.parsed`` holds: the ``response_format`` model, ``None`` without one.
#: A bare ``ChatResponse`` (as middleware sees it) is ``ChatResponse[Any]``.
ParsedT = TypeVar("ParsedT", default=Any)


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


#: OpenAI content part types privllm does not send: it redacts and restores text only.
_NOT_TEXT = frozenset(
    {"image_url", "input_image", "image", "input_audio", "audio", "file", "input_file"}
)


class TextPart(InputModel):
    """A text content part: ``{"type": "text", "text": ...}``, or the Responses API's
    ``{"type": "input_text", "text": ...}`` (read as ``text``).

    Image, audio and file parts are refused (:class:`~privllm.errors.InvalidRequestError`):
    privllm cannot redact what it cannot read.
    """

    _what: ClassVar[str] = "content part"

    type: Literal["text"] = "text"
    text: str

    @model_validator(mode="before")
    @classmethod
    def _only_the_type(cls, data: Any) -> Any:
        # A refused part is reported by its type alone, not also by its other fields.
        kind = data.get("type") if isinstance(data, Mapping) else None
        if isinstance(kind, str) and kind in _NOT_TEXT:
            return {"type": kind, "text": ""}
        return data

    @field_validator("type", mode="before")
    @classmethod
    def _text_only(cls, value: Any) -> Any:
        if value == "input_text":
            return "text"
        if isinstance(value, str) and value in _NOT_TEXT:
            raise refuse(
                "image, audio and file parts are not supported: privllm sends text only "
                "(it cannot redact what it cannot read)"
            )
        return value


class ToolCall(InputModel):
    """A function call the model asked for. ``arguments`` is the JSON text as sent.

    OpenAI's shape is read too: ``{"id", "type": "function", "function": {"name",
    "arguments"}}``.

    ``signature`` is provider-opaque context that must go back with the call when the
    conversation continues (Gemini's ``thoughtSignature``, as base64 text). Keep it as
    received; providers that have no such thing ignore it.
    """

    id: str
    name: str
    arguments: str = "{}"
    #: Opaque and often kilobytes long: left out of ``repr``.
    signature: str | None = Field(default=None, repr=False)

    _what: ClassVar[str] = "tool call"

    @model_validator(mode="before")
    @classmethod
    def _from_openai(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not ("function" in data or "type" in data):
            return data
        data = dict(data)
        if data.pop("type", "function") != "function":
            raise refuse("only function tool calls are supported (type 'function')")
        if "function" in data:
            function = data.pop("function")
            if not isinstance(function, Mapping):
                raise refuse("function must be an object with name and arguments")
            data.update({k: function[k] for k in ("name", "arguments") if k in function})
        return data

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


class ToolDefinition(InputModel):
    """A function the model may call. ``parameters`` is a JSON schema object.

    Also built from OpenAI's shape (``{"type": "function", "function": {...}}``) and from a
    pydantic model class (see :meth:`from_model`).
    """

    _what: ClassVar[str] = "tool"

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
        return cls(**_model_tool(model, description))

    @model_validator(mode="before")
    @classmethod
    def _from_openai(cls, data: Any) -> Any:
        if isinstance(data, type) and issubclass(data, BaseModel):
            return _model_tool(data, None)
        if not isinstance(data, Mapping) or not ("function" in data or "type" in data):
            return data
        if data.get("type", "function") != "function":
            raise refuse("only function tools are supported (type 'function')")
        if "function" in data:
            return data["function"]
        return {k: v for k, v in data.items() if k != "type"}


def _model_tool(model: type[BaseModel], description: str | None) -> dict[str, Any]:
    doc = description or (model.__doc__ or "").strip() or None
    return {"name": model.__name__, "description": doc, "parameters": model.model_json_schema()}


class Message(InputModel):
    """One turn of a conversation.

    Built from privllm's fields or from an OpenAI message dict: content parts
    (:class:`TextPart`), ``tool_calls`` in OpenAI's shape, and an answer dumped from the
    openai SDK (``refusal``, ``annotations``... when empty).
    """

    _what: ClassVar[str] = "message"

    role: Role
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_openai(cls, data: Any) -> Any:
        if isinstance(data, BaseModel) and not isinstance(data, Message):
            data = data.model_dump(exclude_none=True)  # e.g. the openai SDK's message object
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        refusal = data.pop("refusal", None)
        if refusal and data.get("content") is None:
            data["content"] = refusal  # as privllm reads an answer's refusal
        for key in _ANSWER_ONLY:
            if key in data and not data[key]:
                del data[key]
        return data

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


#: Fields of an OpenAI answer message that carry nothing when empty.
_ANSWER_ONLY = ("annotations", "audio", "function_call")


def validate_messages(
    items: Iterable[Message | Mapping[str, Any]], what: str = "request", *, start: int = 0
) -> list[Message]:
    """Messages from :class:`Message` objects or dicts (OpenAI's shapes included).

    An item it cannot take raises :class:`~privllm.errors.InvalidRequestError` naming
    ``messages[i]`` (counted from ``start``) and the field, never the value.

    >>> validate_messages([{"role": "developer", "content": "Be brief."}])[0].role
    'developer'
    """
    out: list[Message] = []
    for i, item in enumerate(items, start):
        if isinstance(item, Message):
            out.append(item)
            continue
        try:
            out.append(Message.__pydantic_validator__.validate_python(item))
            continue
        except ValidationError as exc:
            error = input_error(exc, what, root=("messages", i))
        raise error from None
    return out


def message_from_dict(data: Mapping[str, Any]) -> Message:
    """A message from a dict in privllm's shape or OpenAI's (``tool_calls[].function``).

    An input privllm does not accept raises :class:`~privllm.errors.InvalidRequestError`
    naming the field, never its value.

    >>> message_from_dict({"role": "user", "content": "Hi"}).text
    'Hi'
    """
    return Message.model_validate(data)


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatRequest(InputModel):
    """A chat call as middleware sees it. Options left ``None`` are not sent.

    Built from the caller's arguments, it also reads OpenAI's shapes: message dicts,
    ``tool_choice={"type": "function", "function": {"name": ...}}``, a ``response_format``
    dict, ``stop`` as one string.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    _what: ClassVar[str] = "chat request"

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
    #: A pydantic model class: the provider is asked for JSON matching its schema, and the
    #: answer is parsed into ``ChatResponse.parsed``. Or OpenAI's dict (:class:`ResponseFormat`).
    response_format: type[BaseModel] | ResponseFormat | None = None
    #: Ask the provider to keep the completion (OpenAI/Azure). Policy sends ``False``.
    store: bool | None = None
    stream: bool = False
    #: Which provider API carries the call: ``"chat"`` (chat completions, every provider) or
    #: ``"responses"`` (OpenAI's Responses API, built by ``privllm.openai``'s
    #: ``responses.create``). Middleware sees the same request either way.
    api: Literal["chat", "responses"] = "chat"
    #: HTTP headers and query parameters added to the provider request as given (the
    #: drop-in's ``extra_headers`` / ``extra_query``): not redacted, so meant for settings,
    #: not content; the names privllm sets itself are refused. Kept out of dumps and reprs.
    headers: dict[str, str] = Field(default_factory=dict, repr=False, exclude=True)
    query: dict[str, Any] = Field(default_factory=dict, repr=False, exclude=True)
    #: Provider-specific options passed through as given (e.g. ``{"logprobs": True}``).
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("tool_choice", mode="before")
    @classmethod
    def _openai_tool_choice(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        function = value.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if value.get("type") != "function" or not isinstance(name, str):
            raise refuse(
                "must be 'auto', 'none', 'required', a tool name or "
                "{'type': 'function', 'function': {'name': ...}}"
            )
        return name

    @field_validator("response_format", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        # {"type": "text"} is OpenAI's default: nothing to ask for.
        if isinstance(value, Mapping) and dict(value) == {"type": "text"}:
            return None
        return value

    @field_validator("extra")
    @classmethod
    def _one_answer(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Several answers per call would come back as one (the first): refused, not dropped.
        for key in ("n", "candidate_count", "candidateCount"):
            if key in value and value[key] is not None and value[key] != 1:
                raise refuse(
                    "n / candidate_count other than 1 is not supported: privllm returns one "
                    "answer per call (make several calls)"
                )
        return value


class ChatResponse(_Model, Generic[ParsedT]):
    """A complete answer. ``parsed`` holds the ``response_format`` instance, if one was asked.

    Generic in what ``parsed`` holds, so a type checker knows it:
    ``client.chat(..., response_format=Invoice)`` returns ``ChatResponse[Invoice]`` (its
    ``parsed`` is an ``Invoice``), a call without a model class ``ChatResponse[None]``.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    provider: str
    model: str
    endpoint: Endpoint
    id: str | None = None
    parsed: ParsedT = None  # type: ignore[assignment]  # None until a model class parses it
    #: The provider's HTTP response headers (``x-request-id``, rate limits) where the
    #: provider returns them (OpenAI, Azure): for ``with_raw_response``; not in dumps/reprs.
    headers: dict[str, str] | None = Field(default=None, repr=False, exclude=True)

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


class EmbeddingRequest(InputModel):
    """Texts to embed (one string is a list of one)."""

    _what: ClassVar[str] = "embedding request"

    input: list[str]
    model: str
    dimensions: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    #: As :attr:`ChatRequest.headers` and :attr:`ChatRequest.query`.
    headers: dict[str, str] = Field(default_factory=dict, repr=False, exclude=True)
    query: dict[str, Any] = Field(default_factory=dict, repr=False, exclude=True)

    @field_validator("input", mode="before")
    @classmethod
    def _one_text(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class EmbeddingResponse(_Model):
    """``vectors[i]`` is the embedding of ``input[i]``."""

    vectors: list[list[float]]
    model: str
    provider: str
    endpoint: Endpoint
    usage: Usage | None = None
    #: As :attr:`ChatResponse.headers`.
    headers: dict[str, str] | None = Field(default=None, repr=False, exclude=True)
