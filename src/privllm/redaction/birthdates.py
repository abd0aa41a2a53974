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
from collections.abc import Iterator

from privllm.redaction.findings import Finding

__all__ = ["DateOfBirthDetector"]

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
