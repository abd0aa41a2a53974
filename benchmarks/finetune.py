"""``prepare_file`` throughput and peak memory on generated chat fine-tuning files.

    python benchmarks/finetune.py [--sizes 50,200] [--seed 7] [--workdir DIR] [--keep]
                                  [--dense 0.3] [--runs placeholders,surrogates]

Builds seeded OpenAI-format JSONL files of each size (MB): a few fixed system prompts (they
repeat, as in real training sets), user and assistant turns made of random sentences from a
pool where ~6 % hold a labelled value (email, phone, card, IBAN, SSN, IP, URL credentials,
key) and ~6 % a look-alike, customer names from a 5,000-name term list, and one line in six
with a tool call and its result. Sentences are recombined per line, so no two lines repeat.
``--dense 0.3`` makes 30 % of sentences hold a value never seen before, so the value map
grows with the file (as on real customer data): compare MB per CPU second and peak RSS
across sizes to see whether cost per MB and memory stay flat as the map grows.

Each run is a fresh ``python`` subprocess, so its peak RSS (``ru_maxrss`` from ``wait4``: the
largest process of the run, parent or worker) is that of the run alone. Printed per size:
MB/s, seconds and peak RSS for a plain JSON round trip (the floor: read, parse, serialise,
write), then ``prepare`` with placeholders and with surrogates, in one process and with
``--workers`` detector processes (default 2). CPU seconds (the whole process tree) are
printed too: on shared cores they vary far less than wall-clock time. The bar: >= 5 MB/s,
and peak RSS flat in file size.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent

SYSTEM_PROMPTS = [
    "You are the support assistant of a bank. Answer briefly and never promise refunds.",
    "You are a helpful assistant for the claims team. Quote policy numbers exactly.",
    "You triage IT tickets. Reply with a category, a priority and one next step.",
    "You write polite replies to customers of an online shop, in the customer's language.",
]

PREPARE = """
import sys
from privllm.config import RedactionConfig
from privllm.finetune.prepare.dataset import prepare_file
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.redactor import Redactor
src, dst, terms, mode, workers = sys.argv[1:6]
redactor = Redactor.from_config(RedactionConfig(terms_files={"PERSON": terms}))
vmap = ValueMap(mode)
report = prepare_file(src, dst, redactor, vmap, workers=int(workers))
print(report.lines, sum(report.findings.values()), len(vmap))
"""

ROUND_TRIP = """
import json, sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as dst:
    for raw in src:
        record = json.loads(raw)
        dst.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\\n")
