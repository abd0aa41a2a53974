"""``responses.create`` arguments to privllm's, and privllm's answers and chunks to the SDK's
``Response`` and stream events. Pure.

The call becomes a chat request with ``api="responses"``: ``instructions`` a leading system
message, ``input`` messages (``function_call`` items are assistant tool calls,
``function_call_output`` items tool messages), flat function tools the chat shape,
``text.format`` a ``response_format``. So the chain redacts, checks and records it as any
chat call, and the provider sends it to ``/v1/responses`` (privllm.providers.openai.responses).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from openai._models import construct_type
from openai.types.responses import ParsedResponse, Response, ResponseStreamEvent
from pydantic import BaseModel

from privllm.core import TimeoutLike
from privllm.errors import InvalidRequestError
from privllm.types import ChatChunk, ChatResponse, Usage

from ._convert import given, http_updates, timeout_of

__all__ = ["ResponsesCall", "ResponsesEvents", "parsed_response", "response", "responses_call"]

#: Options sent as given (privllm's ``extra``): settings, not content. ``store`` is policy's.
_PASSED = frozenset(
    {
        "store",
        "metadata",
        "parallel_tool_calls",
        "reasoning",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "truncation",
        "include",
        "max_tool_calls",
    }
)
_TAKEN = frozenset(
    {
        "input",
        "model",
        "instructions",
        "tools",
        "tool_choice",
        "text",
        "temperature",
        "top_p",
        "max_output_tokens",
        "user",
        "stream",
        "stream_options",
        "timeout",
        "extra_headers",
        "extra_query",
        "extra_body",
    }
)
#: Arguments refused, and why.
_REFUSED = {
    "previous_response_id": "privllm sends store=false, so there is no stored response to "
    "continue: pass the earlier turns in input (response.output items are accepted)",
    "conversation": "a provider-side conversation holds content privllm did not redact: pass "
    "the turns in input",
    "prompt": "a stored prompt template fills in variables privllm does not redact",
    "background": "background responses are stored at the provider",
    "top_logprobs": "log-probabilities are of the tokens the provider saw (placeholders)",
    "context_management": "not carried by privllm",
}
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
#: What a ``Response`` repeats of the call that made it.
_ECHOED = (
    "instructions",
    "tools",
    "tool_choice",
    "text",
    "temperature",
    "top_p",
    "max_output_tokens",
    "metadata",
    "parallel_tool_calls",
)


def _refuse(field: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"invalid responses request: {field}: not supported: {why}", fields=(field,)
    )


@dataclass(frozen=True, slots=True)
class ResponsesCall:
    """A ``responses.create`` call as privllm's chat arguments and request updates."""

    args: dict[str, Any]
    updates: dict[str, Any]
    stream: bool
    echo: dict[str, Any]  # what the Response repeats of the call (tools, text, instructions)


def responses_call(
    kwargs: Mapping[str, Any],
    *,
    default_timeout: TimeoutLike,
    model: str | None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, object] | None = None,
) -> ResponsesCall:
    options = {k: v for k, v in kwargs.items() if given(v)}
    unknown = set(options) - _TAKEN - _PASSED - set(_REFUSED)
    if unknown:
        raise TypeError(f"create() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    for name, why in _REFUSED.items():
        if name in options and not (name == "background" and options[name] is False):
            raise _refuse(name, why)
    if "input" not in options:
        raise TypeError("create() missing keyword argument: 'input' (privllm needs the input)")
    instructions = options.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _refuse("instructions", "must be a string")
    messages = ([{"role": "system", "content": instructions}] if instructions else []) + _messages(
        options["input"]
    )
    args: dict[str, Any] = {
        "messages": messages,
        "model": model or options.get("model"),
        "timeout": timeout_of(kwargs.get("timeout"), default_timeout),
    }
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("max_tokens", "max_output_tokens"),
        ("user", "user"),
    ):
        if theirs in options:
            args[ours] = options[theirs]
    if "tools" in options:
        args["tools"] = _tools(options["tools"])
    if "tool_choice" in options:
        args["tool_choice"] = _tool_choice(options["tool_choice"])
    extra = {name: options[name] for name in _PASSED if name in options}
    text = options.get("text") or {}
    if not isinstance(text, Mapping):
        raise _refuse("text", "must be a mapping with format and/or verbosity")
    if "format" in text:
        args["response_format"] = _format(text["format"])
    if "verbosity" in text:
        extra["verbosity"] = text["verbosity"]
    extra.update(options.get("extra_body") or {})
    if extra:
        args["extra"] = extra
    updates = {"api": "responses", **http_updates(options, headers, query)}
    echo: dict[str, Any] = {name: options[name] for name in _ECHOED if name in options}
    return ResponsesCall(args, updates, bool(options.get("stream")), echo)


