"""Street addresses in US, UK, German and French forms, and under an address key.

A house number and a street type word are the evidence: ``1600 Pennsylvania Ave NW``,
``10 Downing Street, London SW1A 2AA``, ``Hauptstraße 12, 10115 Berlin``,
``12 bis rue de la Paix, 75002 Paris``. The town and postcode that follow are taken with the
street. Under a key (``address: ...``, ``Anschrift: ...``, a CSV ``street`` column) the whole
value is the address, whatever its form, if it holds a number. A city alone is never one.

    >>> [f.value for f in StreetAddressDetector().find("Ship to 742 Evergreen Terrace now")]
    ['742 Evergreen Terrace']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privllm.redaction.findings import Finding
from privllm.redaction.name_cues import ADDRESS_KEYS, key_words

__all__ = ["StreetAddressDetector"]

_CAP = r"[A-ZÀ-ÖØ-Þ]"
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    r"|Terrace|Ter|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Trl|Loop|Alley|Plaza"
    r"|Close|Crescent|Cres|Gardens|Grove|Mews|Row|Hill|Walk|Green|Park|Rise|Vale|View|Wharf"
    r"|Broadway|Pike|Turnpike|Expressway|Freeway"
)
_TOWN = rf"{_CAP}[a-zà-öø-ÿ'.-]+"
_UNIT = r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|#)\.?[ \t]*#?[\w-]+)?"
_US_TAIL = (
    rf"(?:,[ \t]*{_TOWN}(?:[ \t]+{_TOWN}){{0,2}}"  # town
    r"(?:,?[ \t]+(?:[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?|[A-Z]{2}\b"  # state and ZIP
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}))?)?"  # or a UK postcode
)
# 1600 Pennsylvania Ave NW, Washington, DC 20500 / 221B Baker Street, London NW1 6XE
_NUMBER_FIRST = re.compile(
    rf"\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?[ \t]+(?:[NSEW]\.?[ \t]+)?"
    rf"(?:(?:{_CAP}[\w'.-]*|\d{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,4}}"
    rf"(?:{_STREET_TYPES})\b\.?(?:[ \t]+[NS][EW]\b)?"
    rf"{_UNIT}{_US_TAIL}"
)
# Hauptstraße 12, Berliner Str. 5a, Am Markt 3 -> 10115 Berlin. Found from the number: the
# street name before it is matched on a short window ending at the number.
_DE_TYPES = r"straße|strasse|str\.|gasse|weg|platz|allee|ring|damm|ufer|chaussee|steig|pfad|markt"
_DE_WORDS = r"Straße|Strasse|Str\.|Gasse|Weg|Platz|Allee|Ring|Damm|Ufer|Markt|Chaussee"
_DE_HINT = re.compile(r"str|gasse|weg|platz|allee|ring|damm|ufer|chaussee|steig|pfad|markt")
_GERMAN_STREET = re.compile(
    rf"(?:{_CAP}[\w.-]*[ \t]+)?(?:{_CAP}[\w-]*?(?:{_DE_TYPES})|{_DE_WORDS})"
    rf"(?:[ \t]+{_CAP}[\w-]*)?[ \t]+$"
)
_GERMAN_NUMBER = re.compile(
    r"\d{1,4}[ \t]?[a-z]?\b"
    rf"(?:,?[ \t]+(?:D-)?\d{{5}}[ \t]+{_CAP}[\w-]*(?:[ \t]+(?:am|an|im|a\.)[ \t]+{_CAP}[\w-]*)?)?",
)
# 12 bis rue de la Paix, 75002 Paris
_FR_TYPES = (
    r"rue|avenue|av\.|boulevard|bd|place|allée|allee|impasse|chemin|quai|route|cours|square"
    r"|passage|voie|faubourg|rond-point|résidence|lotissement|cité|villa|sentier"
)
_FRENCH = re.compile(
    r"\d{1,4}(?:[ \t]?(?:bis|ter|quater|[a-dA-D])\b)?,?[ \t]+"
    rf"(?:{_FR_TYPES})[ \t]+(?:(?:de[ \t]+la|de[ \t]+l'|des|du|de|d'|la|le|les)[ \t]*)?"
    rf"{_CAP}[\w'-]*(?:[ \t]+(?:de|du|des|la|le|et|{_CAP}[\w'-]*)){{0,4}}"
    rf"(?:,?[ \t]+\d{{2}}[ \t]?\d{{3}}[ \t]+{_CAP}[\w'-]*(?:[ \t-]+{_CAP}[\w'-]*)*)?"
)
# ASCII digits: scan() has already mapped other scripts' digits, and re tests [0-9] faster.
# A number that may lead a street (not inside a word or a longer number: the lookbehind
# after the first digit keeps re's fast skip to digits), or a short one after a word, which
# may end a German street.
_CANDIDATE = re.compile(
    r"[0-9](?:(?<![^\W_][0-9])(?P<lead>[0-9]{0,5}(?:[A-Za-z]|-\d{1,4})?"
    r"(?:[ \t]?(?:bis|ter|quater)\b)?,?[ \t]+(?:[NSEW]\.?[ \t]+)?[A-ZÀ-ÖØ-Þrabpicqsvfl])"
    r"|(?:(?<=[^\W\d_] [0-9])|(?<=\. [0-9]))[0-9]{0,3}(?![0-9]))"
)
_PO_BOX = re.compile(r"(?:P\.?[ \t]?O\.?[ \t]?Box|Postfach|Boîte postale|BP)[ \t]+\d{1,6}")


class StreetAddressDetector:
    """STREET_ADDRESS from a house number and a street type word, or under an address key."""

    types = frozenset({"STREET_ADDRESS"})

    def find(self, text: str) -> Iterator[Finding]:
        # Every form holds a house number: one pass over the numbers serves them all. A
        # number followed by a word (capitalised, or a French street type) may lead a
        # street; a short one after a word may end a German one.
        for m in _CANDIDATE.finditer(text):
            start = m.start()
            if m.group("lead") is not None:
                found = self._number_first(text, start)
                if found is not None:
                    yield found
                    continue
                # Not a street it leads: it may still end a German one ("Am Markt 3 Berlin").
                prior = text[start - 2 : start]
                if len(prior) < 2 or prior[1] != " " or not (prior[0].isalpha() or prior[0] == "."):
                    continue
                head = text[start : start + 5]
                if len(head) == 5 and head.isdigit():
                    continue  # five digits or more: a postcode, an order number
            german = self._german(text, start)
            if german is not None:
                yield german
        if "Box" in text or "Postfach" in text or "BP" in text or "postale" in text:
            for m in _PO_BOX.finditer(text):
                yield Finding(m.start(), m.end(), "STREET_ADDRESS", m.group())
        yield from self._keyed(text)

    @staticmethod
    def _number_first(text: str, start: int) -> Finding | None:
        for pattern in (_NUMBER_FIRST, _FRENCH):
            m = pattern.match(text, start)
            if m is not None:
                value = m.group().rstrip(" ,.")
                if pattern is _NUMBER_FIRST and _times_or_counts(value):
                    return None
                return Finding(start, start + len(value), "STREET_ADDRESS", value)
        return None

    @staticmethod
    def _german(text: str, number: int) -> Finding | None:
        if number < 4 or text[number - 1] not in " \t":
            return None
        near = text[max(0, number - 16) : number].lower()
        if _DE_HINT.search(near) is None:
            return None
        street = _GERMAN_STREET.search(text, max(0, number - 60), number)
        tail = _GERMAN_NUMBER.match(text, number)
        if street is None or tail is None:
            return None
        start = street.start()
        if start and text[start - 1].isalnum():
            start = _word_start(text, start)
        value = text[start : tail.end()].rstrip(" ,.")
        return Finding(start, start + len(value), "STREET_ADDRESS", value)

    def _keyed(self, text: str) -> Iterator[Finding]:
        # From each colon, the label before it: a text has few colons, and most follow no
        # address key (times, URLs); the hint test on a short window settles those in C.
        colons = []
        i = text.find(":")
        while i >= 0:
            window = text[max(0, i - 32) : i].lower()
            if any(hint in window for hint in _KEY_HINTS):
                colons.append(i)
            i = text.find(":", i + 1)
        for i in colons:
            j = i
            while j > 0 and text[j - 1] in " \t\"'":
                j -= 1
            k = j
            while k > 0 and j - k < 30 and (text[k - 1].isalnum() or text[k - 1] in " _-"):
                k -= 1
            words = key_words(text[k:j]).split("_")
            if "_".join(words[-2:]) not in ADDRESS_KEYS and words[-1] not in ADDRESS_KEYS:
                continue
            s = i + 1
            while s < len(text) and text[s] in " \t\"'":
                s += 1
            e = s
            while e < len(text) and text[e] not in '\n\r"|;' and e - s < 160:
                e += 1
            value = text[s:e].rstrip(" ,.'")
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                yield Finding(s, s + len(value), "STREET_ADDRESS", value)


# Every ADDRESS_KEYS entry holds one of these.
_KEY_HINTS = ("addr", "adress", "street", "stra", "anschrift", "residence", "domicile")
_COUNTED = re.compile(r"\d+[ \t]+(?:Days?|Weeks?|Months?|Years?|Hours?|Minutes?|Steps?|Ways?)\b")


def _word_start(text: str, i: int) -> int:
    while i and text[i - 1].isalnum():
        i -= 1
    return i


def _times_or_counts(value: str) -> bool:
    """``3 Ways to Park``, ``5 Steps Forward``: a count before capitalised words, not a house."""
    return _COUNTED.match(value) is not None
