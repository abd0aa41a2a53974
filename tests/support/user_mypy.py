"""Run mypy on a user's file, as a user's editor or CI would, and read what it says.

A test writes code the way an app using privllm would, marks lines with ``# reveal: T`` (the
type ``reveal_type`` on that line must show) or ``# error: text`` (an error on that line must
contain text), and :func:`check` asserts both, plus no other error.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

_LINE = re.compile(r"^[^:]+:(?P<line>\d+): (?P<kind>error|note): (?P<text>.*)$")
_MARK = re.compile(r"#\s*(?P<kind>reveal|error):\s*(?P<text>.+)$")


def run_mypy(tmp_path: Path, code: str) -> tuple[str, dict[int, list[tuple[str, str]]]]:
    """mypy --strict's output on ``code`` saved as app.py, and its messages by line."""
    user = tmp_path / "app.py"
    user.write_text(textwrap.dedent(code))
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--strict", "--no-error-summary",
         "--hide-error-context", str(user)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout  # fmt: skip
    by_line: dict[int, list[tuple[str, str]]] = {}
    for raw in out.splitlines():
        match = _LINE.match(raw)
        if match:
            by_line.setdefault(int(match["line"]), []).append((match["kind"], match["text"]))
    return out, by_line


def check(tmp_path: Path, code: str) -> None:
    """Every ``# reveal:`` and ``# error:`` mark holds, and mypy reports no other error."""
    code = textwrap.dedent(code)
    out, by_line = run_mypy(tmp_path, code)
    expected_errors = set()
    for number, line in enumerate(code.splitlines(), start=1):
        mark = _MARK.search(line)
        if mark is None:
            continue
        said = by_line.get(number, [])
        if mark["kind"] == "reveal":
            want = f'Revealed type is "{mark["text"].strip()}"'
            assert ("note", want) in said, f"line {number}: want {want}, mypy said:\n{out}"
        else:
            expected_errors.add(number)
            assert any(k == "error" and mark["text"].strip() in t for k, t in said), (
                f"line {number}: want an error with {mark['text'].strip()!r}, mypy said:\n{out}"
            )
    stray = [n for n, said in by_line.items() if n not in expected_errors
             and any(k == "error" for k, _ in said)]  # fmt: skip
    assert not stray, f"unexpected errors on lines {stray}:\n{out}"