def _plain(item: object) -> Any:
    # Items replayed from an earlier Response (response.output) are the SDK's models.
    return item.model_dump(exclude_none=True) if isinstance(item, BaseModel) else item


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, Sequence):
        raise _refuse(where, "must be a string or a list of text parts")
    parts: list[str] = []
    for j, raw in enumerate(content):
        part = _plain(raw)
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind in _TEXT_PARTS:
            parts.append(str(part.get("text") or ""))
        elif kind == "refusal":
            parts.append(str(part.get("refusal") or ""))
        else:
            raise _refuse(f"{where}[{j}].type", "privllm sends and restores text only")
    return "".join(parts)


def _messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, Sequence):
        raise _refuse("input", "must be a string or a list of input items")
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(value):
        item = _plain(raw)
        if not isinstance(item, Mapping):
            raise _refuse(f"input[{i}]", "must be a message or an item mapping")
        kind = item.get("type", "message")
        if kind == "message":
            out.append(
                {
                    "role": item.get("role"),
                    "content": _text(item.get("content"), f"input[{i}].content"),
                }
            )
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or ""},
            }
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": item.get("call_id"),
                    "content": _text(item.get("output"), f"input[{i}].output"),
                }
            )
        else:
            raise _refuse(
                f"input[{i}].type",
                "privllm takes messages, function_call and function_call_output items",
            )
    return out


def _tools(tools: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(tools or ()):
        tool = _plain(raw)
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            raise _refuse(
                f"tools[{i}].type",
                "privllm sends function tools only (built-in tools run at the provider on "
                "content privllm cannot redact there)",
            )
        function = {
            k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool
        }
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Any) -> Any:
    choice = _plain(choice)
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") == "function" and choice.get("name"):
        return choice["name"]
    raise _refuse("tool_choice", "must be 'auto', 'none', 'required' or a function")


def _format(fmt: Any) -> Any:
    if isinstance(fmt, type):
        return fmt
    fmt = _plain(fmt)
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "description", "strict") if k in fmt}
        return {"type": "json_schema", "json_schema": schema}
    raise _refuse("text.format.type", "must be text, json_object or json_schema")


# -- results --------------------------------------------------------------------------------


def _id(prefix: str) -> str:
    return f"{prefix}_privllm{uuid.uuid4().hex[:24]}"


def _usage(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total_tokens,
    }


