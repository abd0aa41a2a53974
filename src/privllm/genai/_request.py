"""google-genai's ``contents`` and ``config`` as privllm's chat and embedding arguments. Pure.

Every value that reaches the provider goes through privllm's client (redaction, policy,
audit, the egress guard); this module only renames. What privllm cannot carry (images,
files, Google Search and code-execution tools, cached content...) is refused with
:class:`~privllm.errors.InvalidRequestError` naming the field, never its value.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from google.genai import _transformers as t
from google.genai import types as gt
from pydantic import BaseModel, TypeAdapter, ValidationError

from privllm.errors import InvalidRequestError
from privllm.types import Message, TextPart, ToolCall

__all__ = ["ChatCall", "chat_call", "embed_call", "refuse"]

#: Config fields that carry settings, not content: sent as given to the Google provider
#: (privllm's ``extra``), refused on another provider, which has no such option.
GOOGLE_ONLY = frozenset(
    {
        "top_k",
        "presence_penalty",
        "frequency_penalty",
        "safety_settings",
        "thinking_config",
        "media_resolution",
        "labels",
        "routing_config",
        "model_selection_config",
        "enable_enhanced_civic_answers",
        "service_tier",
    }
)
#: Config fields privllm refuses, and why.
REFUSED = {
    "response_logprobs": "log-probabilities are of the tokens the provider saw (placeholders, "
    "not your values) and privllm's answer does not carry them",
    "logprobs": "log-probabilities are of the tokens the provider saw (placeholders, not your "
    "values) and privllm's answer does not carry them",
    "cached_content": "cached contents are stored at Google unredacted: send the contents "
    "with each call",
    "speech_config": "privllm sends and restores text only",
    "audio_timestamp": "privllm sends and restores text only",
    "image_config": "privllm sends and restores text only",
    "response_modalities": "privllm sends and restores text only",
    "tool_config.retrieval_config": "privllm sends function tools only",
    "http_options": "per-call http_options: only timeout is carried (privllm builds the HTTP "
    "client; headers, base URL and extra_body would bypass its checks)",
}


#: Config fields this module reads.
_CHAT_FIELDS = frozenset(
    {
        "system_instruction",
        "temperature",
        "top_p",
        "max_output_tokens",
        "stop_sequences",
        "seed",
        "tools",
        "tool_config",
        "automatic_function_calling",
        "response_mime_type",
        "response_schema",
        "response_json_schema",
        "candidate_count",
    }
)


def refuse(what: str, name: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"invalid {what} request: {name}: not supported: {why}", fields=(name,)
    )


@dataclass(slots=True)
class ChatCall:
    """A ``generate_content`` call as privllm's ``chat``/``stream`` arguments."""

    args: dict[str, Any]
    #: Parses the answer's text for ``response.parsed`` (``None``: nothing to parse).
    parse: Callable[[str], Any] | None = None
    #: The Python functions given as tools, by name (automatic function calling).
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    #: How many requests automatic function calling may make (0: the caller runs them).
    max_remote_calls: int = 0
    #: The caller's contents as google-genai reads them: where the
    #: ``automatic_function_calling_history`` starts.
    contents: list[gt.Content] = field(default_factory=list)
    #: Whether answers carry that history (``ignore_call_history`` not set).
    history: bool = True


def _config(config: Any, cls: type[Any], what: str) -> Any:
    if config is None:
        return cls()
    if isinstance(config, cls):
        return config
    if isinstance(config, Mapping):
        try:
            return cls.model_validate(dict(config))
        except ValidationError as exc:
            where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise InvalidRequestError(
                f"invalid {what} request: config: {where}: not valid", fields=("config",)
            ) from None
    raise TypeError(f"config must be a {cls.__name__} or a dict, not {type(config).__name__}")


def _contents(contents: Any) -> list[gt.Content]:
    try:
        return t.t_contents(contents)
    except (ValueError, ValidationError, TypeError):
        # The SDK's text may quote the value.
        raise InvalidRequestError(
            "invalid chat request: contents: must be text, Parts or Contents (str, dicts, "
            "types.Content or a list of them)",
            fields=("contents",),
        ) from None


