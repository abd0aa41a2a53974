"""Recall and precision of the model-free PERSON, STREET_ADDRESS and DATE_OF_BIRTH detectors
on the hand-written corpus (``names_corpus.py``), with the default config: no term list, no
model. Bars (issue 13): recall PERSON >= 0.90, STREET_ADDRESS >= 0.85, DATE_OF_BIRTH >= 0.95,
in each language; >= 98% of the PII-free look-alike texts come back unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES
from privllm.redaction.vault import Vault
from support.by_path import load_by_path

corpus = load_by_path("privllm_names_corpus", Path(__file__).with_name("names_corpus.py"))
RECALL = {"PERSON": 0.90, "STREET_ADDRESS": 0.85, "DATE_OF_BIRTH": 0.95}
PRECISION = 0.95
EXAMPLES = corpus.examples()


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.from_types(BUILTIN_TYPES)  # every built-in type, no terms


@pytest.fixture(scope="module")
def tallies(redactor: Redactor) -> dict[tuple[str, str], object]:
    return corpus.evaluate(
        EXAMPLES, lambda text: [(f.start, f.end, f.type) for f in redactor.find(text)]
    )


@pytest.mark.parametrize("kind", corpus.TYPES)
@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_recall(tallies, kind, lang):
    t = tallies[(kind, lang)]
    assert t.tp + t.fn >= 4
    assert t.recall >= RECALL[kind], f"missed {t.missed}\n{corpus.table(tallies)}"


@pytest.mark.parametrize("kind", corpus.TYPES)
@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_precision(tallies, kind, lang):
    t = tallies[(kind, lang)]
    assert t.found > 0
    assert t.precision >= PRECISION, corpus.table(tallies)


def test_lookalikes_come_back_unchanged_and_labelled_texts_do_not(redactor):
    lookalikes = [ex for ex in EXAMPLES if ex.kind == "lookalike"]
    labelled = [ex for ex in EXAMPLES if ex.spans]
    assert len(lookalikes) >= 200
    changed = [ex.text for ex in lookalikes if redactor.redact(ex.text, Vault()).text != ex.text]
    assert 1 - len(changed) / len(lookalikes) >= 0.98, changed
    # The same redactor, on the texts that hold a value: nearly all of them change.
    kept = [ex.text for ex in labelled if redactor.redact(ex.text, Vault()).text == ex.text]
    assert len(kept) / len(labelled) <= 0.05, kept


def test_the_corpus_is_hard(tallies):
    assert set(corpus.TYPES) <= {kind for (kind, _), t in tallies.items() if t.found}
    kinds = {ex.kind for ex in EXAMPLES}
    assert {"cue", "structure", "prose", "linkage", "allcaps", "lookalike"} <= kinds
    text = "\n".join(ex.text for ex in EXAMPLES)
    for hard in ("JEAN-LUC", "Müller-Lüdenscheidt", "Zoë", "Rose Thornton", "Will Fairbanks"):
        assert hard in text