print(0, 0, 0)
"""


def load_corpus() -> ModuleType:
    name = "privllm_redaction_corpus"
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests/redaction/corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Lines:
    """Seeded training lines from a pool of sentences."""

    def __init__(self, seed: int, dense: float = 0.0) -> None:
        corpus = load_corpus()
        gen = corpus.Generator(seed)
        self.corpus, self.gen, self.dense = corpus, gen, dense
        self.rnd = random.Random(seed)
        fake = gen.fakers["en_US"]
        self.names = sorted({f"{fake.first_name()} {fake.last_name()}" for _ in range(6000)})[:5000]
        self.sentences: list[str] = []
        for _ in range(8000):
            roll = self.rnd.random()
            if roll < 0.06:
                template, value = gen.labelled(self.rnd.choice(corpus.TYPES))
                self.sentences.append(template.replace("{}", value))
            elif roll < 0.12:
                self.sentences.append(gen.lookalike())
            elif roll < 0.16:
                self.sentences.append(f"{self.rnd.choice(self.names)} asked about the order.")
            else:
                self.sentences.append(gen.prose())
        self.emails = [gen.email() for _ in range(2000)]

    def text(self, lo: int, hi: int) -> str:
        picked = self.rnd.choices(self.sentences, k=self.rnd.randint(lo, hi))
        if self.dense:
            # A PII-dense file: this share of sentences holds a value never seen before, so
            # the value map grows with the file, as it does on real customer data.
            for i in range(len(picked)):
                if self.rnd.random() < self.dense:
                    template, value = self.gen.labelled(self.rnd.choice(self.corpus.TYPES))
                    picked[i] = template.replace("{}", value)
        return " ".join(picked)

    def line(self) -> bytes:
        r = self.rnd
        messages: list[dict[str, object]] = [
            {"role": "system", "content": r.choice(SYSTEM_PROMPTS)},
            {"role": "user", "content": self.text(3, 12)},
        ]
        if r.random() < 1 / 6:
            args = {"email": r.choice(self.emails), "customer": r.choice(self.names)}
            messages += [
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": json.dumps(args)},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": self.text(1, 3)},
            ]
        messages.append({"role": "assistant", "content": self.text(3, 14)})
        return json.dumps({"messages": messages}).encode() + b"\n"


def generate(path: Path, mb: float, lines: Lines) -> None:
    target = int(mb * 1e6)
    size = 0
    with path.open("wb") as fh:
        while size < target:
            data = b"".join(lines.line() for _ in range(200))
            fh.write(data)
            size += len(data)


def run(code: str, *args: str) -> tuple[float, float, float, str]:
    """(seconds, CPU seconds, peak RSS in MB, stdout) of a fresh interpreter running ``code``.

    CPU seconds (user + system, workers included) say what a run costs whatever else the
    machine is doing; wall-clock MB/s on shared cores does not.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"run failed ({proc.returncode})")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, out.strip()  # ru_maxrss is in KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="50,200", help="file sizes in MB, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--workers", type=int, default=2, help="detector processes (second runs)")
    parser.add_argument(
        "--dense",
        type=float,
        default=0.0,
        help="share of sentences holding a new value (e.g. 0.3): a value map that grows",
    )
    parser.add_argument("--runs", default="", help="comma-separated run labels to keep")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="privllm-ft-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    lines = Lines(args.seed, args.dense)
    terms = work / "customers.txt"
    terms.write_text("\n".join(lines.names) + "\n")
    print(f"prepare_file, one process, fresh interpreter per run; files in {work}")
    print(
        f"{'size':>8}{'run':>14}{'seconds':>10}{'MB/s':>8}{'CPU s':>8}{'MB/CPU s':>10}"
        f"{'peak RSS':>11}  lines, findings, map"
    )
    try:
        for mb in (float(s) for s in args.sizes.split(",")):
            src = work / f"train-{mb:g}mb{'-dense' if args.dense else ''}.jsonl"
            if not src.exists():
                generate(src, mb, lines)
            real_mb = src.stat().st_size / 1e6
            dst = work / "out.jsonl"
            for label, code, extra in (
                ("json only", ROUND_TRIP, ()),
                ("placeholders", PREPARE, (str(terms), "placeholder", "1")),
                ("surrogates", PREPARE, (str(terms), "surrogate", "1")),
                (
                    f"placeh. x{args.workers}",
                    PREPARE,
                    (str(terms), "placeholder", str(args.workers)),
                ),
                (f"surrog. x{args.workers}", PREPARE, (str(terms), "surrogate", str(args.workers))),
            ):
                if args.runs and label.strip() not in args.runs.split(","):
                    continue
                seconds, cpu, rss, out = run(code, str(src), str(dst), *extra)
                print(
                    f"{real_mb:>6.0f}MB{label:>14}{seconds:>10.1f}{real_mb / seconds:>8.1f}"
                    f"{cpu:>8.1f}{real_mb / cpu:>10.1f}{rss:>8.0f} MB  "
                    f"{out if label != 'json only' else ''}",
                    flush=True,
                )
                dst.unlink(missing_ok=True)
    finally:
        if not args.keep:
            for p in work.glob("*"):
                p.unlink()
            if args.workdir is None:
                work.rmdir()


if __name__ == "__main__":
    main()
