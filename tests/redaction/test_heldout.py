"""The issue 13 bars on the held-out corpus (``heldout/``; measured, never tuned on), with
every built-in type on, no term list, no model, on both slices (``documents.py`` and
``documents2.py``, written after the second round of tuning). Only the bars met are asserted;
the others are reported by ``benchmarks/redaction_heldout.py`` and in docs/redaction.md
(PERSON recall on slice 1, DATE_OF_BIRTH on slice 2 and the look-alike share on both are
below their bars today)."""

from __future__ import annotations

from pathlib import Path

import pytest

from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES
from support.by_path import load_by_path

HERE = Path(__file__).resolve().parent


measure = load_by_path("privllm_heldout_measure", HERE / "heldout" / "measure.py")


@pytest.fixture(scope="module", params=sorted(measure.SLICES))
def result(request):
    return request.param, measure.measure(
        Redactor.from_types(BUILTIN_TYPES), measure.SLICES[request.param]
    )


BARS = {("1", "STREET_ADDRESS"): 0.85, ("1", "DATE_OF_BIRTH"): 0.95, ("2", "STREET_ADDRESS"): 0.85}


def test_recall_bars_met(result):
    name, (tallies, _, _) = result
    for (slice_, kind), bar in BARS.items():
        if slice_ == name:
            t = measure.totals(tallies)[kind]
            assert t.tp + t.fn >= 10  # enough labels for the figure to mean something
            assert t.recall >= bar, kind


@pytest.mark.parametrize("kind", ["PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH"])
def test_precision(result, kind):
    assert measure.totals(result[1][0])[kind].precision >= 0.95


def test_the_corpus_is_realistic_in_size_and_languages(result):
    name, (tallies, _, lookalikes) = result
    assert {lang for _, lang in tallies} == {"en", "de", "fr"}
    person = measure.totals(tallies)["PERSON"]
    assert person.tp + person.fn >= (100 if name == "1" else 70)
    assert lookalikes >= (100 if name == "1" else 50)
