"""Recall and precision of the model-free PERSON, STREET_ADDRESS and DATE_OF_BIRTH detectors,
per type and language, on the hand-written corpus; and the share of look-alikes unchanged.

    python benchmarks/redaction_names.py

Every built-in type on (the three are opt-in for now), no term list, no model. ``tests/redaction/
names_corpus.py`` is loaded by path: no pytest needed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES
from privllm.redaction.vault import Vault

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    name = "privllm_names_corpus"
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests/redaction/names_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[name] = corpus  # dataclasses look their module up by name
    spec.loader.exec_module(corpus)

    redactor = Redactor.from_types(BUILTIN_TYPES)  # the three types are opt-in for now
    examples = corpus.examples()
    tallies = corpus.evaluate(
        examples, lambda text: [(f.start, f.end, f.type) for f in redactor.find(text)]
    )
    print(corpus.table(tallies))
    for (kind, lang), t in sorted(tallies.items()):
        if t.missed:
            print(f"missed {kind} {lang}: {t.missed}")
    lookalikes = [ex for ex in examples if ex.kind == "lookalike"]
    changed = [ex.text for ex in lookalikes if redactor.redact(ex.text, Vault()).text != ex.text]
    share = 1 - len(changed) / len(lookalikes)
    kept = len(lookalikes) - len(changed)
    print(f"look-alikes unchanged: {kept}/{len(lookalikes)} = {share:.3f}")
    for text in changed:
        print(f"  changed: {text!r}")


if __name__ == "__main__":
    main()
