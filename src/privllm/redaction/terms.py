"""Names privllm cannot recognise by shape: user term lists, and a plug-in point for NER models.

``TermListDetector`` matches thousands of customer names or project code names in one pass
with an Aho-Corasick automaton (``pyahocorasick``) rather than a regex per term.
``NERDetector`` adapts any named-entity model the user already runs (spaCy, GLiNER, a remote
service); privllm itself never downloads a model and never imports spaCy.

    >>> d = TermListDetector(["Project Falcon", "Acme"], type="ORGANIZATION")
    >>> [f.value for f in d.find("ACME runs project falcon.")]
    ['ACME', 'project falcon']
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Protocol

from privllm.redaction.findings import Finding

__all__ = ["DEFAULT_NER_LABELS", "NERDetector", "NERModel", "TermListDetector"]


def _fold(text: str) -> str:
    """Lower-case ``text`` without changing its length, so offsets stay valid.

    ``str.lower`` maps a few characters to two (``"İ".lower()`` is ``"i̇"``); those are kept
    as they are, which only means such a character must match case-exactly.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# What a term list sees as the same name: any run of whitespace (a line break, a double or
# non-breaking space from a paste) is one space, and accents are composed (NFC), since
# macOS input and PDF copies often decompose "é" into "e" + U+0301.
# Every whitespace character but " " (what str.isspace() says; a test checks the list),
# written out: a class-led pattern without alternation is what ``re`` scans fastest.
_ODD_SPACE = re.compile(
    r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]\s*"
)
_SPACES = re.compile(r"\s+")
_DECOMPOSED = re.compile(r".[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _normal(term: str) -> str:
    return " ".join(unicodedata.normalize("NFC", term).split())


def _irregular_spaces(text: str) -> list[tuple[int, int, str]]:
    """Whitespace runs other than one plain space, each to become one space."""
    runs: list[tuple[int, int]] = []
    for m in _ODD_SPACE.finditer(text):
        start = m.start()
        while start > 0 and text[start - 1] == " ":  # "word \nword": the space joins the run
            start -= 1
        runs.append((start, m.end()))
    i = text.find("  ")
    while i >= 0:
        end = _SPACES.match(text, i).end()  # type: ignore[union-attr]  # "  " matches
        runs.append((i, end))
        i = text.find("  ", end)
    if not runs:
        return []
    runs.sort()
    merged = [runs[0]]
    for start, end in runs[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(start, end, " ") for start, end in merged]


class _View:
    """``text`` with irregular spaces and decomposed accents rewritten, and the way back to
    offsets in ``text``. Most texts need no rewrite; then ``pieces`` is empty."""

    __slots__ = ("_ends", "_pieces", "text")

    def __init__(self, text: str) -> None:
        spots = _irregular_spaces(text)
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            spots += [
                (m.start(), m.end(), unicodedata.normalize("NFC", m.group()))
                for m in _DECOMPOSED.finditer(text)
            ]
            spots.sort()
        # (start in the view, end in the view, start in text, end in text), in order.
        self._pieces: list[tuple[int, int, int, int]] = []
        if not spots:
            self.text = text
            self._ends: list[int] = []
            return
        out: list[str] = []
        last = shift = 0
        for start, end, new in spots:
            if start < last:  # a whitespace run inside a decomposed cluster: keep the first
                continue
            out += (text[last:start], new)
            view_start = start + shift
            self._pieces.append((view_start, view_start + len(new), start, end))
            shift += len(new) - (end - start)
            last = end
        out.append(text[last:])
        self.text = "".join(out)
        self._ends = [p[1] for p in self._pieces]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``text`` that ``[start, end)`` of the view stands for."""
        if not self._pieces:
            return start, end
        return self._at(start, first=True), self._at(end - 1, first=False)

    def _at(self, i: int, *, first: bool) -> int:
        k = bisect.bisect_right(self._ends, i)  # pieces before k end at or before i
        if k < len(self._pieces) and self._pieces[k][0] <= i:  # inside a rewritten piece
            return self._pieces[k][2] if first else self._pieces[k][3]
        if k == 0:
            return i if first else i + 1
        _, view_end, _, text_end = self._pieces[k - 1]
        return text_end + (i - view_end) + (0 if first else 1)


class TermListDetector:
    """``type`` findings for user-supplied terms: case-insensitive, whole words, longest wins.

    Whole words means the characters around a match are not letters, digits or ``_``
    ("Ann" does not match inside "Annual"); a term that begins or ends with punctuation
    ("C++") needs no boundary on that side. Where matches overlap, the leftmost wins, and at
    one position the longest ("Acme Corp" over "Acme"). The repr shows how many terms, never
    which.

    >>> d = TermListDetector(["Ann Lee", "Ann"])
    >>> [(f.value, f.type) for f in d.find("Annual report by ann lee and Ann.")]
    [('ann lee', 'PERSON'), ('Ann', 'PERSON')]
    """

    def __init__(self, terms: Iterable[str], type: str = "PERSON") -> None:
        if not type:
            raise ValueError("a term list needs a type such as 'PERSON'")
        self.type = type
        self.types: frozenset[str] = frozenset({type})
        # Imported here so that importing privllm does not load the C extension.
        import ahocorasick

        self._automaton: Any = ahocorasick.Automaton()
        folded = {_fold(_normal(t)) for t in terms}
        folded.discard("")
        for term in folded:
            # The value records which edges need a word boundary.
            self._automaton.add_word(term, (len(term), _is_word(term[0]), _is_word(term[-1])))
        self._count = len(folded)
        if folded:
            self._automaton.make_automaton()

    def __repr__(self) -> str:
        return f"TermListDetector(type={self.type!r}, terms={self._count})"

    def find(self, text: str) -> Iterator[Finding]:
        if not self._count:
            return
        view = _View(text)
        seen = view.text
        n = len(seen)
        candidates: list[tuple[int, int]] = []
        for last, (length, word_start, word_end) in self._automaton.iter(_fold(seen)):
            start, end = last - length + 1, last + 1
            if word_start and start > 0 and _is_word(seen[start - 1]):
                continue
            if word_end and end < n and _is_word(seen[end]):
                continue
            candidates.append((start, -end))
        candidates.sort()
        taken_to = 0
        for start, neg_end in candidates:
            if start >= taken_to:
                taken_to = -neg_end
                s, e = view.span(start, taken_to)
                yield Finding(s, e, self.type, text[s:e])


class NERModel(Protocol):
    """A named-entity model: ``model(text)`` yields ``(start, end, label, score)`` tuples."""

    def __call__(self, text: str) -> Iterable[tuple[int, int, str, float]]: ...


#: Model labels (spaCy's OntoNotes labels, and PER/LOC of WikiNER-style models) to privllm
#: types; ``[redaction.ner] labels`` replaces it. Dates, numbers and nationalities are not
#: personal values on their own and are left to the structured detectors.
DEFAULT_NER_LABELS: Mapping[str, str] = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "ORG": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
}


class NERDetector:
    """Adapt a named-entity model to the ``Detector`` protocol.

    ``labels`` maps the model's labels (compared upper-cased) to privllm types; other labels
    are dropped, as are entities scoring below ``min_score``. A span outside the text raises
    ``ValueError``, which ``scan`` turns into a fail-closed ``RedactionError``.

    spaCy (load the model yourself; privllm does not depend on spaCy)::

        nlp = spacy.load("en_core_web_sm")
        ner = NERDetector(lambda text: (
            (e.start_char, e.end_char, e.label_, 1.0) for e in nlp(text).ents))

    GLiNER::

        model = GLiNER.from_pretrained("urchade/gliner_multi_pii-v1")
        ner = NERDetector(lambda text: (
            (e["start"], e["end"], e["label"], e["score"])
            for e in model.predict_entities(text, ["person", "organization"])))

    Any callable works, which is also how tests plug in a fake:

    >>> fake = lambda text: [(0, 3, "PER", 0.9), (8, 12, "DATE", 0.99)]
    >>> [(f.value, f.type) for f in NERDetector(fake).find("Bob met 2024")]
    [('Bob', 'PERSON')]

    Its findings never replace a structured detector's (``model_based``): see ``scan``.
    For spaCy, ``[redaction.ner]`` in the config does all of this (:mod:`privllm.redaction.ner`).
    """

    model_based: ClassVar[bool] = True

    def __init__(
        self,
        model: NERModel | Callable[[str], Iterable[tuple[int, int, str, float]]],
        *,
        labels: Mapping[str, str] = DEFAULT_NER_LABELS,
        min_score: float = 0.5,
    ) -> None:
        self.model = model
        self.labels = {k.upper(): v for k, v in labels.items()}
        self.min_score = min_score
        self.types: frozenset[str] = frozenset(self.labels.values())

    def __repr__(self) -> str:
        return f"NERDetector(model={type(self.model).__name__}, types={sorted(self.types)})"

    def find(self, text: str) -> Iterator[Finding]:
        for start, end, label, score in self.model(text):
            kind = self.labels.get(label.upper())
            if kind is None or score < self.min_score:
                continue
            if not 0 <= start < end <= len(text):
                raise ValueError(f"the model returned span {start}:{end} outside the text")
            yield Finding(start, end, kind, text[start:end], float(score))
