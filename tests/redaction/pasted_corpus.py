"""A hard labelled corpus: values as people paste them, in the structures they paste them in.

Where ``corpus.py`` puts well-formed values in clean prose, this one writes each value the
way it arrives from Word, PDFs, spreadsheets, CJK keyboards and database exports: grouped by
no-break, narrow or thin spaces, en dashes, tabs or double spaces; in fullwidth or
Arabic-Indic digits; with a zero-width space or soft hyphen inside; lower-cased; in a CSV
cell after a numeric field, or under a column header that is its only cue. Look-alikes get
the same treatment (amounts with no-break thousands separators, order numbers with en
dashes, non-Luhn numbers in card groups, timestamps in fullwidth digits): none may be found.

Values are built here from public format rules (issuer prefixes and Luhn, ISO 13616 IBAN
check digits per country layout, SSA area/group/serial rules), never taken from a detector
or from a fake-data generator, so the corpus does not share a source with what it tests.
No pytest here.
"""

# ruff: noqa: RUF001  (fullwidth and other look-alike characters are the test data)
from __future__ import annotations

import random
import string
from dataclasses import dataclass

TYPES = ("CREDIT_CARD", "IBAN", "US_SSN", "EMAIL")

SPACES = ["\u00a0", "\u202f", "\u2009", "\u2007", "  ", "\t", " "]
DASHES = ["\u2013", "\u2014", "\u2212", "\u2011", "-"]
INVISIBLE = ["\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad"]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[Span, ...]
    form: str  # how the value was pasted, for per-form tallies


