"""Values as people paste them: no-break and thin spaces from Word and PDFs, en dashes,
fullwidth forms from CJK keyboards, other scripts' digits, zero-width characters; CSV cells;
JSON numbers and lists under a cue key; a cue in the previous turn (issue 12).

The placeholder must replace the original characters exactly, whatever they were.
"""

# ruff: noqa: RUF001  (fullwidth and other look-alike characters are the test data)
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privllm import Client, Message
from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES
from privllm.redaction.vault import Vault
from privllm.testing import Reply

SEPARATORS = {
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "thin space": "\u2009",
    "figure space": "\u2007",
    "ideographic space": "\u3000",
    "two spaces": "  ",
    "tab": "\t",
    "en dash": "\u2013",
    "em dash": "\u2014",
    "minus sign": "\u2212",
    "non-breaking hyphen": "\u2011",
}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]

# Written in groups of four with a separator to swap: real test numbers of each kind.
GROUPED = [
    ("CREDIT_CARD", ["4852", "6228", "9015", "8001"]),  # Visa
    ("CREDIT_CARD", ["5425", "2334", "3010", "9903"]),  # Mastercard
    ("CREDIT_CARD", ["2223", "0031", "2200", "3222"]),  # Mastercard 2-series
    ("CREDIT_CARD", ["3714", "496353", "98431"]),  # Amex, 4-6-5
    ("IBAN", ["DE89", "3704", "0044", "0532", "0130", "00"]),
    ("IBAN", ["FR14", "2004", "1010", "0505", "0001", "3M02", "606"]),
    ("US_SSN", ["536", "22", "1847"]),  # dashed form: any dash counts
]

redactor = Redactor.from_types()


def redact(text: str) -> str:
    return redactor.redact(text, Vault()).text


def only(kind: str, text: str, value: str) -> None:
    """``text`` holds ``value`` once: it must come out as one placeholder, all else intact."""
    before, after = text.split(value)
    assert redact(text) == f"{before}[{kind}_1]{after}", (kind, value)


@pytest.mark.parametrize("name", list(SEPARATORS))
@pytest.mark.parametrize(("kind", "groups"), GROUPED)
def test_a_value_grouped_by_any_separator_is_found_whole(kind, groups, name):
    sep = SEPARATORS[name]
    if kind == "US_SSN" and sep.strip() == "":
        pytest.skip("a space-grouped SSN needs its cue: see test_ssn_forms")
    if kind == "IBAN" and sep in ("\u2013", "\u2014", "\u2212", "\u2011"):
        groups = [groups[0], "".join(groups[1:])]  # one dash, as banks never print several
    value = sep.join(groups)
    only(kind, f"Please use {value} for the refund.", value)


@settings(max_examples=60, deadline=None)
@given(
    kind_groups=st.sampled_from(GROUPED),
    sep=st.sampled_from([" ", "-", *SEPARATORS.values()]),
    invisible=st.lists(st.tuples(st.sampled_from(INVISIBLE), st.integers(0, 30)), max_size=3),
    prefix=st.sampled_from(["", "ref: ", "Kartennummer\u00a0: ", "（", "Card,", "x\t"]),
)
def test_separators_and_invisible_characters_never_hide_a_value(
    kind_groups, sep, invisible, prefix
):
    kind, groups = kind_groups
    if kind == "US_SSN":
        sep = "-" if sep.strip() == "" else sep
        prefix = "SSN "
    if kind == "IBAN" and sep.strip() and sep != "-":
        sep = " "
    value = sep.join(groups)
    # Zero-width characters and soft hyphens inside a group, where no one sees them.
    for char, at in invisible:
        digits = [i for i, c in enumerate(value) if c.isalnum()]
        i = digits[at % (len(digits) - 1) + 1] if len(digits) > 1 else 0
        value = value[:i] + char + value[i:]
    only(kind, f"{prefix}{value} ok", value)


