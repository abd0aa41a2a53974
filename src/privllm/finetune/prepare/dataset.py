"""Prepare a chat fine-tuning file: validate every line, redact it consistently, stream it.

``prepare_file`` reads JSONL line by line and writes line by line, so memory stays flat
however large the file: what grows is the value map, with *distinct* values only (plus the
longest line, and bounded caches). Each line is checked against its format
(``privllm.finetune.prepare.formats``); every problem is collected (the first ``max_issues``, then a
count) and, if there is any, nothing is written. Strings are redacted with the configured
detectors and term lists; one ``ValueMap`` serves the whole file, so a customer is the same
placeholder, or the same surrogate, on every line.

    >>> import json, tempfile
    >>> from privllm.redaction.redactor import Redactor
    >>> folder = Path(tempfile.mkdtemp())
    >>> line = {"messages": [{"role": "user", "content": "Mail ann@acme.com"},
    ...                      {"role": "assistant", "content": "Done, ann@acme.com."}]}
    >>> _ = (folder / "in.jsonl").write_text(json.dumps(line) + "\\n")
    >>> vmap = ValueMap()
    >>> report = prepare_file(folder / "in.jsonl", folder / "out.jsonl",
    ...                       Redactor.from_types(["EMAIL"]), vmap)
    >>> report.findings
    Counter({'EMAIL': 2})
    >>> [m["content"] for m in json.loads((folder / "out.jsonl").read_text())["messages"]]
    ['Mail [EMAIL_1]', 'Done, [EMAIL_1].']

``scan_file`` is the check before an upload: findings still in a file, not counting
placeholders, masks, or surrogates (which come from documentation and test ranges).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal

from privllm.errors import ConfigError
from privllm.finetune.prepare.formats import Format, detect_format
from privllm.finetune.prepare.lines import (
    Checked,
    Finder,
    Visit,
    clean,
    examine_chunk,
    parse,
    scan_chunk,
    strings_of,
)
from privllm.finetune.prepare.parallel import can_fork, ordered
from privllm.finetune.prepare.report import DatasetError, Example, FileScan, Issue, PrepareReport
from privllm.finetune.prepare.staging import remove_stale, temp_path
from privllm.finetune.prepare.strictjson import loads
from privllm.finetune.prepare.surrogates import is_surrogate
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.findings import Finding
from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import NAME_TYPES

__all__ = [
    "DatasetError",
    "Example",
    "FileScan",
    "Issue",
    "PrepareReport",
    "prepare_file",
    "scan_file",
]

#: ``progress(bytes_read, lines_read)``, called every few hundred KB.
Progress = Callable[[int, int], None]

_PROGRESS_EVERY = 1 << 18
_LOOKALIKE = re.compile(rb"[A-Za-z]_\d")  # cheap pre-filter for placeholder look-alikes


def prepare_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None,
    redactor: Redactor,
    value_map: ValueMap,
    *,
    format: Literal["auto", "openai", "gemini"] = "auto",
    workers: int = 1,
    max_issues: int = 100,
    examples: int = 3,
    progress: Progress | None = None,
) -> PrepareReport:
    """Validate and redact ``source`` into ``output`` (``None``: a dry run, nothing written).

    ``value_map`` receives every stand-in; save it (``value_map.save``) to re-identify
    later. ``workers`` > 1 runs the detectors in that many forked processes; the output is
    byte for byte the same. The output appears whole or not at all (a temporary file,
    renamed at the end; one left by a killed run is removed by the next). Raises
    ``DatasetError`` listing the problems when a line is invalid or holds a value whose
    action is ``block``, ``ConfigError`` naming the path when ``source`` cannot be read or
    ``output`` written (a missing folder, no permission), and ``RedactionError`` when a
    detector fails (fail closed).
    """
    started = time.perf_counter()
    src, dst = Path(source), None if output is None else Path(output)
    report = PrepareReport(src, dst, workers=max(1, workers) if can_fork() else 1)
    apply = _Apply(redactor, value_map, report, max_issues, examples)
    tmp = None
    if dst is not None:
        remove_stale(dst)  # left by a run that was killed (SIGKILL runs no clean-up)
        tmp = temp_path(dst)
    out: IO[bytes] | None = None
    try:
        with _reading(src) as fh:
            # Opened first: a missing or read-only folder fails now, not after the first pass.
            out = None if tmp is None else _opened(tmp, dst)
            fmt, decided_by, report.lookalikes = _first_pass(fh, redactor, value_map)
            if format != "auto":
                fmt, decided_by = format, "the format argument"
            report.format = fmt
            fh.seek(0)
            state = (Finder(redactor), fmt, decided_by)
            next_tick = _PROGRESS_EVERY
            for number, raw, checked in ordered(examine_chunk, state, fh, workers=workers):
                report.lines = number
                report.bytes_read += len(raw)
                data = _line(apply, number, raw, checked, fmt)
                if out is not None and data is not None and not report.issues:
                    try:
                        out.write(data + b"\n")
                    except OSError as exc:  # a full disk, a removed folder
                        raise _cannot("write", dst, exc) from exc
                    report.bytes_written += len(data) + 1
                if progress is not None and report.bytes_read >= next_tick:
                    next_tick = report.bytes_read + _PROGRESS_EVERY
                    progress(report.bytes_read, number)
        if progress is not None:
            progress(report.bytes_read, report.lines)
        if report.lines == 0:
            apply.issue(1, "", "the file is empty")
        if report.issues:
            raise DatasetError(report)
        if out is not None and tmp is not None and dst is not None:
            try:
                out.close()
                os.replace(tmp, dst)
            except OSError as exc:
                raise _cannot("write", dst, exc) from exc
    finally:
        if out is not None:
            out.close()
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        report.seconds = time.perf_counter() - started
    return report


def _cannot(verb: str, path: Path | None, exc: OSError) -> ConfigError:
    return ConfigError(f"cannot {verb} {path}: {exc.strerror or type(exc).__name__}")


@contextmanager
def _reading(path: Path) -> Iterator[IO[bytes]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise _cannot("read", path, exc) from exc
    with fh:
        yield fh


def _opened(tmp: Path, dst: Path | None) -> IO[bytes]:
    try:
        return tmp.open("wb")
    except OSError as exc:
        raise _cannot("write", dst, exc) from exc


def _line(
    apply: _Apply, number: int, raw: bytes, checked: Checked | None, fmt: Format
) -> bytes | None:
    """The line to write, or ``None`` when it has problems (recorded on the report)."""
    if checked is None:
        return clean(raw, number)
    if checked.issues:
        for where, reason in checked.issues:
            apply.issue(number, where, reason)
        return None
    record = checked.record if checked.record is not None else json.loads(clean(raw, number))
    if not apply.line_with(number, record, fmt, checked.found):
        return clean(raw, number)
    apply.report.changed_lines += 1
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def scan_file(
    path: str | os.PathLike[str],
    redactor: Redactor,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    value_map: ValueMap | None = None,
) -> FileScan:
    """Findings still in ``path``, per type: the check before uploading a training file.

    Each JSON line's string values and keys are scanned; a line that is not JSON is scanned
    as text. Placeholders (``[EMAIL_1]``), masks and surrogates are not findings. A line
    with a repeated key, or nested too deeply, is scanned as text and listed in ``issues``
    (such a file is not ``clean``): another parser may read a value the scan did not.

    Realistic name surrogates look like anyone's name: give the ``value_map`` that prepared
    the file and the names it issued are not findings (exactly those: a real name that is
    merely like one still is). Without it, a surrogate-prepared file reports them.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "f.jsonl"
    >>> _ = p.write_text('{"a": "[EMAIL_1] or bob@example.org"}\\n{"b": "ann@acme.com"}\\n')
    >>> scan_file(p, Redactor.from_types(["EMAIL"])).findings
    Counter({'EMAIL': 1})
    """
    result = FileScan()
    done, next_tick = 0, _PROGRESS_EVERY
    with Path(path).open("rb") as fh:
        for number, raw, (found, problem) in ordered(
            scan_chunk,
            (Finder(redactor), value_map.surrogates() if value_map is not None else frozenset()),
            fh,
            workers=workers,
        ):
            result.lines = number
            done += len(raw)
            if problem is not None:
                result.add_issue(Issue(number, "", problem))
            for f in found:
                allowed = redactor.action(f.type) == "allow"
                (result.allowed if allowed else result.findings)[f.type] += 1
            if progress is not None and done >= next_tick:
                next_tick = done + _PROGRESS_EVERY
                progress(done, number)
    if progress is not None:
        progress(done, result.lines)
    return result


def _first_pass(fh: IO[bytes], redactor: Redactor, vmap: ValueMap) -> tuple[Format, str, int]:
    """The file's format (from its first JSON line), and placeholder look-alikes reserved.

    A literal ``[EMAIL_3]`` in the data keeps number 3 from being issued, so reidentify never
    turns a literal into a value. Cheap: only lines with a letter, ``_`` and a digit in a
    row are parsed. Returns how many look-alikes were already issued by an earlier file.
    """
    kinds = frozenset().union(*(d.types for d in redactor.detectors))
    fmt: Format | None = None
    decided_by = "line 1"
    clashes = 0
    for number, raw in enumerate(fh, start=1):
        if fmt is None:
            record, problems = parse(number, raw)
            if not problems:
                fmt, decided_by = detect_format(record) or "openai", f"line {number}"
        if _LOOKALIKE.search(raw) is None:
            continue
        text = raw.decode("utf-8", errors="replace")
        try:
            strings: Iterable[str] = list(strings_of(loads(text)))
        except ValueError:  # not JSON, or not JSON privllm accepts: the line is refused later
            strings = (text,)
        for s in strings:
            if "_" in s:
                clashes += vmap.reserve_from(s, kinds)
    return fmt or "openai", decided_by, clashes


class _Apply(Visit):
    """The parent's side: findings (from this process or a worker) become stand-ins, in file
    order, so numbering does not depend on how the work was split."""

    def __init__(
        self, redactor: Redactor, vmap: ValueMap, report: PrepareReport, limit: int, examples: int
    ) -> None:
        super().__init__()
        self.redactor = redactor
        self.vmap = vmap
        self.report = report
        self.limit = limit
        self.examples = examples
        self.number = 0
        self.found: dict[int, list[Finding]] = {}

    def issue(self, line: int, where: str, reason: str) -> None:
        if len(self.report.issues) < self.limit:
            self.report.issues.append(Issue(line, where, reason))
        else:
            self.report.more_issues += 1

    def line_with(
        self, number: int, record: dict[str, Any], fmt: Format, found: dict[int, list[Finding]]
    ) -> bool:
        self.number, self.found, self.index = number, found, -1
        return self.line(record, fmt)

    def fixed(self, i: int, where: str, value: str) -> None:
        # Schema keys and types cannot be renamed: a value found there is an error.
        for f in self.found.get(i, ()):
            if self.redactor.action(f.type) != "allow" and not is_surrogate(f.type, f.value):
                reason = f"holds a value of type {f.type}; a schema name cannot be redacted"
                self.issue(self.number, where, reason)

    def text(self, i: int, where: str, value: str, bare: bool) -> str:
        findings = self.found.get(i)
        if not findings:
            return value
        parts: list[tuple[str, bool]] = []
        pos = 0
        for f in findings:
            action = self.redactor.action(f.type)
            self.report.findings[f.type] += 1
            if action == "allow":
                continue
            if action == "block":
                reason = (
                    f"holds a value of type {f.type} at characters {f.start}-{f.end} "
                    "(action 'block' in redaction.actions)"
                )
                self.issue(self.number, where, reason)
                continue
            if action == "mask":
                new = f.type if bare else f"[{f.type}]"
            else:
                new = self.vmap.stand_in(
                    f.type, f.value, bare=bare, accept=partial(self._acceptable, f.type)
                )
            parts += [(value[pos : f.start], False), (new, True)]
            pos = f.end
        if not parts:
            return value
        parts.append((value[pos:], False))
        if len(self.report.examples) < self.examples and not self.report.issues:
            example = Example(self.number, where, _excerpt(parts))
            if all(e.parts != example.parts for e in self.report.examples):
                self.report.examples.append(example)
        return "".join(t for t, _ in parts)

    def _acceptable(self, kind: str, candidate: str) -> bool:
        # A surrogate the detectors would report as a real value would fail the prepared
        # file's own pre-upload scan (and could be someone's real number). A realistic name
        # is always found as one: the scan is told the names this map issued instead.
        return all(
            is_surrogate(f.type, f.value) or (f.type == kind and kind in NAME_TYPES)
            for f in self.redactor.find(candidate)
        )


def _excerpt(
    parts: list[tuple[str, bool]], before: int = 40, after: int = 80
) -> tuple[tuple[str, bool], ...]:
    """The parts around the first stand-in, newlines shown as spaces, cut with an ellipsis."""
    first = next(i for i, (_, is_new) in enumerate(parts) if is_new)
    out: list[tuple[str, bool]] = []
    lead = parts[first - 1][0] if first else ""
    out.append(("…" + lead[-before:] if len(lead) > before else lead, False))
    budget = after
    for text, is_new in parts[first:]:
        if budget <= 0:
            out.append(("…", False))
            break
        if not is_new and len(text) > budget:
            text = text[:budget] + "…"
        out.append((text, is_new))
        budget -= len(text)
    return tuple((" ".join(t.splitlines()), is_new) for t, is_new in out if t)
