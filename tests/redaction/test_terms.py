"""User term lists (Aho-Corasick) and the NER plug-in point."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privllm.errors import RedactionError
from privllm.redaction.scanner import scan
from privllm.redaction.terms import NERDetector, TermListDetector


def found(detector: TermListDetector | NERDetector, text: str) -> list[tuple[str, str]]:
    return [(f.value, f.type) for f in detector.find(text)]


def test_case_insensitive_whole_words() -> None:
    d = TermListDetector(["Ann", "Acme"], type="ORGANIZATION")
    assert found(d, "ANN met acme in Annual Acmes, acme.") == [
        ("ANN", "ORGANIZATION"),
        ("acme", "ORGANIZATION"),
        ("acme", "ORGANIZATION"),
    ]


def test_longest_match_wins_at_a_position() -> None:
    d = TermListDetector(["Acme", "Acme Corp", "Corp Finance"])
    assert found(d, "Acme Corp Finance") == [("Acme Corp", "PERSON")]
    assert found(d, "Acme Corpus") == [("Acme", "PERSON")]  # the longer term is not a word here


def test_edges_made_of_punctuation_need_no_boundary() -> None:
    d = TermListDetector(["C++", "Acme, Inc."])
    assert found(d, "we use C++17? no: C++. Acme, Inc.s") == [
        ("C++", "PERSON"),
        ("C++", "PERSON"),
        ("Acme, Inc.", "PERSON"),
    ]


def test_unicode_terms_and_offsets() -> None:
    d = TermListDetector(["Müller", "istanbul"])
    text = "İzmir and MÜLLER and Istanbul"  # "İ".lower() is two characters
    result = list(d.find(text))
    assert [(f.value, text[f.start : f.end]) for f in result] == [
        ("MÜLLER", "MÜLLER"),
        ("Istanbul", "Istanbul"),
    ]


@pytest.mark.parametrize(
    "written",
    [
        "José Müller",
        unicodedata.normalize("NFD", "José Müller"),  # macOS input, PDF copies
        "José\u00a0Müller",  # a non-breaking space from HTML or Word
        "José\nMüller",  # a line break
        "José  Müller",
        "JOSÉ \t MÜLLER",
    ],
    ids=["nfc", "nfd", "nbsp", "newline", "double-space", "tab-upper"],
)
def test_a_name_written_with_other_spaces_or_decomposed_accents_is_found(written: str) -> None:
    d = TermListDetector([unicodedata.normalize("NFD", "José") + "   Müller"])
    text = f"Dear {written}, see attached. {written}."
    values = [f.value for f in d.find(text)]
    assert values == [written, written]
    for f in d.find(text):
        assert text[f.start : f.end] == f.value


def test_a_rewritten_view_keeps_offsets_of_later_matches() -> None:
    d = TermListDetector(["Ann Lee", "Acme"])
    text = unicodedata.normalize("NFD", "Été\n\n  ") + "ann\tlee at  acme, Annlee"
    assert [(f.start, f.value) for f in d.find(text)] == [(9, "ann\tlee"), (21, "acme")]


def test_empty_and_blank_terms() -> None:
    assert found(TermListDetector([]), "anything") == []
    assert found(TermListDetector(["", "  "]), "  ") == []
    with pytest.raises(ValueError, match="type"):
        TermListDetector(["x"], type="")


def test_repr_shows_no_terms() -> None:
    d = TermListDetector(["Secret Project Falcon", "Jane Roe"], type="PERSON")
    assert repr(d) == "TermListDetector(type='PERSON', terms=2)"
    assert "Falcon" not in repr(d)


def test_thousands_of_terms() -> None:
    terms = [f"Customer{i:05d} Ltd" for i in range(5000)]
    d = TermListDetector(terms, type="ORGANIZATION")
    text = " and ".join(["customer04999 ltd", "Customer00000 LTD", "Customer5000 Ltd"])
    assert [v for v, _ in found(d, text)] == ["customer04999 ltd", "Customer00000 LTD"]


_WORDS = st.sampled_from(["ann", "Ann", "ANN LEE", "lee", "acme", "Acme Corp", "corp", "x", "é"])
_TEXT = st.lists(
    st.one_of(_WORDS, st.sampled_from([" ", ",", "_", "-", "\n", "İ"])), max_size=20
).map("".join)


@given(
    st.lists(st.sampled_from(["Ann", "Ann Lee", "Lee", "Acme", "Acme Corp", "Corp"]), min_size=1),
    _TEXT,
)
def test_findings_are_whole_word_terms_and_never_overlap(terms: list[str], text: str) -> None:
    folded = {t.lower() for t in terms}
    last_end = 0
    for f in TermListDetector(terms).find(text):
        assert text[f.start : f.end] == f.value
        assert " ".join(f.value.split()).lower() in folded
        assert f.start >= last_end
        assert f.start == 0 or not (text[f.start - 1].isalnum() or text[f.start - 1] == "_")
        assert f.end == len(text) or not (text[f.end].isalnum() or text[f.end] == "_")
        last_end = f.end


def _model(entities: Iterable[tuple[int, int, str, float]]):
    return lambda text: list(entities)


def test_ner_detector_maps_labels_and_scores() -> None:
    ner = NERDetector(
        _model(
            [(0, 3, "PER", 0.9), (8, 12, "ORG", 0.4), (13, 17, "DATE", 0.99), (8, 12, "org", 0.8)]
        )
    )
    assert ner.types == frozenset({"PERSON", "ORGANIZATION", "LOCATION"})  # GPE, LOC, FAC
    result = list(ner.find("Bob met Acme 2024"))
    assert [(f.value, f.type, f.score) for f in result] == [
        ("Bob", "PERSON", 0.9),
        ("Acme", "ORGANIZATION", 0.8),
    ]


def test_ner_custom_labels() -> None:
    ner = NERDetector(_model([(0, 3, "person", 0.7)]), labels={"person": "PERSON"}, min_score=0.5)
    assert found(ner, "Bob") == [("Bob", "PERSON")]


def test_ner_bad_span_fails_closed_in_scan() -> None:
    ner = NERDetector(_model([(0, 99, "PER", 0.9)]))
    with pytest.raises(ValueError, match="outside the text"):
        list(ner.find("Bob"))
    with pytest.raises(RedactionError, match="NERDetector"):
        scan("Bob", [ner])


def test_the_written_out_whitespace_class_is_exactly_isspace_but_the_space() -> None:
    from privllm.redaction.terms import _ODD_SPACE

    odd = [chr(c) for c in range(0x110000) if chr(c).isspace() and c != 0x20]
    matched = [chr(c) for c in range(0x110000) if _ODD_SPACE.match(chr(c))]
    assert matched == odd