@pytest.mark.parametrize(
    "value",
    [
        "４８５２ ６２２８ ９０１５ ８００１",  # fullwidth digits, from a CJK keyboard
        "\u0664\u0668\u0665\u0662 \u0666\u0662\u0662\u0668 "  # Arabic-Indic
        "\u0669\u0660\u0661\u0665 \u0668\u0660\u0660\u0661",
        "\u096a\u096e\u096b\u0968 \u096c\u0968\u0968\u096e "  # Devanagari
        "\u096f\u0966\u0967\u096b \u096e\u0966\u0966\u0967",
        "4852.6228.9015.8001",  # dotted groups
    ],
)
def test_a_card_in_other_digits_or_dotted_is_found(value):
    only("CREDIT_CARD", f"カード番号: {value} です", value)


def test_a_fullwidth_email_is_found():
    only("EMAIL", "連絡先：ｊａｎｅ＠ａｃｍｅ．ｃｏｍ まで", "ｊａｎｅ＠ａｃｍｅ．ｃｏｍ")


@pytest.mark.parametrize(
    ("line", "card"),
    [
        ("ORD-2025-684348,3727-445120-88751,paid", "3727-445120-88751"),
        ("#4161152,4852 6228 9015 8001,visa", "4852 6228 9015 8001"),
        ("42,2223003122003222,2029-11", "2223003122003222"),
        ("2025-03-14;4852622890158001;EUR", "4852622890158001"),
        ("17\t4852 6228 9015 8001\t12/29", "4852 6228 9015 8001"),
    ],
)
def test_a_card_in_a_csv_cell_after_a_number_is_found(line, card):
    only("CREDIT_CARD", line, card)


@pytest.mark.parametrize(
    ("text", "ssn"),
    [
        ("SSN 536221847", "536221847"),
        ("SSN: 536 22 1847", "536 22 1847"),
        ("SSN - 536-22-1847", "536-22-1847"),
        ("S.S.N. 536221847", "536221847"),
        ("s.s.n 536 22 1847", "536 22 1847"),
        ("ssn 536\u201322\u20131847", "536\u201322\u20131847"),
        ("Your SSN? 536221847", "536221847"),
        ("social security number:\u00a0536\u00a022\u00a01847", "536\u00a022\u00a01847"),
    ],
)
def test_ssn_forms(text, ssn):
    only("US_SSN", text, ssn)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"ssn": 536221847}, {"ssn": "[US_SSN_1]"}),
        ({"ssns": ["536 22 1847"]}, {"ssns": ["[US_SSN_1]"]}),
        ({"phones": ["4155552671"]}, {"phones": ["[PHONE_1]"]}),
        ({"phone": 4155552671}, {"phone": "[PHONE_1]"}),
        ({"passwords": {"current": "Zq8#kLm2Vx9w"}}, {"passwords": {"current": "[SECRET_1]"}}),
        ({"customer": {"ssn": 536221847, "orders": 536221847}}, None),
    ],
)
def test_json_values_inherit_their_keys_cue(doc, expected):
    out = json.loads(redactor.redact_json(json.dumps(doc), Vault()).text)
    if expected is None:
        # Under "orders" the same digits are an order count... but the vault has learnt
        # them from "ssn": a value found once is redacted wherever it occurs.
        assert out == {"customer": {"ssn": "[US_SSN_1]", "orders": "[US_SSN_1]"}}
    else:
        assert out == expected


@pytest.mark.parametrize(
    "value", ["1234567", "2025", "536221847"], ids=["count", "year", "bare-9-digits"]
)
def test_json_numbers_without_a_cue_stay_numbers(value):
    doc = json.dumps({"order_id": int(value), "qty": 3})
    assert json.loads(redactor.redact_json(doc, Vault()).text) == json.loads(doc)