def luhn_check(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


# Issuer prefixes and lengths from the card networks' published IIN ranges.
_CARDS = [
    ("4", 16), ("4", 13), ("4", 19), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
    ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3528", 16), ("3589", 16),
    ("36", 14), ("62", 16), ("62", 19), ("2200", 16), ("6304", 18),
]  # fmt: skip
# IBAN layouts (ISO 13616 registry): country, BBAN as (kind, count) pieces.
_IBANS = {
    "DE": [("n", 18)], "FR": [("n", 10), ("c", 11), ("n", 2)], "GB": [("a", 4), ("n", 14)],
    "NL": [("a", 4), ("n", 10)], "ES": [("n", 20)], "IT": [("a", 1), ("n", 10), ("c", 12)],
    "BE": [("n", 12)], "CH": [("n", 5), ("c", 12)], "AT": [("n", 16)], "PL": [("n", 24)],
}  # fmt: skip


class PastedCorpus:
    """``PastedCorpus(seed).examples(n)``: n labelled examples per type, plus look-alikes."""

    def __init__(self, seed: int = 99) -> None:
        self.rnd = random.Random(seed)

    # -- values -----------------------------------------------------------------------------
    def card(self) -> tuple[str, list[str]]:
        prefix, length = self.rnd.choice(_CARDS)
        rest = length - 1 - len(prefix)
        body = prefix + "".join(self.rnd.choice(string.digits) for _ in range(rest))
        digits = body + luhn_check(body)
        if length == 15:
            return digits, [digits[:4], digits[4:10], digits[10:]]
        step = 4
        return digits, [digits[i : i + step] for i in range(0, length, step)]

    def iban(self) -> tuple[str, list[str]]:
        country = self.rnd.choice(list(_IBANS))
        bban = ""
        for kind, count in _IBANS[country]:
            pool = {"n": string.digits, "a": string.ascii_uppercase,
                    "c": string.ascii_uppercase + string.digits}[kind]  # fmt: skip
            bban += "".join(self.rnd.choice(pool) for _ in range(count))
        numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
        check = 98 - int(numeric) % 97
        compact = f"{country}{check:02d}{bban}"
        return compact, [compact[i : i + 4] for i in range(0, len(compact), 4)]

    def ssn(self) -> tuple[str, list[str]]:
        while True:
            area = self.rnd.randrange(1, 900)
            if area != 666:
                break
        group, serial = self.rnd.randrange(1, 100), self.rnd.randrange(1, 10000)
        parts = [f"{area:03d}", f"{group:02d}", f"{serial:04d}"]
        return "".join(parts), parts

    def email(self) -> str:
        user = self.rnd.choice(
            ["jane.doe", "m.müller", "li.wei", "o'brien", "ana+bills", "j_smith"]
        )
        domain = self.rnd.choice(
            ["acme-corp.com", "münchen.de", "xn--mnchen-3ya.de", "例え.jp", "mail.example.co.uk",
             "bücher.example", "société.fr"]
        )  # fmt: skip
        return f"{user}@{domain}"

    # -- forms --------------------------------------------------------------------------------
    def grouped(self, parts: list[str], kind: str) -> tuple[str, str]:
        """Parts joined the way a document or keyboard writes them; and the form's name."""
        form = self.rnd.choice(["space", "dash", "digits", "invisible", "compact"])
        if kind == "US_SSN":
            form = self.rnd.choice(["dash", "digits", "invisible"])
        if kind == "IBAN" and form == "dash":
            form = "space"
        if form == "space":
            value = self.rnd.choice(SPACES).join(parts)
        elif form == "dash":
            value = self.rnd.choice(DASHES).join(parts)
        elif form == "compact":
            value = "".join(parts)
        else:
            sep = "-" if kind == "US_SSN" else " "
            value = sep.join(parts)
        if form == "digits":
            table = self.rnd.choice([0xFF10, 0x0660, 0x06F0, 0x0966])  # fullwidth, Arabic...
            value = "".join(chr(table + int(c)) if c.isdigit() else c for c in value)
        if form == "invisible":
            i = self.rnd.randrange(1, len(value) - 1)
            while not value[i].isalnum():
                i += 1
            value = value[:i] + self.rnd.choice(INVISIBLE) + value[i:]
        if kind == "IBAN" and self.rnd.random() < 0.3:
            value = value.lower()
        return value, form

    # -- examples -----------------------------------------------------------------------------
    def labelled(self, kind: str) -> Example:
        r = self.rnd
        if kind == "EMAIL":
            value = self.email()
            form = "idn" if any(ord(c) > 127 for c in value) or "xn--" in value else "ascii"
            if r.random() < 0.3:
                value = value.replace("@", "\uff20")  # fullwidth at sign
                form = "fullwidth @"
            template = r.choice(
                ["Contact: {}.", "cc {} please", "Kontakt\u00a0: {}", "メール：{} まで"]
            )
            return _example(template, value, kind, form)
        if kind == "CREDIT_CARD":
            _, parts = self.card()
        elif kind == "IBAN":
            _, parts = self.iban()
        else:
            _, parts = self.ssn()
        value, form = self.grouped(parts, kind)
        structure = r.randrange(4)
        if kind == "US_SSN":
            cue = r.choice(["SSN", "S.S.N.", "ssn", "Social Security Number", "SSN please?"])
            if structure == 0:
                header = r.choice(["id;ssn;status", "employee_id,SSN,team", "id\tssn\tnote"])
                d = next(c for c in header if c in ",;\t")
                row_id = str(r.randrange(1000, 99999))
                text = f"{header}\n{row_id}{d}"
                return _example(text + "{}" + f"{d}ok\n", value, kind, form + ", csv column")
            if structure == 1:  # a JSON record pasted into a prompt, the value quoted
                template = '{"id": 7, "ssn": "{}"}'
                return _example(template, value, kind, form + ", json text")
            return _example(f"{cue} {{}} on file.", value, kind, form)
        if structure == 0:  # a CSV cell after a numeric or code field
            lead = r.choice([f"ORD-2025-{r.randrange(10**6):06d}", f"#{r.randrange(10**7)}",
                             str(r.randrange(1, 999)), "2025-03-14"])  # fmt: skip
            d = r.choice([",", ";", "\t"])
            return _example(f"{lead}{d}{{}}{d}paid", value, kind, form + ", csv cell")
        word = {"CREDIT_CARD": "Card", "IBAN": "IBAN"}[kind]
        template = r.choice([f"{word}: {{}} (copied from the PDF)", "Bitte {} verwenden.",
                             f"{word}\u00a0: {{}}", "（{}）"])  # fmt: skip
        return _example(template, value, kind, form)

    def lookalike(self) -> Example:
        r = self.rnd
        digits = "".join(r.choice(string.digits) for _ in range(16))
        bad = digits[:-1] + str((int(luhn_check(digits[:-1])) + 1) % 10)  # fails Luhn
        sep = r.choice(SPACES[:4])
        groups = [f"{r.randrange(1, 999)}", f"{r.randrange(1000):03d}", f"{r.randrange(1000):03d}"]
        amount = f"{sep.join(groups)},{r.randrange(0, 99):02d}\u00a0€"
        fw = "".join(chr(0xFF10 + int(c)) for c in f"{r.randrange(10**9, 10**10)}")
        text = r.choice([
            f"Total {amount} due.",
            f"Order ORD\u2013{r.randrange(2020, 2026)}\u2013{r.randrange(10**6):06d} shipped.",
            f"Ref {sep.join(bad[i:i + 4] for i in range(0, 16, 4))} (not a card)",
            "Tracking 1Z\u00a0999\u00a0AA1\u00a001\u00a02345\u00a06784",
            f"Catalogue no. 0{r.randrange(100, 999)} {r.randrange(1000, 9999)} "
            f"{r.randrange(1000, 9999)}",
            f"タイムスタンプ {fw}",
            "Version 2\u20133\u20131 released 2025\u201303\u201314.",
            f"Phone extension {r.randrange(100, 999)}\u2013{r.randrange(10, 99)} (internal).",
            f"id;qty;total\n{r.randrange(10**8, 10**9)};3;{r.randrange(10**5, 10**6)}\n",
        ])  # fmt: skip
        return Example(text, (), "lookalike")

    def examples(self, per_type: int = 300, lookalikes: int = 600) -> list[Example]:
        out = [self.labelled(kind) for kind in TYPES for _ in range(per_type)]
        out += [self.lookalike() for _ in range(lookalikes)]
        return out


def _example(template: str, value: str, kind: str, form: str) -> Example:
    before, after = template.split("{}")
    start = len(before)
    return Example(before + value + after, (Span(start, start + len(value), kind),), form)
