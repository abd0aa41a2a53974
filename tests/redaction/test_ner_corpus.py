"""Recall and precision on the held-out corpus (``ner_corpus.py``), model-free detectors,
spaCy, and both. ``python tests/redaction/test_ner_corpus.py`` prints the table that
docs/redaction.md quotes. The floors below are the figures measured when the corpus was
written (never the corpus tuned to reach a bar): a drop below them fails."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from privllm.config import RedactionConfig
from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES

sys.path.insert(0, str(Path(__file__).parent.parent))  # run as a script too

from redaction.ner_corpus import DOCS
from support.ner import ner_redaction

KINDS = ("PERSON", "ORGANIZATION", "LOCATION")
SETUPS = {
    "model-free": {"types": sorted(BUILTIN_TYPES)},
    "spaCy": ner_redaction(),
    "model-free + spaCy": ner_redaction(types=sorted(BUILTIN_TYPES)),
}


def measure(redactor: Redactor) -> dict[str, tuple[int, int, int, int]]:
    """Per type: (labelled, fully redacted, redacted as that type, findings of that type
    that touch no labelled span of any type: false positives)."""
    labelled: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    typed: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for text, labels in DOCS:
        found = redactor.find(text)
        for start, end, kind in labels:
            labelled[kind] += 1
            chars = {i for i in range(start, end) if not text[i].isspace()}
            hit = {i for f in found for i in range(f.start, f.end)}
            if chars <= hit:
                covered[kind] += 1
            same = {i for f in found if f.type == kind for i in range(f.start, f.end)}
            if chars <= same:
                typed[kind] += 1
        for f in found:
            if not any(f.start < e and s < f.end for s, e, _ in labels):
                false[f.type] += 1
    return {k: (labelled[k], covered[k], typed[k], false[k]) for k in KINDS}


@pytest.fixture(scope="module")
def figures():
    return {
        name: measure(Redactor.from_config(RedactionConfig(**section)))
        for name, section in SETUPS.items()
    }


# Measured when the corpus was written (see docs/redaction.md); regressions fail.
FLOORS = {"model-free": 0.70, "spaCy": 0.93, "model-free + spaCy": 0.95}


def test_person_recall_does_not_fall_below_what_was_measured(figures):
    for name, floor in FLOORS.items():
        total, covered, _, _ = figures[name]["PERSON"]
        assert covered / total >= floor, name


def test_the_corpus_is_not_trivial():
    names = sum(1 for _, labels in DOCS for *_, k in labels if k == "PERSON")
    assert names >= 60
    assert sum(1 for _, labels in DOCS if not labels) >= 5  # look-alike texts


def table() -> str:
    rows = ["| setup | type | labelled | redacted (any type) | as this type | false positives |",
            "| --- | --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, section in SETUPS.items():
        for kind, (total, covered, typed, false) in measure(
            Redactor.from_config(RedactionConfig(**section))
        ).items():
            if total or false:
                rows.append(
                    f"| {name} | {kind} | {total} | {covered / max(total, 1):.3f} "
                    f"| {typed / max(total, 1):.3f} | {false} |"
                )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
