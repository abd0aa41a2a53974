"""Vault and stream restoration: the invariants, by property tests."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from privllm.redaction.redactor import Redactor
from privllm.redaction.restore import StreamRestorer
from privllm.redaction.restored import RestoredValues
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
def prompts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A prompt with 1 to 6 values, and those values.

    Each value is set off by a plain word and a full stop, so that no filler can make it
    something else ("§ 10.20.30.40" is a section number; "7 4111 1111 1111 1111" is not
    a card number): every value must be redacted.
    """
    parts, values = [], []
    for _ in range(draw(st.integers(1, 6))):
        values.append(draw(VALUES))
        parts.append(draw(FILLER))
        parts.append(" to " + values[-1] + " . ")
    parts.append(draw(FILLER))
    return "".join(parts), values


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
def test_restore_of_redact_is_identity(prompt):
    text, values = prompt
    vault = Vault()
    vault.reserve_from([text])
    redacted = REDACTOR.redact(text, vault).text
    # Not the identity by doing nothing: every value went, and came back.
    assert not any(value in redacted for value in values)
    assert vault.restore(redacted) == text


@settings(max_examples=300, deadline=None)
@given(prompts(), st.lists(st.integers(1, 12), min_size=1, max_size=40))
def test_any_chunking_restores_like_the_whole(prompt, cuts):
    text, values = prompt
    vault = Vault()
    vault.reserve_from([text])
    answer = REDACTOR.redact(text, vault).text  # the model echoes the placeholders
    assert not any(value in answer for value in values)
    pieces, pos, i = [], 0, 0
    while pos < len(answer):
        step = cuts[i % len(cuts)]
        pieces.append(answer[pos : pos + step])
        pos += step
        i += 1
    restorer = StreamRestorer(vault)
    streamed = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
    assert streamed == vault.restore(answer) == text


# The placeholder grammar, written again as one regex (an independent oracle): brackets
# optional, any case, 1 to 9 digits, not glued to a word character on either side.
_LOOKALIKE = re.compile(r"\[?(?<!\w)(?i:email)_(\d{1,9})(?!\w)\]?")
_ISSUED = {1: "ann@example.com", 2: "bob@example.com"}


def _reference_restore(answer: str) -> str:
    return _LOOKALIKE.sub(lambda m: _ISSUED.get(int(m.group(1)), m.group(0)), answer)


def test_the_reference_restorer_itself():
    assert _reference_restore("[EMAIL_1] email_2] [Email_3] xEMAIL_1 EMAIL_12 [EMAIL_1") == (
        "ann@example.com bob@example.com [Email_3] xEMAIL_1 EMAIL_12 ann@example.com"
    )


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]_EMAILemail123 x", max_size=40), st.integers(1, 5))
def test_chunking_of_placeholder_lookalikes(answer, step):
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    vault.placeholder("EMAIL", "bob@example.com")
    restorer = StreamRestorer(vault)
    pieces = [answer[i : i + step] for i in range(0, len(answer), step)]
    streamed = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
    assert streamed == vault.restore(answer) == _reference_restore(answer)


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


# -- the streaming restorer's options, with expected values written by hand ---------------


def test_streamed_tool_arguments_are_json_escaped_in_feed_and_in_flush():
    # A value with quotes restored into a JSON string must come out escaped, or the tool
    # arguments no longer parse; the held-back tail at the end of the stream too.
    vault = Vault()
    vault.placeholder("PERSON", 'Ann "Nan" Lee')
    restorer = StreamRestorer(vault, json_escape=True)
    assert restorer.feed('{"to": "[PERSON_1]", "cc": "PERSON_1') == (
        '{"to": "Ann \\"Nan\\" Lee", "cc": "'
    )
    assert restorer.flush() == 'Ann \\"Nan\\" Lee'


def test_a_streamed_answer_is_not_json_escaped_by_default():
    vault = Vault()
    vault.placeholder("PERSON", 'Ann "Nan" Lee')
    restorer = StreamRestorer(vault)
    assert restorer.feed("Dear [PERSON_1], and PERSON_1") == 'Dear Ann "Nan" Lee, and '
    assert restorer.flush() == 'Ann "Nan" Lee'


