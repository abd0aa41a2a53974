"""What a detector reports: a typed span of text. Shared by detectors, vault and policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Detector", "Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """``text[start:end] == value`` is a detected value of ``type`` (e.g. ``"EMAIL"``).

    ``repr`` hides the value so a finding can be logged or shown in an error safely.
    """

    start: int
    end: int
    type: str
    value: str
    score: float = 1.0

    def __repr__(self) -> str:
        return f"Finding({self.type}, {self.start}:{self.end}, score={self.score:g})"


@runtime_checkable
class Detector(Protocol):
    """Anything with ``find(text)`` yielding findings. ``types`` lists what it can report."""

    types: frozenset[str]

    def find(self, text: str) -> Iterable[Finding]: ...
