"""Mutation testing of the privacy and integrity core: each module against its own tests.

Not part of CI (a full run takes a while). Usage, from the repository root::

    .venv/bin/python scripts/mutation.py                       # every phase-1 module
    .venv/bin/python scripts/mutation.py redaction/vault.py    # one module
    .venv/bin/python scripts/mutation.py --list-survivors      # names of the survivors too
    .venv/bin/python scripts/mutation.py --phase 2             # the policy modules

then ``cd mutants/redaction.vault`` (the module's folder) and ``../../.venv/bin/mutmut show
<name>`` shows a survivor's diff.

mutmut 3 reads one ``[tool.mutmut]`` table and mutates in ``./mutants``; to run each module
against its own test files only, every module gets its own folder (``mutants/audit.chain/``,
git-ignored) holding links to ``src``, ``tests`` and ``docs`` and a ``pyproject.toml`` that is the
repository's with ``only_mutate`` and ``pytest_add_cli_args_test_selection`` added to its
``[tool.mutmut]`` table. Shared settings (timeouts, pytest options) live in that table in
the repository's ``pyproject.toml``. A second run of the same module reuses mutmut's cache:
it tests the mutants of functions that changed, and retests every mutant not yet killed
(the tests may have changed); ``--fresh`` retests everything.

The machine is shared: modules run one at a time, with ``--max-children`` (default 2)
workers. The score is mutmut's own: (killed + timeout) / mutants, where "no tests" and
"suspicious" count against it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is a dependency on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path("src/privllm")
WORK = ROOT / "mutants"

#: module (under src/privllm) -> its own test files. Phase 1: redaction and audit.
PHASE_1: dict[str, list[str]] = {
    "redaction/vault.py": ["tests/redaction/test_vault_restore.py"],
    "redaction/restore.py": ["tests/redaction/test_vault_restore.py"],
    "redaction/scanner.py": ["tests/redaction/test_scan.py"],
    "audit/chain.py": ["tests/audit/test_chain.py", "tests/audit/test_tamper.py"],
    "audit/crypto.py": ["tests/audit/test_crypto.py"],
}
#: Phase 2: the egress guard and host classification. The guard's own tests: its rules
#: (test_egress), redirects (test_egress_redirects), the body forms it reads
#: (test_egress_bodies) and the bypasses an SDK caller could try, checked against a
#: recording server (test_bypass).
_EGRESS_TESTS = [
    "tests/policy/test_egress.py",
    "tests/policy/test_egress_redirects.py",
    "tests/policy/test_egress_bodies.py",
    "tests/policy/test_bypass.py",
]
PHASE_2: dict[str, list[str]] = {
    "policy/egress/guard.py": _EGRESS_TESTS,
    "policy/endpoints.py": ["tests/policy/test_endpoints.py"],
    # How the guard reads a body: its own tests, and the body rules that read through it.
    "policy/egress/decode.py": [
        "tests/policy/test_egress_decode.py",
        "tests/policy/test_egress_bodies.py",
        "tests/policy/test_egress.py",
    ],
}
# The keys this script sets per module; pyproject.toml must leave them to it.
_PER_MODULE = ("only_mutate", "pytest_add_cli_args_test_selection", "tests_dir")
_KILLED = ("killed", "timeout")
# What each module's folder links to; mutmut copies src and tests, and ``docs`` too because
# pyproject.toml lists it in ``also_copy`` (test_egress.py checks every rule is documented).
_LINKED = ("src", "tests", "docs")


@dataclass
class Score:
    module: str
    statuses: dict[str, str]  # mutant name -> mutmut status

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def killed(self) -> int:
        return sum(1 for s in self.statuses.values() if s in _KILLED)

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s not in _KILLED)

    def line(self) -> str:
        pct = 100.0 * self.killed / self.total if self.total else 0.0
        counts = Counter(self.statuses.values())
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s not in _KILLED)
        return (
            f"{self.module:<24} {self.killed:>4} / {self.total:<4} killed  {pct:5.1f}%"
            f"  survivors {len(self.survivors)}" + (f" ({detail})" if detail else "")
        )


def _slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def _pyproject(module: str, tests: list[str]) -> str:
    """The repository's pyproject.toml with this module's mutmut selection added."""
    text = (ROOT / "pyproject.toml").read_text()
    table = tomllib.loads(text).get("tool", {}).get("mutmut")
    if table is None:
        raise SystemExit("pyproject.toml has no [tool.mutmut] table")
    clash = [k for k in _PER_MODULE if k in table]
    if clash:
        raise SystemExit(f"[tool.mutmut] must not set {clash}: this script sets them per module")
    header = "[tool.mutmut]\n"
    if text.count(header) != 1:
        raise SystemExit("expected exactly one '[tool.mutmut]' line in pyproject.toml")
    # A JSON array of strings is a TOML array of basic strings.
    added = (
        f"only_mutate = {json.dumps([str(PACKAGE / module)])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
    )
    return text.replace(header, header + added)


def _prepare(module: str, tests: list[str]) -> Path:
    for path in [PACKAGE / module, *map(Path, tests)]:
        if not (ROOT / path).is_file():
            raise SystemExit(f"{path} does not exist: update the module map in {__file__}")
    work = WORK / _slug(module)
    work.mkdir(parents=True, exist_ok=True)
    for name in _LINKED:
        link = work / name
        if not link.is_symlink():
            link.symlink_to(Path("..", "..", name))
    _drop_stale_copies(work, module)
    config = _pyproject(module, tests)
    target = work / "pyproject.toml"
    if not target.exists() or target.read_text() != config:
        target.write_text(config)
    return work


def _drop_stale_copies(work: Path, module: str) -> None:
    """Remove mutmut's copies of the other source files that changed since it made them.

    mutmut regenerates the module it mutates when that file changes, but copies the rest of
    ``src`` once: a later change to a module it imports would otherwise go unseen.
    """
    copies = work / "mutants"
    mutated = PACKAGE / module
    for copy in (copies / "src").rglob("*.py"):
        rel = copy.relative_to(copies)
        source = ROOT / rel
        if rel != mutated and (not source.exists() or source.read_bytes() != copy.read_bytes()):
            copy.unlink()


def _mutmut() -> str:
    exe = Path(sys.executable).parent / "mutmut"
    if not exe.exists():
        raise SystemExit(f"mutmut is not installed next to {sys.executable}: pip install mutmut")
    return str(exe)


def _retest_survivors(work: Path, module: str) -> None:
    """Clear mutmut's cached verdict of every mutant that was not killed.

    mutmut retests a mutant when its function changes, not when the tests do: without
    this, a survivor would stay a survivor after the test that kills it was written.
    Killed mutants keep their verdict (use --fresh to retest everything).
    """
    from mutmut.stats import status_by_exit_code  # mutmut's own table: exit code -> status

    meta = work / "mutants" / PACKAGE / (module + ".meta")
    if not meta.exists():
        return
    data = json.loads(meta.read_text())
    codes = data["exit_code_by_key"]
    for name, code in codes.items():
        if code is not None and status_by_exit_code[code] not in _KILLED:
            codes[name] = None
    meta.write_text(json.dumps(data, indent=4))


def run(module: str, tests: list[str], max_children: int, *, quiet: bool, fresh: bool) -> Score:
    work = _prepare(module, tests)
    if fresh:
        shutil.rmtree(work / "mutants", ignore_errors=True)
    _retest_survivors(work, module)
    # mutmut records which tests reach which function once, and afterwards only for tests
    # with new names: a test whose body changed would keep its old, narrower record.
    (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [_mutmut(), "run", "--max-children", str(max_children)]
    out = subprocess.DEVNULL if quiet else None
    code = subprocess.run(cmd, cwd=work, env=env, stdout=out, check=False).returncode
    if code:
        raise SystemExit(f"mutmut run failed for {module} (exit {code}); rerun without --quiet")
    listing = subprocess.run(
        [_mutmut(), "results", "--all", "true"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    statuses = {}
    for line in listing.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            statuses[name] = status
    return Score(module, statuses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="e.g. redaction/vault.py (default: a phase)")
    parser.add_argument("--phase", type=int, choices=(1, 2), default=1)
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--list-survivors", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="hide mutmut's progress output")
    parser.add_argument("--fresh", action="store_true", help="forget mutmut's cached verdicts")
    args = parser.parse_args(argv)
    known = {**PHASE_1, **PHASE_2}
    modules = args.modules or list(PHASE_1 if args.phase == 1 else PHASE_2)
    unknown = [m for m in modules if m not in known]
    if unknown:
        parser.error(f"not in the module map: {unknown}; known: {sorted(known)}")
    scores = []
    for module in modules:  # one at a time: the machine is shared
        print(f"== {module} against {' '.join(known[module])}", flush=True)
        score = run(module, known[module], args.max_children, quiet=args.quiet, fresh=args.fresh)
        scores.append(score)
    print()
    for score in scores:
        print(score.line())
        if args.list_survivors:
            for name in score.survivors:
                print(f"    {name}: {score.statuses[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
