"""Structured PII detectors: what each accepts, and the look-alikes each refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privllm.errors import ConfigError
from privllm.redaction.detectors import (
    CreditCardDetector,
    EmailDetector,
    IBANDetector,
    IPAddressDetector,
    PhoneDetector,
    URLCredentialsDetector,
    USSSNDetector,
    iban_ok,
    luhn_ok,
    ssn_ok,
)
from privllm.redaction.findings import Detector


def values(detector: Detector, text: str) -> list[str]:
    found = list(detector.find(text))
    for f in found:
        assert text[f.start : f.end] == f.value
        assert f.type in detector.types
    return [f.value for f in found]


@pytest.fixture(scope="module")
def phone() -> PhoneDetector:
    return PhoneDetector()


# -- EMAIL -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ana@example.org today", ["ana@example.org"]),
        ("cc: <Ana.B+news@mail.Example.co.uk>.", ["Ana.B+news@mail.Example.co.uk"]),
        ("mailto:j_doe-1@sub.domain.io,", ["j_doe-1@sub.domain.io"]),
        ("two: a@x.de and b@y.fr", ["a@x.de", "b@y.fr"]),
        ("unicode: jürgen@müller.de", ["jürgen@müller.de"]),
    ],
)
def test_email_found(text: str, expected: list[str]) -> None:
    assert values(EmailDetector(), text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "icon@2x.png and logo@3x.jpg",  # retina image names
        "user@localhost",  # no dot: not routable mail
        "npm i lodash@4.17.21",  # numeric TLD
        "@mention only, and a@b",
        "ssh://git@github.com/org/repo.git",  # a login on a host
        "git clone git@gitlab.com:org/repo.git",  # scp-style remote
        "a..b@example.com is not valid",
    ],
)
def test_email_refused(text: str) -> None:
    assert values(EmailDetector(), text) == []


# -- PHONE -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "number",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "+33 (0)1 23 45 67 89",
        "0049 30 1234567",
        "(415) 555-2671",  # US national
        "415-555-2671 ext. 12",
        "030 1234567",  # DE national
        "01 23 45 67 89",  # FR national
        "020 7946 0958",  # GB national
    ],
)
def test_phone_found(phone: PhoneDetector, number: str) -> None:
    assert values(phone, f"Call {number} today.") == [number]


def test_bare_digit_run_needs_a_phone_word(phone: PhoneDetector) -> None:
    assert values(phone, "phone: 4155552671") == ["4155552671"]
    assert values(phone, "Tel.: 0301234567") == ["0301234567"]
    assert values(phone, "order 4155552671 shipped") == []


@pytest.mark.parametrize(
    "text",
    [
        "Meeting 2024-01-15 at 10:00",
        "Server 192.168.100.200",
        "SSN 536-22-1847",
        "Card 4111 1111 1111 1111",
        "Logged at 2024-01-15T10:33:09.846756",
        "Budget: 612 345 678 EUR and $ 415 555 2671",
        "pi is 3.14159265, pages 110-6625",
        "ISBN 978-3-16-148410-0",
        "Kundennummer 0012345678",
    ],
)
def test_phone_refused(phone: PhoneDetector, text: str) -> None:
    assert values(phone, text) == []


def test_phone_regions_are_configurable() -> None:
    spanish = "Llama al 612 34 56 78 hoy"
    assert values(PhoneDetector(), spanish) == []  # ES is opt-in (amount look-alikes)
    assert values(PhoneDetector(["ES"]), spanish) == ["612 34 56 78"]
    with pytest.raises(ConfigError):
        PhoneDetector(["XX"])
    with pytest.raises(ConfigError):
        PhoneDetector([])


def test_two_numbers_in_one_run_are_both_found(phone: PhoneDetector) -> None:
    assert values(phone, "Tel 030 1234567 / 040 1234567 ") == ["030 1234567", "040 1234567"]


# -- CREDIT_CARD -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "3782 822463 10005",  # Amex 4-6-5
        "6011111111111117",  # Discover
        "3530111333300000",  # JCB
        "4222222222222",  # Visa 13
        "\uff14" + "\uff11" * 15,  # fullwidth digits
    ],
)
def test_card_found(card: str) -> None:
    assert values(CreditCardDetector(), f"paid with {card}, thanks") == [card]


def test_card_found_next_to_other_numbers() -> None:
    assert values(CreditCardDetector(), "exp 12 4111 1111 1111 1111") == ["4111 1111 1111 1111"]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "4111111111111112",
        "4111 1111-1111 1111",  # mixed separators
        "9111111111111110",  # Luhn passes, no issuer starts with 9
        "41111111111111111111",  # 20 digits
        "Order 1234567890123456 shipped",
        "ISBN 9783161484100",
        "value 4111111111111111.25",  # a decimal, not a card
        "id 12-4111111111111111",  # part of a dashed code
        "4111 11 11 1111 1111",  # groups of 2 are not a card layout
    ],
)
def test_card_refused(text: str) -> None:
    assert values(CreditCardDetector(), text) == []


def test_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


# -- IBAN --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
        "NO9386011117947",  # shortest in use
    ],
)
def test_iban_found(iban: str) -> None:
    assert values(IBANDetector(), f"IBAN: {iban} EUR") == [iban]
    assert values(IBANDetector(), f"Ref 12 {iban}.") == [iban]


@pytest.mark.parametrize(
    "iban",
    [
        "de89370400440532013000",  # typed on a phone
        "de89 3704 0044 0532 0130 00",
        "DE89-3704-0044-0532-0130-00",  # grouped by dashes, as some banks print them
        "gb29-nwbk-6016-1331-9268-19",
        "DE89  3704  0044  0532  0130  00",  # justified text in a PDF
        "DE89\t3704\t0044\t0532\t0130\t00",
    ],
)
def test_iban_in_lower_case_or_dash_grouped(iban: str) -> None:
    assert values(IBANDetector(), f"Pay to {iban}, thanks") == [iban]


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # mod-97 fails
        "DE89370400440532013",  # too short for DE
        "DE8937040044053201300012",  # too long for DE
        "ZZ89370400440532013000",  # no such country
        "XDE89370400440532013000",  # glued to a word
        "DE89   3704 0044 0532 0130 00",  # three spaces: two columns, not one value
    ],
)
def test_iban_refused(text: str) -> None:
    assert values(IBANDetector(), text) == []


def test_iban_ok() -> None:
    assert iban_ok("GB82WEST12345698765432")
    assert not iban_ok("GB82WEST12345698765433")
    assert not iban_ok("GB82WEST1234569876543")


# -- US_SSN ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ssn"),
    [
        ("file lists 536-22-1847 as id", "536-22-1847"),
        ("SSN: 536 22 1847", "536 22 1847"),
        ("her ssn is 536221847.", "536221847"),
        ("Social Security Number: 536-22-1847", "536-22-1847"),
        ("SS# 536221847", "536221847"),
    ],
)
def test_ssn_found(text: str, ssn: str) -> None:
    assert values(USSSNDetector(), text) == [ssn]


@pytest.mark.parametrize("text_case", [str, str.upper, str.title])
def test_every_ssn_cue_counts_whatever_order_the_cues_come_in(text_case) -> None:
    # A later "SSN" cue once hid an earlier "social security number" one.
    text = text_case("Her social security number 536 22 1847 was filed; his SSN: 123 45 6789.")
    assert values(USSSNDetector(), text) == ["536 22 1847", "123 45 6789"]
    assert values(USSSNDetector(), "SSN\u00a0né " + text) == ["536 22 1847", "123 45 6789"]


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",  # 9xx areas are not issued
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",  # the Woolworth wallet card number
        "order 536221847",  # bare 9 digits without a cue
        "code 536 22 1847",  # spaced without a cue
        "ticket 536-22-1847-123",  # part of a longer code
        "2024-01-15",
    ],
)
def test_ssn_refused(text: str) -> None:
    assert values(USSSNDetector(), text) == []


def test_ssn_rules() -> None:
    assert ssn_ok("536", "22", "1847")
    assert not ssn_ok("666", "22", "1847")


# -- IP_ADDRESS --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ip"),
    [
        ("ssh 10.0.0.1 now", "10.0.0.1"),  # private ranges are addresses too
        ("at 192.168.1.254:8080", "192.168.1.254"),
        ("resolver 8.8.8.8.", "8.8.8.8"),
        ("v6 2001:db8::1 up", "2001:db8::1"),
        ("link fe80::1%eth0.", "fe80::1%eth0"),
        ("mapped ::ffff:192.0.2.1 here", "::ffff:192.0.2.1"),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ],
)
def test_ip_found(text: str, ip: str) -> None:
    assert values(IPAddressDetector(), text) == [ip]


@pytest.mark.parametrize(
    "text",
    [
        "upgrade to 1.2.3",
        "built from 1.2.3.4.5",
        "running version 10.0.0.1",
        "see v1.2.3.4",
        "section 1.2.3.4",
        "bad 256.1.1.1 and 01.02.03.04",
        "at 12:30:45",
        "std::vector<int>",
        "mac 00:1a:2b:3c:4d:5e",
        "the :: operator",
    ],
)
def test_ip_refused(text: str) -> None:
    assert values(IPAddressDetector(), text) == []


# -- URL_CREDENTIALS ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://admin:hunter2@db.example.com/x",
        "postgres://app:s3cr3t@db.internal:5432/app",
        "https://api.example.com/v1?page=2&access_token=abcd1234",
        "https://bucket.s3.amazonaws.com/f.txt?X-Amz-Date=1&X-Amz-Signature=0a1b2c3d",
        "https://example.com/cb#access_token=abcdefgh",
        "https://ghp_abcdefghij1234567890abcd@github.com/o/r",
    ],
)
def test_url_credentials_found(url: str) -> None:
    assert values(URLCredentialsDetector(), f"see ({url}).") == [url]


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/search?q=token&page=2",
        "ssh://git@github.com/org/repo.git",
        "https://example.com/?keyword=secret",
        "https://example.com/path?token=",
        "https://user@example.com/",
        "no url here: token=abc",
    ],
)
def test_url_credentials_refused(text: str) -> None:
    assert values(URLCredentialsDetector(), text) == []


# -- properties --------------------------------------------------------------------------
_PIECES = st.sampled_from(
    [
        "ana@example.org",
        "+44 20 7946 0958",
        "4111 1111 1111 1111",
        "DE89 3704 0044 0532 0130 00",
        "536-22-1847",
        "10.0.0.1",
        "2001:db8::1",
        "https://u:p@h.io/x",
        "1.2.3.4.5",
        "2024-01-15",
        " ",
        "-",
        ".",
        ":",
        "@",
        "\n",
        "SSN ",
        "phone ",
        "\uff10",
        "\u0663",
    ]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=12).map("".join)
_ALL = [
    EmailDetector(),
    PhoneDetector(),
    CreditCardDetector(),
    IBANDetector(),
    USSSNDetector(),
    IPAddressDetector(),
    URLCredentialsDetector(),
]


@settings(deadline=None)  # the first call loads phone metadata
@given(_TEXT)
def test_every_finding_is_its_span(text: str) -> None:
    for detector in _ALL:
        for f in detector.find(text):
            assert 0 <= f.start < f.end <= len(text)
            assert text[f.start : f.end] == f.value


@settings(deadline=None)  # the first call loads phone metadata
@given(_TEXT)
def test_findings_survive_surrounding_prose(text: str) -> None:
    """A value found in a text is found at the same place after unrelated prose is prepended."""
    for detector in _ALL:
        before = {(f.start, f.type) for f in detector.find(text)}
        after = {(f.start - 10, f.type) for f in detector.find("Hello all " + text)}
        assert before == after


# -- ASCII fast paths --------------------------------------------------------------------
_NUMBERISH = st.text(alphabet="0123456789 +-()./\tAZDEGBxXextension,", max_size=60)


@pytest.mark.parametrize(
    ("unicode", "ascii"),
    [
        (PhoneDetector._CANDIDATE, PhoneDetector._CANDIDATE_ASCII),
        (CreditCardDetector._RUN, CreditCardDetector._RUN_ASCII),
        (IBANDetector._CANDIDATE, IBANDetector._CANDIDATE_ASCII),
    ],
    ids=["phone", "card", "iban"],
)
@settings(max_examples=400, deadline=None)
@given(text=_NUMBERISH)
def test_ascii_twin_patterns_match_exactly_what_the_unicode_ones_match(unicode, ascii, text):
    # Detectors switch to the twin when text.isascii(); a twin that matched differently
    # would silently change what is redacted.
    assert [m.span() for m in ascii.finditer(text)] == [m.span() for m in unicode.finditer(text)]
