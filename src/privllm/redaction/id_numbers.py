"""Detectors for identity and account numbers: payment cards (Luhn), IBANs (mod-97), US SSNs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from privllm.redaction.boundaries import ascii_twin, digit_at, word_at
from privllm.redaction.findings import Finding

__all__ = [
    "CreditCardDetector",
    "IBANDetector",
    "USSSNDetector",
    "iban_ok",
    "luhn_ok",
    "ssn_ok",
]


# Issuer prefixes (as ranges over the leading digits) and the lengths each issuer uses.
_IIN: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("300", "305", frozenset(range(14, 20))),  # Diners Club
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("35", "35", frozenset(range(16, 20))),  # JCB is 3528-3589; test generators use all 35
    ("2131", "2131", frozenset({15})),  # JCB, legacy 15-digit
    ("1800", "1800", frozenset({15})),
    ("2200", "2204", frozenset(range(16, 20))),  # Mir
    ("6011", "6011", frozenset(range(16, 20))),  # Discover
    ("644", "649", frozenset(range(16, 20))),
    ("62", "62", frozenset(range(16, 20))),  # UnionPay
    ("50", "50", frozenset(range(13, 20))),  # Maestro
    ("56", "69", frozenset(range(13, 20))),  # Maestro, Discover 65, RuPay 60...
)


def _issuer_tables() -> dict[int, bytes]:
    """Per card length, a flag for each first four digits ``0000``-``9999``: is there an
    issuer with that prefix and length? One lookup instead of a walk over the ranges."""
    tables: dict[int, bytes] = {}
    for n in range(13, 20):
        flags = bytearray(10_000)
        for lo, hi, lengths in _IIN:
            if n in lengths:
                first, last = int(lo.ljust(4, "0")), int(hi.ljust(4, "9"))
                flags[first : last + 1] = b"\x01" * (last + 1 - first)
        tables[n] = bytes(flags)
    return tables


_ISSUERS = _issuer_tables()
# A card written in groups ("4852 6228 9015 8001") says it is a card: any length an issuer
# range uses at all is taken, so a 15-digit Visa or a 17-digit Mastercard is not missed.
_ANY_ISSUER = bytes(max(flags) for flags in zip(*_ISSUERS.values(), strict=True))


# First digits an issuer range can start with (none starts with 0, 7, 8 or 9).
_ISSUER_LEADS = frozenset(lo[0] for lo, _, _ in _IIN)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of ASCII digits, as cards use. ``luhn_ok("4111111111111111") -> True``."""
    # Every second digit from the right doubled (digit sum of the double, via a table), then
    # the digit sum of it all from the ASCII bytes: C loops, no per-digit Python arithmetic.
    odd, even = digits[-1::-2], digits[-2::-2].translate(_DOUBLED)
    return (sum((odd + even).encode("ascii")) - 48 * len(digits)) % 10 == 0


_DOUBLED = str.maketrans("0123456789", "0246813579")


