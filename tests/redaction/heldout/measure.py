"""Score a redactor on the held-out corpus (``documents.py``): measure only, never tune.

Loaded by path from ``benchmarks/redaction_heldout.py`` and ``tests/redaction/
test_heldout.py``; the markup and the tallies are the development corpus's
(``names_corpus.py``), so both corpora are scored alike.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent


def load(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


corpus = load("privllm_names_corpus", HERE.parent / "names_corpus.py")
documents = load("privllm_heldout_documents", HERE / "documents.py")
#: The second slice, written after the round of tuning it measures (issue 13).
documents2 = load("privllm_heldout_documents2", HERE / "documents2.py")
SLICES = {"1": documents, "2": documents2}


#: The development corpus, in the same form: the one detectors are tuned on.
development = load("privllm_names_dev", HERE.parent / "names_dev.py")


def examples(docs: ModuleType = documents) -> list[Any]:
    return [corpus.parse(text, lang, form) for lang, form, text in docs.DOCUMENTS]


def lookalikes(docs: ModuleType = documents) -> list[Any]:
    return [corpus.parse(text, lang, "lookalike") for lang, text in docs.LOOKALIKES]


def redacted_spans(redactor: Any, text: str) -> list[tuple[int, int, str]]:
    """What ``redact`` replaces: the findings, and the parts of found names it learnt
    (a later "Thanks, Jane" under "Jane Doe"), as the conversation's vault holds them."""
    from privllm.redaction.vault import Vault

    vault = Vault()
    redactor.redact(text, vault)
    spans = {(f.start, f.end, f.type) for f in redactor.find(text)}
    spans |= {(f.start, f.end, f.type) for f in vault.known(text)}
    return sorted(spans)


def measure(
    redactor: Any, docs: ModuleType = documents
) -> tuple[dict[tuple[str, str], Any], list[str], int]:
    """(tallies per type and language, look-alikes changed, look-alikes in all)."""
    from privllm.redaction.vault import Vault

    tallies = corpus.evaluate(examples(docs), lambda text: redacted_spans(redactor, text))
    others = lookalikes(docs)
    changed = [ex.text for ex in others if redactor.redact(ex.text, Vault()).text != ex.text]
    return tallies, changed, len(others)


def totals(tallies: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """Tallies per type, all languages together."""
    out: dict[str, Any] = {}
    for (kind, _), t in tallies.items():
        s = out.setdefault(kind, corpus.Tally())
        s.tp, s.fn, s.fp, s.found = s.tp + t.tp, s.fn + t.fn, s.fp + t.fp, s.found + t.found
        s.missed += t.missed
    return out