def _message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def _call_item(
    call_id: str, name: str, arguments: str, status: str = "completed"
) -> dict[str, Any]:
    return {
        "id": f"fc_{call_id}",
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def _body(
    response_id: str,
    model: str,
    output: list[dict[str, Any]],
    finish: str | None,
    usage: Usage | None,
    echo: Mapping[str, Any],
    status: str | None = None,
) -> dict[str, Any]:
    incomplete = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(
        finish or ""
    )
    return {
        "id": response_id,
        "object": "response",
        "created_at": time.time(),
        "status": status or ("incomplete" if incomplete else "completed"),
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "error": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": echo.get("parallel_tool_calls", True),
        "tool_choice": _plain(echo.get("tool_choice", "auto")),
        "tools": [_plain(t) for t in echo.get("tools") or ()],
        "instructions": echo.get("instructions"),
        "temperature": echo.get("temperature"),
        "top_p": echo.get("top_p"),
        "max_output_tokens": echo.get("max_output_tokens"),
        "metadata": echo.get("metadata"),
        "text": _text_echo(echo.get("text")),
        "store": False,
        "usage": _usage(usage),
    }


def _text_echo(text: Any) -> dict[str, Any]:
    if not isinstance(text, Mapping) or not isinstance(text.get("format"), type):
        return dict(text) if isinstance(text, Mapping) else {"format": {"type": "text"}}
    return {**text, "format": {"type": "json_schema", "name": text["format"].__name__}}


def _output(answer: ChatResponse[Any]) -> list[dict[str, Any]]:
    output = []
    if answer.text or not answer.tool_calls:
        output.append(_message_item(_id("msg"), answer.text))
    output.extend(_call_item(c.id, c.name, c.arguments) for c in answer.tool_calls)
    return output


def response(answer: ChatResponse[Any], echo: Mapping[str, Any]) -> Response:
    """The SDK's ``Response`` for privllm's (restored) answer."""
    body = _body(
        answer.id or _id("resp"),
        answer.model,
        _output(answer),
        answer.finish_reason,
        answer.usage,
        echo,
    )
    return cast(Response, construct_type(type_=Response, value=body))


def parsed_response(answer: ChatResponse[Any], echo: Mapping[str, Any], fmt: Any) -> Any:
    """The SDK's ``ParsedResponse``: ``output_parsed`` is privllm's parsed answer."""
    content_type: Any = fmt if isinstance(fmt, type) else Any
    body = _body(
        answer.id or _id("resp"),
        answer.model,
        _output(answer),
        answer.finish_reason,
        answer.usage,
        echo,
    )
    result: Any = construct_type(type_=ParsedResponse[content_type], value=body)
    for item in result.output:
        if item.type == "message":
            for part in item.content:
                if part.type == "output_text":
                    part.parsed = answer.parsed
    return result


class ResponsesEvents:
    """The SDK's stream events (``ResponseStreamEvent``) from privllm's restored chunks, for
    one stream: the same sequence the API sends for text and function calls."""

    def __init__(self, model: str | None, echo: Mapping[str, Any]) -> None:
        self._id = _id("resp")
        self._model = model or ""
        self._echo = echo
        self._number = 0
        self._output: list[dict[str, Any]] = []
        self._text: list[str] | None = None  # the open message's text, while one is open
        self._calls: dict[int, dict[str, Any]] = {}  # tool index -> its item
        self._open_call: int | None = None
        self._started = False

    def _event(self, kind: str, **fields: Any) -> ResponseStreamEvent:
        data = {"type": kind, "sequence_number": self._number, **fields}
        self._number += 1
        return cast(ResponseStreamEvent, construct_type(type_=ResponseStreamEvent, value=data))

    def _snapshot(
        self, status: str, finish: str | None = None, usage: Usage | None = None
    ) -> dict[str, Any]:
        return _body(self._id, self._model, list(self._output), finish, usage, self._echo, status)

    def __call__(self, chunk: ChatChunk) -> Iterator[ResponseStreamEvent]:
        if not self._started:
            self._started = True
            yield self._event("response.created", response=self._snapshot("in_progress"))
            yield self._event("response.in_progress", response=self._snapshot("in_progress"))
        if chunk.text:
            if self._text is None:
                yield from self._close_call()
                yield from self._open_message()
            assert self._text is not None
            self._text.append(chunk.text)
            yield self._event(
                "response.output_text.delta", delta=chunk.text, logprobs=[], **self._where()
            )
        for delta in chunk.tool_calls:
            if delta.index not in self._calls:
                yield from self._close_message()
                yield from self._close_call()
                item = _call_item(delta.id or _id("call"), delta.name or "", "", "in_progress")
                self._calls[delta.index] = item
                self._open_call = delta.index
                self._output.append(item)
                yield self._event(
                    "response.output_item.added", output_index=len(self._output) - 1, item=item
                )
            item = self._calls[delta.index]
            if delta.arguments:
                item["arguments"] += delta.arguments
                yield self._event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=self._output.index(item),
                    delta=delta.arguments,
                )
        if chunk.finish_reason is not None:
            yield from self._close_message()
            yield from self._close_call()
            if not self._output:
                yield from self._open_message()
                yield from self._close_message()
            body = self._snapshot("", chunk.finish_reason, chunk.usage)
            body["status"] = "incomplete" if body["incomplete_details"] else "completed"
            kind = "response.incomplete" if body["incomplete_details"] else "response.completed"
            yield self._event(kind, response=body)

    def _where(self) -> dict[str, Any]:
        index = len(self._output) - 1
        return {"item_id": self._output[index]["id"], "output_index": index, "content_index": 0}

    def _open_message(self) -> Iterator[ResponseStreamEvent]:
        self._text = []
        item = _message_item(_id("msg"), "", "in_progress")
        self._output.append(item)
        yield self._event(
            "response.output_item.added",
            output_index=len(self._output) - 1,
            item={**item, "content": []},
        )
        part = {"type": "output_text", "text": "", "annotations": []}
        yield self._event("response.content_part.added", part=part, **self._where())

    def _close_message(self) -> Iterator[ResponseStreamEvent]:
        if self._text is None:
            return
        text = "".join(self._text)
        self._text = None
        where = self._where()
        item = self._output[-1]
        item["status"] = "completed"
        item["content"][0]["text"] = text
        yield self._event("response.output_text.done", text=text, logprobs=[], **where)
        part = {"type": "output_text", "text": text, "annotations": []}
        yield self._event("response.content_part.done", part=part, **where)
        yield self._event(
            "response.output_item.done", output_index=where["output_index"], item=item
        )

    def _close_call(self) -> Iterator[ResponseStreamEvent]:
        if self._open_call is None:
            return
        item = self._calls[self._open_call]
        self._open_call = None
        item["status"] = "completed"
        index = self._output.index(item)
        yield self._event(
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=index,
            name=item["name"],
            arguments=item["arguments"],
        )
        yield self._event("response.output_item.done", output_index=index, item=item)
