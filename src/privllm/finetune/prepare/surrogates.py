"""Realistic stand-ins ("surrogates") for detected values, from spaces that belong to no one.

A surrogate has the type and shape of the value it replaces, so a model tuned on the data
learns what an email or an IBAN looks like in context, never whose it was:

========================  =================================================================
type                      surrogate
========================  =================================================================
EMAIL                     ``mara.lind@example.net``: the RFC 2606 documentation domains
PHONE                     the same format and country, in a range the regulator keeps for
                          fiction: NANP 555-0100..0199, Ofcom's drama ranges (020 7946 0xxx,
                          07700 900xxx, 01632 960xxx), ARCEP's (01 99 00 xx xx ... 06 39 98
                          xx xx); a placeholder for other countries and shapes (Germany has
                          no such range: any number there may ring someone)
CREDIT_CARD               a Luhn-valid number in a test range of the same brand
                          (Visa ``400000``, Mastercard ``555555``, Amex ``378282``,
                          Discover ``601100``), grouped like the original
IBAN                      same country, length and grouping, valid check digits, and a bank
                          code of zeros (``0000``, or ``XXXX`` where the code is letters)
US_SSN                    area 900-999 with group 01-49: never issued, and not an ITIN
IP_ADDRESS                IPv4 198.18.0.0/15 (RFC 2544), IPv6 2001:db8::/32 (RFC 3849)
PERSON, ORGANIZATION      names from built-in word lists, same number of words and case
other term-list types     made-up words, same number of words and case
SECRET, URL_CREDENTIALS   none: these stay placeholders (a realistic fake key would trip
                          every secret scanner, ours included, and teaches nothing useful)
========================  =================================================================

Choices are deterministic: ``Draw(salt, kind, value)`` seeds them from
``HMAC-SHA256(salt, kind + value)``, so the same value gets the same surrogate on every line
and every run with the same salt, and without the salt nothing links a surrogate to its value.
Faker is not needed (it is a dev-only dependency): the word lists below are enough.

    >>> draw = Draw(b"salt", "CREDIT_CARD", "4111 1111 1111 1111")
    >>> card = surrogate("CREDIT_CARD", "4111 1111 1111 1111", draw)
    >>> card.startswith("4000 00"), is_surrogate("CREDIT_CARD", card)
    (True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Sequence

from privllm.redaction.detectors import luhn_ok

__all__ = ["PLACEHOLDER_ONLY", "Draw", "is_surrogate", "normalise", "surrogate"]

#: Types that keep placeholders in surrogate mode.
PLACEHOLDER_ONLY: frozenset[str] = frozenset({"SECRET", "URL_CREDENTIALS"})

_FIRST = (  # noqa: SIM905 - a word list reads better as one string
    "Aaron Ada Adele Aiko Alba Alec Alma Amir Ana Anders Anika Anton Arne Asha Aurora Ben "
    "Bianca Boris Bruno Carla Cecil Chen Clara Colin Dalia Dario Dina Edda Elias Elin Emil "
    "Enzo Erik Esme Ezra Fabio Farah Felix Fenna Flora Galen Gemma Greta Hana Hugo Ida Ilse "
    "Imani Ines Ivan Jonas Juno Kai Kamal Kara Keiko Lars Lea Leon Lina Lior Luca Lydia Mara "
    "Marek Mateo Maya Mika Milo Nadia Nell Nico Nils Nora Odile Olga Omar Oren Otto Paula "
    "Pavel Petra Quinn Rafael Ravi Rhea Rosa Ruben Saba Sami Selma Silas Sofia Stellan Tamar "
    "Tariq Thea Timo Uma Vera Viktor Wren Xenia Yara Yusuf Zara Zeno"
).split()
_LAST = (  # noqa: SIM905 - a word list reads better as one string
    "Abara Adler Alvik Amari Arden Aster Bakker Balogun Barros Berg Blom Brandt Calder "
    "Carvalho Castell Dahl Dekker Dorsey Eklund Ellery Falk Fenwick Ferreira Fontaine Garvey "
    "Gil Halden Haldane Hartley Holm Ibarra Iqbal Jansen Jovanovic Kaur Keller Kessler Kovac "
    "Lachance Lind Lindqvist Lorenz Lund Maddox Marsh Mendel Merino Moreau Nakamura Navarro "
    "Neumann Nyberg Okafor Olsen Orlov Osei Pacheco Park Pereira Quist Rahman Reyes Richter "
    "Rocha Rossi Sandoval Sato Sauer Serrano Silva Stroud Sundberg Tanaka Thorne Torres Ueda "
    "Vance Varga Vidal Voss Wade Wallin Weber Wexler Whitlock Winter Yilmaz Young Zamora "
    "Zeller Ziegler Zimmer Abbott Bishop Crane Dunmore Easton Frost Greer Hale Ives Janik "
    "Kerr"
).split()
_BRANDS = (  # noqa: SIM905 - a word list reads better as one string
    "Alder Amberly Arclight Aurelian Bellwood Birchfield Blueharbor Brightwater Cobalt "
    "Copperleaf Crestline Driftwood Eastmere Emberly Evergreen Fairhaven Fernwood Foxglove "
    "Glenmoor Goldcrest Granite Harborview Hawthorne Highland Hollis Ironbark Juniper Kestrel "
    "Lakeshore Larkspur Lindenhall Meadowbrook Mistral Northwind Oakridge Orchard Pinecrest "
    "Quarry Redfern Ridgeway Riverbend Rowan Saltmarsh Silverline Solstice Stonebridge Summit "
    "Tidewater Timberline Trillium Upland Valemont Westbrook Whitmore Willowby Zephyr"
).split()
_TRADES = (  # noqa: SIM905 - a word list reads better as one string
    "Analytics Brands Builders Capital Consulting Dynamics Energy Foods Freight Health "
    "Holdings Industries Insurance Labs Logistics Media Partners Pharma Robotics Software "
    "Studios Systems Telecom Textiles Trading Ventures"
).split()
_SYLLABLES = (  # noqa: SIM905 - a word list reads better as one string
    "ka lo mir san tel vo rin da bel tor ne qui zan fa lu mo ris ven ta chi ro len sa vi dor "
    "pa ke nu"
).split()
# Legal forms kept verbatim from the original name, compared without case and dots.
_LEGAL = frozenset(
    (  # noqa: SIM905 - a word list reads better as one string
        "inc incorporated ltd limited llc llp plc corp corporation co company gmbh ag kg se "
        "sa sas sarl srl spa bv nv ab as oy aps pty kk"
    ).split()
)

# (brand, test prefix, allowed lengths, default length): the prefixes of well-known test
# numbers (4000 0000 0000 0002, 5555 5555 5555 4444, 3782 822463 10005, 6011 0009 9013 9424).
_CARD_FAMILIES: tuple[tuple[str, str, frozenset[int], int], ...] = (
    ("amex", "378282", frozenset({15}), 15),
    ("mastercard", "555555", frozenset({16}), 16),
    ("discover", "601100", frozenset({16, 19}), 16),
    ("visa", "400000", frozenset({13, 16, 19}), 16),
)
_CARD_PREFIXES = tuple(prefix for _, prefix, _, _ in _CARD_FAMILIES)
_IPV4_SURROGATES = ipaddress.IPv4Network("198.18.0.0/15")
_RESERVED_NETS = (
    _IPV4_SURROGATES,
    ipaddress.IPv4Network("192.0.2.0/24"),
    ipaddress.IPv4Network("198.51.100.0/24"),
    ipaddress.IPv4Network("203.0.113.0/24"),
    ipaddress.IPv6Network("2001:db8::/32"),
)
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_TLDS = (".example", ".test", ".invalid", ".localhost")


class Draw:
    """Deterministic choices seeded by ``HMAC-SHA256(salt, kind, value, attempt)``.

    A byte stream in counter mode, read 8 bytes per choice: the same inputs give the same
    choices on every platform and Python version (``random.Random`` promises less).

    >>> Draw(b"s", "EMAIL", "a@b.co").below(100) == Draw(b"s", "EMAIL", "a@b.co").below(100)
    True
    """

    __slots__ = ("_buf", "_counter", "_key")

    def __init__(self, salt: bytes, kind: str, value: str, attempt: int = 0) -> None:
        message = b"\x00".join((kind.encode(), value.encode(), str(attempt).encode()))
        self._key = hmac.digest(salt, message, "sha256")
        self._counter = 0
        self._buf = b""

    def __repr__(self) -> str:
        return "Draw(...)"

    def below(self, n: int) -> int:
        """A number in ``range(n)`` (bias under 2**-56 for the small ``n`` used here)."""
        if len(self._buf) < 8:
            self._counter += 1
            self._buf += hashlib.sha256(self._key + self._counter.to_bytes(4, "big")).digest()
        chunk, self._buf = self._buf[:8], self._buf[8:]
        return int.from_bytes(chunk, "big") % n

    def choice(self, items: Sequence[str]) -> str:
        return items[self.below(len(items))]

    def digits(self, n: int) -> str:
        return "".join(str(self.below(10)) for _ in range(n))


def normalise(kind: str, value: str) -> str:
    """The form two spellings of one value share, so they get one surrogate's content.

    >>> normalise("CREDIT_CARD", "4111-1111-1111-1111"), normalise("PERSON", " Jane  DOE")
    ('4111111111111111', 'jane doe')
    """
    if kind in ("CREDIT_CARD", "IBAN", "US_SSN", "PHONE"):
        return "".join(c for c in value if c.isalnum()).upper()
    if kind in ("EMAIL", "IP_ADDRESS"):
        return value.lower()
    if kind in PLACEHOLDER_ONLY:
        return value  # keys and passwords are case-sensitive: two spellings, two secrets
    return " ".join(value.casefold().split())


def surrogate(kind: str, value: str, draw: Draw, attempt: int = 0) -> str | None:
    """A stand-in for ``value`` of type ``kind``; ``None`` when the type keeps placeholders.

    ``attempt`` (0, 1, ...) widens the space of names when earlier draws were taken.
    """
    if kind in PLACEHOLDER_ONLY:
        return None
    if kind == "DATE_OF_BIRTH":  # a plausible date, written as the original is
        from privllm.redaction.birthdates import birth_date_like

        return birth_date_like(value, draw.below)
    maker = _MAKERS.get(kind)
    if maker is not None:
        return maker(value, draw, attempt)
    return _styled(value, " ".join(_word(draw) for _ in value.split()) or _word(draw))


def is_surrogate(kind: str, value: str) -> bool:
    """Whether a detected value lies in a space surrogates are drawn from.

    ``scan_file`` uses it so that a prepared file's surrogates are not reported as personal
    data. A real value in one of these spaces (a documentation address, a test card) is
    not personal data either, which is why the spaces were chosen.

    >>> is_surrogate("EMAIL", "ann@example.org"), is_surrogate("EMAIL", "ann@acme.com")
    (True, False)
    """
    if kind == "EMAIL":
        domain = value.rpartition("@")[2].lower()
        return domain in _EMAIL_DOMAINS or domain.endswith(
            tuple("." + d for d in _EMAIL_DOMAINS) + _RESERVED_TLDS
        )
    if kind == "CREDIT_CARD":
        return "".join(c for c in value if c.isdigit()).startswith(_CARD_PREFIXES)
    if kind == "IBAN":
        compact = "".join(c for c in value if c.isalnum()).upper()
        return len(compact) > 8 and set(compact[4:8]) <= {"0", "X"}
    if kind == "PHONE":
        return _fictional_phone(value)
    if kind == "IP_ADDRESS":
        try:
            ip = ipaddress.ip_address(value.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in _RESERVED_NETS)
    return False


# -- one maker per type ---------------------------------------------------------------------


def _styled(original: str, new: str) -> str:
    """``new`` in the original's case style: ALL CAPS, all lower, or as written."""
    if original.isupper():
        return new.upper()
    if original.islower():
        return new.lower()
    return new


