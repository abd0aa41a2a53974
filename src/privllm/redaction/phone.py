"""The phone number detector (PHONE) and the regions it reads national numbers in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from privllm.errors import ConfigError
from privllm.redaction.boundaries import digit_at, word_at
from privllm.redaction.findings import Finding

__all__ = ["DEFAULT_PHONE_REGIONS", "PhoneDetector"]

# Regions whose national numbers start with a trunk 0 (or, for US, have a fixed 3-3-4 shape).
# ES and IT are opt-in: their 9-10 digit national numbers without a trunk prefix collide
# with thousand-grouped amounts ("612 345 678 EUR"); add them when you need them.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "NL")


class PhoneDetector:
    """PHONE: international (``+CC``/``00CC``) and national forms, checked by ``phonenumbers``.

    Candidates are runs of digits and separators with 7 to 17 digits. Each must be a valid
    number in the numbering plan (``phonenumbers.is_valid_number``); national forms are read
    in ``regions`` only. Longer runs go to ``phonenumbers.PhoneNumberMatcher``, which finds
    the numbers inside ("030 1234567 / 040 1234567"). A bare digit run with no ``+`` and no
    separators (``4155552671``) counts only after a word like "phone", "tel" or "call",
    since order and invoice numbers look the same. Amounts (``612 345 678 EUR``), dates,
    decimals and the shapes of cards, SSNs and IPs are refused before any parsing.

    >>> [f.value for f in PhoneDetector().find("Call +44 20 7946 0958 today")]
    ['+44 20 7946 0958']
    """

    types: frozenset[str] = frozenset({"PHONE"})
    # Greedy over the whole run, so a run glued to a word ("DE89 3704 ...") is consumed
    # and refused at once rather than re-tried from each of its digits.
    _CANDIDATE = re.compile(
        r"[+(\d][\d \u00a0().\-/]{5,40}\d(?:[ \t]*(?i:x|ext\.?|extension)[ \t]*\d{1,6})?"
    )
    # The same on ASCII text, written out: a class mixing ``\d`` and a non-ASCII character
    # is tested far slower than a plain ``[0-9 ...]`` table (the scan takes ~40% less).
    _CANDIDATE_ASCII = re.compile(
        r"[+(0-9][0-9 ().\-/]{5,40}[0-9](?:[ \t]*(?i:x|ext\.?|extension)[ \t]*[0-9]{1,6})?"
    )
    _EXTENSION = re.compile(r"[ \t]*(?:x|ext\.?|extension)[ \t]*\d+$", re.IGNORECASE)
    # Shapes other detectors own, or that are plainly not phones: dates, IPs, cards (4-4-4-4,
    # 4-6-5), SSNs (3-2-4), ISBNs, decimals.
    _NOT_PHONE = re.compile(
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3}"
        r"|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}|\d{3}([ -])\d{2}\3\d{4}"
        r"|97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d|\d{1,4}[.,]\d+"
    )
    _CONTEXT = re.compile(
        r"\b(?:phone|tel|telephone|mobile|mob|cell|fax|call|whatsapp|sms|telefon|handy"
        r"|t[ée]l[ée]phone|t[ée]l|portable|m[óo]vil|tel[ée]fono|reach|contact|dial|ring)\b"
        r"(?:\.?[ \t]*[:#]?[ \t]*|[^\d\n.;]{0,24})$",
        re.IGNORECASE,
    )
    # Amounts are not phone numbers: "1 234 567 EUR", "$ 612 345 678".
    _MONEY = re.compile(r"[ \u00a0]?(?:[€$£¥]|EUR|USD|GBP|CHF|JPY)(?![A-Za-z])")
    _CURRENCY_SIGNS = frozenset("€$£¥")
    _NON_DIGITS = re.compile(r"\D+")

    def __init__(self, regions: Iterable[str] = DEFAULT_PHONE_REGIONS) -> None:
        # Imported here: loading phonenumbers costs ~35 ms, paid only when phones are wanted.
        import phonenumbers

        self._pn: Any = phonenumbers
        self.regions = tuple(regions)
        unknown = [r for r in self.regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown or not self.regions:
            raise ConfigError(
                f"unknown phone regions: {unknown}" if unknown else "phone regions are empty",
                field="redaction.phone_regions",
            )
        # A national number in GB/DE/FR/NL starts with trunk prefix 0; in US it does not.
        # Reading a candidate only in regions that fit halves the parsing, which dominates.
        # So is skipping regions whose national numbers cannot have this many digits.
        meta = {r: phonenumbers.PhoneMetadata.metadata_for_region(r) for r in self.regions}
        self._prefix = {r: (m.national_prefix if m else None) or "" for r, m in meta.items()}
        self._lengths = {
            r: frozenset(m.general_desc.possible_length if m and m.general_desc else ())
            for r, m in meta.items()
        }
        # "00" starts an international number only where 00 is the exit code (not in the US).
        exit_codes = {r: m.international_prefix if m else None for r, m in meta.items()}
        self._exit_00 = tuple(r for r in self.regions if exit_codes[r] == "00")
        self._zero_regions = tuple(r for r in self.regions if self._prefix[r] in ("0", ""))
        self._other_regions = tuple(r for r in self.regions if self._prefix[r] != "0")

    def find(self, text: str) -> Iterator[Finding]:
        candidates = self._CANDIDATE_ASCII if text.isascii() else self._CANDIDATE
        for m in candidates.finditer(text):
            start, end = m.span()
            # Part of a bigger token: a code, a timestamp's fraction, a path.
            if word_at(text, start - 1) or text[start - 1 : start] in ("+", "-", ".", ":", "/"):
                continue
            if word_at(text, end) or (text[end : end + 1] in "-.:/," and digit_at(text, end + 1)):
                continue
            cand = m.group()
            # Bare runs are the most common candidates (order numbers...): settle them first.
            if cand.isdigit() and not self._CONTEXT.search(text, max(0, start - 32), start):
                continue
            # Every extension marker ("x", "ext", "extension") holds an x: skip the sub without.
            extension = "x" in cand or "X" in cand
            number = self._EXTENSION.sub("", cand) if extension else cand
            # Shapes first: cards and IPs are common candidates, and need no digit string.
            if self._NOT_PHONE.fullmatch(number):
                continue
            digit_str = self._NON_DIGITS.sub("", number)
            digits = len(digit_str)
            if digits < 7:
                continue
            before = text[max(0, start - 2) : start].strip()
            if self._MONEY.match(text, end) or before in self._CURRENCY_SIGNS:
                continue
            international = cand[0] == "+" or (cand.startswith("00") and bool(self._exit_00))
            if international:
                regions: tuple[str, ...] = self.regions[:1] if cand[0] == "+" else self._exit_00[:1]
            else:
                group = self._zero_regions if digit_str[0] == "0" else self._other_regions
                regions = tuple(r for r in group if self._fits(r, digit_str))
            score = 0.9 if international else 0.8
            if (cand[0] == "+" and not extension and self._valid_plus(digit_str)) or (
                digits <= 17 and self._valid(cand, regions)
            ):
                yield Finding(start, end, "PHONE", cand, score)
            elif digits >= 14 or "+" in cand[1:]:
                # Two numbers in a row ("030 1234567 / 0171 2345678"), or one and a stray
                # number: the matcher finds the numbers inside. Costly (~90 us), so rare.
                group = self.regions if international else self._zero_regions + self._other_regions
                yield from self._inner(text, start, cand, tuple(dict.fromkeys(group)), score)

    def _fits(self, region: str, digits: str) -> bool:
        """Could ``digits`` (a national form) have a valid length in ``region``?"""
        lengths, prefix = self._lengths[region], self._prefix[region]
        if len(digits) in lengths:
            return True
        return bool(prefix) and digits.startswith(prefix) and len(digits) - len(prefix) in lengths

    def _valid_plus(self, digit_str: str) -> bool:
        """A fast yes for ``+CC NUMBER`` (the common written form): the number built from
        the digits directly is valid in the country code's main region. ``False`` means
        "not known", and ``_valid`` then parses the candidate (trunk prefixes, Italian
        leading zeros, regions sharing a code) as before: ~4 us here against ~17 us there.
        """
        if digit_str[0] == "0" or len(digit_str) > 17:
            return False
        for size in (1, 2, 3):
            regions = self._pn.COUNTRY_CODE_TO_REGION_CODE.get(int(digit_str[:size]))
            if regions:
                break
        else:
            return False
        national = digit_str[size:]
        if not national or national[0] == "0" or regions[0] == "001":
            return False
        number = self._pn.PhoneNumber(
            country_code=int(digit_str[:size]), national_number=int(national)
        )
        return bool(self._pn.is_valid_number_for_region(number, regions[0]))

    def _valid(self, cand: str, regions: tuple[str, ...]) -> bool:
        for region in regions:
            try:
                number = self._pn.parse(cand, region)
            except self._pn.NumberParseException:
                continue
            if self._pn.is_valid_number(number):
                return True
        return False

    def _inner(
        self, text: str, offset: int, cand: str, regions: tuple[str, ...], score: float
    ) -> Iterator[Finding]:
        for region in regions:
            spans = [(m.start, m.end) for m in self._pn.PhoneNumberMatcher(cand, region)]
            if spans:
                for s, e in spans:
                    value = text[offset + s : offset + e]
                    yield Finding(offset + s, offset + e, "PHONE", value, score)
                return