def _part_kind(part: gt.Part) -> str:
    for name in type(part).model_fields:
        if name not in ("text", "thought", "thought_signature") and getattr(part, name):
            return name
    return "text"


def _signature(part: gt.Part) -> str | None:
    value = part.thought_signature
    return base64.b64encode(value).decode("ascii") if value else None


def messages_of(contents: list[gt.Content], system: str | None) -> list[Message]:
    """privllm messages from google-genai contents: text, function calls and responses."""
    out: list[Message] = [Message.system(system)] if system else []
    pending: list[str] = []  # ids of the model's last calls, answered in order
    counter = 0
    for i, content in enumerate(contents):
        texts: list[str] = []
        calls: list[ToolCall] = []
        answers: list[Message] = []
        for j, part in enumerate(content.parts or []):
            kind = _part_kind(part)
            if kind == "text":
                if part.text and not part.thought:
                    texts.append(part.text)
            elif kind == "function_call" and part.function_call is not None:
                call = part.function_call
                call_id = call.id or f"call_{counter}"
                counter += 1
                calls.append(
                    ToolCall(
                        id=call_id,
                        name=call.name or "",
                        arguments=json.dumps(call.args or {}),
                        signature=_signature(part),
                    )
                )
            elif kind == "function_response" and part.function_response is not None:
                answer = part.function_response
                call_id = answer.id or (pending.pop(0) if pending else f"call_{counter}")
                answers.append(
                    Message(
                        role="tool",
                        tool_call_id=call_id,
                        name=answer.name,
                        content=json.dumps(answer.response or {}),
                    )
                )
            else:
                where = f"contents[{i}].parts[{j}].{kind}"
                raise refuse(
                    "chat",
                    where,
                    "privllm sends text, function calls and function responses "
                    "only (it cannot redact what it cannot read)",
                )
        # Several text parts stay several parts (as the SDK sends them).
        text: Any = texts[0] if len(texts) == 1 else [TextPart(text=x) for x in texts] or None
        if content.role == "model":
            pending = [c.id for c in calls]
            if texts or calls:
                out.append(Message(role="assistant", content=text, tool_calls=calls or None))
            continue
        out.extend(answers)
        if texts:
            out.append(Message(role="user", content=text))
    return out


def _system(value: Any) -> str | None:
    if value is None:
        return None
    try:
        content = t.t_content(value)
    except (ValueError, ValidationError, TypeError):
        raise InvalidRequestError(
            "invalid chat request: config.system_instruction: must be text or a Content",
            fields=("config.system_instruction",),
        ) from None
    texts = []
    for part in content.parts or []:
        if _part_kind(part) != "text":
            raise refuse("chat", "config.system_instruction", "text parts only")
        texts.append(part.text or "")
    return "\n".join(texts)


def _json_schema(schema: Any) -> dict[str, Any]:
    if isinstance(schema, gt.Schema):
        dumped: dict[str, Any] = schema.json_schema.model_dump(
            mode="json", exclude_none=True, by_alias=True
        )
        return dumped
    if isinstance(schema, Mapping):
        return dict(schema)
    adapter: TypeAdapter[Any] = TypeAdapter(schema)
    return adapter.json_schema()


def _tools(
    tools: Sequence[Any], api_option: Literal["GEMINI_API", "VERTEX_AI"]
) -> tuple[list[dict[str, Any]], dict[str, Callable[..., Any]]]:
    declared: list[dict[str, Any]] = []
    functions: dict[str, Callable[..., Any]] = {}
    for i, tool in enumerate(tools):
        if inspect.isfunction(tool) or inspect.ismethod(tool):
            declaration = gt.FunctionDeclaration.from_callable_with_api_option(
                callable=tool,
                api_option=api_option,
                use_json_schema=True,
            )
            functions[declaration.name or tool.__name__] = tool
            declarations = [declaration]
        else:
            value = gt.Tool.model_validate(tool) if isinstance(tool, Mapping) else tool
            if not isinstance(value, gt.Tool):
                raise refuse("chat", f"config.tools[{i}]", "a types.Tool, a dict or a function")
            other = [
                name
                for name in type(value).model_fields
                if name != "function_declarations" and getattr(value, name)
            ]
            if other:
                raise refuse(
                    "chat", f"config.tools[{i}].{other[0]}", "privllm sends function tools only"
                )
            declarations = list(value.function_declarations or [])
        for d in declarations:
            parameters: dict[str, Any] = {"type": "object", "properties": {}}
            if d.parameters_json_schema is not None:
                parameters = _json_schema(d.parameters_json_schema)
            elif d.parameters is not None:
                parameters = _json_schema(d.parameters)
            declared.append(
                {"name": d.name, "description": d.description, "parameters": parameters}
            )
    return declared, functions


