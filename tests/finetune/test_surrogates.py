"""Surrogates: the type and shape of the value, from spaces that belong to no one."""

from __future__ import annotations

import ipaddress
import re

import pytest

from privllm.config import RedactionConfig
from privllm.finetune.prepare.surrogates import Draw, is_surrogate, normalise, surrogate
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.detectors import iban_ok, luhn_ok, ssn_ok
from privllm.redaction.redactor import Redactor

SALT = b"0123456789abcdef0123456789abcdef"


def make(kind: str, value: str, salt: bytes = SALT, attempt: int = 0) -> str:
    out = surrogate(kind, value, Draw(salt, kind, normalise(kind, value), attempt), attempt)
    assert out is not None
    return out


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011000990139424",
             "3056930009020004", "4222222222222"]
)  # fmt: skip
def test_cards_are_luhn_valid_test_numbers_of_the_same_brand_and_grouping(card):
    out = make("CREDIT_CARD", card)
    digits = out.replace(" ", "").replace("-", "")
    assert luhn_ok(digits)
    assert is_surrogate("CREDIT_CARD", out)
    assert out[0] == card[0] or card.startswith("30")  # Diners becomes a Visa-like test number
    if card[0] != "3" or card.startswith("37"):
        assert len(out) == len(card)
        assert [c for c in out if not c.isdigit()] == [c for c in card if not c.isdigit()]


@pytest.mark.parametrize(
    "iban", ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "FR1420041010050500013M02606",
             "NL91ABNA0417164300"]
)  # fmt: skip
def test_ibans_keep_country_length_and_letters_with_valid_check_digits(iban):
    out = make("IBAN", iban)
    compact, original = out.replace(" ", ""), iban.replace(" ", "")
    assert iban_ok(compact)
    assert compact[:2] == original[:2]
    assert len(out) == len(iban)
    assert [c.isalpha() for c in compact[4:]][4:] == [c.isalpha() for c in original[4:]][4:]
    assert is_surrogate("IBAN", out)
    assert not is_surrogate("IBAN", iban)


def test_ssns_are_never_issued_numbers():
    for i in range(200):
        out = make("US_SSN", f"536-22-{1000 + i}")
        area, group, serial = out.split("-")
        assert area[0] == "9"
        assert 1 <= int(group) <= 49  # outside the ITIN groups too
        assert not ssn_ok(area, group, serial)


def test_phones_keep_their_country_and_format_and_ring_no_one():
    # A phone's shape and length is a phone to the detector, assigned or not, so a stand-in
    # comes from a range the regulator keeps for fiction (NANP 555-01xx, Ofcom's drama
    # ranges, ARCEP's), which prepare accepts as a surrogate when it scans its own output.
    redactor = Redactor.from_config(RedactionConfig(types=["PHONE"]))
    vmap = ValueMap("surrogate", salt=SALT)

    def accept(s: str) -> bool:
        return all(is_surrogate(f.type, f.value) for f in redactor.find(s))

    expected = [
        ("+44 20 7946 0958", r"\+44 (20 7946 0|1[1-6]\d 496 0|7700 900|1632 960)\d+"),
        ("+44 161 234 5678", r"\+44 1\d\d \d{3} \d{4}"),
        ("(415) 555-2671", r"\(415\) 555-01\d\d"),
        ("+1 415-555-2671 ext. 12", r"\+1 415-555-01\d\d ext\. 12"),
        ("07700 900123", r"07700 900\d{3}"),
        ("01 42 68 53 00", r"01 99 00 \d\d \d\d"),
        ("+33 6 12 34 56 78", r"\+33 6 39 98 \d\d \d\d"),
    ]
    for phone, shape in expected:
        out = vmap.stand_in("PHONE", phone, accept=accept)
        assert re.fullmatch(shape, out), (phone, out)
        assert [c for c in out if not c.isdigit()] == [c for c in phone if not c.isdigit()]
        assert is_surrogate("PHONE", out)
        assert out != phone


def test_a_phone_of_a_country_with_no_fiction_range_keeps_a_placeholder():
    # Germany reserves no numbers for fiction: any number there may ring someone.
    vmap = ValueMap("surrogate", salt=SALT)
    assert vmap.stand_in("PHONE", "+49 30 1234567") == "[PHONE_1]"
    assert vmap.stand_in("PHONE", "030 1234567") == "[PHONE_2]"


