"""Surrogates: the type and shape of the value, from spaces that belong to no one."""

from __future__ import annotations

import ipaddress

import phonenumbers
import pytest

from privllm.config import RedactionConfig
from privllm.finetune.surrogates import Draw, is_surrogate, normalise, surrogate
from privllm.finetune.valuemap import ValueMap
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
    redactor = Redactor.from_config(RedactionConfig(types=["PHONE"]))
    vmap = ValueMap("surrogate", salt=SALT)
    accept = lambda s: not redactor.find(s)  # noqa: E731
    for phone, region in [("+44 20 7946 0958", None), ("(415) 555-2671", "US"),
                          ("+49 30 1234567", None), ("+1 415-555-2671 ext. 12", None),
                          ("07700 900123", "GB")]:  # fmt: skip
        out = vmap.stand_in("PHONE", phone, accept=accept)
        assert [c for c in out if not c.isdigit()] == [c for c in phone if not c.isdigit()]
        if region is None:
            assert out[:3] == phone[:3]  # +44, +1, +49: the country stays
        if region == "GB":
            assert out[0] == "0"  # the trunk prefix stays, and an exit code does not appear
            assert out[1] != "0"
        assert not phonenumbers.is_valid_number(phonenumbers.parse(out, region))


def test_a_phone_shape_with_no_free_number_keeps_a_placeholder():
    # Ten digits starting with 0 are a valid French number almost whatever they are: no
    # surrogate of that shape would ring no one, so the value gets a placeholder.
    redactor = Redactor.from_config(RedactionConfig(types=["PHONE"]))
    vmap = ValueMap("surrogate", salt=SALT)
    checked: list[str] = []

    def accept(candidate: str) -> bool:
        checked.append(candidate)
        return not redactor.find(candidate)

    assert vmap.stand_in("PHONE", "030 1234567", accept=accept) == "[PHONE_1]"
    tried = len(checked)
    assert tried > 10
    assert vmap.stand_in("PHONE", "030 1234567", accept=accept) == "[PHONE_1]"
    assert len(checked) == tried  # remembered: no second round of draws


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
    from privllm.finetune import surrogates

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