def _reshape(template: str, symbols: str, slot: Callable[[str], bool] = str.isalnum) -> str:
    """``symbols`` poured into the ``slot`` positions of ``template`` (separators kept)."""
    it = iter(symbols)
    return "".join(next(it) if slot(c) else c for c in template)


def _word(draw: Draw) -> str:
    return "".join(draw.choice(_SYLLABLES) for _ in range(2 + draw.below(2))).capitalize()


def _person(value: str, draw: Draw, attempt: int) -> str:
    words = value.split()
    last = draw.choice(_LAST)
    if attempt >= 4:  # the simple space is crowded: double-barrelled names widen it 120x
        last += "-" + draw.choice(_LAST)
    if len(words) <= 1:
        return _styled(value, draw.choice(_FIRST) if attempt < 4 else last)
    middle = [draw.choice(_FIRST)[0] + "." for _ in words[1:-1]]
    return _styled(value, " ".join([draw.choice(_FIRST), *middle, last]))


def _organization(value: str, draw: Draw, attempt: int) -> str:
    words = value.split()
    legal = words[-1] if len(words) > 1 and _legal_form(words[-1]) else ""
    body = len(words) - bool(legal)
    name = draw.choice(_BRANDS)
    if attempt >= 4:
        name += draw.choice(_BRANDS).lower()
    if body > 1:
        name += " " + draw.choice(_TRADES)
    return _styled(value, f"{name} {legal}" if legal else name)


