"""PHONE as users paste it: shapes of every locale, unassigned ranges, cues, columns, extensions.

The numbers are written by hand in the shapes people use (not taken from ``phonenumbers``'
example numbers, which the detector itself reads): many sit in ranges no carrier has been
given, which must not matter. Each case asserts on the redacted text, so the placeholder must
replace exactly the number, extension included, and nothing around it.
"""

from __future__ import annotations

import pytest

from privllm.redaction.redactor import Redactor
from privllm.redaction.vault import Vault


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.from_types()


def redact(redactor: Redactor, text: str) -> str:
    return redactor.redact(text, Vault()).text


@pytest.mark.parametrize(
    ("template", "number"),
    [
        # US: 3-3-4 in every punctuation, area codes not (yet) in service, +1 and 001 forms.
        ("call {} after 5", "(340) 417-4286"),
        ("cell {} (after 5)", "(466)303-9938"),
        ("Fax: {}", "736.364.9428"),
        ("in the film she dials {}", "(555) 123-4567"),  # fictional, yet a phone's shape
        ("Toronto desk {}", "(867) 097-4751 x750"),  # bracketed area code: any exchange
        ("Ask Dana, {}, about it", "974 936 1272"),
        ("Dana: {} anytime", "1-969-453-0801"),
        ("{} is her cell", "+1-969-453-0801"),
        ("Main line {}", "+1.632.663.6560"),
        ("from Europe dial {}", "001-998-555-9565"),
        # Extensions belong to the number.
        ("Office: {} - ask for Kim", "001-998-555-9565x71015"),
        ("Support {} today", "653-563-9431 x500"),
        ("Desk: {}.", "+1 (793) 436-2309 ext. 42"),
        # GB: the Ofcom drama ranges are unassigned by design; (0) after +44.
        ("Ring the office on {}.", "+44(0)1632 960911"),
        ("Switchboard {}", "+44 (0)7658 632204"),
        # DE
        ("Erreichbar unter {}.", "+49(0)1326 301093"),
        ("Zentrale {} (Mo-Fr)", "+49 (0) 1840 563202"),
        ("Büro {}", "(+49) 30 1234567"),
        # FR, NL, CH and others
        ("Standard : {}", "+33 (0)7 00 11 54 28"),
        ("Kantoor {}", "+31(0)279 721837"),
        ("Zentrale Zürich {}", "+41 (0)49 268 19 07"),
        ("Biuro {}", "+48 006 458 994"),
        ("Kontor {}", "+45 09 79 79 49"),
        ("Buero Wien {}", "+43 1 0633172"),
        ("Paris office {}", "0033 6 97 99 96 03"),
    ],
)
def test_phone_shapes_are_found_whether_or_not_their_range_is_assigned(
    redactor: Redactor, template: str, number: str
) -> None:
    text = template.format(number)
    assert redact(redactor, text) == template.format("[PHONE_1]")


@pytest.mark.parametrize(
    ("template", "number"),
    [
        ("Appelez-moi au {} svp", "0240316270"),  # French, bare
        ("tel {}", "00425502234"),  # a German national form written with two leading zeros
        ("Telefon: {}", "00469371626"),
        ("Bel me op {} morgen.", "0673225158"),  # Dutch
        ("Natel {}", "0793281457"),  # Swiss
        ("Handy {} (privat)", "010904517263"),
        ("Mobil: {}", "9152984095"),  # a US number with an area code not in service
        ("portable {}", "4557051283"),
        ("T: {}", "0631202948"),  # a business card
        ("phone_number: {}", "5356106161"),  # a YAML key
        ("Tel:{}", "0301234567"),
        ("Appelez-moi au {} svp.", "0021 674886"),
    ],
)
def test_after_a_phone_word_any_run_of_phone_length_is_a_phone(
    redactor: Redactor, template: str, number: str
) -> None:
    text = template.format(number)
    assert redact(redactor, text) == template.format("[PHONE_1]")


def test_a_phone_key_in_json_makes_a_bare_number_a_phone(redactor: Redactor) -> None:
    # (A JSON number, not string, under the key is the redactor's part: not read with its key.)
    out = redactor.redact_json('{"mobilePhone": "9152984095", "order": "9152984096"}', Vault())
    assert out.text == '{"mobilePhone": "[PHONE_1]", "order": "9152984096"}'


def test_a_phone_column_makes_its_cells_phones_on_every_line(redactor: Redactor) -> None:
    text = (
        "name;Telefon;Kundennummer\n"
        "Ann Weber;0301234567;4155552671\n"
        "Bob Kurz;9152984095;2125550123\n"
        "\n"
        "order,total\n"
        "4155552671,12\n"
    )
    assert redact(redactor, text) == (
        "name;Telefon;Kundennummer\n"
        "Ann Weber;[PHONE_1];4155552671\n"
        "Bob Kurz;[PHONE_2];2125550123\n"
        "\n"
        "order,total\n"
        "4155552671,12\n"
    )


def test_a_markdown_table_column_counts_too(redactor: Redactor) -> None:
    text = "| Name | Mobile number |\n|---|---|\n| Ann | 07700900461 |\n| Bob | 9152984095 |"
    assert redact(redactor, text) == (
        "| Name | Mobile number |\n|---|---|\n| Ann | [PHONE_1] |\n| Bob | [PHONE_2] |"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Invoice no. 2023/438471 attached.",  # an assigned US number, not written as one
        "range 7316-5477-25 reserved",
        "Ref 30/1284/2171",
        "Steuernummer 07/032/04089",
        "samples 0.162 0.566 0.239",
        "from 28.06.2001 - 05.02.2002",
        "ISBN 0-306-40615-2",
        "Boston, MA 02134-1234",
        "USPS 9400 6187 1192 1649 8406 51",
    ],
)
def test_lookalikes_once_taken_for_phones_stay(redactor: Redactor, text: str) -> None:
    assert redact(redactor, text) == text


def test_mixed_text_phones_go_and_lookalikes_stay(redactor: Redactor) -> None:
    text = (
        "Order ORD-2025-684348 logged at 2025-03-14T09:26:53 (epoch 1712345678) on v2.13.0.\n"
        "UPS 1Z999AA10123456784, total 1 234 567,89 EUR, invoice INV-2024-00417 of "
        "14.03.2025, ISBN 978-3-16-148410-0, host 10.20.30.40, ZIP 94105 and 75008 Paris.\n"
        "Questions: call (340) 417-4286 or +44(0)1632 960911; Appelez-moi au 0240316270.\n"
        "FedEx 7712 3456 7890, Kundennummer 0012345678, Preis 1.234.567,89 €, build 4.2.1.1234."
    )
    assert redact(redactor, text) == (
        "Order ORD-2025-684348 logged at 2025-03-14T09:26:53 (epoch 1712345678) on v2.13.0.\n"
        "UPS 1Z999AA10123456784, total 1 234 567,89 EUR, invoice INV-2024-00417 of "
        "14.03.2025, ISBN 978-3-16-148410-0, host [IP_ADDRESS_1], ZIP 94105 and 75008 Paris.\n"
        "Questions: call [PHONE_1] or [PHONE_2]; Appelez-moi au [PHONE_3].\n"
        "FedEx 7712 3456 7890, Kundennummer 0012345678, Preis 1.234.567,89 €, build 4.2.1.1234."
    )