def test_emails_and_ips_come_from_reserved_ranges():
    for i in range(50):
        email = make("EMAIL", f"jane{i}.doe@acme-corp.com")
        assert email.rsplit("@")[1] in ("example.com", "example.net", "example.org")
        assert "." in email.split("@")[0]
        v4 = ipaddress.ip_address(make("IP_ADDRESS", f"10.0.0.{i}"))
        assert v4 in ipaddress.ip_network("198.18.0.0/15")
    v6 = make("IP_ADDRESS", "fe80::1%eth0")
    assert v6.endswith("%eth0")
    assert ipaddress.ip_address(v6.split("%")[0]) in ipaddress.ip_network("2001:db8::/32")
    assert is_surrogate("EMAIL", "x@sub.example.org")
    assert is_surrogate("EMAIL", "x@host.test")
    assert not is_surrogate("EMAIL", "x@example.com.evil.io")
    assert is_surrogate("IP_ADDRESS", "192.0.2.7")
    assert not is_surrogate("IP_ADDRESS", "10.0.0.1")


def test_names_keep_word_count_case_and_legal_form():
    assert len(make("PERSON", "Jane Doe").split()) == 2
    assert make("PERSON", "JANE DOE").isupper()
    assert make("PERSON", "jane").islower()
    three = make("PERSON", "Jane Q. Doe").split()
    assert len(three) == 3
    assert three[1].endswith(".")
    assert make("ORGANIZATION", "Acme Widgets GmbH").endswith(" GmbH")
    assert make("ORGANIZATION", "Acme, Inc.").endswith(" Inc.")
    assert len(make("PROJECT", "Project Falcon").split()) == 2


def test_the_same_salt_gives_the_same_surrogate_and_another_salt_another():
    assert make("PERSON", "Jane Doe") == make("PERSON", "Jane Doe")
    assert make("PERSON", "Jane Doe") == make("PERSON", "jane  doe").title()
    other = {make("EMAIL", "jane@acme.com", bytes([i]) * 32) for i in range(20)}
    assert len(other) > 15


def test_a_surrogate_is_never_a_name_on_the_term_list():
    first = make("PERSON", "Jane Doe")
    redactor = Redactor.from_config(RedactionConfig(types=[], terms={"PERSON": [first]}))
    vmap = ValueMap("surrogate", salt=SALT)
    out = vmap.stand_in("PERSON", "Jane Doe", accept=lambda s: not redactor.find(s))
    assert out != first
    assert not redactor.find(out)


def test_with_no_acceptable_surrogate_a_placeholder_is_used():
    # Every name the generator can draw contains a listed "First Last" (double-barrelled
    # ones too): the map gives up on surrogates for this value rather than use one.
    from privllm.finetune.prepare import surrogates

    taken = [f"{first} {last}" for first in surrogates._FIRST for last in surrogates._LAST]
    redactor = Redactor.from_config(RedactionConfig(types=[], terms={"PERSON": taken}))
    vmap = ValueMap("surrogate", salt=SALT)
    assert vmap.stand_in("PERSON", "Jane Doe", accept=lambda s: not redactor.find(s)) == (
        "[PERSON_1]"
    )


def test_secrets_and_url_credentials_stay_placeholders():
    vmap = ValueMap("surrogate", salt=SALT)
    assert vmap.stand_in("SECRET", "sk-abc") == "[SECRET_1]"
    assert vmap.stand_in("SECRET", "sk-ABC") == "[SECRET_2]"  # case matters in a key
    assert vmap.stand_in("URL_CREDENTIALS", "https://u:p@h") == "[URL_CREDENTIALS_1]"
    assert surrogate("SECRET", "sk-abc", Draw(SALT, "SECRET", "sk-abc")) is None


@pytest.mark.parametrize(
    "value",
    ["07/03/1984", "03/14/1985", "1984-03-07", "07.03.84", "19840307", "7. März 1984",
     "1er mars 1984", "March 7th, 1984", "Sept. 9, 1979", "07-Mar-1984"],
)  # fmt: skip
def test_dates_of_birth_become_other_dates_written_alike(value):
    from privllm.redaction.birthdates import DateOfBirthDetector

    out = make("DATE_OF_BIRTH", value)
    assert out == make("DATE_OF_BIRTH", value)  # one value, one stand-in
    assert [f.value for f in DateOfBirthDetector().find(f"born {out}")] == [out]
    if value.replace("/", "").replace(".", "").replace("-", "").isdigit():
        # The same separators in the same places, and a day and a month that hold in
        # either reading where the original's order is not certain.
        assert re.sub(r"\d", "0", out) == re.sub(r"\d", "0", value)
    others = {make("DATE_OF_BIRTH", value, bytes([i]) * 32) for i in range(20)}
    assert len(others) > 15