def _legal_form(word: str) -> bool:
    return word.casefold().replace(".", "").replace(",", "") in _LEGAL


def _email(value: str, draw: Draw, attempt: int) -> str:
    local = value.rpartition("@")[0]
    first, last = draw.choice(_FIRST).lower(), draw.choice(_LAST).lower()
    sep = "_" if "_" in local and "." not in local else "."
    name = f"{first}{sep}{last}" if sep in local or "." in local else f"{first[0]}{last}"
    if attempt >= 2 or any(c.isdigit() for c in local):
        name += str(10 + draw.below(990))
    return f"{name}@{draw.choice(_EMAIL_DOMAINS)}"


def _card(value: str, draw: Draw, attempt: int) -> str:
    digits = "".join(c for c in value if c.isdigit())
    if digits[:2] in ("34", "37"):
        family = _CARD_FAMILIES[0]
    elif "51" <= digits[:2] <= "55" or "2221" <= digits[:4] <= "2720":
        family = _CARD_FAMILIES[1]
    elif digits[:1] == "6":
        family = _CARD_FAMILIES[2]
    else:
        family = _CARD_FAMILIES[3]
    _, prefix, lengths, default = family
    n = len(digits) if len(digits) in lengths else default
    body = prefix + draw.digits(n - len(prefix) - 1)
    number = next(body + d for d in "0123456789" if luhn_ok(body + d))
    if n == len(digits):
        return _reshape(value, number)
    sep = next((c for c in value if not c.isdigit()), "")
    return sep.join(number[i : i + 4] for i in range(0, n, 4))


