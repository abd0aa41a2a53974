"""Shannon entropy and token boundaries: what the SECRET detectors ask of a candidate value."""

from __future__ import annotations

import math

__all__ = ["TOKEN_CHARS", "shannon_entropy", "token_at"]

TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution.

    >>> round(shannon_entropy("changeme"), 2), round(shannon_entropy("q8Zt!x2Lm9"), 2)
    (2.75, 3.32)
    """
    n = len(value)
    if not n:
        return 0.0
    # H = log2(n) - sum(c * log2(c)) / n over the character counts c; str.count per distinct
    # character beats a Counter on the short strings this sees (keys, passwords).
    total = 0.0
    for ch in set(value):
        c = value.count(ch)
        total += _C_LOG_C[c] if c < 256 else c * math.log2(c)
    return math.log2(n) - total / n


_C_LOG_C = [0.0] + [c * math.log2(c) for c in range(1, 256)]


def token_at(text: str, i: int, extra: str = "") -> bool:
    """True when ``text[i]`` exists and could continue a key (``[A-Za-z0-9_-]`` or ``extra``)."""
    return 0 <= i < len(text) and (text[i] in TOKEN_CHARS or text[i] in extra)
