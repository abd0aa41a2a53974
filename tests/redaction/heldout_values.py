"""A held-out corpus for the structured detectors: whole documents as teams paste them.

HELD OUT: written after the detectors were, and never used to tune them. Detector changes are
made against ``corpus.py`` and ``pasted_corpus.py``; this file only measures. If a figure here
drops, fix the detector on those corpora and re-measure here; never edit these documents to
make a detector pass.

Each document is one whole artefact: a support e-mail with headers and a signature, a CRM
export (CSV, semicolon-separated as European spreadsheets save it), a JSON API record, web
server and application log lines, an ``.env`` file, a German and a French payment letter, a
chat transcript. Values are built from public format rules (card issuer prefixes and Luhn,
ISO 13616 IBAN check digits, SSA area rules, national numbering plans as each country writes
its numbers, vendor key prefixes and lengths as published by the vendors); PII-free documents
of the same kinds hold the look-alikes a detector must leave alone (order, invoice and
tracking numbers, timestamps, versions, commit hashes, UUIDs, amounts, coordinates).
No pytest here.
"""

# Document templates keep one artefact per line; wrapping them would hide their shape.
# ruff: noqa: E501

from __future__ import annotations

import random
import re
import string
import uuid
from dataclasses import dataclass, field

TYPES = ("CREDIT_CARD", "IBAN", "US_SSN", "EMAIL", "IP_ADDRESS", "SECRET", "PHONE")

_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str


@dataclass
class Document:
    """Built piece by piece: ``add`` appends plain text, ``value`` a labelled value."""

    kind: str
    text: str = ""
    spans: list[Span] = field(default_factory=list)

    def add(self, text: str) -> Document:
        self.text += text
        return self

    def value(self, value: str, kind: str) -> Document:
        start = len(self.text)
        self.text += value
        self.spans.append(Span(start, len(self.text), kind))
        return self


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


