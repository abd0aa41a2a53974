"""Values privllm has put back into answers, so a replayed answer never sends them in clear.

An answer restored into the app's copy may glue a value to a letter or digit the model
wrote next to its placeholder (``[CREDIT_CARD_1]9``, ``[PERSON_1]s``). When the app sends
that answer back in a later request, as a ``Conversation`` or a plain history list, neither
the detectors (the glued form no longer has a value's shape) nor a whole-word match find it.
Each client keeps the values it restored here, and every later request it sends is searched
for them, as substrings: whatever is glued to them.

>>> memory = RestoredValues()
>>> memory.add([("CREDIT_CARD", "4111 1111 1111 1111")])
>>> memory.candidates("on file: 4111 1111 1111 11119.")
[(9, -28, 'CREDIT_CARD')]
>>> memory
RestoredValues(1 values)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from privllm.redaction.known import KnownValues

__all__ = ["MIN_LENGTH", "RestoredValues"]

#: Shorter values are matched as whole words only: a two-letter name found anywhere would
#: redact every word that holds those letters for the rest of the client's life.
MIN_LENGTH = 3


class RestoredValues:
    """The values a client restored, searchable as substrings. Thread-safe; never logged.

    Held on the client instance (never module state), in memory only. At most ``limit``
    values: past it, the older half is forgotten (docs/redaction.md, known limits).
    """

    __slots__ = ("_index", "_limit", "_lock", "_values")

    def __init__(self, limit: int = 65_536) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], None] = {}  # insertion order = age
        self._index = KnownValues()

    def __repr__(self) -> str:
        return f"RestoredValues({len(self._values)} values)"

    def __len__(self) -> int:
        return len(self._values)

    def add(self, items: Iterable[tuple[str, str]]) -> None:
        """Remember ``(type, value)`` pairs; values already known are skipped."""
        with self._lock:
            for item in items:
                if item in self._values or len(item[1]) < MIN_LENGTH:
                    continue
                self._values[item] = None
                self._index.add(*item)
            if len(self._values) > self._limit:
                self._forget_older_half()

    def candidates(self, text: str) -> list[tuple[int, int, str]]:
        """(start, -end, type) of every occurrence in ``text``, overlapping ones included."""
        if not self._values:
            return []
        with self._lock:
            return self._index.candidates(text)

    def _forget_older_half(self) -> None:
        keep = list(self._values)[len(self._values) // 2 :]
        self._values = dict.fromkeys(keep)
        self._index = KnownValues()
        for kind, value in keep:
            self._index.add(kind, value)
