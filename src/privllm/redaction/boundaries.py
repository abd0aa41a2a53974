"""Boundary checks the detectors run around a candidate: a word or digit character at ``i``?"""

from __future__ import annotations

__all__ = ["digit_at", "word_at"]


def word_at(text: str, i: int) -> bool:
    """True when ``text[i]`` exists and is a letter, digit or underscore."""
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def digit_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isdigit()