class Values:
    """Format-valid values, written in the forms their owners use."""

    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd

    def digits(self, n: int) -> str:
        return "".join(self.r.choice(string.digits) for _ in range(n))

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def card(self) -> str:
        prefix, length = self.r.choice(
            [("4", 16), ("53", 16), ("2223", 16), ("37", 15), ("6011", 16), ("3530", 16),
             ("4", 19), ("36", 14), ("62", 16)]
        )  # fmt: skip
        body = prefix + self.digits(length - 1 - len(prefix))
        number = body + _luhn(body)
        form = self.r.randrange(4)
        if form == 0:
            return number
        if length in (14, 15):
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i : i + 4] for i in range(0, length, 4)]
        return ("-" if form == 1 else " " if form == 2 else "\u00a0").join(groups)

    def iban(self) -> str:
        country, layout = self.r.choice(
            [("DE", "n18"), ("FR", "n10c11n2"), ("GB", "a4n14"), ("NL", "a4n10"),
             ("ES", "n20"), ("IT", "a1n10c12"), ("CH", "n5c12"), ("BE", "n12"), ("AT", "n16")]
        )  # fmt: skip
        bban = ""
        for kind, count in re.findall(r"([nac])(\d+)", layout):
            pool = {"n": string.digits, "a": string.ascii_uppercase, "c": _UPPER_ALNUM}[kind]
            bban += self.chars(pool, int(count))
        numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
        compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
        if self.r.random() < 0.4:
            return compact
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666])
        group, serial = self.r.randrange(1, 100), self.r.randrange(1, 10000)
        sep = self.r.choice(["-", "-", " ", ""])
        return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"

    def email(self, first: str, last: str) -> str:
        local = self.r.choice(
            [f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}", f"{last}.{first[0]}",
             f"{first}.{last}+billing", f"{first.upper()}.{last.upper()}"]
        ).lower() if self.r.random() < 0.8 else f"{first}{self.r.randrange(70, 99)}"  # fmt: skip
        domain = self.r.choice(
            ["gmail.com", "outlook.de", "orange.fr", "kanzlei-weber.de", "mail.fabrikam.co.uk",
             "northwind-traders.com", "web.de", "icloud.com", "hospital.nhs.uk", "uni-bonn.de",
             "bücherstube-köln.de", "xn--bcher-kva.ch"]
        )  # fmt: skip
        return f"{local}@{domain}"

    def ipv4(self) -> str:
        first = self.r.choice([81, 85, 91, 109, 141, 185, 193, 203, 212, 10, 172, 192])
        if first == 172:
            return (
                f"172.{self.r.randrange(16, 32)}.{self.r.randrange(256)}.{self.r.randrange(1, 255)}"
            )
        if first == 192:
            return f"192.168.{self.r.randrange(256)}.{self.r.randrange(1, 255)}"
        return f"{first}.{self.r.randrange(256)}.{self.r.randrange(256)}.{self.r.randrange(1, 255)}"

    def ipv6(self) -> str:
        groups = [f"{self.r.randrange(0x10000):x}" for _ in range(8)]
        groups[0] = self.r.choice(["2a02", "2001", "2a01", "2600", "fe80"])
        form = self.r.randrange(3)
        if form == 0:
            return ":".join(groups)
        if form == 1:
            return ":".join(groups[:3]) + "::" + ":".join(groups[6:])
        return f"::ffff:{self.ipv4()}"

    def phone(self) -> str:
        r = self.r
        area = r.choice(["212", "415", "312", "617", "303", "206", "512", "702", "404", "786"])
        ex, line = f"{r.randrange(200, 1000)}", self.digits(4)
        de_city = r.choice(["30", "40", "89", "221", "69", "711"])
        fr = f"0{r.choice('1234569')}" + "".join(f" {self.digits(2)}" for _ in range(4))
        forms = [
            f"({area}) {ex}-{line}", f"{area}-{ex}-{line}", f"{area}.{ex}.{line}",
            f"+1 {area} {ex} {line}", f"+1-{area}-{ex}-{line}", f"1 ({area}) {ex}-{line}",
            f"{area}-{ex}-{line} ext. {r.randrange(100, 999)}",
            f"+44 20 {self.digits(4)} {self.digits(4)}", f"020 {self.digits(4)} {self.digits(4)}",
            f"07{r.randrange(4, 10)}{self.digits(2)} {self.digits(6)}",
            f"+44 (0)7{r.randrange(4, 10)}{self.digits(2)} {self.digits(6)}",
            f"+49 {de_city} {self.digits(7)}", f"0{de_city} {self.digits(7)}",
            f"0{de_city}/{self.digits(7)}", f"015{r.randrange(1, 8)} {self.digits(8)}",
            f"+49 (0)17{r.randrange(0, 10)} {self.digits(3)} {self.digits(4)}",
            fr, fr.replace(" ", "."), "+33 " + fr[1:],
            f"+31 20 {self.digits(3)} {self.digits(4)}", f"06-{self.digits(8)}",
            f"+81 3-{self.digits(4)}-{self.digits(4)}", f"+81 90-{self.digits(4)}-{self.digits(4)}",
            f"+41 44 {self.digits(3)} {self.digits(2)} {self.digits(2)}",
            f"+91 98{self.digits(3)} {self.digits(5)}",
            f"+55 11 9{self.digits(4)}-{self.digits(4)}",
            f"+61 2 {self.digits(4)} {self.digits(4)}",
        ]  # fmt: skip
        return r.choice(forms)

    def secret(self) -> str:
        r = self.r
        return r.choice(
            [
                lambda: r.choice(["AKIA", "ASIA"]) + self.chars(_UPPER_ALNUM, 16),
                lambda: "ghp_" + self.chars(_ALNUM, 36),
                lambda: "github_pat_" + self.chars(_ALNUM, 22) + "_" + self.chars(_ALNUM, 59),
                lambda: f"xoxb-{self.digits(12)}-{self.digits(13)}-{self.chars(_ALNUM, 24)}",
                lambda: "sk_live_" + self.chars(_ALNUM, 24),
                lambda: "rk_live_" + self.chars(_ALNUM, 24),
                lambda: "AIza" + self.chars(_ALNUM + "_-", 35),
                lambda: "glpat-" + self.chars(_ALNUM + "_-", 20),
                lambda: "SG." + self.chars(_ALNUM + "_-", 22) + "." + self.chars(_ALNUM + "_-", 43),
                lambda: "npm_" + self.chars(_ALNUM, 36),
                lambda: "hf_" + self.chars(string.ascii_letters, 34),
                lambda: "sk-proj-" + self.chars(_ALNUM + "_-", 48),
                lambda: "dapi" + self.chars("0123456789abcdef", 32),
            ]
        )()


