"""scan(): fail closed, time budget, deterministic overlap resolution, the default set."""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privllm.errors import ConfigError, RedactionError
from privllm.redaction.findings import Finding
from privllm.redaction.scanner import BUILTIN_TYPES, default_detectors, resolve_overlaps, scan
from privllm.redaction.terms import TermListDetector

SECRET_TEXT = "card 4111 1111 1111 1111 for ana@example.org"


class Raising:
    types = frozenset({"EMAIL"})

    def find(self, text: str) -> Iterator[Finding]:
        yield Finding(0, 4, "EMAIL", text[:4])
        raise ValueError(f"cannot parse {text!r}")  # a careless message quoting the text


class WrongSpan:
    types = frozenset({"EMAIL"})

    def find(self, text: str) -> list[Finding]:
        return [Finding(0, 4, "EMAIL", "not what is there")]


class Slow:
    types = frozenset({"EMAIL"})

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def find(self, text: str) -> list[Finding]:
        time.sleep(self.seconds)
        return []


class LateYield:
    """Yields one finding at once and the next only after the time budget has run out."""

    types = frozenset({"EMAIL"})

    def find(self, text: str) -> Iterator[Finding]:
        yield Finding(5, 20, "EMAIL", text[5:20])
        time.sleep(0.05)
        yield Finding(25, 40, "EMAIL", text[25:40])


class Fixed:
    """Reports the same findings whatever the text."""

    types = frozenset({"A", "B"})

    def __init__(self, *findings: Finding) -> None:
        self.findings = findings

    def find(self, text: str) -> tuple[Finding, ...]:
        return self.findings


def test_a_raising_detector_fails_closed() -> None:
    with pytest.raises(RedactionError, match=r"detector Raising failed \(ValueError\)") as info:
        scan(SECRET_TEXT, [*default_detectors(), Raising()])
    message = str(info.value)
    assert "Raising" in message
    assert "ValueError" in message
    assert "4111" not in message
    assert "ana@" not in message
    assert "card" not in message
    # The detector's exception quotes the text: only a stand-in naming its type is kept.
    assert str(info.value.__cause__) == "builtins.ValueError"
    assert info.value.__context__ is None
    assert "4111" not in "".join(traceback.format_exception(info.value))


def test_a_detector_reporting_a_wrong_span_fails_closed() -> None:
    with pytest.raises(RedactionError, match="WrongSpan") as info:
        scan(SECRET_TEXT, [WrongSpan()])
    assert "card" not in str(info.value)


@pytest.mark.parametrize(
    "finding", [Finding(-1, 3, "X", "abc"), Finding(3, 3, "X", ""), Finding(5, 99, "X", "x")]
)
def test_out_of_range_spans_fail_closed(finding: Finding) -> None:
    with pytest.raises(RedactionError, match="Fixed"):
        scan("abcdefgh", [Fixed(finding)])


def test_time_budget() -> None:
    with pytest.raises(RedactionError, match=r"budget at Slow"):
        scan(SECRET_TEXT, [Slow(0.05), *default_detectors()], timeout=0.01)
    assert scan("nothing here", [Slow(0.0)], timeout=5.0) == []
    assert scan("nothing here", [Slow(0.01)], timeout=None) == []


def test_time_budget_running_out_while_a_detector_still_yields() -> None:
    # The budget is checked between findings too: the scan must still fail closed, not
    # return early (a None or a partial list would let the text go out unredacted).
    text = "mail ana@example.org and bob@example.org"
    with pytest.raises(RedactionError, match=r"exceeded its 0\.01 s budget at LateYield"):
        scan(text, [LateYield()], timeout=0.01)
    assert [f.value for f in scan(text, [LateYield()], timeout=5.0)] == [
        "ana@example.org",
        "bob@example.org",
    ]


def test_longest_wins() -> None:
    text = "123-45-6789"
    ssn = Finding(0, 11, "US_SSN", text, 0.5)
    phone = Finding(4, 11, "PHONE", text[4:], 1.0)
    assert scan(text, [Fixed(phone, ssn)]) == [ssn]


