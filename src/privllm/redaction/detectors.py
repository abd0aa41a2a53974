"""Built-in detectors for structured PII, one small class per type behind ``Detector``.

Each detector finds cheap candidates, then a validator decides: Luhn and issuer prefixes for
cards, mod-97 for IBANs, the SSA rules for SSNs, ``ipaddress`` for IPs, ``phonenumbers`` for
phones. Speed comes from anchoring every regex on something that is rare in prose: a literal
(``@``, ``://``, ``.``, ``-``, ``:``) that ``re`` finds with a fast scan, or a pattern that
starts with a plain character class (``\\d``) so ``re`` skips non-candidates in C. Lookbehinds
at the start of a pattern defeat that skipping (measured: 190 -> 50 MB/s), so boundaries are
checked in Python on the few candidates instead.

    >>> [f.type for f in EmailDetector().find("write to ana@example.org")]
    ['EMAIL']
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from privllm.errors import ConfigError
from privllm.redaction.findings import Finding

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "CreditCardDetector",
    "EmailDetector",
    "IBANDetector",
    "IPAddressDetector",
    "PhoneDetector",
    "URLCredentialsDetector",
    "USSSNDetector",
    "iban_ok",
    "luhn_ok",
    "ssn_ok",
]

# Regions whose national numbers start with a trunk 0 (or, for US, have a fixed 3-3-4 shape).
# ES and IT are opt-in: their 9-10 digit national numbers without a trunk prefix collide
# with thousand-grouped amounts ("612 345 678 EUR"); add them when you need them.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "NL")


def _word_at(text: str, i: int) -> bool:
    """True when ``text[i]`` exists and is a letter, digit or underscore."""
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _digit_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isdigit()


class EmailDetector:
    """EMAIL: ``local@domain.tld`` found from each ``@``; the TLD must be letters.

    >>> [f.value for f in EmailDetector().find("cc: Ana <ana.b+x@mail.example.co.uk>.")]
    ['ana.b+x@mail.example.co.uk']
    """

    types: frozenset[str] = frozenset({"EMAIL"})
    _AT = re.compile(r"@(?=[^\W_])")
    _DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-]|\.[^\W_])")
    # ``icon@2x.png`` names a retina image, not a mailbox.
    _IMAGE = re.compile(r"\d+(?:\.\d+)?x\.(?:png|jpe?g|gif|svg|webp)", re.IGNORECASE)
    _LOCAL_PUNCT = frozenset("._%+-")
    _SCP_PATH = re.compile(r":[\w~.-]*/")

    def find(self, text: str) -> Iterator[Finding]:
        if "@" not in text:
            return
        for at in self._AT.finditer(text):
            i = at.start()
            start = i
            while (
                start > 0
                and i - start < 64
                and (text[start - 1].isalnum() or text[start - 1] in self._LOCAL_PUNCT)
            ):
                start -= 1
            while start < i and text[start] in self._LOCAL_PUNCT:
                start += 1  # a mailbox does not begin with punctuation
            local = text[start:i]
            if not local or local.endswith(".") or ".." in local:
                continue
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_%+-"):
                continue  # local part longer than 64 characters: not an address
            domain = self._DOMAIN.match(text, i + 1)
            if domain is None or self._IMAGE.fullmatch(domain.group()):
                continue
            # ``ssh://git@host/x`` and ``git@host:org/x`` name a login on a host, not a mailbox.
            if text[max(0, start - 3) : start] == "://" or self._SCP_PATH.match(text, domain.end()):
                continue
            yield Finding(start, domain.end(), "EMAIL", text[start : domain.end()])


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
        r"[+(\d][\d \u00a0().\-/]{5,40}\d(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?",
        re.IGNORECASE,
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
        for m in self._CANDIDATE.finditer(text):
            start, end = m.span()
            # Part of a bigger token: a code, a timestamp's fraction, a path.
            if _word_at(text, start - 1) or text[start - 1 : start] in ("+", "-", ".", ":", "/"):
                continue
            if _word_at(text, end) or (text[end : end + 1] in "-.:/," and _digit_at(text, end + 1)):
                continue
            cand = m.group()
            # Bare runs are the most common candidates (order numbers...): settle them first.
            if cand.isdigit() and not self._CONTEXT.search(text, max(0, start - 32), start):
                continue
            number = self._EXTENSION.sub("", cand)
            digit_str = self._NON_DIGITS.sub("", number)
            digits = len(digit_str)
            if digits < 7 or self._NOT_PHONE.fullmatch(number):
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
            if digits <= 17 and self._valid(cand, regions):
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


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum used by payment cards. ``luhn_ok("4111111111111111") -> True``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class CreditCardDetector:
    """CREDIT_CARD: 13-19 digits, optionally grouped by one kind of separator (space or dash).

    Valid when the Luhn check passes and the leading digits and length fit a known issuer
    (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir).

    >>> [f.value for f in CreditCardDetector().find("card 4111 1111 1111 1111, exp 12/29")]
    ['4111 1111 1111 1111']
    """

    types: frozenset[str] = frozenset({"CREDIT_CARD"})
    # A whole run of digits, spaces and dashes in one match: cheaper than a pattern that
    # counts digits, which re-tries at every digit of every short number.
    _RUN = re.compile(r"\d(?<![\d.,\-]\d)[\d -]{11,}")
    _GROUP = re.compile(r"\d+")

    def find(self, text: str) -> Iterator[Finding]:
        for m in self._RUN.finditer(text):
            run = m.group().rstrip(" -")
            digits = len(run) - run.count(" ") - run.count("-")
            if digits < 13:
                continue
            if digits == len(run):  # the common case: one unbroken number
                span = (m.start(), m.start() + digits)
                if digits <= 19 and self._valid(text, span, [span]):
                    yield Finding(span[0], span[1], "CREDIT_CARD", run)
                continue
            groups = [(g.start(), g.end()) for g in self._GROUP.finditer(text, *m.span())]
            # A run can hold a card and its neighbours ("exp 12 4111 1111 ..."): every slice
            # of groups with 13-19 digits is a candidate; the longest valid ones win.
            valid: list[tuple[int, int]] = []
            for i in range(len(groups)):
                count = 0
                for j in range(i, len(groups)):
                    count += groups[j][1] - groups[j][0]
                    if count > 19:
                        break
                    span = (groups[i][0], groups[j][1])
                    if count >= 13 and self._valid(text, span, groups[i : j + 1]):
                        valid.append(span)
            taken: list[tuple[int, int]] = []
            for s, e in sorted(valid, key=lambda v: (v[0] - v[1], v[0])):
                if all(e <= ts or s >= te for ts, te in taken):
                    taken.append((s, e))
            for s, e in sorted(taken):
                yield Finding(s, e, "CREDIT_CARD", text[s:e])

    @staticmethod
    def _valid(text: str, span: tuple[int, int], groups: list[tuple[int, int]]) -> bool:
        start, end = span
        # Not part of a longer number or word, a decimal, or a dotted/dashed code.
        if _word_at(text, start - 1) or text[start - 1 : start] in (".", ",", "-"):
            return False
        if _word_at(text, end) or (text[end : end + 1] in ".,-" and _digit_at(text, end + 1)):
            return False
        digits = "".join(text[s:e] for s, e in groups)
        if not 13 <= len(digits) <= 19:
            return False
        if not digits.isascii():  # ``\d`` also matches other scripts' digits (fullwidth...)
            digits = "".join(str(unicodedata.digit(c)) for c in digits)
        if len(groups) > 1:
            if any(groups[k + 1][0] - groups[k][1] != 1 for k in range(len(groups) - 1)):
                return False  # one separator character between groups
            seps = {text[e] for _, e in groups[:-1]}
            sizes = [e - s for s, e in groups]
            if len(seps) > 1 or not all(3 <= n <= 6 for n in sizes[:-1]) or sizes[-1] > 6:
                return False
        for lo, hi, lengths in _IIN:
            if len(digits) in lengths and lo <= digits[: len(lo)] <= hi:
                return luhn_ok(digits)
        return False


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
    rotated = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rotated)) % 97 == 1


class IBANDetector:
    """IBAN: country code, check digits, BBAN; compact or grouped by single spaces.

    Valid when the country is known, the length is that country's, and mod-97 gives 1.

    >>> [f.value for f in IBANDetector().find("IBAN: DE89 3704 0044 0532 0130 00.")]
    ['DE89 3704 0044 0532 0130 00']
    """

    types: frozenset[str] = frozenset({"IBAN"})
    # Anchored on the check digits: a pattern that starts with a plain ``\d`` lets ``re``
    # skip ahead fast, and the lookbehind placed after it wants two capitals before.
    _CANDIDATE = re.compile(r"\d(?<=[A-Z]{2}\d)\d[ \u00a0A-Z0-9]{10,}")

    def find(self, text: str) -> Iterator[Finding]:
        pos = 0
        while (m := self._CANDIDATE.search(text, pos)) is not None:
            pos = m.start() + 2  # on failure, an IBAN may still start inside this run
            start = m.start() - 2
            expected = _IBAN_LENGTHS.get(text[max(start, 0) : m.start()])
            if expected is None or start < 0 or _word_at(text, start - 1):
                continue
            # Walk until the country's length is reached; the run may have taken a following
            # word ("... 0130 00 EUR"), which this cuts off. Single spaces only.
            count, end = 2, m.start()
            while end < m.end() and count < expected:
                if text[end] in " \u00a0":
                    if text[end - 1] in " \u00a0":
                        break
                else:
                    count += 1
                end += 1
            if count != expected or _word_at(text, end):
                continue
            value = text[start:end]
            if iban_ok(value.replace(" ", "").replace("\u00a0", "")):
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
        r"\b(?:ssn|ss#|ss no\.?|social security(?: (?:number|no\.?|#))?)", re.IGNORECASE
    )
    _AFTER_CONTEXT = re.compile(
        r"[\s:#=]*(?:(?:is|was|of|no\.?)[\s:#=]*)?(\d{3})([ -]?)(\d{2})\2(\d{4})(?!\d)",
        re.IGNORECASE,
    )
    _HINTS = ("SS", "ssn", "Ssn", "ss#", "ecurity", "ECURITY")

    def _contexts(self, text: str) -> Iterator[int]:
        """Ends of "SSN"-like cues, found from literals: a case-insensitive pattern over the
        whole text costs more than every other check here together (and an alternation of the
        literals is no faster, as ``re`` cannot skip ahead on it)."""
        last = 0
        for hint in self._HINTS:
            i = text.find(hint)
            while i >= 0:
                # The cue may begin before the hint ("Social Security"), so match a window.
                for c in self._CONTEXT.finditer(text, max(0, i - 8), i + 40):
                    if c.end() > last:
                        last = c.end()
                        yield c.end()
                i = text.find(hint, i + len(hint))

    def find(self, text: str) -> Iterator[Finding]:
        seen: set[int] = set()
        for c in self._contexts(text):
            m = self._AFTER_CONTEXT.match(text, c)
            if m is None or m.start(1) in seen or _word_at(text, m.start(1) - 1):
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
            if _word_at(text, start - 1) or text[start - 1 : start] == "-":
                continue
            if _word_at(text, end) or (text[end : end + 1] == "-" and _digit_at(text, end + 1)):
                continue
            if ssn_ok(area, m[1], m[2]):
                yield Finding(start, end, "US_SSN", text[start:end], 0.9)


class IPAddressDetector:
    """IP_ADDRESS: IPv4 dotted quads and IPv6, validated by ``ipaddress``; private ranges too.

    Refused: version-like strings (``1.2.3``, ``1.2.3.4.5``, ``v1.2.3.4``, ``version
    10.0.0.1``), octets with leading zeros (``01.02.03.04``), and times (``12:30:45``).

    >>> [f.value for f in IPAddressDetector().find("ssh 10.0.0.1 or fe80::1%eth0.")]
    ['10.0.0.1', 'fe80::1%eth0']
    """

    types: frozenset[str] = frozenset({"IP_ADDRESS"})
    _V4_TAIL = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d{1,3}")  # literal '.' start: a fast scan
    _V6_SEED = re.compile(r":[0-9A-Fa-f:]")
    _V6_TAIL = re.compile(r"[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.]+)?")
    _VERSION_WORDS = re.compile(
        r"(?:\b(?:version|ver\.?|release|build|rev\.?|section|chapter|figure|table)|§)\s*[:#]?\s*$",
        re.IGNORECASE,
    )
    _HEX_COLON = frozenset("0123456789abcdefABCDEF:")

    def find(self, text: str) -> Iterator[Finding]:
        findings = list(self._v6(text)) if ":" in text else []
        if "." in text:
            v6 = [(f.start, f.end) for f in findings]
            # An IPv4 tail of an IPv6 address (::ffff:192.0.2.1) is part of that address.
            findings += [f for f in self._v4(text) if not any(s <= f.start < e for s, e in v6)]
        findings.sort(key=lambda f: f.start)
        yield from findings

    def _v4(self, text: str) -> Iterator[Finding]:
        for m in self._V4_TAIL.finditer(text):
            start = m.start()
            while start > 0 and m.start() - start < 3 and text[start - 1].isdigit():
                start -= 1
            end = m.end()
            if start == m.start() or _word_at(text, start - 1) or text[start - 1 : start] == ".":
                continue
            if _word_at(text, end) or (text[end : end + 1] == "." and _digit_at(text, end + 1)):
                continue
            if self._VERSION_WORDS.search(text, max(0, start - 16), start):
                continue
            try:
                ipaddress.IPv4Address(text[start:end])
            except ValueError:
                continue
            yield Finding(start, end, "IP_ADDRESS", text[start:end], 0.9)

    def _v6(self, text: str) -> Iterator[Finding]:
        resume = 0
        for m in self._V6_SEED.finditer(text):
            if m.start() < resume:
                continue
            start = m.start()
            while start > 0 and m.start() - start < 40 and text[start - 1] in self._HEX_COLON:
                start -= 1
            tail = self._V6_TAIL.match(text, m.start())
            end = tail.end() if tail else m.end()
            resume = end
            if _word_at(text, start - 1) or text[start - 1 : start] == ".":
                continue
            # Sentence punctuation may cling to the end ("... at ::1."); drop it and retry.
            while end > start and text[end - 1] in ".:" and text[end - 2 : end] != "::":
                end -= 1
            value = text[start:end]
            if _word_at(text, end) or value.count(":") < 2 or value.strip(":") == "":
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield Finding(start, end, "IP_ADDRESS", value, 0.9)


class URLCredentialsDetector:
    """URL_CREDENTIALS: a URL carrying ``user:password@`` or a credential query parameter.

    The whole URL is reported, so an internal host travels with its password into the vault.
    Credential parameters are names like ``token``, ``access_token``, ``api_key``, ``key``,
    ``secret``, ``password``, ``sig``/``signature`` (incl. ``X-Amz-Signature``), with a
    value of 4+ characters; the fragment is checked too (OAuth ``#access_token=``).

    >>> [f.value for f in URLCredentialsDetector().find("see https://u:p4ss@db.local/x.")]
    ['https://u:p4ss@db.local/x']
    """

    types: frozenset[str] = frozenset({"URL_CREDENTIALS"})
    # Literal start: a fast scan. "'" is allowed inside (paths may hold one) and trimmed
    # from the end with other closing punctuation.
    _URL = re.compile(r"://[^\s<>\"`]+")
    _PARAM = re.compile(
        r"(?:[\w.-]*[_.-])?(?:token|key|apikey|secret|password|passwd|pwd|pass|sig|signature"
        r"|credential|auth)",
        re.IGNORECASE,
    )

    def find(self, text: str) -> Iterator[Finding]:
        if "://" not in text:
            return
        for m in self._URL.finditer(text):
            start = m.start()
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+.-"):
                start -= 1
            if start == m.start() or not text[start].isalpha() or m.start() - start > 20:
                continue
            end = m.end()
            while end > m.start() + 3 and text[end - 1] in ".,;:!?)]}'\"":
                end -= 1
            url = text[start:end]
            if self._has_credentials(url[m.start() - start + 3 :]):
                yield Finding(start, end, "URL_CREDENTIALS", url)

    def _has_credentials(self, rest: str) -> bool:
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if "@" in authority:
            userinfo = authority.rsplit("@", 1)[0]
            user, colon, password = userinfo.partition(":")
            if colon and password:
                return True
            if len(user) >= 20 and sum(c.isdigit() for c in user) >= 2:
                return True  # a token used as the user name (https://<token>@github.com)
        for part in re.split(r"[?#]", rest)[1:]:
            for pair in re.split(r"[&;]", part):
                name, eq, value = pair.partition("=")
                if eq and len(value) >= 4 and self._PARAM.fullmatch(name):
                    return True
        return False