def test_streamed_kept_types_stay_placeholders_in_feed_and_in_flush():
    # keep= is how secrets stay placeholders in streamed tool calls: a restorer that
    # dropped it would put the real key into the arguments the app's tool receives.
    vault = Vault()
    vault.placeholder("SECRET", "sk-live-4eC39HqLyjWDarjtT1zdp7dc")
    vault.placeholder("EMAIL", "ann@example.com")
    restorer = StreamRestorer(vault, keep=frozenset({"SECRET"}))
    assert restorer.feed("use [SECRET_1] for [EMAIL_1] then SECRET_1") == (
        "use [SECRET_1] for ann@example.com then "
    )
    assert restorer.flush() == "SECRET_1"


def test_restorer_empty_deltas_and_flush_leave_nothing_behind():
    vault = Vault()
    vault.placeholder("PERSON", "Ann Lee")
    restorer = StreamRestorer(vault)
    assert restorer.feed("") == ""
    assert restorer.feed("to [PERS") == "to "
    assert restorer.feed("") == ""
    assert restorer.flush() == "[PERS"
    assert restorer.flush() == ""
    # A new stream after flush: the old tail is gone, so "ON_1]" is not completed by it.
    assert restorer.feed("ON_1] hi") == "ON_1] hi"


def test_a_bare_placeholder_split_at_the_very_start_of_a_stream_is_restored():
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    restorer = StreamRestorer(vault)
    assert restorer.feed("EMA") == ""
    assert restorer.feed("IL_1 wrote") == "ann@example.com wrote"
    assert restorer.flush() == ""


# -- the vault: restoration and re-redaction edge cases, expected values by hand ----------


def test_placeholder_numbers_with_every_digit_are_restored():
    # 100 values of one type: numbers with a 0 or a 9 in them, two and three digits.
    vault = Vault()
    for n in range(1, 101):
        assert vault.placeholder("EMAIL", f"user{n}@example.org") == f"[EMAIL_{n}]"
    answer = "[EMAIL_10],[EMAIL_19] [EMAIL_90]\nEMAIL_100 and email_9"
    assert vault.restore(answer) == (
        "user10@example.org,user19@example.org user90@example.org\n"
        "user100@example.org and user9@example.org"
    )


def test_placeholders_at_offset_zero_at_the_end_adjacent_and_after_an_underscore():
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    vault.placeholder("PHONE", "+44 20 7946 0958")
    assert vault.restore("EMAIL_1 wrote") == "ann@example.com wrote"
    assert vault.restore("call PHONE_1") == "call +44 20 7946 0958"
    assert vault.restore("[EMAIL_1][PHONE_1]") == "ann@example.com+44 20 7946 0958"
    # Markdown italics: the text's first "_" is at offset 0 and is not a placeholder's.
    assert vault.restore("_Note_: mail [EMAIL_1]") == "_Note_: mail ann@example.com"
    assert vault.restore("EMAIL_1; PHONE_1.") == "ann@example.com; +44 20 7946 0958."


def test_placeholder_lookalikes_are_left_alone_and_never_crash():
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    # No digits, glued to "_" on either side: not placeholders.
    assert vault.restore("EMAIL_ and [EMAIL_1]") == "EMAIL_ and ann@example.com"
    assert vault.restore("my_EMAIL_1 EMAIL_1_old") == "my_EMAIL_1 EMAIL_1_old"
    # At most nine digits (leading zeros included); ten are not a placeholder.
    assert vault.restore("[EMAIL_000000001]") == "ann@example.com"
    assert vault.restore("[EMAIL_0000000001]") == "[EMAIL_0000000001]"


def test_a_type_added_after_a_restore_is_restored_too():
    # The longest-first list of types is cached: a new type must reset it.
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    assert vault.restore("[EMAIL_1]") == "ann@example.com"
    vault.placeholder("PHONE", "+44 20 7946 0958")
    assert vault.restore("[PHONE_1] or [EMAIL_1]") == "+44 20 7946 0958 or ann@example.com"


def test_a_type_name_ending_in_another_is_restored_to_its_own_value():
    # Type names are the user's choice (term lists); the longer one must be tried first,
    # or "[CLIENT-NAME_1]" would be read as "NAME_1" and restored to another person.
    vault = Vault()
    vault.placeholder("NAME", "Ann Lee")
    vault.placeholder("CLIENT-NAME", "Bob Stone")
    assert vault.restore("[CLIENT-NAME_1] and [NAME_1]") == "Bob Stone and Ann Lee"