# Given and family names as they appear in everyday text, several countries. These are not
# labelled here (this corpus measures the structured types), they only make text realistic.
_PEOPLE = [
    ("Maria", "Garcia"), ("James", "Okafor"), ("Anna", "Schmidt"), ("Lukas", "Becker"),
    ("Camille", "Durand"), ("Hugo", "Lefèvre"), ("Priya", "Raman"), ("Wei", "Zhang"),
    ("Sophie", "Jansen"), ("Tom", "Hughes"), ("Fatima", "Haddad"), ("Kenji", "Sato"),
]  # fmt: skip


class HeldOutCorpus:
    """``HeldOutCorpus(seed).documents(n)``: n labelled documents and n PII-free ones."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.v = Values(self.r)

    def person(self) -> tuple[str, str]:
        return self.r.choice(_PEOPLE)

    # -- documents with values --------------------------------------------------------------
    def support_email(self) -> Document:
        first, last = self.person()
        d = Document("support e-mail").add(f"From: {first} {last} <")
        d.value(self.v.email(first, last), "EMAIL").add(">\nTo: Northwind Support\n")
        d.add("Subject: Re: refund for order #")
        d.add(
            f"{self.r.randrange(10**6, 10**7)}\nDate: Tue, 14 Oct 2025 09:{self.r.randrange(60):02d}:12 +0200\n\n"
        )
        d.add(
            f"Hi team,\n\nthe charge of EUR {self.r.randrange(20, 900)},{self.r.randrange(100):02d} went to my card "
        )
        d.value(self.v.card(), "CREDIT_CARD").add(" but I returned the parcel on 3 Oct. ")
        d.add("Please refund to my account instead, IBAN ").value(self.v.iban(), "IBAN")
        d.add(".\nYou can call me on ").value(self.v.phone(), "PHONE")
        d.add(" after 5pm.\n\nThanks,\n" + first + "\n-- \n" + f"{first} {last}\nMobile: ")
        d.value(self.v.phone(), "PHONE").add("\n")
        return d

    def crm_csv(self) -> Document:
        sep = self.r.choice([",", ";", "\t"])
        d = Document("crm export").add(
            sep.join(["customer_id", "name", "email", "phone", "iban", "last_order", "total"])
            + "\n"
        )
        for _ in range(self.r.randrange(3, 7)):
            first, last = self.person()
            d.add(f"C{self.r.randrange(10**5, 10**6)}{sep}{first} {last}{sep}")
            d.value(self.v.email(first, last), "EMAIL").add(sep)
            d.value(self.v.phone(), "PHONE").add(sep)
            d.value(self.v.iban(), "IBAN").add(sep)
            d.add(f"2025-{self.r.randrange(1, 13):02d}-{self.r.randrange(1, 29):02d}{sep}")
            d.add(f"{self.r.randrange(10, 5000)}.{self.r.randrange(100):02d}\n")
        return d

    def json_record(self) -> Document:
        first, last = self.person()
        d = Document("json record").add(f'{{"id": "{uuid.UUID(int=self.r.getrandbits(128))}", ')
        d.add(f'"name": "{first} {last}", "email": "').value(self.v.email(first, last), "EMAIL")
        d.add('", "ssn": ')
        ssn = self.v.ssn()
        if ssn.isdigit() and self.r.random() < 0.5:
            d.value(ssn, "US_SSN").add(", ")  # a JSON number
        else:
            d.add('"').value(ssn, "US_SSN").add('", ')
        d.add('"last_login_ip": "').value(self.v.ipv4(), "IP_ADDRESS")
        d.add(
            f'", "orders": {self.r.randrange(1, 40)}, "created": {self.r.randrange(1_600_000_000_000, 1_760_000_000_000)}, '
        )
        d.add('"phones": ["').value(self.v.phone(), "PHONE").add('"]}')
        return d

    def access_log(self) -> Document:
        d = Document("access log")
        for _ in range(self.r.randrange(3, 6)):
            ip = self.v.ipv6() if self.r.random() < 0.4 else self.v.ipv4()
            d.value(ip, "IP_ADDRESS")
            d.add(
                f' - - [14/Oct/2025:09:{self.r.randrange(60):02d}:{self.r.randrange(60):02d} +0000] "GET /api/v2/orders/{self.r.randrange(10**5, 10**6)} HTTP/1.1" 200 {self.r.randrange(200, 9000)} "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" rt=0.0{self.r.randrange(10, 99)}\n'
            )
        d.add(
            f"2025-10-14T09:12:{self.r.randrange(60):02d}.{self.v.digits(3)}Z WARN auth: retrying with header Authorization: Bearer "
        )
        d.value(self.v.secret(), "SECRET").add("\n")
        return d

    def env_file(self) -> Document:
        d = Document(".env file").add(
            f"# generated {self.r.randrange(2023, 2026)}-0{self.r.randrange(1, 9)}-1{self.r.randrange(9)}\n"
            f"PORT=8{self.v.digits(3)}\nLOG_LEVEL=info\nFEATURE_CHECKOUT_V2=true\n"
            f"BUILD_SHA={self.v.chars('0123456789abcdef', 40)}\n"
        )
        d.add("AWS_ACCESS_KEY_ID=").value(self.v.secret(), "SECRET").add("\n")
        d.add("PAYMENTS_API_KEY=").value(self.v.secret(), "SECRET").add("\n")
        password = self.v.chars(_ALNUM + "!#%*", self.r.randrange(12, 20))
        d.add(self.r.choice(["DB_PASSWORD=", "SMTP_PASS=", "REDIS_PASSWORD: ", "db.password = "]))
        d.value(password, "SECRET").add(f"\nTIMEOUT_MS={self.r.randrange(1000, 30000)}\n")
        return d

    def letter_de(self) -> Document:
        first, last = self.person()
        d = Document("payment letter, de").add(
            f"Sehr geehrte Frau {last},\n\nbitte überweisen Sie den Betrag von "
            f"{self.r.randrange(100, 9999)},{self.r.randrange(100):02d} € bis zum "
            f"{self.r.randrange(1, 29)}.{self.r.randrange(1, 13)}.2026 auf folgendes Konto:\n"
            "IBAN: "
        )
        d.value(self.v.iban(), "IBAN").add("\nBIC: COBADEFFXXX\nVerwendungszweck: Rechnung ")
        d.add(f"RE-2025-{self.v.digits(5)}\n\nRückfragen gern telefonisch unter ")
        d.value(self.v.phone(), "PHONE").add(" oder per E-Mail an ")
        d.value(self.v.email(first, last), "EMAIL").add(".\n\nMit freundlichen Grüßen\n")
        return d

    def letter_fr(self) -> Document:
        first, last = self.person()
        d = Document("letter, fr").add(f"Bonjour {first},\n\nVotre dossier n° {self.v.digits(8)} ")
        d.add("est complet. Coordonnées bancaires : ").value(self.v.iban(), "IBAN")
        d.add(".\nTél. : ").value(self.v.phone(), "PHONE").add(" — courriel : ")
        d.value(self.v.email(first, last), "EMAIL").add(f"\nMontant : {self.r.randrange(1, 99)} ")
        d.add(f"{self.v.digits(3)},{self.v.digits(2)} €\n\nCordialement,\n")
        return d

    def chat(self) -> Document:
        d = Document("chat transcript").add(
            "user: hi, my card got declined twice today, can you check?\n"
            "assistant: Sorry about that. Could you give me the card number and your SSN "
            "so I can verify the account?\nuser: sure, card is "
        )
        d.value(self.v.card(), "CREDIT_CARD").add(" and ssn ").value(self.v.ssn(), "US_SSN")
        d.add(f"\nuser: order was #{self.v.digits(7)} placed at 10:4{self.r.randrange(10)} am\n")
        d.add("user: also my work laptop ip is ").value(self.v.ipv4(), "IP_ADDRESS")
        d.add(" if that matters, and the key I pasted into the ticket by mistake was ")
        d.value(self.v.secret(), "SECRET").add("\n")
        return d

    def hr_sheet(self) -> Document:
        sep = self.r.choice([",", ";"])
        d = Document("hr sheet").add(f"employee_id{sep}SSN{sep}start_date{sep}salary\n")
        for _ in range(self.r.randrange(3, 6)):
            d.add(f"E{self.v.digits(5)}{sep}").value(self.v.ssn(), "US_SSN")
            d.add(
                f"{sep}20{self.r.randrange(10, 26)}-0{self.r.randrange(1, 10)}-1{self.r.randrange(10)}{sep}{self.r.randrange(40, 180)}000\n"
            )
        return d

    # -- documents without values -----------------------------------------------------------
    def lookalike(self) -> Document:
        r, v = self.r, self.v
        return Document("look-alike").add(
            r.choice(
                [
                    "order_id,sku,qty,unit_price,shipped\n"
                    + "".join(
                        f"ORD-{r.randrange(2023, 2026)}-{v.digits(6)},SKU-{v.digits(5)},"
                        f"{r.randrange(1, 9)},{r.randrange(1, 999)}.{v.digits(2)},"
                        f"2025-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}\n"
                        for _ in range(4)
                    ),
                    f"Your parcel is on its way. UPS tracking 1Z{v.chars(_UPPER_ALNUM, 6)}"
                    f"{v.digits(10)}; FedEx {v.digits(12)}; USPS {v.digits(22)}.",
                    f'{{"build": "{v.chars("0123456789abcdef", 40)}", "version": "'
                    f'{r.randrange(1, 20)}.{r.randrange(30)}.{r.randrange(300)}", "duration_ms": '
                    f'{r.randrange(10**4, 10**7)}, "ts": {r.randrange(1_600_000_000, 1_760_000_000)}}}',
                    f"Invoice INV-{v.digits(4)}-{v.digits(6)} total 1 {v.digits(3)},{v.digits(2)} € "
                    f"(VAT {r.randrange(5, 25)} %), due {r.randrange(1, 29)}/{r.randrange(1, 13)}/2026.",
                    f"Request {uuid.UUID(int=r.getrandbits(128))} took {r.randrange(1, 900)} ms "
                    f"at 2025-10-14T09:{r.randrange(60):02d}:{r.randrange(60):02d}.{v.digits(6)}Z.",
                    f"Meet at 48.{v.digits(6)}, 2.{v.digits(6)}; the event runs "
                    f"{r.randrange(9, 12)}:00-{r.randrange(13, 18)}:30, room B{r.randrange(100, 400)}.",
                    f"ISBN 978-3-{v.digits(3)}-{v.digits(5)}-{r.randrange(10)} ships in "
                    f"{r.randrange(2, 9)} days; catalogue no. {v.digits(4)} {v.digits(4)} {v.digits(4)}.",
                    f"Kernel 6.{r.randrange(1, 12)}.{r.randrange(90)}-{r.randrange(100, 300)}-generic, "
                    f"package libssl3 3.0.{r.randrange(20)}-1~deb12u{r.randrange(1, 9)}.",
                    f"Q3 revenue: {r.randrange(1, 99)} {v.digits(3)} {v.digits(3)} EUR; "
                    f"headcount {r.randrange(100, 999)}; NPS {r.randrange(10, 80)}.",
                ]
            )
        )

    def documents(self, n: int) -> list[Document]:
        builders = [
            self.support_email, self.crm_csv, self.json_record, self.access_log, self.env_file,
            self.letter_de, self.letter_fr, self.chat, self.hr_sheet,
        ]  # fmt: skip
        docs = [builders[i % len(builders)]() for i in range(n)]
        return docs + [self.lookalike() for _ in range(n)]