def _tool_choice(config: gt.ToolConfig | None) -> str | None:
    calling = config.function_calling_config if config is not None else None
    if calling is None or calling.mode is None:
        return None
    mode = str(getattr(calling.mode, "value", calling.mode))
    names = calling.allowed_function_names or []
    if mode in ("ANY", "VALIDATED") and len(names) == 1:
        return names[0]
    if names:
        raise refuse(
            "chat",
            "config.tool_config.function_calling_config.allowed_function_names",
            "privllm can require one named function, or any",
        )
    choices = {"AUTO": "auto", "NONE": "none", "ANY": "required", "VALIDATED": "required"}
    return choices.get(mode)


def _response_format(config: gt.GenerateContentConfig) -> tuple[Any, Callable[[str], Any] | None]:
    schema = config.response_json_schema
    if schema is None:
        schema = config.response_schema
    mime = config.response_mime_type
    if mime not in (None, "text/plain", "application/json"):
        raise refuse("chat", "config.response_mime_type", "text/plain or application/json only")
    if schema is None:
        if mime == "application/json":
            return {"type": "json_object"}, None
        return None, None
    if mime != "application/json":
        raise refuse(
            "chat", "config.response_schema", "needs response_mime_type='application/json'"
        )
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema, None  # privllm parses it into ChatResponse.parsed
    spec = {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": _json_schema(schema)},
    }
    if isinstance(schema, (Mapping, gt.Schema)):
        return spec, json.loads
    target: Any = schema  # list[Model], an Enum, a TypedDict...
    adapter: TypeAdapter[Any] = TypeAdapter(target)
    return spec, adapter.validate_json


def chat_call(contents: Any, config: Any, *, google: bool, vertex: bool, timeout: Any) -> ChatCall:
    """privllm's ``chat`` arguments for ``generate_content(contents=..., config=...)``.

    ``google``: the client's provider is Google (Google's own options are sent as given);
    ``vertex``: it is Vertex AI (function declarations are built for its API).
    """
    cfg: gt.GenerateContentConfig = _config(config, gt.GenerateContentConfig, "chat")
    given = {name for name in cfg.model_fields_set if getattr(cfg, name) is not None}
    for name in sorted(given):
        if name in REFUSED and not (name == "http_options" and _timeout_only(cfg)):
            raise refuse("chat", f"config.{name}", REFUSED[name])
    unknown = given - _CHAT_FIELDS - GOOGLE_ONLY - set(REFUSED)
    if unknown:
        raise refuse("chat", f"config.{sorted(unknown)[0]}", "not carried by privllm")
    if cfg.tool_config is not None and cfg.tool_config.retrieval_config is not None:
        raise refuse(
            "chat", "config.tool_config.retrieval_config", REFUSED["tool_config.retrieval_config"]
        )
    if cfg.candidate_count not in (None, 1):
        raise refuse(
            "chat",
            "config.candidate_count",
            "privllm returns one answer per call (make several calls)",
        )
    given_contents = _contents(contents)
    messages = messages_of(given_contents, _system(cfg.system_instruction))
    args: dict[str, Any] = {"messages": messages, "timeout": timeout}
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("max_tokens", "max_output_tokens"),
        ("stop", "stop_sequences"),
        ("seed", "seed"),
    ):
        value = getattr(cfg, theirs)
        if value is not None:
            args[ours] = value
    afc = cfg.automatic_function_calling
    call = ChatCall(args=args, contents=list(given_contents))
    call.history = not (afc is not None and afc.ignore_call_history)
    if cfg.tools:
        tools, call.functions = _tools(cfg.tools, "VERTEX_AI" if vertex else "GEMINI_API")
        args["tools"] = tools
        if call.functions and not (afc is not None and afc.disable):
            maximum = afc.maximum_remote_calls if afc is not None else None
            call.max_remote_calls = 10 if maximum is None else max(0, maximum)
    choice = _tool_choice(cfg.tool_config)
    if choice is not None:
        args["tool_choice"] = choice
    args["response_format"], call.parse = _response_format(cfg)
    if args["response_format"] is None:
        del args["response_format"]
    extra = _google_options(cfg, given & GOOGLE_ONLY, "chat", google)
    if extra:
        args["extra"] = extra
    return call