def test_then_highest_score_then_type_name() -> None:
    text = "abcdef"
    low, high = Finding(0, 4, "B", "abcd", 0.5), Finding(1, 5, "A", "bcde", 0.9)
    assert scan(text, [Fixed(low, high)]) == [high]
    a, b = Finding(0, 4, "B", "abcd"), Finding(0, 4, "A", "abcd")
    assert scan(text, [Fixed(a, b)]) == [b]
    # Same length and score: the earlier start wins.
    first, second = Finding(0, 4, "A", "abcd"), Finding(2, 6, "A", "cdef")
    assert scan(text, [Fixed(second, first)]) == [first]


# Values glued together with no space between (a CSV cell, a pasted form), with one
# overlap somewhere so that the conflict path runs: touching findings do not overlap, and
# every lower-ranked finding after a conflict is still considered.
_EMAIL = "ana.silva@example.org"
_SSN = "536-22-1847"


@pytest.mark.parametrize(
    ("text", "findings", "expected"),
    [
        (  # the longer finding first, a shorter one touching it on the right
            _EMAIL + _SSN,
            [(0, 21, "EMAIL"), (21, 32, "US_SSN"), (25, 32, "PHONE")],
            [(0, 21, "EMAIL"), (21, 32, "US_SSN")],
        ),
        (  # the longer finding last, a shorter one touching it on the left
            _SSN + _EMAIL,
            [(0, 11, "US_SSN"), (4, 11, "PHONE"), (11, 32, "EMAIL")],
            [(0, 11, "US_SSN"), (11, 32, "EMAIL")],
        ),
        (  # a conflict, then a shorter finding elsewhere
            f"{_EMAIL},{_SSN},::1",
            [(0, 21, "EMAIL"), (22, 33, "US_SSN"), (26, 33, "PHONE"), (34, 37, "IP_ADDRESS")],
            [(0, 21, "EMAIL"), (22, 33, "US_SSN"), (34, 37, "IP_ADDRESS")],
        ),
    ],
    ids=["touching-right", "touching-left", "after-a-conflict"],
)
def test_adjacent_findings_are_all_kept(text, findings, expected) -> None:
    fs = [Finding(start, end, kind, text[start:end]) for start, end, kind in findings]
    found = scan(text, [Fixed(*fs)])
    assert [(f.start, f.end, f.type) for f in found] == expected
    assert "".join(f.value for f in found) == text.replace(",", "")


def test_non_overlapping_findings_are_all_kept_in_order() -> None:
    text = "aa bb cc"
    fs = [Finding(6, 8, "A", "cc"), Finding(0, 2, "A", "aa"), Finding(3, 5, "B", "bb")]
    assert scan(text, [Fixed(*fs)]) == sorted(fs, key=lambda f: f.start)
    assert resolve_overlaps([*fs, *fs]) == sorted(fs, key=lambda f: f.start)


