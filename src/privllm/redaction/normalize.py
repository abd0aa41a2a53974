"""A normalised view of a text for the detectors, with offsets that map back to the original.

People paste values from Word, PDFs, spreadsheets and CJK keyboards: ``4852 6228 9015 8001``
with no-break or thin spaces, ``536-22-1847`` with en dashes, ``jane@acme.com`` in
fullwidth forms, Arabic-Indic digits, a zero-width space or a soft hyphen inside a number.
The detectors are written for the ASCII forms; the view gives them those, and each finding
is mapped back so the placeholder replaces the original characters, whatever they were.

In the view:
- every Unicode space separator (NBSP, U+202F, thin, figure, ideographic...) is a space;
- hyphens, en and em dashes, minus signs are ``-``; fullwidth ASCII forms are ASCII;
- every Unicode decimal digit is its ASCII digit;
- zero-width characters, word joiners, BOMs and soft hyphens are removed;
- a run of spaces between two digits is one space. Tabs stay: in a pasted spreadsheet row
  they separate cells, and the detectors that take tab-grouped values (cards, IBANs) say so.

>>> view = NormalizedView.of("SSN\u00a0536\u201322\u20131847, card 4852\u200b6228  9015 8001")
>>> view.text
'SSN 536-22-1847, card 48526228 9015 8001'
>>> view.span(22, 40)  # the card, with its zero-width space and double space
(22, 42)
>>> NormalizedView.of("plain ASCII text") is None
True
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

__all__ = ["NormalizedView"]

_SPACES = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# What changes the length (in the view, where every digit is ASCII already): a run of spaces
# and invisible characters between two digits that is not one plain space (group 1, after
# the digit that leads the match: a pattern led by a class is scanned fast, one led by a
# lookbehind is not); invisible characters anywhere else.
_EDITS = re.compile(f"[0-9]( *[{_INVISIBLE}][ {_INVISIBLE}]*| {{2,}})(?=[0-9])|[{_INVISIBLE}]+")
# Whether there can be a space run to edit at all.
_SPACE_RUN = re.compile(r"[0-9] {2,}[0-9]")


@functools.cache
def _one_to_one() -> dict[int, str]:
    """Single-character replacements: the view keeps every offset where only these apply."""
    table: dict[int, str] = {}
    for code in range(0x80, 0x20000):
        d = unicodedata.decimal(chr(code), None)
        if d is not None:
            table[code] = str(d)
    for code in range(0xFF01, 0xFF5F):  # fullwidth ASCII
        table[code] = chr(code - 0xFF01 + 0x21)
    table.update({ord(c): " " for c in _SPACES})
    table.update({ord(c): "-" for c in _DASHES})
    return table


@functools.cache
def _special() -> re.Pattern[str]:
    """Runs of characters the view may change: the table's and the invisible ones in the
    Basic Multilingual Plane, and any character beyond it (where a few scripts' digits are).

    Searching for these first is several times faster than ``str.translate`` over the whole
    text, and most non-ASCII text (accents, other scripts' letters) has none of them: the
    egress guard reads every request body through this view. The characters beyond the BMP
    are one range, as a class listing them one by one is matched one by one."""
    bmp = sorted({chr(code) for code in _one_to_one() if code <= 0xFFFF} | set(_INVISIBLE))
    return re.compile("[" + "".join(re.escape(c) for c in bmp) + "\U00010000-\U0010ffff]+")


@functools.cache
def _has_special() -> re.Pattern[str]:
    """One character of ``_special()``: whether a text has any. About 5x faster to search
    than the pattern of runs (70 -> 13 us on a 4 KB non-ASCII text), as ``re`` skips ahead
    to a lone class but tries the repeat at every position; most non-ASCII text has none."""
    return re.compile(_special().pattern.removesuffix("+"))


def _translate_run(m: re.Match[str]) -> str:
    return m[0].translate(_one_to_one())


class NormalizedView:
    """``text``, the normalised string, and ``span()`` to map its offsets to the original."""

    __slots__ = ("_marks", "_shifts", "text")

    def __init__(self, text: str, marks: list[int], shifts: list[int]) -> None:
        self.text = text
        self._marks = marks  # view offsets from which...
        self._shifts = shifts  # ...this many more original characters lie before

    @classmethod
    def of(cls, original: str) -> NormalizedView | None:
        """The view of ``original``, or ``None`` when it would be ``original`` itself."""
        text = original
        invisible = False
        if not original.isascii() and _has_special().search(original) is not None:
            text = _special().sub(_translate_run, original)  # unchanged if only emoji matched
            invisible = any(c in text for c in _INVISIBLE)
        runs = "  " in text and _SPACE_RUN.search(text) is not None
        if not invisible and not runs:
            # One-to-one replacements at most: no offset moves.
            return None if text == original else cls(text, [], [])
        pieces: list[str] = []
        marks: list[int] = []
        shifts: list[int] = []
        removed = last = 0
        for m in _EDITS.finditer(text):
            start, end = m.span(1) if m.lastindex else m.span()
            run = text[start:end]
            keep = " " if " " in run else ""
            pieces.append(text[last:start])
            pieces.append(keep)
            # From just after what is kept, the view is this much shorter than the original.
            marks.append(start - removed + len(keep))
            removed += end - start - len(keep)
            shifts.append(removed)
            last = end
        if not marks:
            return None if text == original else cls(text, [], [])
        pieces.append(text[last:])
        return cls("".join(pieces), marks, shifts)

    def offset(self, i: int) -> int:
        """The original offset of the view's character ``i``."""
        k = bisect.bisect_right(self._marks, i)
        return i + (self._shifts[k - 1] if k else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's ``[start, end)`` (``end > start``)."""
        return self.offset(start), self.offset(end - 1) + 1