def _iban(value: str, draw: Draw, attempt: int) -> str:
    compact = "".join(c for c in value if c.isalnum()).upper()
    country, bban = compact[:2], compact[4:]
    new = []
    for i, c in enumerate(bban):
        if i < 4:
            new.append("0" if c.isdigit() else "X")
        else:
            new.append(str(draw.below(10)) if c.isdigit() else chr(65 + draw.below(26)))
    body = "".join(new)
    rotated = "".join(str(int(c, 36)) for c in body + country + "00")
    check = 98 - int(rotated) % 97
    return _reshape(value, f"{country}{check:02d}{body}")


def _ssn(value: str, draw: Draw, attempt: int) -> str:
    area = f"9{draw.below(100):02d}"
    group = f"{1 + draw.below(49):02d}"
    serial = f"{1 + draw.below(9999):04d}"
    return _reshape(value, area + group + serial)


# National numbers (trunk prefix included, country code excluded) kept for fiction, by
# country code: each entry is a prefix and the national length it is used with. Sources:
# NANPA (555-0100 to 555-0199 in every area code), Ofcom's "numbers for drama" list, ARCEP
# decision 2008-0341 (numbers reserved for fiction, one block per zone).
_FICTION: dict[str, list[tuple[str, int]]] = {
    "1": [("555", 10)],  # NPA-555-01XX: the prefix follows the area code (see below)
    "44": [("02079460", 11), ("07700900", 11), ("01632960", 11), ("01134960", 11),
           ("01614960", 11), ("01174960", 11), ("01214960", 11), ("01314960", 11)],
    "33": [("019900", 10), ("026191", 10), ("035301", 10), ("046571", 10),
           ("053649", 10), ("063998", 10)],
}  # fmt: skip
_PAIRS = re.compile(r"0\d(?:[ .\-]?\d\d){4}")
_EXTENSION = re.compile(r"[ \t]*(?:x|ext\.?|extension)[ \t]*\d+$", re.IGNORECASE)


