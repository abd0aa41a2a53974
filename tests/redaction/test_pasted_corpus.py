"""Recall and precision on the hard corpus of pasted values (``pasted_corpus.py``): Unicode
separators, other scripts' digits, invisible characters, CSV cells and column cues, IDN
e-mails; look-alikes pasted the same way must stay untouched (issue 12)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from privllm.redaction.redactor import Redactor
from support.by_path import load_by_path

pasted = load_by_path("privllm_pasted_corpus", Path(__file__).with_name("pasted_corpus.py"))


@pytest.fixture(scope="module", params=[99, 2026])
def outcome(request):
    redactor = Redactor.from_types()
    found: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    misses: list[tuple[str, str, str]] = []
    lookalikes = untouched = 0
    for ex in pasted.PastedCorpus(request.param).examples(per_type=300, lookalikes=600):
        findings = redactor.find(ex.text)
        if not ex.spans:
            lookalikes += 1
            untouched += not findings
            continue
        for span in ex.spans:
            labels[span.type] += 1
            if any(
                f.type == span.type and f.start <= span.start and f.end >= span.end
                for f in findings
            ):
                found[span.type] += 1
            else:
                misses.append((span.type, ex.form, ex.text))
    return found, labels, misses, untouched / lookalikes


@pytest.mark.parametrize("kind", pasted.TYPES)
def test_recall_on_pasted_values(outcome, kind):
    found, labels, misses, _ = outcome
    recall = found[kind] / labels[kind]
    assert recall >= 0.99, [m for m in misses if m[0] == kind][:5]


def test_pasted_lookalikes_stay_untouched(outcome):
    assert outcome[3] >= 0.98