def _google_options(cfg: BaseModel, names: set[str], what: str, google: bool) -> dict[str, Any]:
    """The Google-only settings given, as JSON (the audit log records them)."""
    if names and not google:
        name = sorted(names)[0]
        raise refuse(what, f"config.{name}", "a Google option: the client's provider is not Google")
    dumped: dict[str, Any] = cfg.model_dump(mode="json", include=names, exclude_none=True)
    return dumped


#: Headers google-genai's own helpers (chats) add to a call's ``http_options``: the SDK's
#: name and version, dropped (privllm's HTTP client sends its own).
_SDK_HEADERS = frozenset({"user-agent", "x-goog-api-client"})


def _timeout_only(cfg: gt.GenerateContentConfig | gt.EmbedContentConfig) -> bool:
    options = cfg.http_options
    if options is None:
        return True
    given = {n for n in options.model_fields_set if getattr(options, n) is not None}
    headers = {k.lower() for k in options.headers or {}}
    return given <= {"timeout", "headers"} and headers <= _SDK_HEADERS


def call_timeout(cfg_timeout: Any, default: Any) -> Any:
    """privllm's per-call timeout (seconds) from ``config.http_options.timeout`` (ms)."""
    return default if cfg_timeout is None else cfg_timeout / 1000


def timeout_of(config: Any, default: Any) -> Any:
    """The per-call timeout a ``config`` (object or dict) asks for, else ``default``."""
    options = (
        config.get("http_options")
        if isinstance(config, Mapping)
        else getattr(config, "http_options", None)
    )
    if isinstance(options, Mapping):
        options = gt.HttpOptions.model_validate(dict(options))
    return call_timeout(options.timeout if options is not None else None, default)


#: Embedding config fields sent as given (settings, not content) to the Google provider.
_EMBED_GOOGLE_ONLY = frozenset({"task_type", "auto_truncate", "mime_type"})


def embed_call(contents: Any, config: Any, *, google: bool, timeout: Any) -> dict[str, Any]:
    """privllm's ``embed`` arguments for ``embed_content(contents=..., config=...)``."""
    cfg: gt.EmbedContentConfig = _config(config, gt.EmbedContentConfig, "embedding")
    given = {name for name in cfg.model_fields_set if getattr(cfg, name) is not None}
    if "title" in given:
        raise refuse(
            "embedding",
            "config.title",
            "a title is text privllm would send unredacted: put it in the contents",
        )
    if "http_options" in given and not _timeout_only(cfg):
        raise refuse("embedding", "config.http_options", REFUSED["http_options"])
    unknown = given - _EMBED_GOOGLE_ONLY - {"output_dimensionality", "http_options"}
    if unknown:
        raise refuse("embedding", f"config.{sorted(unknown)[0]}", "not carried by privllm")
    items = contents if isinstance(contents, list) else [contents]
    texts: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            texts.append(item)
            continue
        try:
            content = t.t_content(item)
        except (ValueError, ValidationError, TypeError):
            raise InvalidRequestError(
                f"invalid embedding request: contents[{i}]: must be text or a Content",
                fields=(f"contents[{i}]",),
            ) from None
        if any(_part_kind(part) != "text" for part in content.parts or []):
            raise refuse("embedding", f"contents[{i}]", "privllm embeds text only")
        texts.append("".join(part.text or "" for part in content.parts or []))
    args: dict[str, Any] = {"texts": texts, "timeout": timeout}
    if cfg.output_dimensionality is not None:
        args["dimensions"] = cfg.output_dimensionality
    extra = _google_options(cfg, given & _EMBED_GOOGLE_ONLY, "embedding", google)
    if extra:
        args["extra"] = extra
    return args
