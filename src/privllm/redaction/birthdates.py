"""Dates of birth: a date in any common form, taken only after a birth cue.

Cues: born, DOB, date of birth, birthday, birth_date (a key or CSV header), geboren (am),
geb., Geburtsdatum, né(e) le, date de naissance. The date must follow within a few words on
the same line; a timestamp (``2024-03-07T10:00``, ``07.03.2024 14:30``) never counts, and a
date with no cue (an invoice date, a meeting) is left alone.

    >>> [f.value for f in DateOfBirthDetector().find("DOB: 07/03/1984, seen 2024-05-01")]
    ['07/03/1984']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from privllm.redaction.findings import Finding

__all__ = ["DateOfBirthDetector", "birth_date_like"]

# Birth cues, lower-case, found with str.find on the lowered text (a case-insensitive
# alternation would test every letter of every text). "birth" covers date_of_birth,
# dateOfBirth, birthdate, birthday; "geb" covers geboren, geb., Geburtsdatum, Geburtstag.
_CUES = ("born", "dob", "d.o.b", "birth", "geb", "né", "naissance")
_CUE_END = re.compile(r"[\w.]*")
_MONTHS = (
    r"jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|févr(?:ier)?|fevr(?:ier)?|mar(?:ch|s)?|märz|maerz"
    r"|apr(?:il)?|avr(?:il)?|may|mai|jun(?:e|i)?|juin|jul(?:y|i)?|juil(?:let)?|aug(?:ust)?"
    r"|août|aout|sep(?:t(?:ember|embre)?)?|oct(?:ober|obre)?|okt(?:ober)?|nov(?:ember|embre)?"
    r"|dec(?:ember)?|dez(?:ember)?|déc(?:embre)?"
)
_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{4}/\d{1,2}/\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th|er|\.)?[ \t]+(?:of[ \t]+)?(?:{_MONTHS})\.?,?[ \t]+\d{{4}}"
    rf"|(?:{_MONTHS})\.?[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}"
    rf"|\d{{1,2}}[ \t]*-[ \t]*(?:{_MONTHS})[ \t]*-[ \t]*\d{{2,4}}"
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])",  # 19840307
    re.IGNORECASE,
)
_WINDOW = 40  # characters between the cue and the date
_TIME_AFTER = re.compile(r"(?:T|[ \t]+)\d{1,2}:\d{2}")
_BREAKS = frozenset(";\n\r")
_LABEL_ABOVE = re.compile(r"[ \t]*:?[ \t]*\r?\n[ \t]*")


class DateOfBirthDetector:
    """DATE_OF_BIRTH: a date written after a birth cue, never a bare date or a timestamp."""

    types = frozenset({"DATE_OF_BIRTH"})

    def find(self, text: str) -> Iterator[Finding]:
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = text  # offsets must hold; cues then match as written (lower-case)
        cues = []
        for cue in _CUES:
            i = lowered.find(cue)
            while i >= 0:
                cues.append((i, cue))
                i = lowered.find(cue, i + len(cue))
        cues.sort()
        end_of_last = 0
        for start, cue in cues:
            if start < end_of_last:
                continue
            # "birth" may end a key (dateOfBirth, date_of_birth), the others start a word:
            # "Adobe" is not "dob", "Bern" not "né".
            if cue != "birth" and start and text[start - 1].isalpha():
                continue
            word_end = _CUE_END.match(text, start + len(cue)).end()  # type: ignore[union-attr]
            word = lowered[start:word_end].rstrip(".")
            if cue == "geb" and not word.startswith(("geb", "geburt")):
                continue
            if cue == "né" and word not in ("né", "née"):
                continue
            if cue in ("dob", "born") and word not in ("dob", "born"):
                continue
            stop = min(len(text), word_end + _WINDOW)
            date = _DATE.search(text, word_end, stop)
            if date is None:
                continue
            gap = text[word_end : date.start()]
            if _LABEL_ABOVE.fullmatch(gap) is None and (
                any(c in _BREAKS for c in gap) or ". " in gap
            ):
                continue  # a label on the line above its value ("Geburtsdatum\n14.06.1990")
            d0, d1 = date.span()
            if (d0 and text[d0 - 1].isalnum()) or (d1 < len(text) and text[d1].isalnum()):
                continue
            if _TIME_AFTER.match(text, d1):
                continue  # a timestamp: "born" of a record, not of a person
            end_of_last = d1
            yield Finding(d0, d1, "DATE_OF_BIRTH", text[d0:d1])


# Month names by language and form, for a stand-in written like the date it replaces.
_MONTH_NAMES = (
    "January February March April May June July August September October November December",
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
)
_MONTH_LISTS = tuple(tuple(names.split()) for names in _MONTH_NAMES)
_PARTS = re.compile(r"\d+|[^\W\d_]+")
_ORDINAL = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}


def birth_date_like(value: str, below: Callable[[int], int]) -> str:
    """A plausible date of birth written as ``value`` is: the same separators, widths, order
    and language of month names; ``below(n)`` draws a number in ``range(n)`` (seeded by the
    caller, so one value always gets one stand-in). A day or month whose place is not
    certain (``03/04/1985``) is drawn from 1-12, so the date holds in either reading.

    >>> from itertools import cycle
    >>> draws = cycle([41, 5, 8, 2]).__next__
    >>> birth_date_like("07.03.1984", lambda n: draws() % n)
    '03.06.1981'
    >>> birth_date_like("March 7th, 1984", lambda n: draws() % n)
    'June 9th, 1981'
    """
    year = 1940 + below(66)
    month, day = 1 + below(12), 1 + below(28)
    parts = list(_PARTS.finditer(value))
    numbers = [m.group() for m in parts if m.group().isdigit()]
    named = any(not m.group().isdigit() and _month_list(m.group()) for m in parts)
    if len(numbers) == 1 and len(numbers[0]) == 8 and not named:  # 19840307
        return f"{year:04d}{month:02d}{day:02d}"
    # Which number is the day: the one over 12, or the one beside a month name; else both
    # places stay at 12 or under.
    small = [n for n in numbers if len(n) < 4]
    year_first = bool(numbers) and len(numbers[0]) == 4  # 1984-03-07: then month, day
    sure = named or year_first or any(int(n) > 12 for n in small[:2])
    if not sure:
        day = 1 + below(12)
    out: list[str] = []
    pos = 0
    k = 0  # the place of a small number among them
    for m in parts:
        out.append(value[pos : m.start()])
        word = m.group()
        if word.isdigit() and len(word) == 4:
            out.append(f"{year:04d}")
        elif word.isdigit():
            out.append(_number(len(word), k, small, (year, month, day), named or year_first))
            k += 1
        else:
            out.append(_word(word, month, day))
        pos = m.end()
    out.append(value[pos:])
    return "".join(out)


def _number(width: int, k: int, small: list[str], date: tuple[int, int, int], named: bool) -> str:
    """The ``k``-th number under four digits of a date, redrawn: a day, a month or a year."""
    year, month, day = date
    if len(small) == 3 and k == 2:
        return f"{year % 100:0{width}d}"  # 07.03.84: a two-digit year last
    if named:  # beside a month name, or after the year: ``day`` is the only one to write
        return f"{(day if k == len(small) - 1 else month):0{width}d}"
    # The first small number is the day unless it cannot be one (03/14/1985).
    day_first = int(small[0]) > 12 or len(small) < 2 or int(small[1]) <= 12
    return f"{(day if (k == 0) == day_first else month):0{width}d}"


def _word(word: str, month: int, day: int) -> str:
    months = _month_list(word)
    if months is not None:
        name = months[month - 1]
        return name.upper() if word.isupper() else name if word[0].isupper() else name.lower()
    low = word.lower()
    if low in ("st", "nd", "rd", "th"):
        return _ORDINAL.get(day, "th")
    return "" if low == "er" and day != 1 else word  # "1er janvier", French


def _month_list(word: str) -> tuple[str, ...] | None:
    low = word.lower()
    for months in _MONTH_LISTS:
        if any(low == m.lower() for m in months):
            return months
    if len(low) >= 3 and any(m.lower().startswith(low) for m in _MONTH_LISTS[0]):
        return _MONTH_LISTS[1]  # "Sept": another abbreviation, in the common three letters
    return None
