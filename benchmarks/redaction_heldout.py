"""PERSON, STREET_ADDRESS and DATE_OF_BIRTH on the held-out corpus: recall and precision per
type and language, and the share of PII-free look-alikes left unchanged.

    python benchmarks/redaction_heldout.py
    python benchmarks/redaction_heldout.py --slice 2        # the second held-out slice
    python benchmarks/redaction_heldout.py --dev --missed   # the development corpus

Measure only: the corpus (``tests/redaction/heldout/``) is never used to tune a detector.
Every built-in type on, no term list, no model.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", action="store_true", help="the development corpus instead")
    parser.add_argument("--missed", action="store_true", help="list what was missed (--dev)")
    parser.add_argument("--slice", choices=["1", "2"], default="1", help="held-out slice")
    args = parser.parse_args()
    path = ROOT / "tests/redaction/heldout/measure.py"
    spec = importlib.util.spec_from_file_location("privllm_heldout_measure", path)
    assert spec is not None
    assert spec.loader is not None
    measure = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = measure
    spec.loader.exec_module(measure)

    docs = measure.development if args.dev else measure.SLICES[args.slice]
    tallies, changed, total = measure.measure(Redactor.from_types(BUILTIN_TYPES), docs)
    print(measure.corpus.table(tallies))
    print()
    print(measure.corpus.table({(k, "all"): t for k, t in measure.totals(tallies).items()}))
    print(f"look-alikes unchanged: {total - len(changed)}/{total} = {1 - len(changed) / total:.3f}")
    if args.missed and args.dev:  # held-out misses stay unread: nothing is tuned on them
        for (kind, lang), t in sorted(tallies.items()):
            for value in t.missed:
                print(f"missed {kind} {lang}: {value!r}")
        for text in changed:
            print(f"changed: {text!r}")


if __name__ == "__main__":
    main()
