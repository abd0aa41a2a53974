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

The strings a valid line holds, and how each is redacted, are named in ``slots``
(:func:`slots`, :func:`key_path` and :data:`Slot` are importable from here too).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from privllm.finetune.prepare.slots import PART_KINDS, Slot, key_path, slots
from privllm.finetune.prepare.strictjson import DEEP, BadJSON, loads, too_deep

__all__ = ["FORMATS", "Format", "Slot", "check_line", "detect_format", "key_path", "slots"]

Format = Literal["openai", "gemini"]
FORMATS: tuple[Format, ...] = ("openai", "gemini")

Problem = tuple[str, str]
_KNOWN_ROLES = frozenset({"system", "user", "assistant", "tool", "model", "developer", "function"})
_OPENAI_TOP = frozenset({"messages", "tools", "parallel_tool_calls"})
_OPENAI_KEYS: Mapping[str, frozenset[str]] = {
    "system": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "tool_calls", "weight"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
}
_ALL_MESSAGE_KEYS = frozenset().union(*_OPENAI_KEYS.values())
_GEMINI_TOP = frozenset({"contents", "systemInstruction", "system_instruction", "tools"})
_IMAGES = "images cannot be checked for personal data; privllm prepares text-only datasets"


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
    elif too_deep(record):
        # Checked first: redacting walks the line recursively.
        out.append(("", DEEP))
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
            parsed = loads(args)
        except BadJSON as exc:
            if exc.reason.startswith("not valid JSON"):
                out.append((f"{at}.function.arguments", "is not a JSON object"))
            else:
                out.append((f"{at}.function.arguments", exc.reason))
            continue
        if not isinstance(parsed, dict):
            out.append((f"{at}.function.arguments", "is not a JSON object"))
        elif too_deep(parsed):
            out.append((f"{at}.function.arguments", DEEP))


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
        kind = PART_KINDS.get(key)
        if key in ("inlineData", "inline_data", "fileData", "file_data"):
            out.append((at, _IMAGES.replace("images", "inline and file data")))
        elif kind is None or (text_only and kind != "text"):
            out.append((at, _unknown(key, PART_KINDS, frozenset(), "").replace("field", "part")))
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
