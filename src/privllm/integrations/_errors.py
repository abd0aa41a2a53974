"""What the drop-ins share to raise privllm's errors as an SDK's classes (``privllm.openai``
and ``privllm.genai`` each keep a table of their own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

__all__ = ["most_specific"]

_V = TypeVar("_V")


def most_specific(exc: BaseException, table: Mapping[type, _V]) -> _V | None:
    """The entry of ``table`` for the most specific of ``exc``'s classes (along its MRO).

    >>> most_specific(KeyError(), {LookupError: "lookup", Exception: "any"})
    'lookup'
    """
    for cls in type(exc).__mro__:
        found = table.get(cls)
        if found is not None:
            return found
    return None