@pytest.mark.parametrize(
    ("question", "reply", "value"),
    [
        ("Thanks! What's your SSN?", "536221847", "536221847"),
        ("Could you confirm your social security number please?", "536 22 1847", "536 22 1847"),
        ("What number can we reach you at?", "4155552671", "4155552671"),
        ("And the new password?", "password: Zq8#kLm2Vx9w", "Zq8#kLm2Vx9w"),
    ],
)
def test_a_cue_in_the_assistants_question_applies_to_the_reply(
    runner_factory, openai_server, question, reply, value
):
    run = runner_factory(provider=openai_server.provider_config())
    run.chat([Message.user("Hi, I need to update my record."), Message.assistant(question),
              Message.user(reply)])  # fmt: skip
    raw = openai_server.received()
    assert value.encode() not in raw
    assert value.replace(" ", "").encode() not in raw
    assert openai_server.last.json()["messages"][1]["content"] == question


def test_the_question_is_context_only_its_values_are_redacted_where_they_are(openai_server):
    with Client(env={}, provider=openai_server.provider_config()) as client:
        client.chat([Message.assistant("Is jane@acme.com your SSN email?"), Message.user("1847")])
    sent = openai_server.last.json()["messages"]
    assert sent[0]["content"] == "Is [EMAIL_1] your SSN email?"
    assert sent[1]["content"] == "1847"  # too short to be an SSN: the cue alone is not enough


def test_a_bare_reply_without_a_cue_is_left_alone(openai_server):
    openai_server.reply(Reply.text("ok"))
    with Client(env={}, provider=openai_server.provider_config()) as client:
        client.chat([Message.assistant("How many items?"), Message.user("536221847")])
    assert openai_server.last.json()["messages"][1]["content"] == "536221847"


EXPORT = """Here is the export you asked for:
customer_id;name;ssn;mobile;iban
C-1001;Jane Doe;536221847;4155552671;de89370400440532013000
C-1002;"Roe; Rick";078051121;+1 (415) 555-2671;
"""


def test_a_csv_header_is_the_cue_for_its_column_on_every_line():
    out = redact(EXPORT)
    for value in ("536221847", "078051121", "4155552671", "de89370400440532013000"):
        assert value not in out
    lines = out.splitlines()
    assert lines[2] == "C-1001;Jane Doe;[US_SSN_1];[PHONE_1];[IBAN_1]"
    assert lines[3].startswith('C-1002;"Roe; Rick";[US_SSN_2];')
    # With the preview name detector listed, the name column is a cue too, a quoted cell
    # whole.
    lines = Redactor.from_types(BUILTIN_TYPES).redact(EXPORT, Vault()).text.splitlines()
    assert lines[2] == "C-1001;[PERSON_1];[US_SSN_1];[PHONE_1];[IBAN_1]"
    assert lines[3].startswith('C-1002;"[PERSON_2]";[US_SSN_2];')


def test_columns_without_a_cue_keep_their_numbers():
    table = "order_id,qty,total\n536221847,3,4155552671\n078051121,1,12\n"
    assert redact(table) == table


def test_prose_with_commas_is_not_a_table():
    text = "Hi, my name is Jane\nThanks, 536221847\n"
    assert redact(text) == text


_PIECES = [*"0123456789 \t-a,.é", *SEPARATORS.values(), *INVISIBLE]
_PIECES += ["\uff14", "\u0665", "\U0001d7ce", "\U0001f600", "\u3000"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24).map("".join))
def test_the_view_is_the_full_translation_however_it_is_computed(text):
    # The view only translates where a character can change (the egress guard reads every
    # body through it, so it skips work): the result is the whole text translated.
    from privllm.redaction import normalize

    def keep(m):
        if m.lastindex:  # a digit, then a run of spaces and invisible characters
            return m[0][0] + (" " if " " in m[1] else "")
        return ""  # invisible characters elsewhere

    expected = normalize._EDITS.sub(keep, text.translate(normalize._one_to_one()))
    view = normalize.NormalizedView.of(text)
    assert (view.text if view is not None else text) == expected
