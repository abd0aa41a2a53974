"""What preparing or scanning a file reports: problems, examples, counts. No raw values."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from privllm.errors import DatasetError
from privllm.finetune.prepare.formats import Format

__all__ = ["DatasetError", "Example", "FileScan", "Issue", "PrepareReport"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: ``line`` (1-based), ``field`` (``messages[2].content``), ``reason``.

    >>> str(Issue(3, "messages[0].role", "must be system, user, assistant or tool"))
    'line 3: messages[0].role: must be system, user, assistant or tool'
    """

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}: {self.field}" if self.field else f"line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Example:
    """A changed string as it will be written, cut around its first stand-in.

    ``parts`` alternates text and stand-ins: ``(text, is_stand_in)``. No raw value is in it.
    """

    line: int
    field: str
    parts: tuple[tuple[str, bool], ...]

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: " + "".join(t for t, _ in self.parts)


@dataclass
class PrepareReport:
    """What ``prepare_file`` read, found and wrote."""

    source: Path
    output: Path | None
    format: Format | None = None
    lines: int = 0
    changed_lines: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    workers: int = 1
    #: Occurrences per type, whatever the action (``allow`` included).
    findings: Counter[str] = field(default_factory=Counter)
    #: Literal placeholder look-alikes in the data that were already issued to a value.
    lookalikes: int = 0
    issues: list[Issue] = field(default_factory=list)
    more_issues: int = 0
    examples: list[Example] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def problems(self) -> int:
        return len(self.issues) + self.more_issues


@dataclass
class FileScan:
    """Findings still in a file: ``findings`` would go out as they are; ``allowed`` are of
    types whose action is ``allow``. Placeholders, masks and surrogates are not findings.

    ``issues`` are lines a provider might read differently from the scan (a repeated key,
    runaway nesting): the first ``max_issues``, then only counted in ``more_issues``. A file
    with any is not ``clean``.
    """

    findings: Counter[str] = field(default_factory=Counter)
    allowed: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    issues: list[Issue] = field(default_factory=list)
    more_issues: int = 0
    max_issues: int = 100

    @property
    def clean(self) -> bool:
        return not self.findings and not self.issues

    @property
    def problems(self) -> int:
        return len(self.issues) + self.more_issues

    def add_issue(self, issue: Issue) -> None:
        if len(self.issues) < self.max_issues:
            self.issues.append(issue)
        else:
            self.more_issues += 1
