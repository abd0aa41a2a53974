"""One line's work, the same in every process: parse and check it, then visit its strings.

The visit order depends on the line alone, so a worker process can run the detectors (the
costly part) and report what it found by visit index, and the parent can apply the findings
and issue stand-ins in file order: numbering and surrogates are those of a one-process run.

    >>> from privllm.redaction.redactor import Redactor
    >>> finder = Finder(Redactor.from_types(["EMAIL"]))
    >>> raw = b'{"messages": [{"role": "user", "content": "ann@acme.com"},'
    >>> raw += b' {"role": "assistant", "content": "ok"}]}'
    >>> checked = examine(finder, 1, raw, "openai", "line 1")
    >>> {i: [f.type for f in found] for i, found in checked.found.items()}
    {0: ['EMAIL']}
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from privllm.finetune.prepare.formats import Format, check_line, detect_format, key_path, slots
from privllm.finetune.prepare.strictjson import DEEP, DUPLICATE, BadJSON, loads
from privllm.finetune.prepare.surrogates import is_surrogate, normalise
from privllm.redaction.findings import Finding
from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import resolve_overlaps

__all__ = [
    "Checked",
    "Finder",
    "Visit",
    "examine",
    "examine_chunk",
    "parse",
    "scan_chunk",
    "spread_names",
    "strings_of",
]

_NAMES = {"openai": "OpenAI", "gemini": "Gemini"}
_MEMO_CHARS = 4_000_000  # ~4 MB of strings, whatever the file size
_MEMO_MAX_LEN = 20_000
_BOM = b"\xef\xbb\xbf"

Problem = tuple[str, str]


@dataclass(slots=True)
class Checked:
    """A line that needs the parent's attention: problems, or findings by visit index.

    ``record`` is the parsed line when the check ran in the same process (saves a parse).
    """

    issues: list[Problem]
    found: dict[int, list[Finding]] = field(default_factory=dict)
    record: Any = None


class Finder:
    """The redactor's detectors, with a bounded cache of findings per string: training files
    repeat strings on every line (the system prompt, tool schemas), and a hit skips the scan."""

    __slots__ = ("_chars", "_memo", "redactor")

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._memo: OrderedDict[str, list[Finding]] = OrderedDict()
        self._chars = 0

    def __call__(self, text: str) -> list[Finding]:
        hit = self._memo.get(text)
        if hit is not None:
            self._memo.move_to_end(text)
            return hit
        found = self.redactor.find(text) if text else []
        if len(text) <= _MEMO_MAX_LEN:
            self._memo[text] = found
            self._chars += len(text)
            while self._chars > _MEMO_CHARS:
                old, _ = self._memo.popitem(last=False)
                self._chars -= len(old)
        return found


def clean(raw: bytes, number: int) -> bytes:
    """The line without its line ending (and, on line 1, without a UTF-8 BOM)."""
    line = raw.rstrip(b"\r\n")
    return line.removeprefix(_BOM) if number == 1 else line


def parse(number: int, raw: bytes) -> tuple[Any, list[Problem]]:
    """The parsed line, or problems that name the position, never the content."""
    try:
        text = clean(raw, number).decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [("", f"not UTF-8 (byte {exc.start + 1})")]
    if not text.strip():
        return None, [("", "empty line")]
    try:
        return loads(text), []
    except BadJSON as exc:
        return None, [("", exc.reason)]


def examine(
    finder: Finder, number: int, raw: bytes, fmt: Format, decided_by: str
) -> Checked | None:
    """Check one line and run the detectors on its strings. ``None``: valid, nothing found."""
    record, problems = parse(number, raw)
    if problems:
        return Checked(problems)
    line_format = detect_format(record)
    if line_format is not None and line_format != fmt:
        reason = (
            f"is {_NAMES[line_format]} format, but the file is {_NAMES[fmt]} format "
            f"(set by {decided_by})"
        )
        return Checked([("", reason)])
    problems = check_line(record, fmt)
    if problems:
        return Checked(problems)
    recorder = _Recorder(finder)
    recorder.line(record, fmt)
    found = spread_names(recorder.strings, recorder.found)
    return Checked([], found, record) if found else None


def examine_chunk(
    state: tuple[Finder, Format, str], first: int, lines: list[bytes], in_process: bool
) -> list[Checked | None]:
    """``examine`` for consecutive lines numbered from ``first`` (the worker's task)."""
    finder, fmt, decided_by = state
    dry = Finder(finder.redactor)  # a named-entity model's work for the chunk: one batch
    with finder.redactor.prefetched(
        lambda: [examine(dry, first + i, raw, fmt, decided_by) for i, raw in enumerate(lines)]
    ):
        out = [examine(finder, first + i, raw, fmt, decided_by) for i, raw in enumerate(lines)]
    if not in_process:
        for checked in out:
            if checked is not None:
                checked.record = None  # the parent parses again rather than unpickle a tree
    return out


#: One line's scan: findings (surrogates left out), and why the line cannot be trusted to
#: read the same to the provider (a repeated key, runaway nesting), if it cannot.
Scanned = tuple[list[Finding], str | None]
#: ``(kind, normalised surrogate)`` a value map issued (``ValueMap.surrogates``).
Issued = frozenset[tuple[str, str]]


def scan_chunk(
    state: tuple[Finder, Issued], first: int, lines: list[bytes], in_process: bool
) -> list[Scanned]:
    """Findings in each line's JSON strings and keys (or its text, if it is not JSON): the
    worker's task for ``scan_file``. A name found in one string of a line is looked for in
    all of them (its parts too), as ``prepare`` does.

    A line with a repeated key or nested too deeply is scanned as text (every value in it
    is seen) and its problem reported: a parser keeping another of the repeated values
    would read what no scan looked at. Surrogates are not findings: those from reserved
    ranges (``is_surrogate``), and the names the preparing value map issued (``issued``,
    the exact surrogate, never a name merely like one).
    """
    finder, issued = state
    out: list[Scanned] = []
    for raw in lines:
        text = raw.decode("utf-8", errors="replace")
        problem = None
        try:
            strings = list(strings_of(loads(text)))
        except BadJSON as exc:
            strings = [text]
            if exc.reason in (DUPLICATE, DEEP):
                problem = exc.reason
        # Surrogates first out: a surrogate's parts are no evidence of a real name.
        real = {i: [f for f in finder(s) if _real(issued, f)] for i, s in enumerate(strings)}
        by_string = spread_names(strings, real)
        found = [f for i in sorted(by_string) for f in by_string[i] if _real(issued, f)]
        out.append((found, problem))
    return out


def _real(issued: Issued, f: Finding) -> bool:
    """Not a surrogate: neither from a reserved range nor one the value map issued."""
    if is_surrogate(f.type, f.value):
        return False
    if not issued:
        return True
    value = f.value
    if value.endswith(("'s", "\u2019s")):  # "Mara Lind's": the surrogate and a possessive
        value = value[:-2]
    key = normalise(f.type, value)
    if (f.type, key) in issued:
        return False
    # A full name written part by part from the map's stand-ins: when two people drew the
    # same surrogate surname, the second keeps its own stand-in for it, so its full name
    # reads as parts the map issued ("Leon Nora") though never issued whole. (A real name
    # made only of issued surrogate words is not reported either: prepare had found it.)
    # And a date of birth's stand-in is one made-up word, which after its cue can read as a
    # name ("DOB Belka"): a name holding one is that misreading, not a person.
    parts = key.split()
    return not (
        f.type == "PERSON"
        and len(parts) > 1
        and (
            all((f.type, p) in issued for p in parts)
            or any(("DATE_OF_BIRTH", p) in issued for p in parts)
        )
    )


def spread_names(
    strings: Sequence[str] | Mapping[int, str], found: dict[int, list[Finding]]
) -> dict[int, list[Finding]]:
    """``found`` (findings by string index) with every name found in a line, and each part
    of it, found again wherever it stands alone in the line's strings: "Dear Jane Doe" in
    one message makes "Thanks, Jane" a name in the next, as the chat vault does.

    >>> from privllm.redaction.findings import Finding
    >>> texts = ["Dear Jane Doe,", "Thanks, Jane."]
    >>> spread = spread_names(texts, {0: [Finding(5, 13, "PERSON", "Jane Doe")]})
    >>> [(i, f.value) for i in sorted(spread) for f in spread[i]]
    [(0, 'Jane Doe'), (1, 'Jane')]

    A full name elsewhere is found part by part (each part gets its own stand-in, and a
    person's surrogate lends its parts, so "Jane Doe" still reads "Mara Lind").
    """
    from privllm.redaction.names import name_parts

    names = {f.value for fs in found.values() for f in fs if f.type == "PERSON"}
    if not names:
        return found
    parts: set[str] = set()
    whole: list[str] = []  # names with no part long enough to look for alone ("Li Na")
    for name in names:
        kept = [p for p in name_parts(name) if len(p) > 2]
        parts.update(kept)
        if not kept:
            whole.append(name)
    # "Jane's": the name, not the possessive, is redacted.
    wanted = parts | {f"{p}{s}" for p in parts for s in ("'s", "\u2019s")}
    out = dict(found)
    items = strings.items() if isinstance(strings, Mapping) else enumerate(strings)
    for i, text in items:
        # Word by word against a set: linear in the text however many names the line holds
        # (an alternation of every name would try each one at every position). The words
        # wanted here are found first, read and compared in C: most strings hold none, and
        # the loop below does no more than a set lookup for the other words.
        extra = []
        hits = wanted.intersection(_NAME_WORD.findall(text))
        for m in _NAME_WORD.finditer(text) if hits else ():
            word = m.group()
            if word not in hits:
                continue
            start, end = m.span()
            if word not in parts:
                word, end = word[:-2], end - 2  # a possessive
            if (start and text[start - 1] in "@.") or text[end : end + 1] == "@":
                continue  # part of an e-mail address or a host name
            extra.append(Finding(start, end, "PERSON", word))
        for name in whole:
            at = text.find(name)
            while at >= 0:
                extra.append(Finding(at, at + len(name), "PERSON", name))
                at = text.find(name, at + len(name))
        if extra:
            out[i] = resolve_overlaps([*out.get(i, []), *extra])
    return out


_NAME_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def strings_of(node: Any) -> Iterator[str]:
    """Every string value and key in a JSON value, in document order (no recursion).

    >>> list(strings_of({"a": ["b", {"c": "d"}], "e": 1}))
    ['a', 'b', 'c', 'd', 'e']
    """
    stack: list[Iterator[Any]] = [iter((node,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.append(iter([x for pair in item.items() for x in pair]))
        elif isinstance(item, list):
            stack.append(iter(item))


_END = object()


class Visit:
    """Every redactable string of a *valid* line, in a fixed order, numbered from 0.

    Subclasses say what happens to each: ``text`` returns the string to keep (the same
    object when unchanged), ``fixed`` sees strings that must not change.
    """

    def __init__(self) -> None:
        self.index = -1

    def text(self, i: int, where: str, value: str, bare: bool) -> str:
        raise NotImplementedError

    def fixed(self, i: int, where: str, value: str) -> None:
        raise NotImplementedError

    def _next(self) -> int:
        self.index += 1
        return self.index

    def line(self, record: dict[str, Any], fmt: Format) -> bool:
        """Visit the line, replacing strings in place; True if any changed."""
        changed = False
        for container, key, where, kind in slots(record, fmt):
            if kind == "fixed":
                self.fixed(self._next(), where, key)
                continue
            value = container[key]
            if kind in ("text", "name"):
                new = self.text(self._next(), where, value, kind == "name")
            elif kind == "json":
                data = json.loads(value)
                new_data = self.data(where, data)
                new = value if new_data is data else json.dumps(new_data, ensure_ascii=False)
            else:
                new = self.data(where, value)
            if new is not value:
                container[key] = new
                changed = True
        return changed

    def data(self, where: str, node: Any) -> Any:
        """A JSON value with its strings and keys visited; ``node`` itself if unchanged."""
        if isinstance(node, str):
            return self.text(self._next(), where, node, False)
        if isinstance(node, list):
            items = [self.data(f"{where}[{i}]", v) for i, v in enumerate(node)]
            return node if all(a is b for a, b in zip(items, node, strict=True)) else items
        if isinstance(node, dict):
            pairs = [
                (
                    self.text(self._next(), key_path(where, None, i), k, False),
                    self.data(key_path(where, k, i), v),
                )
                for i, (k, v) in enumerate(node.items())
            ]
            same = all(
                a is k and b is v for (a, b), (k, v) in zip(pairs, node.items(), strict=True)
            )
            return node if same else dict(pairs)
        return node


class _Recorder(Visit):
    """Runs the detectors on each string and records what they found, changing nothing."""

    def __init__(self, finder: Finder) -> None:
        super().__init__()
        self.finder = finder
        self.found: dict[int, list[Finding]] = {}
        self.strings: dict[int, str] = {}  # by visit index

    def text(self, i: int, where: str, value: str, bare: bool) -> str:
        self.strings[i] = value
        found = self.finder(value)
        if found:
            self.found[i] = found
        return value

    def fixed(self, i: int, where: str, value: str) -> None:
        self.text(i, where, value, False)