def test_restore_escapes_for_json_only_when_asked_and_keeps_characters():
    vault = Vault()
    vault.placeholder("PERSON", 'José "Pepe" Müller')
    assert vault.restore("Dear [PERSON_1],") == 'Dear José "Pepe" Müller,'
    assert vault.restore('{"to": "[PERSON_1]"}', json_escape=True) == (
        '{"to": "José \\"Pepe\\" Müller"}'
    )


def test_json_escaped_values_keep_their_characters_so_a_replay_finds_them():
    # Tool arguments a client restored are sent back in the next request: "José Müller"
    # written as "Jos\u00e9 M\u00fcller" would no longer be found there, and go out.
    vault = Vault()
    vault.placeholder("PERSON", "José Müller")
    args = vault.restore('{"to": "[PERSON_1]"}', json_escape=True)
    assert args == '{"to": "José Müller"}'
    assert [f.value for f in Vault(vault.restored).known(args)] == ["José Müller"]


def test_reserve_from_reads_every_text():
    vault = Vault()
    vault.reserve_from(["no placeholders here", "I typed [EMAIL_1] myself"])
    assert vault.placeholder("EMAIL", "ann@example.com") == "[EMAIL_2]"


def test_value_looks_up_a_placeholder_in_any_case():
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    assert vault.value("email", 1) == "ann@example.com"
    assert vault.value("EMAIL", 2) is None


def test_known_skips_glued_occurrences_and_finds_the_later_whole_ones():
    vault = Vault()
    vault.placeholder("PERSON", "Ann Lee")
    vault.placeholder("IP_ADDRESS", "10.0.0.1")
    # "xAnn Lee" is another word; 10.0.0.12 is another host.
    text = "xAnn Lee, Ann Lee; 10.0.0.12 and 10.0.0.1"
    found = [(f.start, f.end, f.type) for f in vault.known(text)]
    assert found == [(10, 17, "PERSON"), (33, 41, "IP_ADDRESS")]


def test_restorer_holds_back_only_what_could_still_be_a_placeholder():
    vault = Vault()
    vault.placeholder("EMAIL", "ann@example.com")
    restorer = StreamRestorer(vault)
    assert restorer.feed("call 5550132") == "call 5550132"  # digits alone: released
    # Nine digits may still be a placeholder if the next chunk ends it; ten never are.
    assert restorer.feed(" x EMAIL_000000001") == " x "
    assert restorer.feed("2 y") == "EMAIL_0000000012 y"
    assert restorer.feed(" z EMAIL_0000000001") == " z EMAIL_0000000001"
    assert restorer.flush() == ""


def test_a_restored_value_glued_right_after_another_is_still_found():
    # Restored values are found as substrings, overlapping occurrences included: "000"
    # occurs at 1, 2, 3 and 4 in "7000000", and only the one at 4 follows "7000".
    restored = RestoredValues()
    restored.add([("ACCOUNT", "7000"), ("PIN", "000")])
    found = [(f.start, f.end, f.type) for f in Vault(restored).known("code 7000000.")]
    assert found == [(5, 9, "ACCOUNT"), (9, 12, "PIN")]


def _could_start_token_as_first_written(kinds: list[str], tail: str) -> bool:
    upper = tail.upper()
    for kind in kinds:
        prefix = kind + "_"
        if prefix.startswith(upper):
            return True
        number = upper[len(prefix) :]
        if upper.startswith(prefix) and number.isdigit() and len(number) <= 9:
            return True
    return False


_KINDS = ["EMAIL", "PHONE", "CREDIT", "CREDIT_CARD", "IP_ADDRESS", "A"]


@given(
    st.lists(st.sampled_from(_KINDS), unique=True, max_size=6),
    st.one_of(
        st.text(max_size=20),
        st.builds(
            lambda k, sep, digits, tail: k[: len(k) // 2 + 1].lower() + sep + digits + tail,
            st.sampled_from(_KINDS),
            st.sampled_from(["", "_"]),
            st.text(alphabet="0123456789\u00b2\u0661", max_size=11),
            st.sampled_from(["", "_", "x", "_1"]),
        ),
        st.builds(
            lambda k, digits: k + "_" + digits,
            st.sampled_from(_KINDS),
            st.text(alphabet="0123456789\u00b2\u0661_", max_size=11),
        ),
    ),
)
def test_could_start_token_is_the_rule_it_was(kinds, tail):
    vault = Vault()
    for kind in kinds:
        vault.placeholder(kind, f"value of {kind}")
    assert vault.could_start_token(tail) == _could_start_token_as_first_written(kinds, tail)