class CreditCardDetector:
    """CREDIT_CARD: 13-19 digits, optionally grouped by one kind of separator (space, dash or
    dot), in prose or in a CSV cell (``ORD-7,3727-445120-88751,paid``).

    Valid when the Luhn check passes and the leading digits fit a known issuer (Visa,
    Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir): for an unbroken run of
    digits, with a length that issuer uses; written in groups, with any card length.

    >>> [f.value for f in CreditCardDetector().find("card 4111 1111 1111 1111, exp 12/29")]
    ['4111 1111 1111 1111']
    """

    types: frozenset[str] = frozenset({"CREDIT_CARD"})
    # A whole run of digits, spaces and dashes in one match: cheaper than a pattern that
    # counts digits, which re-tries at every digit of every short number.
    _RUN = re.compile(r"\d(?<![\d.\-]\d)[\d \t.-]{11,}")
    _RUN_ASCII = ascii_twin(_RUN)
    _GROUP = re.compile(r"\d+")

    def find(self, text: str) -> Iterator[Finding]:
        run_pattern = self._RUN_ASCII if text.isascii() else self._RUN
        for m in run_pattern.finditer(text):
            run = m.group().rstrip(" \t-.")
            start = m.start()
            end = start + len(run)
            if run.isdigit():  # the common case: one unbroken number
                if 13 <= len(run) <= 19 and self._bounded(text, start, end) and _is_card(run):
                    yield Finding(start, end, "CREDIT_CARD", run)
                continue
            digits = sum(c.isdigit() for c in run)
            if digits < 13:
                continue
            # The whole run is the longest slice: when it is a card, no other slice can win.
            if digits <= 19 and self._bounded(text, start, end) and _is_grouped_card(run):
                yield Finding(start, end, "CREDIT_CARD", run)
                continue
            yield from self._slices(text, start, end)

    def _slices(self, text: str, start: int, end: int) -> Iterator[Finding]:
        """Cards inside a run that is not one card: "exp 12 4111 1111 1111 1111"."""
        groups = [(g.start(), g.end()) for g in self._GROUP.finditer(text, start, end)]
        # Every slice of groups with 13-19 digits is a candidate; the longest valid ones win.
        valid: list[tuple[int, int]] = []
        for i in range(len(groups)):
            start = groups[i][0]
            # Checked once per start rather than once per slice: it fails them all.
            if text[start] not in _ISSUER_LEADS or not self._start_ok(text, start):
                continue
            count = 0
            for j in range(i, len(groups)):
                if j > i:
                    # Group j-1 is now inside the slice, as in every longer one: when its
                    # size or the separator after it is wrong, no longer slice is valid.
                    s, e = groups[j - 1]
                    if (
                        not 3 <= e - s <= 6
                        or groups[j][0] - e != 1
                        or text[e] != text[groups[i][1]]
                    ):
                        break
                count += groups[j][1] - groups[j][0]
                if count > 19:
                    break
                end = groups[j][1]
                if (
                    count >= 13
                    and (j == i or end - groups[j][0] <= 6)
                    and self._end_ok(text, end)
                    and self._checks(text, groups[i : j + 1], count)
                ):
                    valid.append((start, end))
        taken: list[tuple[int, int]] = []
        for s, e in sorted(valid, key=lambda v: (v[0] - v[1], v[0])):
            if all(e <= ts or s >= te for ts, te in taken):
                taken.append((s, e))
        for s, e in sorted(taken):
            yield Finding(s, e, "CREDIT_CARD", text[s:e])

    @classmethod
    def _bounded(cls, text: str, start: int, end: int) -> bool:
        return cls._start_ok(text, start) and cls._end_ok(text, end)

    @staticmethod
    def _start_ok(text: str, start: int) -> bool:
        # Not part of a longer number or word, a decimal, or a dotted/dashed code. A comma
        # is a CSV cell's start ("#4161152,4852 6228 9015 8001"): no card follows a decimal
        # comma, and thousands groups are too short to be one.
        return not (word_at(text, start - 1) or text[start - 1 : start] in (".", "-"))

    @staticmethod
    def _end_ok(text: str, end: int) -> bool:
        return not (word_at(text, end) or (text[end : end + 1] in ".-" and digit_at(text, end + 1)))

    @staticmethod
    def _checks(text: str, groups: list[tuple[int, int]], length: int) -> bool:
        """Issuer and Luhn checks of a slice whose boundaries and grouping are already fine."""
        grouped = len(groups) > 1
        issuers = _ANY_ISSUER if grouped else _ISSUERS.get(length)
        if issuers is None:
            return False
        # The issuer test needs four digits: most slices fail it before the rest is joined.
        s, e = groups[0]
        lead = text[s : s + 4] if e - s >= 4 else text[s:e] + text[groups[1][0]]
        if lead.isascii() and not issuers[int(lead)]:
            return False
        return _is_card("".join(text[s:e] for s, e in groups), grouped=grouped)


