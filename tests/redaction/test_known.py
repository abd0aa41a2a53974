"""The known-value indexes: the same occurrences as a brute-force search, and a cost per
added value that does not grow with the index (counted in operations and bytes, not time)."""

from __future__ import annotations

import math
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privllm.redaction import known
from privllm.redaction.known import KnownValues, WholeValues, is_word
from privllm.redaction.vault import Vault

# Short values over a small alphabet, so they occur in the texts, glued or not, overlap and
# share first words; some have no word character at all, some start with punctuation.
PIECES = st.text(alphabet="ab1 -+@.", min_size=1, max_size=6)
KINDS = st.sampled_from(["EMAIL", "PHONE", "PERSON"])


def _every(text: str, items: list[tuple[str, str]]) -> set[tuple[int, int, str]]:
    out = set()
    for kind, value in items:
        for i in range(len(text) - len(value) + 1):
            if text.startswith(value, i):
                out.add((i, -(i + len(value)), kind))
    return out


def _whole(text: str, hit: tuple[int, int, str]) -> bool:
    start, end = hit[0], -hit[1]
    if start > 0 and is_word(text[start]) and is_word(text[start - 1]):
        return False
    return not (end < len(text) and is_word(text[end - 1]) and is_word(text[end]))


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(st.tuples(KINDS, PIECES), max_size=60),
    text=st.text(alphabet="ab1 -+@.x", max_size=80),
)
def test_whole_values_find_every_whole_occurrence(items, text):
    # Below and above the few-values threshold: every whole-token occurrence is returned
    # (more may be; the vault checks), and nothing that is not an occurrence at all.
    index = WholeValues()
    for kind, value in items:
        index.add(kind, value)
    found = set(index.candidates(text))
    every = _every(text, items)
    assert found <= every
    assert {h for h in every if _whole(text, h)} <= found


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.tuples(KINDS, PIECES), max_size=80),
    texts=st.lists(st.text(alphabet="ab1 -+@.x", max_size=60), min_size=1, max_size=4),
)
def test_known_values_find_every_occurrence_however_searches_interleave(items, texts):
    index = KnownValues()
    for n, (kind, value) in enumerate(items):
        index.add(kind, value)
        if n % 7 == 0:
            for text in texts:
                # pyahocorasick keeps one kind per value (the last added), so compare spans
                spans = {(s, e) for s, e, _ in index.candidates(text)}
                assert spans == {(s, e) for s, e, _ in _every(text, items[: n + 1])}


def test_known_values_build_nothing_until_searched_and_n_log_n_at_most():
    # Added without a search (a fine-tuning file's map): no automaton at all.
    index = KnownValues()
    for i in range(5000):
        index.add("EMAIL", f"u{i}@example.org")
    assert index.built == 0
    index.candidates("x")
    assert index.built == 5000
    # A search after every value (the worst case): values built in all stay within
    # n log2 n, where rebuilding everything each time would be n^2 / 2.
    index = KnownValues()
    n = 3000
    for i in range(n):
        index.add("EMAIL", f"u{i}@example.org")
        index.candidates("u1@example.org")
    assert index.built <= n * (math.log2(n) + 1)
    assert index.built < n * n / 50


def test_a_vault_never_builds_an_automaton_for_its_own_values(monkeypatch):
    # Its values are indexed by first word: adding one is a dict entry, whatever the size,
    # and searches in between rebuild nothing.
    def refuse(items: object) -> object:
        raise AssertionError("no automaton for a vault's own values")

    monkeypatch.setattr(known, "_automaton", refuse)
    vault = Vault()
    for i in range(3000):
        vault.placeholder("EMAIL", f"user{i}@example.org")
        if i % 10 == 0:
            assert [f.value for f in vault.known("write to user0@example.org")] == [
                "user0@example.org"
            ]


def _bytes_for(n: int) -> int:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = WholeValues()
        values = [f"+1 415 {i:07d}" if i % 2 else f"user{i}@example.org" for i in range(n)]
        base = tracemalloc.get_traced_memory()[0]
        for i, value in enumerate(values):
            index.add("PHONE" if i % 2 else "EMAIL", value)
        used = tracemalloc.get_traced_memory()[0] - base
        assert base >= before
        return used
    finally:
        tracemalloc.stop()


def test_whole_values_memory_per_value_is_flat_and_small():
    # Bytes the index itself adds (the value strings are the caller's): per value, about
    # the same at 4,000 and at 32,000 values, and far below an automaton's ~2 KB.
    small, large = _bytes_for(4000) / 4000, _bytes_for(32000) / 32000
    assert large < 300
    assert large == pytest.approx(small, rel=0.5)


def test_a_vault_indexes_its_values_only_once_it_is_searched():
    # A fine-tuning file's map issues placeholders and never searches: no index at all. A
    # vault searched later finds the values issued before, and those issued after.
    vault = Vault()
    for i in range(100):
        vault.placeholder("EMAIL", f"user{i}@example.org")
    assert vault._known is None
    assert [f.value for f in vault.known("to user7@example.org")] == ["user7@example.org"]
    vault.placeholder("EMAIL", "late@example.org")
    assert [f.value for f in vault.known("to late@example.org")] == ["late@example.org"]


def test_a_vaults_memory_per_value_is_flat():
    # Bytes per placeholder issued (the value strings are the caller's) at 4,000 and at
    # 32,000 values: the same within dict growth, where the automatons took ~2 KB each.
    def per_value(n: int) -> float:
        values = [f"user{i}@example.org" if i % 2 else f"+1 415 {i:07d}" for i in range(n)]
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            vault = Vault()
            for i, value in enumerate(values):
                vault.placeholder("EMAIL" if i % 2 else "PHONE", value)
            return (tracemalloc.get_traced_memory()[0] - base) / n
        finally:
            tracemalloc.stop()

    small, large = per_value(4000), per_value(32000)
    assert large < 600
    assert large == pytest.approx(small, rel=0.5)


def test_a_longer_value_is_not_reported_where_the_text_ends_first():
    # "1@" shares its first word with "1"; at the end of "1" the slice for "1@" is cut short
    # to "1", another known value, and was once reported with "1@"'s span (past the text).
    index = WholeValues()
    for value in ["1", "1@", *(f"filler{i}" for i in range(known._FEW + 1))]:
        index.add("EMAIL", value)
    assert index.candidates("1") == [(0, -1, "EMAIL")]
