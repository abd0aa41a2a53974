"""Chat fine-tuning line formats: check one parsed JSONL line, and name its redactable strings.

Two formats, one per provider family:

- ``openai`` (OpenAI and Azure OpenAI)::

      {"messages": [{"role": "system" | "user" | "assistant" | "tool", "content": ...}],
       "tools": [...], "parallel_tool_calls": false}

  Assistant messages may carry ``tool_calls`` (``function.arguments`` is a JSON object in a
  string) and ``weight`` (0 or 1); tool messages answer an earlier call by ``tool_call_id``.
- ``gemini`` (Vertex AI supervised tuning)::

      {"systemInstruction": {"parts": [{"text": ...}]},
       "contents": [{"role": "user" | "model", "parts": [{"text": ...}]}]}

  Parts hold ``text``, ``functionCall`` (``name``, ``args``) or ``functionResponse``
  (``name``, ``response``); protobuf JSON's snake_case spellings are accepted too.

Problems are ``(field, reason)`` pairs. They never quote the line's content: a field name is
shown only when it looks like an identifier, a role only when it is a known role name.

    >>> check_line({"messages": [{"role": "user", "content": "Hi"}]}, "openai")
    [('messages', 'needs at least one assistant message to learn from')]
    >>> for problem in check_line({"contents": [{"role": "bot", "parts": []}]}, "gemini"):
    ...     print(problem)
    ('contents[0].role', "must be 'user' or 'model'")
    ('contents[0].parts', 'must be a non-empty list of parts')
    ('contents', 'needs at least one model turn to learn from')

Images are refused in both formats: privllm cannot look inside them for personal data.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

__all__ = ["FORMATS", "Format", "Slot", "check_line", "detect_format", "key_path", "slots"]

Format = Literal["openai", "gemini"]
FORMATS: tuple[Format, ...] = ("openai", "gemini")

Problem = tuple[str, str]
#: Where a string lives and how to treat it: ``text`` is redacted in place, ``name`` (ids and
#: function names, which providers restrict to ``[A-Za-z0-9_-]``) gets a bare placeholder,
#: ``data`` is a JSON value whose string leaves and keys are redacted, ``json`` is a string
#: holding such a value, and ``fixed`` (schema keys, types) cannot change: a finding there is an
#: error. A ``fixed`` slot's container is ``None`` and its key is the string itself.
SlotKind = Literal["text", "name", "data", "json", "fixed"]
#: ``(container, key, field, kind)``: ``container[key]`` holds the value.
Slot = tuple[Any, Any, str, SlotKind]

_KNOWN_ROLES = frozenset({"system", "user", "assistant", "tool", "model", "developer", "function"})
_OPENAI_TOP = frozenset({"messages", "tools", "parallel_tool_calls"})
_OPENAI_ROLES = ("system", "user", "assistant", "tool")
_OPENAI_KEYS: Mapping[str, frozenset[str]] = {
    "system": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "tool_calls", "weight"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
}
_ALL_MESSAGE_KEYS = frozenset().union(*_OPENAI_KEYS.values())
_GEMINI_TOP = frozenset({"contents", "systemInstruction", "system_instruction", "tools"})
_PART_KINDS = {
    "text": "text",
    "functionCall": "functionCall",
    "function_call": "functionCall",
    "functionResponse": "functionResponse",
    "function_response": "functionResponse",
}
_IMAGES = "images cannot be checked for personal data; privllm prepares text-only datasets"
# Strings in a tool schema that are prose (and so redacted); other schema strings are names
# that calls refer to (``required`` lists property keys) and must stay as they are.
_SCHEMA_PROSE = frozenset({"description", "title", "enum", "default", "examples", "const"})


# Keys shown by name in a field path; any other key (a property name, a key in tool
# arguments) is data, and is shown by position: ``properties.<key 0>``.
_PATH_WORDS = frozenset(
    {
        "type", "properties", "items", "description", "enum", "required", "default",
        "examples", "title", "format", "pattern", "minimum", "maximum", "minItems",
        "maxItems", "minLength", "maxLength", "additionalProperties", "anyOf", "oneOf",
        "allOf", "$ref", "$defs", "definitions", "const", "nullable", "name", "parameters",
        "strict", "function", "functionDeclarations", "function_declarations", "tools",
    }
)  # fmt: skip


def key_path(where: str, key: object, position: int) -> str:
    """``where`` extended by a key: by name for schema words, else by position.

    >>> key_path("parameters", "properties", 0), key_path("properties", "ann@acme.com", 2)
    ('parameters.properties', 'properties.<key 2>')
    """
    segment = key if isinstance(key, str) and key in _PATH_WORDS else f"<key {position}>"
    return f"{where}.{segment}" if where else str(segment)


def _unknown(key: object, known: Iterable[str], elsewhere: frozenset[str], note: str) -> str:
    """ "unknown field", naming the key only when it is a known word: a field of the other
    format, or a near miss of a valid one. Any other key could be data, so it is not shown.

    >>> _unknown("mesages", ["messages"], frozenset(), "")
    "unknown field 'mesages' (did you mean 'messages'?)"
    >>> _unknown("jane@acme.com", ["messages"], frozenset(), "")
    'unknown field'
    """
    if not isinstance(key, str) or len(key) > 40:
        return "unknown field"
    if key in elsewhere:
        return f"unknown field '{key}' ({note})"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    return f"unknown field '{key}' (did you mean '{close[0]}'?)" if close else "unknown field"


def _role_hint(role: object, allowed: str) -> str:
    if isinstance(role, str) and role in _KNOWN_ROLES:
        return f"must be {allowed} (got '{role}')"
    return f"must be {allowed}"


def detect_format(record: object) -> Format | None:
    """``openai`` for a line with ``messages``, ``gemini`` for one with ``contents``.

    >>> detect_format({"contents": []}), detect_format({"prompt": "x"})
    ('gemini', None)
    """
    if isinstance(record, dict):
        if "messages" in record:
            return "openai"
        if "contents" in record:
            return "gemini"
    return None


def check_line(record: object, fmt: Format) -> list[Problem]:
    """Every problem in one parsed line of format ``fmt``; empty when the line is valid."""
    out: list[Problem] = []
    if not isinstance(record, dict):
        out.append(("", "must be a JSON object"))
    elif fmt == "openai":
        _check_openai(record, out)
    else:
        _check_gemini(record, out)
    return out


# -- OpenAI / Azure -------------------------------------------------------------------------


def _check_openai(record: dict[str, Any], out: list[Problem]) -> None:
    for key in record:
        if key not in _OPENAI_TOP:
            out.append(("", _unknown(key, _OPENAI_TOP, _GEMINI_TOP, "a Gemini field")))
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        out.append(("messages", "must be a non-empty list of messages"))
        return
    call_ids: set[str] = set()
    assistants = 0
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(msg, dict):
            out.append((where, "must be an object"))
            continue
        role = msg.get("role")
        if not isinstance(role, str) or role not in _OPENAI_KEYS:
            out.append((f"{where}.role", _role_hint(role, "system, user, assistant or tool")))
            continue
        for key in msg:
            if key in _OPENAI_KEYS[role]:
                continue
            if key in _ALL_MESSAGE_KEYS:
                out.append((where, f"field '{key}' is not allowed for role '{role}'"))
            else:
                out.append((where, _unknown(key, _ALL_MESSAGE_KEYS, frozenset(), "")))
        has_calls = "tool_calls" in msg
        if role == "assistant":
            assistants += 1
            if has_calls:
                _check_tool_calls(msg["tool_calls"], f"{where}.tool_calls", call_ids, out)
            weight = msg.get("weight", 0)
            if type(weight) is not int or weight not in (0, 1):
                out.append((f"{where}.weight", "must be 0 or 1"))
        if role == "tool":
            ref = msg.get("tool_call_id")
            if not isinstance(ref, str) or not ref:
                out.append((f"{where}.tool_call_id", "must be a non-empty string"))
            elif ref not in call_ids:
                out.append((f"{where}.tool_call_id", "matches no earlier assistant tool call"))
        if "name" in msg and not isinstance(msg["name"], str):
            out.append((f"{where}.name", "must be a string"))
        optional = role == "assistant" and has_calls
        _check_content(msg.get("content"), f"{where}.content", optional, out)
    if assistants == 0:
        out.append(("messages", "needs at least one assistant message to learn from"))
    if "tools" in record:
        _check_tools(record["tools"], out)
    if "parallel_tool_calls" in record and not isinstance(record["parallel_tool_calls"], bool):
        out.append(("parallel_tool_calls", "must be true or false"))


def _check_content(content: object, where: str, optional: bool, out: list[Problem]) -> None:
    if content is None:
        if not optional:
            out.append((where, "missing: a string or a list of text parts is required"))
        return
    if isinstance(content, str):
        if not content and not optional:
            out.append((where, "is empty"))
        return
    if not isinstance(content, list) or not content:
        out.append((where, "must be a string or a non-empty list of text parts"))
        return
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("image_url", "input_image", "image"):
            out.append((at, _IMAGES))
        elif kind != "text" or not isinstance(part.get("text"), str):
            out.append((at, 'must be a text part: {"type": "text", "text": ...}'))
        elif set(part) - {"type", "text"}:
            out.append((at, "a text part has only 'type' and 'text'"))


def _check_tool_calls(calls: object, where: str, ids: set[str], out: list[Problem]) -> None:
    if not isinstance(calls, list) or not calls:
        out.append((where, "must be a non-empty list"))
        return
    for k, call in enumerate(calls):
        at = f"{where}[{k}]"
        if not isinstance(call, dict):
            out.append((at, "must be an object"))
            continue
        if set(call) - {"id", "type", "function"}:
            out.append((at, "has fields other than 'id', 'type' and 'function'"))
        if isinstance(call.get("id"), str) and call["id"]:
            ids.add(call["id"])
        else:
            out.append((f"{at}.id", "must be a non-empty string"))
        if call.get("type") != "function":
            out.append((f"{at}.type", "must be 'function'"))
        fn = call.get("function")
        if not isinstance(fn, dict):
            out.append((f"{at}.function", "must be an object with 'name' and 'arguments'"))
            continue
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            out.append((f"{at}.function.name", "must be a non-empty string"))
        args = fn.get("arguments")
        if not isinstance(args, str):
            out.append((f"{at}.function.arguments", "must be a string holding a JSON object"))
            continue
        try:
            parsed = json.loads(args)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            out.append((f"{at}.function.arguments", "is not a JSON object"))


def _check_tools(tools: object, out: list[Problem]) -> None:
    if not isinstance(tools, list):
        out.append(("tools", "must be a list"))
        return
    for k, tool in enumerate(tools):
        at = f"tools[{k}]"
        if not isinstance(tool, dict) or tool.get("type") != "function":
            out.append((at, 'must be {"type": "function", "function": {...}}'))
            continue
        fn = tool.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            out.append((f"{at}.function.name", "must be a non-empty string"))
        elif "parameters" in fn and not isinstance(fn["parameters"], dict):
            out.append((f"{at}.function.parameters", "must be a JSON schema object"))


# -- Gemini / Vertex ------------------------------------------------------------------------


def _check_gemini(record: dict[str, Any], out: list[Problem]) -> None:
    for key in record:
        if key not in _GEMINI_TOP:
            out.append(("", _unknown(key, _GEMINI_TOP, _OPENAI_TOP, "an OpenAI field")))
    contents = record.get("contents")
    if not isinstance(contents, list) or not contents:
        out.append(("contents", "must be a non-empty list of turns"))
        return
    model_turns = 0
    for i, turn in enumerate(contents):
        where = f"contents[{i}]"
        if not isinstance(turn, dict):
            out.append((where, "must be an object with 'role' and 'parts'"))
            continue
        role = turn.get("role")
        if role not in ("user", "model"):
            out.append((f"{where}.role", _role_hint(role, "'user' or 'model'")))
        model_turns += role == "model"
        if set(turn) - {"role", "parts"}:
            out.append((where, "has fields other than 'role' and 'parts'"))
        _check_parts(turn.get("parts"), f"{where}.parts", out, text_only=False)
    if model_turns == 0:
        out.append(("contents", "needs at least one model turn to learn from"))
    system = record.get("systemInstruction", record.get("system_instruction"))
    if system is not None:
        name = "systemInstruction" if "systemInstruction" in record else "system_instruction"
        if not isinstance(system, dict) or set(system) - {"role", "parts"}:
            out.append((name, "must be an object with 'parts' (and optionally 'role')"))
        else:
            _check_parts(system.get("parts"), f"{name}.parts", out, text_only=True)
    if "tools" in record and not isinstance(record["tools"], list):
        out.append(("tools", "must be a list"))


def _check_parts(parts: object, where: str, out: list[Problem], *, text_only: bool) -> None:
    if not isinstance(parts, list) or not parts:
        out.append((where, "must be a non-empty list of parts"))
        return
    for j, part in enumerate(parts):
        at = f"{where}[{j}]"
        if not isinstance(part, dict) or len(part) != 1:
            out.append((at, "must be an object with exactly one of 'text', 'functionCall', "
                            "'functionResponse'"))  # fmt: skip
            continue
        (key,) = part
        kind = _PART_KINDS.get(key)
        if key in ("inlineData", "inline_data", "fileData", "file_data"):
            out.append((at, _IMAGES.replace("images", "inline and file data")))
        elif kind is None or (text_only and kind != "text"):
            out.append((at, _unknown(key, _PART_KINDS, frozenset(), "").replace("field", "part")))
        elif kind == "text":
            if not isinstance(part[key], str):
                out.append((f"{at}.text", "must be a string"))
        else:
            body = part[key]
            inner = "args" if kind == "functionCall" else "response"
            if not isinstance(body, dict) or not isinstance(body.get("name"), str):
                out.append((f"{at}.{key}", f"must be an object with 'name' and '{inner}'"))
            elif inner in body and not isinstance(body[inner], dict):
                out.append((f"{at}.{key}.{inner}", "must be a JSON object"))
            elif set(body) - {"name", inner, "id"}:
                out.append((f"{at}.{key}", f"has fields other than 'name' and '{inner}'"))


# -- the strings to redact ------------------------------------------------------------------


def slots(record: dict[str, Any], fmt: Format) -> Iterator[Slot]:
    """Every string of a *valid* line that may hold a value, and how to treat it.

    Roles and ``type`` are left out: validation pinned them to a few fixed words.

    >>> [(field, kind) for _, _, field, kind in slots(
    ...     {"messages": [{"role": "user", "content": "Hi"}]}, "openai")]
    [('messages[0].content', 'text')]
    """
    if fmt == "openai":
        yield from _openai_slots(record)
    else:
        yield from _gemini_slots(record)


def _openai_slots(record: dict[str, Any]) -> Iterator[Slot]:
    for i, msg in enumerate(record["messages"]):
        where = f"messages[{i}]"
        content = msg.get("content")
        if isinstance(content, str):
            yield msg, "content", f"{where}.content", "text"
        elif isinstance(content, list):
            for j, part in enumerate(content):
                yield part, "text", f"{where}.content[{j}].text", "text"
        if "name" in msg:
            yield msg, "name", f"{where}.name", "name"
        if "tool_call_id" in msg:
            yield msg, "tool_call_id", f"{where}.tool_call_id", "name"
        for k, call in enumerate(msg.get("tool_calls") or ()):
            at = f"{where}.tool_calls[{k}]"
            yield call, "id", f"{at}.id", "name"
            yield call["function"], "name", f"{at}.function.name", "name"
            yield call["function"], "arguments", f"{at}.function.arguments", "json"
    for k, tool in enumerate(record.get("tools") or ()):
        fn = tool["function"]
        yield fn, "name", f"tools[{k}].function.name", "name"
        yield from _schema_slots(fn, f"tools[{k}].function", skip=("name",))


def _gemini_slots(record: dict[str, Any]) -> Iterator[Slot]:
    for name in ("systemInstruction", "system_instruction"):
        if name in record:
            for j, part in enumerate(record[name]["parts"]):
                yield part, "text", f"{name}.parts[{j}].text", "text"
    for i, turn in enumerate(record["contents"]):
        for j, part in enumerate(turn["parts"]):
            at = f"contents[{i}].parts[{j}]"
            (key,) = part
            if key == "text":
                yield part, "text", f"{at}.text", "text"
                continue
            body = part[key]
            yield body, "name", f"{at}.{key}.name", "name"
            if "id" in body:
                yield body, "id", f"{at}.{key}.id", "name"
            inner = "args" if _PART_KINDS[key] == "functionCall" else "response"
            if inner in body:
                yield body, inner, f"{at}.{key}.{inner}", "data"
    if "tools" in record:
        yield from _schema_slots(record, "", skip=(), only="tools")


def _schema_slots(
    node: Any, where: str, *, skip: tuple[str, ...] = (), only: str = ""
) -> Iterator[Slot]:
    """Strings of a tool declaration: prose is redacted; keys, names, types stay as they are."""
    if isinstance(node, dict):
        for i, (key, value) in enumerate(node.items()):
            if key in skip or (only and key != only):
                continue
            at = key_path(where, key, i)
            yield None, key, key_path(where, None, i), "fixed"
            if key == "name" and isinstance(value, str):
                yield node, key, at, "name"
            elif key in _SCHEMA_PROSE and isinstance(value, str):
                yield node, key, at, "text"
            elif key in _SCHEMA_PROSE:
                yield node, key, at, "data"
            else:
                yield from _schema_slots(value, at)
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _schema_slots(value, f"{where}[{k}]")
    elif isinstance(node, str):
        # A type, a format or a property name that ``required`` refers to: cannot change.
        yield None, node, where, "fixed"
