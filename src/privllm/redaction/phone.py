"""The phone number detector (PHONE) and the regions it reads national numbers in."""

from __future__ import annotations

import bisect
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

# Words after which a digit run is a phone number. Strong ones make any run of phone length
# a phone when they stand right before it ("Tel.: 00425502234"); weak ones ("contact",
# "reach") only lend a number of a possible shape their support from a few words away.
_STRONG = (
    r"t[ée]l[ée]phone|telefoonnummer|telefonnummer|rufnummer|tel[ée]fono|telefon|telefoon"
    r"|phone|t[ée]l|mobile|mobiel|mobil|m[óo]vil|mob|cell(?:phone)?|handy|natel|portable|gsm"
    r"|fax|call(?:ed|ing)?|appel(?:ez|er|le)|rappel(?:ez|er)|joindre|bel(?:len)?|whatsapp"
    r"|sms|durchwahl"
)
_WEAK = r"reach|contact|kontakt|dial|ring"
# As a column or key it may be qualified: "home_phone", "mobilePhone", "phone_number", "Tel.-Nr."
_KEY = (
    r"\b(?:(?:home|work|mobile|cell|office|business|private|contact|main|direct|emergency)"
    r"[ _-]?)?(?:{words})(?:[ _.-]*(?:number|nummer|num[ée]ro|num|no|nr))?s?(?![^\W_])"
)
_STRONG_CUE = _KEY.format(words=_STRONG)
_ANY_CUE = _KEY.format(words=f"{_STRONG}|{_WEAK}")
# What may stand between a strong cue and the number: "Tel.: ", "phone number is ",
# "Appelez-moi au ", "Bel me op ", "call me on ", "Telefon (privat): ".
_FILLER = (
    r"(?:[ \t:#=./()\"'-]|(?:number|nummer|num[ée]ro|is|at|on|au|op|unter|under|moi|me|mir"
    r"|us|ons|privat|priv[ée]|pro|work|home|mobile)(?![^\W_]))*"
)