def _is_grouped_card(run: str) -> bool:
    """``run`` (digits and separators, starting and ending with a digit) is one card written
    in groups: one kind of separator, single, groups of 3-6 digits (the last 1-6)."""
    seps = [c for c in " \t-." if c in run]
    if len(seps) != 1:
        return False
    sep = seps[0]
    parts = run.split(sep)
    sizes = [len(part) for part in parts]
    head = sizes[:-1]
    if min(head) < 3 or max(head) > 6 or sizes[-1] > 6:
        return False
    return _is_card("".join(parts), grouped=True)


def _is_card(digits: str, *, grouped: bool = False) -> bool:
    """Issuer range (for this length, unless ``grouped``), then Luhn; any script's digits."""
    if not 13 <= len(digits) <= 19:
        return False
    issuers = _ANY_ISSUER if grouped else _ISSUERS.get(len(digits))
    if issuers is None:
        return False
    if not digits.isascii():  # ``\d`` also matches other scripts' digits (fullwidth...)
        digits = "".join(str(unicodedata.digit(c)) for c in digits)
    return bool(issuers[int(digits[:4])]) and luhn_ok(digits)


# IBAN length per country (SWIFT IBAN registry).
_IBAN_LENGTHS: dict[str, int] = {
    cc: int(n)
    for cc, n in re.findall(
        r"([A-Z]{2})(\d\d)",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 "
        "DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 "
        "HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 "
        "MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 "
        "RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 "
        "VG24 XK20 YE30",
    )
}


def iban_ok(iban: str) -> bool:
    """Country length and ISO 7064 mod-97 check of a compact IBAN (no spaces, upper case)."""
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not (iban.isascii() and iban.isalnum()):
        return False
    if not iban[2:4].isdigit():
        return False
    return int((iban[4:] + iban[:4]).translate(_IBAN_LETTERS)) % 97 == 1


_IBAN_SEPARATORS = str.maketrans("", "", " \t\u00a0-")

# Letters as numbers for mod-97 (A=10 ... Z=35); lower case too, as ``int(c, 36)`` reads it.
_IBAN_LETTERS = {
    ord(c): str(10 + i % 26)
    for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
}


class IBANDetector:
    """IBAN: country code, check digits, BBAN; compact or grouped by single spaces or dashes,
    in upper or lower case (``de89 3704 ...`` typed on a phone).

    Valid when the country is known, the length is that country's, and mod-97 gives 1.

    >>> [f.value for f in IBANDetector().find("IBAN: DE89 3704 0044 0532 0130 00.")]
    ['DE89 3704 0044 0532 0130 00']
    """

    types: frozenset[str] = frozenset({"IBAN"})
    # Anchored on the check digits: a pattern that starts with a plain ``\d`` lets ``re``
    # skip ahead fast, and the lookbehind placed after it wants two capitals before.
    _CANDIDATE = re.compile(r"\d(?<=[A-Za-z]{2}\d)\d[ \t\u00a0A-Za-z0-9-]{10,}")
    _CANDIDATE_ASCII = ascii_twin(_CANDIDATE)

    def find(self, text: str) -> Iterator[Finding]:
        pos = 0
        pattern = self._CANDIDATE_ASCII if text.isascii() else self._CANDIDATE
        while (m := pattern.search(text, pos)) is not None:
            pos = m.start() + 2  # on failure, an IBAN may still start inside this run
            start = m.start() - 2
            expected = _IBAN_LENGTHS.get(text[max(start, 0) : m.start()].upper())
            if expected is None or start < 0 or word_at(text, start - 1):
                continue
            # Walk until the country's length is reached; the run may have taken a following
            # word ("... 0130 00 EUR"), which this cuts off.
            count, end, gap = 2, m.start(), 0
            while end < m.end() and count < expected:
                if text[end] in " \t\u00a0-":
                    gap += 1
                    if gap > 2:  # one separator, or two as a PDF's justified text has
                        break
                else:
                    count += 1
                    gap = 0
                end += 1
            if count != expected or word_at(text, end):
                continue
            value = text[start:end]
            if iban_ok(value.translate(_IBAN_SEPARATORS).upper()):
                yield Finding(start, end, "IBAN", value)
                pos = end


