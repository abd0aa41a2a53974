"""Known answers for the placeholder syntax: what the vault issues, and what ``restore`` takes
back for a real value and what it leaves alone.

Placeholders are a format too: they are in every audit log payload, every prepared
fine-tuning file and every model answer in flight. Issued as ``[TYPE_N]`` (N from 1, per
type, skipping numbers the user's own text holds); restored as models write them back:
brackets optional on either side, any case, N of 1 to 9 ASCII digits, not glued to a word
character before the type or after the number. Every expected value here is written by hand.
"""

from __future__ import annotations

import pytest

from privllm.redaction.vault import Vault


def _vault() -> Vault:
    vault = Vault()
    for n in range(1, 21):
        vault.placeholder("EMAIL", f"user{n}@example.com")
    vault.placeholder("CREDIT_CARD", "4111 1111 1111 1111")
    vault.placeholder("CARD", "member card 77")
    vault.placeholder("SECRET", 'pa"ss')
    return vault


@pytest.mark.parametrize(
    ("text", "restored"),
    [
        # the issued form, and every number shape up to two digits
        ("[EMAIL_1]", "user1@example.com"),
        ("[EMAIL_9]", "user9@example.com"),
        ("[EMAIL_10]", "user10@example.com"),
        ("[EMAIL_19]", "user19@example.com"),
        ("[EMAIL_20]", "user20@example.com"),
        # as models mangle it: case, brackets dropped on either side
        ("email_1", "user1@example.com"),
        ("Email_1", "user1@example.com"),
        ("[email_1]", "user1@example.com"),
        ("[EMAIL_1", "user1@example.com"),
        ("EMAIL_1]", "user1@example.com"),
        ("Write to EMAIL_2.", "Write to user2@example.com."),
        ("(EMAIL_3)", "(user3@example.com)"),
        ('"[EMAIL_4]"', '"user4@example.com"'),
        # glued after the closing bracket: the placeholder ends at "]"
        ("[EMAIL_1]9", "user1@example.com9"),
        ("[EMAIL_1]]", "user1@example.com]"),
        ("[[EMAIL_1]", "[user1@example.com"),
        ("[EMAIL_1][EMAIL_2]", "user1@example.comuser2@example.com"),
        # the number is read as a number: leading zeros, up to 9 digits in all
        ("EMAIL_01", "user1@example.com"),
        ("[EMAIL_000000001]", "user1@example.com"),
        ("[EMAIL_0000000001]", "[EMAIL_0000000001]"),
        ("[EMAIL_1000000000]", "[EMAIL_1000000000]"),
        # the longest issued type wins: CREDIT_CARD is not CARD
        ("[CREDIT_CARD_1]", "4111 1111 1111 1111"),
        ("[CARD_1]", "member card 77"),
        ("credit_card_1", "4111 1111 1111 1111"),
        # left alone: not issued, or not a placeholder
        ("[EMAIL_21]", "[EMAIL_21]"),
        ("[EMAIL_0]", "[EMAIL_0]"),
        ("[PERSON_1]", "[PERSON_1]"),
        ("EMAIL_1x", "EMAIL_1x"),
        ("EMAIL_1_", "EMAIL_1_"),
        ("EMAIL_12a", "EMAIL_12a"),
        ("xEMAIL_1", "xEMAIL_1"),
        ("MY_EMAIL_1", "MY_EMAIL_1"),
        ("EMAIL_1EMAIL_2", "EMAIL_1EMAIL_2"),
        ("EMAIL1", "EMAIL1"),
        ("EMAIL-1", "EMAIL-1"),
        ("EMAIL_ 1", "EMAIL_ 1"),
        ("EMAIL_", "EMAIL_"),
        ("[EMAIL_\u0661]", "[EMAIL_\u0661]"),  # ARABIC-INDIC DIGIT ONE is not an ASCII digit
        ("[EMAIL_\uff11]", "[EMAIL_\uff11]"),  # FULLWIDTH DIGIT ONE neither
        ("no placeholder here", "no placeholder here"),
    ],
)
def test_restore_accepts_and_refuses(text, restored):
    assert _vault().restore(text) == restored


def test_restore_keeps_the_types_asked_for_and_escapes_for_json():
    vault = _vault()
    assert vault.restore("[SECRET_1] to [EMAIL_1]", keep=frozenset({"SECRET"})) == (
        "[SECRET_1] to user1@example.com"
    )
    assert vault.restore('{"password": "[SECRET_1]"}', json_escape=True) == (
        '{"password": "pa\\"ss"}'
    )
    assert vault.restore('{"password": "[SECRET_1]"}') == '{"password": "pa"ss"}'


def test_placeholders_are_issued_as_type_and_number_from_one_per_type():
    vault = Vault()
    assert vault.placeholder("EMAIL", "a@example.com") == "[EMAIL_1]"
    assert vault.placeholder("EMAIL", "b@example.com") == "[EMAIL_2]"
    assert vault.placeholder("EMAIL", "a@example.com") == "[EMAIL_1]"
    assert vault.placeholder("IP_ADDRESS", "10.0.0.1") == "[IP_ADDRESS_1]"
    assert vault.mapping() == {
        "[EMAIL_1]": "a@example.com",
        "[EMAIL_2]": "b@example.com",
        "[IP_ADDRESS_1]": "10.0.0.1",
    }


def test_numbers_the_users_text_holds_are_never_issued_or_restored():
    vault = Vault()
    vault.reserve_from(["I typed [EMAIL_1] and email_3 myself", "and PHONE_2"])
    assert vault.placeholder("EMAIL", "a@example.com") == "[EMAIL_2]"
    assert vault.placeholder("EMAIL", "b@example.com") == "[EMAIL_4]"
    assert vault.placeholder("PHONE", "+1 555 0100") == "[PHONE_1]"
    assert vault.placeholder("PHONE", "+1 555 0101") == "[PHONE_3]"
    assert vault.restore("[EMAIL_1] [EMAIL_2] [EMAIL_3] [EMAIL_4]") == (
        "[EMAIL_1] a@example.com [EMAIL_3] b@example.com"
    )
