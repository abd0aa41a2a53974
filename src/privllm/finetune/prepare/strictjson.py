"""JSON as privllm reads a training line: one value per key, no NaN, bounded nesting.

``json.loads`` keeps the *last* value of a repeated key; another parser (the provider's) may
keep the first. A line with a repeated key would then be checked and redacted as one thing
and trained on as another, so :func:`loads` refuses it, as it refuses ``NaN`` and a line
nested so deeply that parsing it would exhaust the stack. Every refusal is a
:class:`BadJSON` whose ``reason`` names no content.

    >>> loads('{"a": "x", "b": [1, {"c": null}]}')
    {'a': 'x', 'b': [1, {'c': None}]}
    >>> try:
    ...     loads('{"content": "ann@acme.com", "content": "hi"}')
    ... except BadJSON as exc:
    ...     print(exc.reason)
    duplicate key (a parser may read either value)
    >>> too_deep(loads("[[[1]]]"), 2), too_deep(loads("[[[1]]]"), 3)
    (True, False)
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "BadJSON", "loads", "too_deep"]

#: Deepest nesting of arrays and objects a training line may have (tool schemas and
#: arguments included); far beyond real data, far below Python's recursion limit.
MAX_DEPTH = 100
DEEP = f"nested more than {MAX_DEPTH} levels deep"
DUPLICATE = "duplicate key (a parser may read either value)"


class BadJSON(ValueError):
    """Text that is not JSON as privllm accepts it; ``reason`` never quotes the text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def loads(text: str) -> Any:
    """``json.loads``, refusing repeated keys, ``NaN``/``Infinity`` and runaway nesting."""
    try:
        return json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise BadJSON(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise BadJSON(DEEP) from None


def too_deep(node: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in ``node`` nest more than ``limit`` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise BadJSON(DUPLICATE)
    return out


def _no_constants(name: str) -> Any:
    raise BadJSON("not valid JSON (NaN and Infinity are not JSON)")