def _phone(value: str, draw: Draw, attempt: int) -> str | None:
    # Keep the country and the format; draw the number inside a fiction range of that
    # country, so it rings no one however the numbering plan changes.
    extension = _EXTENSION.search(value)
    if extension is not None:  # "ext. 12" stays: it rings no one on a fictional number
        main = _phone(value[: extension.start()], draw, attempt)
        return None if main is None else main + value[extension.start() :]
    digits = "".join(c for c in value if c.isdigit())
    parts = _phone_parts(value, digits)
    if parts is None:
        return None
    country, national, written_before, trunk_written = parts
    if country == "1":
        body = national[:3] + "55501" + f"{draw.below(100):02d}"
    else:
        choices = [p for p, n in _FICTION[country] if n == len(national)]
        if not choices:
            return None
        # A mobile stays a mobile, a Paris number a Paris-zone one, where a range allows.
        choices = [p for p in choices if p[:2] == national[:2]] or choices
        start = choices[(draw.below(len(choices)) + attempt) % len(choices)]
        body = start + draw.digits(len(national) - len(start))
        if not trunk_written:
            body = body[1:]  # +44 20 ...: the trunk 0 is not written after a country code
    new = written_before + body
    return _reshape(value, new, str.isdigit) if len(new) == len(digits) else None


def _phone_parts(value: str, digits: str) -> tuple[str, str, str, bool] | None:
    """(country code, the national number with its trunk 0, the digits written before it
    such as ``44`` or ``0044``, whether the trunk 0 is written), or None when the country
    is not one with a fiction range or cannot be told."""
    text = value.lstrip("( ")
    if text.startswith(("+", "00")):
        before = "" if text.startswith("+") else "00"
        rest = digits[len(before) :]
        for cc in ("1", "44", "33"):
            if rest.startswith(cc):
                national = rest[len(cc) :]
                if cc == "1":
                    return cc, national, before + cc, False
                written = national.startswith("0")  # "+44 (0)20 ..."
                return cc, national if written else "0" + national, before + cc, written
        return None
    if digits[:1] == "0":
        # No country code: a UK shape (11 digits, 01/02/07) or a French one (ten digits
        # written in pairs); any other national number keeps a placeholder.
        if len(digits) == 11 and digits[1] in "127":
            return "44", digits, "", True
        if len(digits) == 10 and _PAIRS.fullmatch(value.strip()):
            return "33", digits, "", True
        return None
    if len(digits) == 10:
        return "1", digits, "", False
    if len(digits) == 11 and digits[0] == "1":
        return "1", digits[1:], "1", False
    return None


def _fictional_phone(value: str) -> bool:
    extension = _EXTENSION.search(value)
    if extension is not None:
        value = value[: extension.start()]
    parts = _phone_parts(value, "".join(c for c in value if c.isdigit()))
    if parts is None:
        return False
    country, national, _, _ = parts
    if country == "1":
        return len(national) == 10 and national[3:8] == "55501"
    return any(national.startswith(p) and len(national) == n for p, n in _FICTION[country])


def _ip(value: str, draw: Draw, attempt: int) -> str:
    address, pct, zone = value.partition("%")
    if ":" in address:
        net = int(ipaddress.IPv6Network("2001:db8::/32").network_address)
        ip6 = ipaddress.IPv6Address(net + 1 + draw.below(2**96 - 2))
        return str(ip6) + pct + zone
    ip4 = _IPV4_SURROGATES.network_address + (draw.below(512) << 8) + 1 + draw.below(254)
    return str(ip4)


_MAKERS: dict[str, Callable[[str, Draw, int], str | None]] = {
    "PERSON": _person,
    "ORGANIZATION": _organization,
    "EMAIL": _email,
    "CREDIT_CARD": _card,
    "IBAN": _iban,
    "US_SSN": _ssn,
    "PHONE": _phone,
    "IP_ADDRESS": _ip,
}
