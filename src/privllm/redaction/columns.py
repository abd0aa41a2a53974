"""Table columns as cues: a CSV/TSV header names what every cell below it holds.

An export pasted into a prompt (``name,ssn,phone`` then ``Jane Doe,536221847,4155552671``)
holds bare numbers that no detector takes without a cue. Each cell under a header that
names a value (ssn, phone, password, card...) is read under that header, as the detectors
read ``ssn: 536221847``.

>>> text = "id;ssn;note\\n7;536221847;ok\\n8;078051120;x"
>>> [(text[s:e], header) for s, e, header in cued_cells(text)]
[('536221847', 'ssn'), ('078051120', 'ssn')]
"""

from __future__ import annotations

import re

__all__ = ["CUE_WORDS", "cued_cells"]

# Header (or JSON key) words that say what a value is: the detectors' cues.
CUE_WORDS = re.compile(
    r"ssn|social|phone|tel|mobile|cell|fax|passw|pwd|pass|secret|token|key|card|iban"
    r"|account|mail|birth|dob|name|address|street|customer|client|holder|contact|patient"
    r"|person|employee|recipient|sender|owner|geburt|naissance|adress|anschrift|stra(?:ss|ß)e"
    r"|kunde|inhaber|nom\b|pr[ée]nom|titulaire|destinataire"
    r"|member|requester|reporter|assignee|owner|author|attendee|participant|guest|passenger"
    r"|tenant|applicant|beneficiary|spouse|vorname|nachname",
    re.IGNORECASE,
)
_DELIMITERS = ",;\t|"
# A header field: a short label, no digits run (a data row is not a header).
_LABEL = re.compile(r"\s*\"?[A-Za-z\u00c0-\u024f][\w .#/()\u00c0-\u024f-]{0,40}\"?\s*")
_MAX_ROWS = 100_000


def cued_cells(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, header)`` of every non-empty cell under a cue header, in order."""
    if "\n" not in text or not any(d in text for d in _DELIMITERS):
        return []
    out: list[tuple[int, int, str]] = []
    lines = _lines(text)
    i = 0
    while i < len(lines):
        start, end = lines[i]
        header = text[start:end]
        delimiter = _delimiter(header)
        if delimiter is None:
            i += 1
            continue
        names = [n.strip().strip('"').strip() for n in header.split(delimiter)]
        cued = {k: n for k, n in enumerate(names) if CUE_WORDS.search(n)}
        if not cued or not all(_LABEL.fullmatch(n) for n in header.split(delimiter)):
            i += 1
            continue
        i += 1
        rows = 0
        while i < len(lines) and rows < _MAX_ROWS:
            cells = _cells(text, *lines[i], delimiter)
            if len(cells) != len(names):
                break
            for k, name in cued.items():
                s, e = cells[k]
                if e > s:
                    out.append((s, e, name))
            i += 1
            rows += 1
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        spans.append((pos, pos + len(body)))
        pos += len(line)
    return spans


def _delimiter(line: str) -> str | None:
    counts = [(line.count(d), d) for d in _DELIMITERS]
    count, delimiter = max(counts)
    return delimiter if count else None


def _cells(text: str, start: int, end: int, delimiter: str) -> list[tuple[int, int]]:
    """Cell spans of one row (quotes respected, the quotes and blanks trimmed)."""
    cells = []
    quoted = False
    cell = start
    for i in range(start, end + 1):
        ch = text[i] if i < end else delimiter
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            s, e = cell, i
            while s < e and text[s] in ' "':
                s += 1
            while e > s and text[e - 1] in ' "':
                e -= 1
            cells.append((s, e))
            cell = i + 1
    return cells
