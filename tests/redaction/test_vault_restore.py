"""Vault and stream restoration: the invariants, by property tests."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from privllm.redaction.redactor import Redactor
from privllm.redaction.restore import StreamRestorer
from privllm.redaction.vault import Vault

REDACTOR = Redactor.from_types(["EMAIL", "CREDIT_CARD", "IP_ADDRESS", "SECRET"])

VALUES = st.sampled_from(
    [
        "ann@example.com",
        "bob.smith+x@mail.co.uk",
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
        "10.20.30.40",
        "2001:db8::1",
        "sk-proj-Q3JvbGxpbmdTdG9uZXNfMjAyNg7x",
    ]
)
FILLER = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def prompts(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        parts.append(draw(FILLER))
        parts.append(" " + draw(VALUES) + " ")
    parts.append(draw(FILLER))
    return "".join(parts)


def test_same_value_same_placeholder():
    vault = Vault()
    assert vault.placeholder("EMAIL", "a@b.co") == vault.placeholder("EMAIL", "a@b.co")
    assert vault.placeholder("EMAIL", "c@d.co") == "[EMAIL_2]"
    assert vault.placeholder("PHONE", "+1 415 555 0132") == "[PHONE_1]"


def test_user_text_that_looks_like_a_placeholder_is_never_restored():
    vault = Vault()
    vault.reserve_from(["I typed [EMAIL_1] and phone_1 myself"])
    token = vault.placeholder("EMAIL", "ann@example.com")
    assert token == "[EMAIL_2]"
    assert vault.restore("[EMAIL_1] [EMAIL_2]") == "[EMAIL_1] ann@example.com"


def test_tolerant_variants_and_their_limits():
    vault = Vault()
    vault.placeholder("CREDIT_CARD", "4111 1111 1111 1111")
    restored = vault.restore("a CREDIT_CARD_1 b [credit_card_1] c [Credit_Card_1 d")
    assert restored == "a 4111 1111 1111 1111 b 4111 1111 1111 1111 c 4111 1111 1111 1111 d"
    # not issued, longer number, glued to a word: left alone
    assert vault.restore("[CREDIT_CARD_2] CREDIT_CARD_12 xCREDIT_CARD_1") == (
        "[CREDIT_CARD_2] CREDIT_CARD_12 xCREDIT_CARD_1"
    )


def test_json_escape_keeps_tool_arguments_valid():
    vault = Vault()
    vault.placeholder("SECRET", 'line1\nli"ne2')
    args = vault.restore('{"note": "[SECRET_1]"}', json_escape=True)
    assert json.loads(args) == {"note": 'line1\nli"ne2'}


@settings(max_examples=300, deadline=None)
@given(prompts())
def test_restore_of_redact_is_identity(text):
    vault = Vault()
    vault.reserve_from([text])
    redacted = REDACTOR.redact(text, vault).text
    assert vault.restore(redacted) == text


@settings(max_examples=300, deadline=None)
@given(prompts(), st.lists(st.integers(1, 12), min_size=1, max_size=40))
def test_any_chunking_restores_like_the_whole(text, cuts):
    vault = Vault()
    vault.reserve_from([text])
    answer = REDACTOR.redact(text, vault).text  # the model echoes the placeholders
    pieces, pos, i = [], 0, 0
    while pos < len(answer):
        step = cuts[i % len(cuts)]
        pieces.append(answer[pos : pos + step])
        pos += step
        i += 1
    restorer = StreamRestorer(vault)
    streamed = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
    assert streamed == vault.restore(answer) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]_EMAILemail123 x", max_size=40), st.integers(1, 5))
def test_chunking_of_placeholder_lookalikes(answer, step):
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    vault.placeholder("EMAIL", "bob@example.com")
    restorer = StreamRestorer(vault)
    pieces = [answer[i : i + step] for i in range(0, len(answer), step)]
    streamed = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
    assert streamed == vault.restore(answer)


def test_restorer_holds_only_a_possible_placeholder_prefix():
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    restorer = StreamRestorer(vault)
    assert restorer.feed("Hello world") == "Hello world"  # nothing could be a placeholder
    assert restorer.feed(", write to [EM") == ", write to "
    assert restorer.feed("AIL_1") == ""
    assert restorer.feed("] today") == "ann@example.com today"
    assert restorer.feed(" Em") == " "
    assert restorer.feed("ma") == "Emma"


def test_a_placeholder_with_a_huge_number_is_left_alone_not_a_crash():
    # A model may answer anything; int() of a 5000-digit run raises ValueError in Python.
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    answer = "see EMAIL_" + "1" * 5000 + " and [EMAIL_1]"
    assert vault.restore(answer) == "see EMAIL_" + "1" * 5000 + " and ann@example.com"
    restorer = StreamRestorer(vault)
    streamed = "".join(restorer.feed(answer[i : i + 7]) for i in range(0, len(answer), 7))
    # Past nine digits the run cannot be a placeholder, so it is not held back either.
    assert len(streamed) > 5000
    assert streamed + restorer.flush() == vault.restore(answer)


def test_known_values_are_found_however_many_the_vault_holds():
    # Past a few dozen values they move into automatons; every one must still be found,
    # whole tokens only, the longest where two start together.
    vault = Vault()
    emails = [f"user{i}@example.org" for i in range(300)]
    for email in emails:
        vault.placeholder("EMAIL", email)
    vault.placeholder("PERSON", "Ann")
    vault.placeholder("PERSON", "Ann Lee")
    text = f"{emails[0]}, {emails[137]}; {emails[299]} Ann Lee, Anna, xuser5@example.org"
    found = [(f.type, f.value) for f in vault.known(text)]
    assert found == [
        ("EMAIL", emails[0]),
        ("EMAIL", emails[137]),
        ("EMAIL", emails[299]),
        ("PERSON", "Ann Lee"),
    ]


def test_known_finds_every_occurrence_from_offset_zero_to_the_end():
    # Values at the very start, repeated, adjacent and at the very end: each one, and past
    # a batch of 24 (the automaton), the same.
    for extra in (0, 40):
        vault = Vault()
        for i in range(extra):
            vault.placeholder("EMAIL", f"u{i}@example.org")
        vault.placeholder("US_SSN", "536 22 1847")
        text = "536 22 1847,536 22 1847 and 536 22 1847"
        spans = [(f.start, f.end) for f in vault.known(text)]
        assert spans == [(0, 11), (12, 23), (28, 39)]


def test_a_restored_value_is_known_wherever_it_occurs_glued_or_not():
    vault = Vault()
    vault.placeholder("CREDIT_CARD", "4111 1111 1111 1111")
    vault.placeholder("PERSON", "Li")
    restored = vault.restore("[CREDIT_CARD_1]9 and [PERSON_1]s")
    assert restored == "4111 1111 1111 11119 and Lis"
    found = [(f.type, f.start, f.end) for f in Vault(vault.restored).known(restored)]
    # The card is found glued; a value under three characters only as a whole word.
    assert found == [("CREDIT_CARD", 0, 19)]
    assert [f.value for f in Vault(vault.restored).known("Li wrote")] == []
    assert [f.value for f in vault.known("Li wrote")] == ["Li"]