def test_the_default_set_end_to_end() -> None:
    text = (
        "Hi, I'm at ana@example.org or +44 20 7946 0958. Card 4111 1111 1111 1111, "
        "IBAN DE89 3704 0044 0532 0130 00, SSN 536-22-1847, host 10.0.0.1, "
        "db postgres://app:s3cr3t@db.internal/app and key sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6Hd1J. "
        "Version 1.2.3.4.5 shipped 2024-01-15, order 1234567890123456."
    )
    result = [(f.type, f.value) for f in scan(text, default_detectors())]
    assert result == [
        ("EMAIL", "ana@example.org"),
        ("PHONE", "+44 20 7946 0958"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("IBAN", "DE89 3704 0044 0532 0130 00"),
        ("US_SSN", "536-22-1847"),
        ("IP_ADDRESS", "10.0.0.1"),
        ("URL_CREDENTIALS", "postgres://app:s3cr3t@db.internal/app"),
        ("SECRET", "sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6Hd1J"),
    ]


def test_default_detectors_selects_types() -> None:
    detectors = default_detectors(["EMAIL", "SECRET"])
    assert set().union(*(d.types for d in detectors)) == {"EMAIL", "SECRET"}
    every = set().union(*(d.types for d in default_detectors()))
    assert every == BUILTIN_TYPES - {"PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH"}  # preview
    assert set().union(*(d.types for d in default_detectors(BUILTIN_TYPES))) == BUILTIN_TYPES
    with pytest.raises(ConfigError, match=r"unknown redaction types: \['NOPE'\]") as info:
        default_detectors(["EMAIL", "NOPE"])
    assert info.value.field == "redaction.types"  # where a config file names them
    with pytest.raises(ConfigError, match="XX"):
        default_detectors(phone_regions=["XX"])


def test_default_detectors_with_terms() -> None:
    detectors = default_detectors(
        ["EMAIL"], terms={"PERSON": ["Ana Silva"], "ORGANIZATION": ["Acme Corp"]}
    )
    assert [type(d) for d in detectors[1:]] == [TermListDetector, TermListDetector]
    found = scan("Ana Silva <ana@example.org> of Acme Corp", detectors)
    assert [(f.type, f.value) for f in found] == [
        ("PERSON", "Ana Silva"),
        ("EMAIL", "ana@example.org"),
        ("ORGANIZATION", "Acme Corp"),
    ]


_PIECES = st.sampled_from(
    [
        "ana@example.org",
        "+44 20 7946 0958",
        "4111 1111 1111 1111",
        "4111111111111111",
        "DE89 3704 0044 0532 0130 00",
        "536-22-1847",
        "SSN 536221847",
        "10.0.0.1",
        "::1",
        "https://u:pw@h.io/x?token=abcdefgh",
        "sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6Hd1J",
        'password = "Xk9#mQ2vLp"',
        "Ana Silva",
        "1.2.3.4.5",
        "2024-01-15",
        " ",
        "\n",
        "-",
        ":",
    ]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=12).map("".join)
_DETECTORS = default_detectors(terms={"PERSON": ["Ana Silva", "Ana"]})


# Values the default detectors must find wherever they stand, set off by a word and a stop.
_ALWAYS_FOUND = st.sampled_from(
    [
        "ana@example.org",
        "4111 1111 1111 1111",
        "DE89 3704 0044 0532 0130 00",
        "sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6Hd1J",
        "Ana Silva",
    ]
)


@settings(max_examples=200, deadline=None)  # the first call loads phone metadata
@given(_TEXT, _ALWAYS_FOUND, _TEXT, st.randoms(use_true_random=False))
def test_scan_invariants(before: str, value: str, after: str, rnd: random.Random) -> None:
    # A plain word and a full stop set the value off, whatever the random text around it.
    text = f"{before} to {value} . {after}"
    found = scan(text, _DETECTORS)
    # Not vacuous: the value is inside some finding.
    start = len(before) + 4
    assert any(f.start <= start and start + len(value) <= f.end for f in found)
    last_end = 0
    for f in found:
        assert text[f.start : f.end] == f.value
        assert f.start >= last_end  # sorted and never overlapping
        last_end = f.end
    shuffled = list(_DETECTORS)
    rnd.shuffle(shuffled)
    assert scan(text, shuffled) == found  # deterministic, whatever the detector order


def _greedy_reference(findings: list[Finding]) -> list[Finding]:
    """The rule resolve_overlaps documents, written the slow obvious way."""
    kept: list[Finding] = []
    rank = sorted(set(findings), key=lambda f: (-(f.end - f.start), -f.score, f.start, f.type))
    for f in rank:
        if all(f.end <= k.start or k.end <= f.start for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 60),
            st.integers(1, 12),
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from([0.5, 0.9, 1.0]),
        ),
        max_size=40,
    )
)
def test_overlaps_settle_as_the_documented_rule(spans) -> None:
    fs = [Finding(s, s + n, kind, "x" * n, score) for s, n, kind, score in spans]
    assert resolve_overlaps(fs) == _greedy_reference(fs)
