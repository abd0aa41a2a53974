"""Everything an exception shows: its traceback (cause and context chain included), and
str/repr/args of every exception in that chain, plus the SDK attributes that carry text
(``body``, ``response``, ``details``). Tests assert no secret or raw value is in it."""

from __future__ import annotations

import traceback
from typing import Any


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception reachable through ``__cause__`` and ``__context__``."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__]
    return seen


def shown(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc))]
    for item in chain(exc):
        parts += [str(item), repr(item), repr(item.args), repr(vars(item))]
        response: Any = getattr(item, "response", None)
        if response is not None and hasattr(response, "text"):
            parts.append(response.text)
        for name in ("body", "details", "message"):
            parts.append(repr(getattr(item, name, None)))
    return "\n".join(parts)