_SSN_INVALID = frozenset({"078051120", "219099999"})  # published examples the SSA voided


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_INVALID


class USSSNDetector:
    """US_SSN: ``123-45-6789`` anywhere; ``123 45 6789`` or ``123456789`` only after "SSN".

    A bare 9-digit number is far more often an order or account number, so it counts only
    shortly after "SSN", "SS#" or "social security (number)".

    >>> [f.value for f in USSSNDetector().find("SSN: 536 22 1847")]
    ['536 22 1847']
    """

    types: frozenset[str] = frozenset({"US_SSN"})
    _DASHED = re.compile(r"-(\d\d)-(\d{4})")  # literal '-' start: a fast scan
    _CONTEXT = re.compile(
        r"\b(?:ssn|ss#|ss no\.?|s\.s\.n\.?|social security(?: (?:number|no\.?|#))?)",
        re.IGNORECASE,
    )
    _AFTER_CONTEXT = re.compile(
        # A few words may stand between the cue and the number: "SSN please? 536221847".
        # Quotes too: a JSON or CSV text pasted into a prompt ("ssn": "536 22 1847").
        r"(?:[^\d\n]{0,24}?[\s:#=?.\-\"'])??[\s:#=?.\-\"']*(?:(?:is|was|of|no\.?)[\s:#=\"']*)?"
        r"(\d{3})([ -]?)(\d{2})\2(\d{4})(?!\d)",
        re.IGNORECASE,
    )
    _HINTS: tuple[str, ...] = ("SS", "ssn", "Ssn", "ss#", "s.s.n", "S.S.N", "ecurity", "ECURITY")
    # On ASCII text, one lower-cased copy needs fewer literals (lower() keeps positions).
    _ASCII_HINTS: tuple[str, ...] = ("ssn", "ss#", "ss no", "s.s.n", "security")

    def _contexts(self, text: str) -> list[int]:
        """Ends of "SSN"-like cues, in order, found from literals: a case-insensitive pattern
        over the whole text costs more than every other check here together (and an
        alternation of the literals is no faster, as ``re`` cannot skip ahead on it)."""
        if text.isascii():
            hints, haystack = self._ASCII_HINTS, text.lower()
        else:
            hints, haystack = self._HINTS, text
        ends: set[int] = set()
        for hint in hints:
            i = haystack.find(hint)
            while i >= 0:
                # The cue may begin before the hint ("Social Security"), so match a window.
                ends.update(c.end() for c in self._CONTEXT.finditer(text, max(0, i - 8), i + 40))
                i = haystack.find(hint, i + len(hint))
        return sorted(ends)

    def find(self, text: str) -> Iterator[Finding]:
        seen: set[int] = set()
        for c in self._contexts(text):
            m = self._AFTER_CONTEXT.match(text, c)
            if m is None or m.start(1) in seen or word_at(text, m.start(1) - 1):
                continue
            if ssn_ok(m[1], m[3], m[4]):
                seen.add(m.start(1))
                yield Finding(m.start(1), m.end(), "US_SSN", text[m.start(1) : m.end()])
        if "-" not in text:
            return
        for m in self._DASHED.finditer(text):
            start, end = m.start() - 3, m.end()
            area = text[max(start, 0) : m.start()]
            if start < 0 or not area.isdigit() or not area.isascii() or start in seen:
                continue
            if word_at(text, start - 1) or text[start - 1 : start] == "-":
                continue
            if word_at(text, end) or (text[end : end + 1] == "-" and digit_at(text, end + 1)):
                continue
            if ssn_ok(area, m[1], m[2]):
                yield Finding(start, end, "US_SSN", text[start:end], 0.9)
