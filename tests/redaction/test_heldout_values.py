"""Recall and precision of the default detectors on the held-out documents (issue 12's bars).

``heldout_values.py`` is never used to tune a detector: it only measures. The bars: card,
IBAN, SSN, e-mail, IP and key recall >= 0.99, phone >= 0.97, >= 98% of PII-free documents
unchanged, and no more than 2% of findings in labelled documents outside a labelled value.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from privllm.redaction.redactor import Redactor
from support.by_path import load_by_path

heldout = load_by_path("privllm_heldout_values", Path(__file__).with_name("heldout_values.py"))
BARS = {kind: 0.99 for kind in heldout.TYPES} | {"PHONE": 0.97}


@pytest.fixture(scope="module", params=[5, 1789])
def outcome(request):
    redactor = Redactor.from_types()
    found: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    misses: list[tuple[str, str, str]] = []
    stray: list[tuple[str, str]] = []
    findings_total = lookalikes = untouched = 0
    for doc in heldout.HeldOutCorpus(request.param).documents(360):
        findings = redactor.find(doc.text)
        if not doc.spans:
            lookalikes += 1
            untouched += not findings
            stray += [(f.type, f.value) for f in findings]
            continue
        findings_total += len(findings)
        for span in doc.spans:
            labels[span.type] += 1
            if any(
                f.type == span.type and f.start <= span.start and f.end >= span.end
                for f in findings
            ):
                found[span.type] += 1
            else:
                misses.append((span.type, doc.kind, doc.text[span.start : span.end]))
        for f in findings:
            if not any(f.start < s.end and s.start < f.end for s in doc.spans):
                stray.append((f.type, f.value))
    return found, labels, misses, untouched / lookalikes, stray, findings_total


@pytest.mark.parametrize("kind", heldout.TYPES)
def test_recall_on_held_out_documents(outcome, kind):
    found, labels, misses, *_ = outcome
    assert labels[kind] >= 60  # fewer than 100: at 0.99 no miss is allowed
    assert found[kind] / labels[kind] >= BARS[kind], [m for m in misses if m[0] == kind][:8]


def test_held_out_lookalike_documents_stay_unchanged(outcome):
    _, _, _, unchanged, stray, _ = outcome
    assert unchanged >= 0.98, stray[:8]


def test_few_findings_outside_labelled_values(outcome):
    *_, stray, total = outcome
    assert len(stray) <= 0.02 * total, stray[:8]
