"""A stand-in model for the OpenAI wire server (``OpenAIServer(responder=standin)``).

Third-party suites (LangChain's standard tests) and agent loops make calls a test cannot
script in advance. This answers each the way a capable model would, from the request alone:

- a ``json_schema`` response format: a JSON object matching the schema;
- ``json_object`` mode: an object with the keys the prompt names in quotes ('setup');
- tools, and the last message is the user's: a call of the tool forced by ``tool_choice``,
  else of the one the prompt names, else of the first, with arguments drawn from the prompt
  (a quoted text for strings, the first number for numbers);
- otherwise: an echo of the last user message.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from privllm.testing import RecordedRequest, Reply

_calls = itertools.count(1)


def standin(request: RecordedRequest) -> Reply:
    body = request.json()
    messages = body.get("messages") or [{}]
    asked = _last_user_text(messages)
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format["json_schema"].get("schema") or {}
        return Reply.text(json.dumps(fill(schema, asked, schema), ensure_ascii=False))
    if response_format.get("type") == "json_object":
        keys = re.findall(r"'(\w+)'", asked) or ["answer"]
        return Reply.text(json.dumps({key: asked for key in keys}))
    tools = [t["function"] for t in body.get("tools") or []]
    choice = body.get("tool_choice")
    if tools and messages[-1].get("role") == "user" and choice != "none":
        tool = _pick(tools, choice, asked)
        schema = tool.get("parameters") or {}
        args = fill(schema, asked, schema)
        return Reply.tool_call(tool["name"], args, call_id=f"call_{next(_calls)}")
    return Reply.echo()


def fill(schema: dict[str, Any], asked: str, root: dict[str, Any]) -> Any:
    """A value matching ``schema``, drawn from the prompt where it can be."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return fill((root.get("$defs") or root.get("definitions") or {})[name], asked, root)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return fill(options[0], asked, root)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: fill(sub, asked, root) for name, sub in properties.items()}
    if kind == "array":
        return [fill(schema.get("items") or {"type": "string"}, asked, root)]
    if kind in ("integer", "number"):
        found = re.search(r"-?\d+", asked)
        return int(found.group()) if found else 1
    if kind == "boolean":
        return True
    quoted = re.search(r"'([^']+)'", asked)
    return quoted.group(1) if quoted else asked or "text"


def _pick(tools: list[dict[str, Any]], choice: Any, asked: str) -> dict[str, Any]:
    if isinstance(choice, dict):
        return next(t for t in tools if t["name"] == choice["function"]["name"])
    named = [t for t in tools if t["name"] in asked]
    return named[0] if named else tools[0]


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""
