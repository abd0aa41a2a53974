"""A labelled, seeded corpus for the detectors: real-shaped values in sentences, and look-alikes.

Values come from Faker in several locales (en_US, en_GB, de_DE, fr_FR, nl_NL, es_ES) or are
built here (keys, JWTs, PEM blocks), then placed inside prose with their spans recorded.
Look-alikes (order numbers, versions, timestamps, non-Luhn card-length numbers, ISBNs,
UUIDs, git SHAs, SKU codes, placeholders) carry no label, so any finding on them is a false
positive.

Phone numbers from Faker are labelled only when ``phonenumbers`` says they are valid for the
locale's region (Faker also makes up bare digit runs, which need a phone word); two in five
phones are instead written here in the shapes people use across locales, with digits drawn
at random, so many are in ranges no carrier has: the detector must find those too.

No pytest here: ``benchmarks/redaction_detect.py`` loads this file too.
"""

from __future__ import annotations

import base64
import datetime
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from faker import Faker

LOCALES: dict[str, str] = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "nl_NL": "NL",
    "es_ES": "ES",
}
TYPES = (
    "EMAIL",
    "PHONE",
    "CREDIT_CARD",
    "IBAN",
    "US_SSN",
    "IP_ADDRESS",
    "URL_CREDENTIALS",
    "SECRET",
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[Span, ...]


class _Builder:
    """Concatenates pieces, recording the span of each labelled one."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.size = 0

    def add(self, piece: str, kind: str | None = None) -> None:
        if kind is not None:
            self.spans.append(Span(self.size, self.size + len(piece), kind))
        self.parts.append(piece)
        self.size += len(piece)

    def template(self, template: str, value: str, kind: str | None) -> None:
        before, after = template.split("{}")
        self.add(before)
        self.add(value, kind)
        self.add(after)

    def example(self) -> Example:
        return Example("".join(self.parts), tuple(self.spans))


_ALNUM = string.ascii_letters + string.digits
# Faker draws dates up to "now" unless told otherwise: the same seed then gives another
# timestamp a microsecond later, and the corpus is not deterministic.
_END = datetime.datetime(2030, 1, 1)


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body + digit`` pass Luhn."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


class Generator:
    """Deterministic values and sentences; ``Generator(seed)`` always yields the same corpus."""

    def __init__(self, seed: int = 1234) -> None:
        self.rnd = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, fake in enumerate(self.fakers.values()):
            fake.seed_instance(seed + i)

    def fake(self) -> tuple[Faker, str]:
        loc = self.rnd.choice(list(LOCALES))
        return self.fakers[loc], loc

    def token(self, n: int, alphabet: str = _ALNUM) -> str:
        return "".join(self.rnd.choice(alphabet) for _ in range(n))

    # -- labelled values ---------------------------------------------------------------
    def email(self) -> str:
        fake, _ = self.fake()
        kind = self.rnd.randrange(3)
        if kind == 0:
            return str(fake.email())
        if kind == 1:
            return str(fake.company_email())
        user = fake.user_name()
        tag = self.rnd.choice(["news", "x", "bills"])
        return f"{user}.{self.token(3).lower()}+{tag}@{fake.domain_name()}"

    # Phone shapes as people write them, digits drawn here: many fall in ranges no carrier
    # has, which must not matter ("#" any digit, "$" 2-9). Bare runs are left to Faker's
    # numbers, since a template without a phone word leaves those unlabelled by design.
    PHONE_SHAPES: tuple[str, ...] = (
        # US
        "($##) $##-####",
        "($##)$##-####",
        "$##-$##-####",
        "$##.$##.####",
        "$## $## ####",
        "1-$##-$##-####",
        "+1-$##-$##-####",
        "+1 ($##) $##-####",
        "001-$##-$##-####",
        "$##-$##-#### x###",
        "$##.$##.####x#####",
        "+1 $##-$##-#### ext. ##",
        # GB
        "07### ######",
        "07### ### ###",
        "+44 7### ######",
        "+44 (0)7### ######",
        "+44(0)1### ######",
        "(01###) ######",
        "020 $### ####",
        "0044 20 $### ####",
        # DE
        "+49 (0)30 #######",
        "+49(0)1### ######",
        "030 ########",
        "0$### ######",
        "(0$###) ######",
        "089/#######",
        "0151 ########",
        "+49 151 ########",
        "0049 89 #######",
        "+49-30-#######",
        # FR
        "0$ ## ## ## ##",
        "0$.##.##.##.##",
        "+33 $ ## ## ## ##",
        "+33 (0)$ ## ## ## ##",
        "0033 $ ## ## ## ##",
        # NL
        "020-#######",
        "06-########",
        "+31 6 ########",
        "+31(0)### ######",
        "0031 20 #######",
        # CH
        "044 ### ## ##",
        "079 ### ## ##",
        "+41 44 ### ## ##",
        "+41 (0)$# ### ## ##",
        "0041 $# ### ## ##",
        # elsewhere, international only
        "+34 6## ### ###",
        "+39 06 ########",
        "+353 1 ### ####",
        "+61 2 #### ####",
        "+81 3-####-####",
        "+48 ### ### ###",
    )

    def handwritten_phone(self) -> str:
        draw = {"$": "23456789", "#": string.digits}
        return "".join(
            self.rnd.choice(draw[c]) if c in draw else c for c in self.rnd.choice(self.PHONE_SHAPES)
        )

    def phone_lookalike(self) -> str:
        """Digit runs a loose phone rule would take: codes, dates, postcodes, decimals."""
        n, t, dig = self.rnd.randint, self.token, string.digits

        def day() -> str:
            return f"{n(1, 28):02d}.{n(1, 12):02d}.{n(2000, 2030)}"

        return self.rnd.choice(
            [
                f"Order ORD-{n(2019, 2026)}-{t(6, dig)} confirmed.",
                f"Invoice no. {n(2019, 2026)}/{t(6, dig)} attached.",
                f"Logged at {n(2019, 2026)}-{n(1, 12):02d}-{n(1, 28):02d}T{n(10, 23)}:{n(10, 59)}",
                f"epoch 17{t(8, dig)} in the job log",
                f"ISBN 0-{t(3, dig)}-{t(5, dig)}-{t(1, dig)}",
                f"Boston, MA 0{t(4, dig)}-{t(4, dig)}",
                f"valid {day()} - {day()}",
                f"samples 0.{t(3, dig)} 0.{t(3, dig)} 0.{t(3, dig)}",
                f"Ref {t(2, dig)}/{t(4, dig)}/{t(4, dig)}",
                f"range {n(1000, 9999)}-{n(1000, 9999)}-{n(10, 99)}",
                f"USPS 9400 {t(4, dig)} {t(4, dig)} {t(4, dig)} {t(4, dig)} {t(2, dig)}",
                f"Total {n(1, 999)} {t(3, dig)} {t(3, dig)},{t(2, dig)} EUR",
            ]
        )

    def phone(self) -> str:
        if self.rnd.random() < 0.4:
            return self.handwritten_phone()
        while True:
            fake, loc = self.fake()
            raw = str(fake.phone_number())
            try:
                number = phonenumbers.parse(raw, LOCALES[loc])
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            style = self.rnd.randrange(4)
            if style == 1:
                return str(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                )
            if style == 2 and LOCALES[loc] != "ES":
                return str(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                )
            return raw

    def credit_card(self) -> str:
        fake = self.fakers["en_US"]
        kind = self.rnd.choice(
            [
                "visa16",
                "visa16",
                "visa13",
                "visa19",
                "mastercard",
                "mastercard",
                "amex",
                "discover",
                "diners",
                "jcb16",
                "jcb15",
            ]
        )
        digits = str(fake.credit_card_number(kind))
        style = self.rnd.randrange(3)
        if style == 0 or len(digits) not in (15, 16):
            return digits
        if len(digits) == 15:  # Amex 4-6-5
            return " ".join((digits[:4], digits[4:10], digits[10:]))
        sep = " " if style == 1 else "-"
        return sep.join(digits[i : i + 4] for i in range(0, 16, 4))

    def iban(self) -> str:
        fake, _ = self.fake()
        value = str(fake.iban())
        if self.rnd.random() < 0.5:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def ssn(self) -> tuple[str, str]:
        """A template and a value: dashed anywhere, other forms after an "SSN" cue."""
        value = str(self.fakers["en_US"].ssn())
        style = self.rnd.randrange(4)
        if style == 0:
            return "Her SSN is {} per the form.", value.replace("-", "")
        if style == 1:
            return "Social Security Number: {}.", value.replace("-", " ")
        return self.rnd.choice(
            [
                "SSN: {}",
                "Employee file lists {} as identifier.",
                "I think it was {} on the tax return.",
            ]
        ), value

    def ip(self) -> str:
        fake, _ = self.fake()
        return str(self.rnd.choice([fake.ipv4_public, fake.ipv4_private, fake.ipv6])())

    def url_credentials(self) -> str:
        fake, _ = self.fake()
        host = fake.domain_name()
        user = fake.user_name()
        password = str(fake.password(length=self.rnd.randint(8, 16), special_chars=False))
        return self.rnd.choice(
            [
                f"https://{user}:{password}@{host}/login",
                f"postgres://{user}:{password}@db.{host}:5432/app",
                f"https://{host}/api/v1/items?page=2&access_token={self.token(32)}",
                f"https://{host}/export?api_key={self.token(24)}&format=csv",
                f"https://bucket.s3.amazonaws.com/{fake.file_name()}?X-Amz-Date=20240115T103000Z"
                f"&X-Amz-Signature={self.token(64, '0123456789abcdef')}",
            ]
        )

    def secret(self) -> tuple[str, str]:
        """A template and a key; assignment templates label only the value."""
        t = self.token
        kind = self.rnd.randrange(13)
        if kind == 0:
            return "OPENAI_API_KEY={}", "sk-proj-" + t(48, _ALNUM + "_-")
        if kind == 1:
            return "Use this key {} for the test.", "sk-ant-api03-" + t(93, _ALNUM + "_-") + "AA"
        if kind == 2:
            return "maps key {} in config.js", "AIza" + t(35, _ALNUM + "_-")
        if kind == 3:
            return "aws access key id {} leaked", "AKIA" + t(16, string.ascii_uppercase + "234567")
        if kind == 4:
            return "aws_secret_access_key = {}", t(40, _ALNUM + "/+")
        if kind == 5:
            return "git remote token {} expires", self.rnd.choice(["ghp_", "gho_", "ghs_"]) + t(36)
        if kind == 6:
            return "token: {}", "github_pat_" + t(22) + "_" + t(59)
        if kind == 7:
            return "GITLAB={}", "glpat-" + t(20, _ALNUM + "_-")
        if kind == 8:
            return (
                "slack bot {} posts",
                f"xoxb-{t(11, string.digits)}-{t(13, string.digits)}-{t(24)}",
            )
        if kind == 9:
            return "stripe {} live", self.rnd.choice(["sk_live_", "rk_live_"]) + t(24)
        if kind == 10:
            return "Authorization: Bearer {}", self.jwt()
        if kind == 11:
            return "here is my key\n{}\nplease check", self.pem()
        fake, _ = self.fake()
        value = str(fake.password(length=self.rnd.randint(12, 20)))
        return self.rnd.choice(
            ['password = "{}"', "DB_PASSWORD={}", '"client_secret": "{}"', "secret: {}"]
        ), value

    def jwt(self) -> str:
        def part(obj: object) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        header = part({"alg": self.rnd.choice(["HS256", "RS256"]), "typ": "JWT"})
        payload = part(
            {"sub": self.token(8), "iat": self.rnd.randint(1_600_000_000, 1_800_000_000)}
        )
        return f"{header}.{payload}.{self.token(43, _ALNUM + '_-')}"

    def pem(self) -> str:
        label = self.rnd.choice(
            ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]
        )
        lines = [self.token(64, _ALNUM + "+/") for _ in range(self.rnd.randint(3, 8))]
        return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])

    # -- look-alikes (never labelled) --------------------------------------------------
    def lookalike(self) -> str:
        fake, _ = self.fake()
        n, t = self.rnd.randint, self.token
        dig, up, hexd = string.digits, string.ascii_uppercase, "0123456789abcdef"
        choices: list[Callable[[], str]] = [
            lambda: f"Order #{t(n(8, 12), dig)} ships Monday.",
            lambda: f"Invoice INV-{n(2019, 2025)}-{t(5, dig)} is due.",
            lambda: f"Upgrade to {n(1, 9)}.{n(0, 20)}.{n(0, 9)} now.",
            lambda: f"Built from {n(1, 9)}.{n(0, 9)}.{n(0, 9)}.{n(0, 9)}.{n(0, 9)} yesterday.",
            lambda: f"Running version {n(1, 20)}.{n(0, 9)}.{n(0, 9)}.{n(0, 99)}.",
            lambda: f"Logged at {fake.iso8601(end_datetime=_END)} by the job.",
            lambda: f"Meeting on {fake.date(end_datetime=_END)} at {fake.time(end_datetime=_END)}.",
            lambda: f"Date {n(1, 28):02d}.{n(1, 12):02d}.{n(1990, 2030)} confirmed.",
            lambda: f"Reference {self.non_luhn()} was rejected.",
            lambda: f"Account no. {self.non_luhn(grouped=True)} closed.",
            lambda: f"ISBN {self.isbn()} in stock.",
            lambda: f"Request id {uuid.UUID(int=self.rnd.getrandbits(128), version=4)} failed.",
            lambda: f"Fixed in commit {t(40, hexd)} and {t(7, hexd)}.",
            lambda: f"SKU {t(3, up)}-{t(5, dig)}-{t(2, up)} restocked.",
            lambda: f"Hash 0x{t(16, hexd)} and md5 {t(32, hexd)}.",
            lambda: f"Tracking 1Z{t(6, up + dig)}{t(10, dig)} in transit.",
            lambda: f"Total {n(1, 999)},{t(3, dig)}.{t(2, dig)} EUR for {n(2, 90)} units.",
            lambda: f"Case ID {n(100, 899)}-{t(2, dig)}-{t(4, dig)}-{t(3, dig)} closed.",
            lambda: (
                f"Invalid SSN {self.rnd.choice(['000', '666', '912'])}-{t(2, dig)}-{t(4, dig)}."
            ),
            lambda: "password=changeme in the sample config",
            lambda: "password: ${DB_PASSWORD}",
            lambda: "api_key = os.environ['API_KEY']",
            lambda: 'token: "<your-token-here>"',
            lambda: "the secret: ingredient is love",
            lambda: "sk-learn-compatible-estimator is what we use",
            lambda: f"See https://{fake.domain_name()}/search?q=token&page={n(1, 9)} for docs.",
            lambda: f"ssh://git@{fake.domain_name()}/repo.git",
            lambda: f"Icons: logo@2x.png, lodash@{n(1, 4)}.17.21 and @{fake.user_name()}.",
            lambda: (
                f"Time {n(0, 23):02d}:{n(0, 59):02d}:{n(0, 59):02d}, MAC "
                + ":".join(t(2, hexd) for _ in range(6))
            ),
            lambda: f"Use std::vector and 256.{n(0, 255)}.1.1 and 01.02.03.04.",
            lambda: f"Postcode {fake.postcode()} in {fake.city()}.",
            lambda: f"Population grew to {n(1_000_000, 90_000_000):,} in {n(1950, 2024)}.",
            lambda: f"Budget: {n(1_000_000, 999_999_999):,} EUR".replace(",", " "),
            lambda: f"Preis {n(1_000_000, 9_999_999):,}".replace(",", ".") + f",{t(2, dig)} €",
            lambda: f"Location {self.rnd.uniform(-90, 90):.6f}, {self.rnd.uniform(-180, 180):.6f}.",
            lambda: f"Kundennummer {t(10, dig)} und Order number {t(10, dig)}.",
            lambda: f"Pages {n(100, 999)}-{n(1000, 9999)} cited, pi is 3.14159265.",
            lambda: f"IBAN {self.bad_iban()} is invalid.",
            lambda: f"max_tokens={n(1000, 9999)}000 and token_count: {t(8, dig)}",
            lambda: f"password_min_length: 12 and sha256: {t(64, hexd)}",
            lambda: f"secret_santa: {fake.first_name()}-{fake.last_name()}",
            lambda: f"user@localhost, name(at){fake.domain_name()}, {fake.user_name()} at home",
            self.phone_lookalike,
        ]
        return self.rnd.choice(choices)()

    def non_luhn(self, grouped: bool = False) -> str:
        body = self.rnd.choice("3456") + self.token(14, string.digits)
        digits = body + str((int(luhn_digit(body)) + 1) % 10)  # one off the valid check digit
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4)) if grouped else digits

    def bad_iban(self) -> str:
        fake, _ = self.fake()
        value = str(fake.iban())
        last = str((int(value[-1]) + self.rnd.randint(1, 9)) % 10)
        return value[:-1] + last  # one digit changed: mod-97 fails

    def isbn(self) -> str:
        body = "978" + self.token(9, string.digits)
        check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
        isbn = body + str(check)
        if self.rnd.random() < 0.5:
            return f"{isbn[:3]}-{isbn[3]}-{isbn[4:6]}-{isbn[6:12]}-{isbn[12]}"
        return isbn

    # -- sentences and documents ---------------------------------------------------------
    def labelled(self, kind: str) -> tuple[str, str]:
        """(template with one ``{}``, value) for ``kind``."""
        r = self.rnd
        if kind == "EMAIL":
            return r.choice(
                [
                    "Write to {} with questions.",
                    "cc {}",
                    "Contact: <{}>.",
                    "mailto:{}",
                    "{} wrote yesterday.",
                ]
            ), self.email()
        if kind == "PHONE":
            return r.choice(
                [
                    "Call me on {} tonight.",
                    "Tel.: {}",
                    "Her mobile is {}.",
                    "Reach the office at {} or by mail.",
                    "Fax {} (main line).",
                    "Anna Berg, {}, Hamburg office.",  # no phone word: bare runs are missed
                    "Appelez-moi au {} svp.",
                    "Telefon (privat): {}",
                    "Bel me op {} morgen.",
                ]
            ), self.phone()
        if kind == "CREDIT_CARD":
            return r.choice(
                ["Card {} expires 12/27.", "paid with {}.", "CC: {}"]
            ), self.credit_card()
        if kind == "IBAN":
            return r.choice(
                ["IBAN: {}.", "Please transfer to {} today.", "Konto {} (Sparkasse)"]
            ), self.iban()
        if kind == "US_SSN":
            return self.ssn()
        if kind == "IP_ADDRESS":
            return r.choice(
                [
                    "Server at {} is down.",
                    "ssh admin@{}",
                    "Blocked {}, retried.",
                    "from {} port 8080",
                ]
            ), self.ip()
        if kind == "URL_CREDENTIALS":
            return r.choice(
                ["Clone {} please.", "DSN={}", "Link: {} (expires)."]
            ), self.url_credentials()
        if kind == "SECRET":
            return self.secret()
        raise ValueError(kind)

    def prose(self) -> str:
        fake, _ = self.fake()
        return str(fake.sentence(nb_words=self.rnd.randint(6, 14)))

    def examples(self, per_type: int = 250, lookalikes: int = 1500) -> list[Example]:
        """``per_type`` labelled sentences per type and ``lookalikes`` unlabelled ones."""
        out: list[Example] = []
        for kind in TYPES:
            for _ in range(per_type):
                b = _Builder()
                b.add(self.prose() + " ")
                b.template(*self.labelled(kind), kind)
                b.add(" " + self.prose())
                out.append(b.example())
        for _ in range(lookalikes):
            b = _Builder()
            b.add(self.prose() + " " + self.lookalike() + " " + self.prose())
            out.append(b.example())
        return out

    def document(self, size: int, item_rate: float = 0.12) -> Example:
        """About ``size`` characters of prose; each sentence has ``item_rate`` odds of being a
        labelled value, the same odds of being a look-alike."""
        b = _Builder()
        while b.size < size:
            roll = self.rnd.random()
            if roll < item_rate:
                kind = self.rnd.choice(TYPES)
                b.template(*self.labelled(kind), kind)
            elif roll < 2 * item_rate:
                b.add(self.lookalike())
            else:
                b.add(self.prose())
            b.add("\n\n" if self.rnd.random() < 0.15 else " ")
        return b.example()


@dataclass
class Tally:
    """Per-type counts: labels fully covered (tp) or not (fn); findings off any label (fp)."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    found: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return (self.found - self.fp) / self.found if self.found else 1.0


def evaluate(
    examples: list[Example], detect: Callable[[str], list[tuple[int, int, str]]]
) -> dict[str, Tally]:
    """Recall: a label counts only when one finding of its type covers it whole (a partial
    match leaks the rest). Precision: a finding counts when it overlaps a label of its type."""
    tallies = {t: Tally() for t in TYPES}
    for ex in examples:
        findings = detect(ex.text)
        for span in ex.spans:
            hit = any(t == span.type and s <= span.start and e >= span.end for s, e, t in findings)
            if hit:
                tallies[span.type].tp += 1
            else:
                tallies[span.type].fn += 1
        for s, e, t in findings:
            tally = tallies.setdefault(t, Tally())
            tally.found += 1
            if not any(sp.type == t and s < sp.end and sp.start < e for sp in ex.spans):
                tally.fp += 1
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    rows = [f"{'type':<16}{'labels':>8}{'recall':>9}{'findings':>10}{'precision':>11}"]
    for kind, t in tallies.items():
        rows.append(f"{kind:<16}{t.tp + t.fn:>8}{t.recall:>9.3f}{t.found:>10}{t.precision:>11.3f}")
    return "\n".join(rows)
