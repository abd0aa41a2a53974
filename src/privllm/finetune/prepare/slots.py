"""The strings of a valid fine-tuning line that may hold values, and how to treat each.

:func:`slots` walks a line that :func:`~privllm.finetune.prepare.formats.check_line` found valid
and names every string in it, with its field path (:func:`key_path` keeps data out of
paths) and its kind; ``finetune.prepare.lines`` redacts them in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from privllm.finetune.prepare.formats import Format

__all__ = ["PART_KINDS", "Slot", "SlotKind", "key_path", "slots"]

#: Where a string lives and how to treat it: ``text`` is redacted in place, ``name`` (ids and
#: function names, which providers restrict to ``[A-Za-z0-9_-]``) gets a bare placeholder,
#: ``data`` is a JSON value whose string leaves and keys are redacted, ``json`` is a string
#: holding such a value, and ``fixed`` (schema keys, types) cannot change: a finding there is an
#: error. A ``fixed`` slot's container is ``None`` and its key is the string itself.
SlotKind = Literal["text", "name", "data", "json", "fixed"]
#: ``(container, key, field, kind)``: ``container[key]`` holds the value.
Slot = tuple[Any, Any, str, SlotKind]

#: A Gemini part's key -> its kind (protobuf JSON's snake_case spellings included).
PART_KINDS = {
    "text": "text",
    "functionCall": "functionCall",
    "function_call": "functionCall",
    "functionResponse": "functionResponse",
    "function_response": "functionResponse",
}

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
            inner = "args" if PART_KINDS[key] == "functionCall" else "response"
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
