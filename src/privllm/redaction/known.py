"""Known values found again in later texts: a vault's (as whole tokens) and a client's
restored ones (as substrings, whatever is glued to them).

Both grow one value at a time, over a long conversation or a fine-tuning file of many
thousands of distinct values, so adding a value must cost the same whatever the size:

- ``WholeValues`` (a vault's values) is indexed by each value's first word. Adding a value
  is a dict entry or two, never a rebuild. A text is searched by reading its words once
  (``re.findall``, in C) and looking only where the first word of some value stands.
- ``KnownValues`` (substrings) keeps Aho-Corasick automatons, built when a text is searched,
  not when a value is added: a file prepared without searches builds none.

>>> index = WholeValues()
>>> index.add("EMAIL", "ann@example.com")
>>> index.candidates("Mail ann@example.com today.")
[(5, -20, 'EMAIL')]
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["KnownValues", "WholeValues", "is_word"]

_WORD = re.compile(r"\w+")  # \w is exactly "isalnum() or _", as the vault's whole-token test
_SPAN = 1 << 32  # a shape is offset * _SPAN + length: one int, not a tuple, per value


class WholeValues:
    """Values found where they stand as whole tokens, indexed by their first word.

    A value that is a whole token in a text has its first word (its first run of word
    characters) as a whole word of that text, at a fixed offset from the value's start. So
    the index maps a first word to the shapes (offset, length) of the values that begin with
    it, and a text is checked only where such a word stands: one slice and one dict lookup
    per shape. Memory per value: its entry in two dicts; the strings are the vault's own.

    ``candidates`` may also return occurrences that are not whole tokens (the caller checks);
    it never misses one that is.
    """

    __slots__ = ("_bare", "_kinds", "_shapes")

    def __init__(self) -> None:
        self._kinds: dict[str, str | tuple[str, ...]] = {}  # value -> its type(s)
        self._shapes: dict[str, int | set[int]] = {}  # first word -> shape(s)
        self._bare: list[str] = []  # values without a word character: found with str.find

    def __len__(self) -> int:
        return len(self._kinds)

    def add(self, kind: str, value: str) -> None:
        if not value:
            return
        kinds = self._kinds.get(value)
        if kinds is not None:
            if kind != kinds and not (isinstance(kinds, tuple) and kind in kinds):
                self._kinds[value] = (*((kinds,) if isinstance(kinds, str) else kinds), kind)
            return  # its shape is indexed already
        self._kinds[value] = kind
        m = _WORD.search(value)
        if m is None:
            self._bare.append(value)
            return
        shape = m.start() * _SPAN + len(value)
        word = m.group()
        have = self._shapes.get(word)
        if have is None:
            self._shapes[word] = shape
        elif isinstance(have, int):
            if have != shape:
                self._shapes[word] = {have, shape}
        else:
            have.add(shape)

    def candidates(self, text: str) -> list[tuple[int, int, str]]:
        """(start, -end, type) of occurrences: every one that is a whole token, maybe more."""
        out: list[tuple[int, int, str]] = []
        if len(self._kinds) <= _FEW:
            # A few values: one str.find each beats reading the text's words.
            for value, kinds in self._kinds.items():
                i = text.find(value)
                while i >= 0:
                    _emit(out, i, i + len(value), kinds)
                    i = text.find(value, i + 1)
            return out
        for value in self._bare:
            i = text.find(value)
            while i >= 0:
                _emit(out, i, i + len(value), self._kinds[value])
                i = text.find(value, i + 1)
        shapes, values, n = self._shapes, self._kinds, len(text)
        for word in filter(shapes.__contains__, set(_WORD.findall(text))):
            have = shapes[word]
            forms = (have,) if isinstance(have, int) else have
            size = len(word)
            i = text.find(word)
            while i >= 0:
                j = i + size
                if (i == 0 or not is_word(text[i - 1])) and (j == n or not is_word(text[j])):
                    for shape in forms:
                        offset, length = divmod(shape, _SPAN)
                        start = i - offset
                        # Within the text: a slice cut short by its end could be another
                        # (shorter) known value, reported with this shape's longer span.
                        if start >= 0 and start + length <= n:
                            found = values.get(text[start : start + length])
                            if found is not None:
                                _emit(out, start, start + length, found)
                    i = text.find(word, j + 1)  # a whole word is followed by a non-word
                else:
                    i = text.find(word, i + 1)
        return out


def _emit(
    out: list[tuple[int, int, str]], start: int, end: int, kinds: str | tuple[str, ...]
) -> None:
    if isinstance(kinds, str):
        out.append((start, -end, kinds))
    else:
        out.extend((start, -end, kind) for kind in kinds)


def is_word(ch: str) -> bool:
    """A word character, as ``\\w`` reads one: alphanumeric or ``_``."""
    return ch.isalnum() or ch == "_"


class KnownValues:
    """Values found as substrings of a text, overlapping ones included.

    Values added wait in a list; when a text is searched and ``_BATCH`` or more wait, they
    become one Aho-Corasick automaton, merged with the last one while that is no larger
    (sizes double, as in a binary counter), and fewer are searched with ``str.find``. Built
    only when searched: adding costs nothing more, and ``built`` (values put into automatons
    so far) is at most about n log n for n values however searches and additions interleave.
    """

    __slots__ = ("_levels", "_recent", "built")

    def __init__(self) -> None:
        self._levels: list[tuple[Any, list[tuple[str, str]]]] = []  # (automaton, its values)
        self._recent: list[tuple[str, str]] = []  # (kind, value)
        self.built = 0

    def __len__(self) -> int:
        return len(self._recent) + sum(len(items) for _, items in self._levels)

    def add(self, kind: str, value: str) -> None:
        self._recent.append((kind, value))

    def candidates(self, text: str) -> list[tuple[int, int, str]]:
        """(start, -end, kind) of every occurrence, overlapping ones included."""
        if len(self._recent) >= _BATCH:
            self._settle()
        out: list[tuple[int, int, str]] = []
        for automaton, _ in self._levels:
            for last, (length, kind) in automaton.iter(text):
                out.append((last - length + 1, -(last + 1), kind))
        for kind, value in self._recent:
            i = text.find(value)
            while i >= 0:
                out.append((i, -(i + len(value)), kind))
                i = text.find(value, i + 1)
        return out

    def _settle(self) -> None:
        items, self._recent = self._recent, []
        while self._levels and len(self._levels[-1][1]) <= len(items):
            items = self._levels.pop()[1] + items
        self.built += len(items)
        self._levels.append((_automaton(items), items))


def _automaton(items: list[tuple[str, str]]) -> Any:
    import ahocorasick  # the C extension is loaded only when many values are searched

    automaton = ahocorasick.Automaton()
    for kind, value in items:
        automaton.add_word(value, (len(value), kind))
    automaton.make_automaton()
    return automaton


# Values searched with str.find before they go into an automaton (or, for WholeValues,
# up to how many values str.find is used at all).
_BATCH = 24
_FEW = 24