class PhoneDetector:
    """PHONE: international (``+CC``/``00CC``) and national forms, read with ``phonenumbers``.

    Candidates are runs of digits and separators with 7 to 17 digits (an ``x``/``ext.``
    extension goes with its number). A number counts when it has a phone's shape and a
    length its country allows (``phonenumbers``' "possible" rules), whether or not its range
    is assigned today: ``+CC`` and ``00CC`` numbers; national numbers with a trunk ``0`` in
    the ``regions`` that use one, written in groups; US numbers written 3-3-4
    (``(340) 417-4286``, ``736.364.9428``). A bare digit run (``4155552671``) counts only
    after a phone word ("phone", "tel", "Telefon", "appelez-moi au"...), or in a CSV column
    headed like one, since order numbers and timestamps look the same; right after a strong
    phone word any run of 7 to 15 digits counts. Amounts (``612 345 678 EUR``), dates,
    decimals, ZIP+4 codes and the shapes of cards, SSNs, ISBNs and IPs are refused before any
    parsing. In opt-in regions without a trunk prefix (ES, IT) only assigned numbers count.

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
    # 4-6-5), SSNs (3-2-4), ISBN-13 and ISBN-10, decimals, tracking numbers in groups of 4.
    _NOT_PHONE = re.compile(
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3}"
        r"|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}|\d{3}([ -])\d{2}\3\d{4}"
        r"|97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d|\d{1,5}-\d{1,7}-\d{1,7}-\d|\d{1,4}[.,]\d+"
    )
    # Inside a run: a date ("from 28.06.2001 - 05.02.2002"), decimals ("0.162 0.566"),
    # or more than one slash ("Steuernummer 07/032/04089", "Ref 30/1284/2171").
    _NOT_PHONE_INSIDE = re.compile(
        r"(?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d\d|(?:19|20)\d\d-\d\d-\d\d)(?!\d)"
        r"|(?<![\d.])0\.\d|/[^/]*/"
    )
    # Shapes a phone shares with codes, taken only after a phone word: a US ZIP+4 ("MA
    # 02134-1234", also a short German number), a first group of 7+ digits, which is no area
    # code ("05089626-5501"), and, unless the number is assigned, groups of four (tracking and
    # serial numbers "0586 0077 8801"; a German mobile "0151 2345 6789" is assigned).
    _NEEDS_CUE = re.compile(r"\d{5}-\d{4}$|\(?\d{7}")
    _FOURS = re.compile(r"\d{4}([ -])\d{4}\1\d{4}")
    # US national numbers: 3-3-4, area code not starting with 0 or 1; nor the exchange, unless
    # the area code is in brackets, which only phones have ("(867) 097-4751").
    _NANP = re.compile(r"(?:1[ .-]?)?(?:\([2-9]\d\d\) ?\d|[2-9]\d\d[ .-]?[2-9])\d\d[ .-]?\d{4}")
    # "T: ", "M: ", "F: " on a business card or in a signature.
    _NEAR_CUE = re.compile(rf"(?:{_STRONG_CUE}|(?-i:\b[TMFP]\.?:)){_FILLER}$", re.IGNORECASE)
    _CUE = re.compile(rf"{_ANY_CUE}(?:\.?[ \t]*[:#]?[ \t]*|[^\d\n.;]{{0,24}})$", re.IGNORECASE)
    _COLUMN = re.compile(_ANY_CUE, re.IGNORECASE)
    # Amounts are not phone numbers: "1 234 567 EUR", "$ 612 345 678".
    # A number named as an identifier right before it ("catalogue no.", "Bestell-Nr.", "Ref",
    # "invoice #"): a national form there is a code, unless a phone word says otherwise or
    # the number has an area code in brackets, which only phones have. (Not "account": an
    # account number is better redacted as a phone than sent.)
    _ID_CUE = re.compile(
        r"(?:\b(?:no|nr|n[°o]|num|ref(?:erence)?|order|invoice|catalog(?:ue)?|serial|tracking"
        r"|item|article|artikel|commande|facture|rechnung|bestell)"
        r"|[#°])\.?[ \t]*[:#]?[ \t]*$",
        re.IGNORECASE,
    )
    _MONEY = re.compile(r"[ \u00a0]?(?:[€$£¥]|EUR|USD|GBP|CHF|JPY)(?![A-Za-z])")
    _CURRENCY_SIGNS = frozenset("€$£¥")
    _NON_DIGITS = re.compile(r"\D+")
    _CELL_EDGE = frozenset(",;\t|")
    _BLANK_LINE = re.compile(r"\n[ \t]*\n")

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
        nanp = {r for r, m in meta.items() if m is not None and m.country_code == 1}
        self._nanp = bool(nanp)
        self._plain_regions = tuple(r for r in self._other_regions if r not in nanp)

    def find(self, text: str) -> Iterator[Finding]:
        candidates = self._CANDIDATE_ASCII if text.isascii() else self._CANDIDATE
        blocks: list[int] | None = None  # starts of blank-line separated blocks, when needed
        for m in candidates.finditer(text):
            start, end = m.span()
            cand = m.group()
            # "(0113) 496 0123" keeps its brackets, "(+49) 30 1234567" gets its first one
            # back; "Reception (020 1027616)." loses its own.
            opened = cand.count("(") - cand.count(")")
            if opened > 0 and cand[0] == "(":
                start += 1
                while text[start] == " ":
                    start += 1
                cand = text[start:end]
            elif opened < 0 and text[start - 1 : start] == "(":
                start -= 1
                cand = text[start:end]
            prev = text[start - 1 : start]
            # Part of a bigger token: a code, a timestamp's fraction, a path.
            if word_at(text, start - 1) or prev in ("+", "-", ".", "/"):
                continue
            if word_at(text, end):
                continue
            glued = text[end : end + 1] in "-.:/," and digit_at(text, end + 1)
            bare = cand.isdigit()
            cue: int | None = None
            if bare or glued or (prev == ":" and cand[0] != "+"):
                # Bare runs are the most common candidates (order numbers...): settle them
                # first. A run glued to more digits ("4155552671,42") or to a colon
                # ("10:33:09") needs a cue or a column too.
                cue = self._cue(text, start)
                if not cue:
                    if blocks is None:
                        blocks = [0, *(b.end() for b in self._BLANK_LINE.finditer(text))]
                    cue = 2 * self._column_cue(text, start, end, blocks)
                if not cue or (glued and text[end] != ","):
                    continue
            # Every extension marker ("x", "ext", "extension") holds an x: skip the sub without.
            extension = "x" in cand or "X" in cand
            number = self._EXTENSION.sub("", cand) if extension else cand
            # Shapes first: cards and IPs are common candidates, and need no digit string.
            if self._NOT_PHONE.fullmatch(number) or self._NOT_PHONE_INSIDE.search(number):
                continue
            digit_str = self._NON_DIGITS.sub("", number)
            digits = len(digit_str)
            if digits < 7:
                continue
            before = text[max(0, start - 2) : start].strip()
            if self._MONEY.match(text, end) or before in self._CURRENCY_SIGNS:
                continue
            if self._NEEDS_CUE.match(number) or self._FOURS.fullmatch(number):
                cue = self._cue(text, start) if cue is None else cue
                if not cue and not (
                    self._FOURS.fullmatch(number) and self._valid(number, self._zero_regions)
                ):
                    continue
            found = self._phone(text, start, number, digit_str, cue)
            if found and number[0] not in "+(" and not digit_str.startswith("00"):
                cue = self._cue(text, start) if cue is None else cue
                if not cue and self._ID_CUE.search(text, max(0, start - 24), start):
                    continue
            if found:
                yield Finding(start, end, "PHONE", cand, found)
            elif digits >= 14 and ("/" in number or "+" in number[1:] or self._cue(text, start)):
                # Two numbers in a row ("030 1234567 / 0171 2345678"), or one and a stray
                # number: the matcher finds the numbers inside. Costly (~90 us), so rare.
                international = number[0] in "+(" or number.startswith("00")
                group = self.regions if international else self._zero_regions + self._other_regions
                yield from self._inner(text, start, cand, tuple(dict.fromkeys(group)), 0.8)

    def _phone(self, text: str, start: int, number: str, digit_str: str, cue: int | None) -> float:
        """The score of ``number`` (at ``start``) as a phone, 0 when it is not one. ``cue`` is
        2 right after a strong phone word, 1 after any phone word, 0 without, ``None`` when
        not looked up yet."""
        if number[0] == "+" or number.startswith("(+"):
            return 0.9 if self._plus(number, digit_str) else 0.0
        if digit_str.startswith("00") and self._exit_00:
            if self._possible(number, self._exit_00[:1]):
                return 0.9
        elif digit_str[0] == "0":
            regions = tuple(r for r in self._zero_regions if self._fits(r, digit_str))
            if self._possible(number, regions):
                return 0.8
        elif self._nanp and self._NANP.fullmatch(number):
            return 0.8
        elif self._plain_regions:
            # Opt-in regions without a trunk prefix (ES, IT): only assigned numbers, as their
            # shapes are those of amounts.
            regions = tuple(r for r in self._plain_regions if self._fits(r, digit_str))
            if regions and self._valid(number, regions):
                return 0.8
        # Right after "Tel.:", "phone number is"...: any run of phone length.
        if cue is None:
            cue = self._cue(text, start)
        if cue == 2 and len(digit_str) <= 15:
            return 0.7
        return 0.0

    def _cue(self, text: str, start: int) -> int:
        """2 when a strong phone word stands right before ``start``, 1 for any phone word
        within a few words, else 0."""
        window = max(0, start - 40)
        if self._NEAR_CUE.search(text, window, start):
            return 2
        return 1 if self._CUE.search(text, max(0, start - 32), start) else 0

    def _column_cue(self, text: str, start: int, end: int, blocks: list[int]) -> bool:
        """Is ``text[start:end]`` a cell of a CSV/TSV/Markdown column whose header (the first
        line of its block) is a phone word ("phone", "Telefon", "mobile_number")?"""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        left = text[line_start:start].rstrip(" \"'")
        right = text[end:line_end].lstrip(" \"'")
        delimiter = left[-1:] or right[:1]
        if delimiter not in self._CELL_EDGE or right[:1] not in ("", delimiter):
            return False
        header_start = blocks[bisect.bisect_right(blocks, start) - 1]
        if header_start == line_start:
            return False
        header_end = text.find("\n", header_start)
        header = text[header_start : header_end if header_end >= 0 else len(text)].split(delimiter)
        column = left.count(delimiter)
        return column < len(header) and bool(self._COLUMN.search(header[column]))

    def _fits(self, region: str, digits: str) -> bool:
        """Could ``digits`` (a national form) have a valid length in ``region``?"""
        lengths, prefix = self._lengths[region], self._prefix[region]
        if len(digits) in lengths:
            return True
        return bool(prefix) and digits.startswith(prefix) and len(digits) - len(prefix) in lengths

    def _plus(self, number: str, digit_str: str) -> bool:
        """``+CC NUMBER`` with a length the country allows. The number is built from the
        digits directly (~2 us) unless its national part starts with 0 (a trunk prefix as in
        ``+44 (0)20...``, or an Italian leading zero): then ``phonenumbers`` parses it."""
        if digit_str[0] == "0" or len(digit_str) > 17:
            return False
        for size in (1, 2, 3):
            if self._pn.COUNTRY_CODE_TO_REGION_CODE.get(int(digit_str[:size])):
                break
        else:
            return False
        national = digit_str[size:]
        if not national:
            return False
        if national[0] == "0":
            return self._possible(number, ("ZZ",))
        pn_number = self._pn.PhoneNumber(
            country_code=int(digit_str[:size]), national_number=int(national)
        )
        return bool(self._pn.is_possible_number_with_reason(pn_number) == 0)

    def _possible(self, number: str, regions: tuple[str, ...]) -> bool:
        """Parsed in one of ``regions``, is ``number`` of a length its country allows (not
        only in some local dialling area)?"""
        pn = self._pn
        for region in regions:
            try:
                parsed = pn.parse(number, region)
            except pn.NumberParseException:
                continue
            if pn.is_possible_number_with_reason(parsed) == 0:
                return True
        return False

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
