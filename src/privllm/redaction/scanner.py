"""Run detectors over a text and settle overlaps: the one entry point the redaction layer uses.

``scan`` fails closed: a detector that raises, returns a span that is not in the text, or a
scan over its time budget refuses the whole call with ``RedactionError`` rather than letting
the text go out half-redacted. Error messages name the detector class, never the text.

    >>> [(f.type, f.value) for f in scan("mail ana@example.org", default_detectors())]
    [('EMAIL', 'ana@example.org')]
"""

from __future__ import annotations

import bisect
import operator
import time
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from privllm.errors import ConfigError, RedactionError
from privllm.providers.cause import detach
from privllm.redaction.detectors import (
    DEFAULT_PHONE_REGIONS,
    CreditCardDetector,
    EmailDetector,
    HostLoginDetector,
    IBANDetector,
    IPAddressDetector,
    PhoneDetector,
    URLCredentialsDetector,
    USSSNDetector,
)
from privllm.redaction.findings import Detector, Finding
from privllm.redaction.normalize import NormalizedView
from privllm.redaction.secrets import (
    JWTDetector,
    PrivateKeyDetector,
    SecretAssignmentDetector,
    SecretKeyDetector,
)
from privllm.redaction.terms import TermListDetector

__all__ = [
    "BUILTIN_TYPES",
    "DEFAULT_TYPES",
    "NAME_TYPES",
    "PREVIEW_TYPES",
    "default_detectors",
    "resolve_overlaps",
    "scan",
]

BUILTIN_TYPES: frozenset[str] = frozenset(
    {
        "EMAIL",
        "PHONE",
        "CREDIT_CARD",
        "IBAN",
        "US_SSN",
        "IP_ADDRESS",
        "URL_CREDENTIALS",
        "SECRET",
        "PERSON",
        "STREET_ADDRESS",
        "DATE_OF_BIRTH",
    }
)
#: Found by model-free built-in detectors, but only when listed in ``redaction.types`` for
#: now: on the held-out corpus (tests/redaction/heldout/, two slices) the share of
#: look-alikes left unchanged (0.973, 0.891), PERSON recall on slice 1 (0.889) and
#: DATE_OF_BIRTH recall on slice 2 (0.944) are below the project's bars (0.98, 0.90, 0.95)
#: (docs/redaction-detectors.md, "Measured accuracy"). The others are on by default.
PREVIEW_TYPES: frozenset[str] = frozenset({"PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH"})
DEFAULT_TYPES: frozenset[str] = BUILTIN_TYPES - PREVIEW_TYPES
# Term lists (and NER plug-ins) report these. PERSON also has a built-in, model-free detector
# (cues, keys, e-mail linkage, a census gazetteer); ORGANIZATION has none.
NAME_TYPES: frozenset[str] = frozenset({"PERSON", "ORGANIZATION"})


def _rank(f: Finding) -> tuple[int, float, int, str]:
    return (-(f.end - f.start), -f.score, f.start, f.type)


_span = operator.attrgetter("start", "end")


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep non-overlapping findings, sorted by start.

    Conflicts are settled in this order: the longer span wins, then the higher score, then
    the earlier start, then the type name; so the result never depends on detector order.

    >>> a, b = Finding(0, 11, "US_SSN", "123-45-6789"), Finding(4, 11, "PHONE", "45-6789")
    >>> resolve_overlaps([b, a]) == [a]
    True
    """
    ordered = sorted(findings, key=_span)
    # The common case: nothing overlaps (nor repeats), so the order by start is the answer.
    if all(a.end <= b.start for a, b in pairwise(ordered)):
        return ordered
    # Findings in different clusters (maximal runs of overlapping spans) never clash, so each
    # cluster is settled on its own: the work stays linear in the number of findings however
    # many a long text holds, and a cluster is a handful of spans.
    kept: list[Finding] = []
    cluster: list[Finding] = []
    reach = -1
    for f in ordered:
        if cluster and f.start >= reach:
            kept.extend(_settle(cluster))
            cluster = []
        cluster.append(f)
        reach = max(reach, f.end) if len(cluster) > 1 else f.end
    kept.extend(_settle(cluster))
    return kept


def _settle(cluster: list[Finding]) -> list[Finding]:
    """The winners of one cluster of overlapping findings, sorted by start."""
    if len(cluster) == 1:
        return cluster
    starts: list[int] = []  # accepted spans, sorted by start; they never overlap, so ends
    kept: list[Finding] = []  # are sorted too and one bisect finds the only possible clash
    for f in sorted(set(cluster), key=_rank):
        i = bisect.bisect_right(starts, f.start)
        if i and kept[i - 1].end > f.start:
            continue
        if i < len(kept) and kept[i].start < f.end:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept


def scan(
    text: str, detectors: Iterable[Detector], *, timeout: float | None = None
) -> list[Finding]:
    """All findings of ``detectors`` in ``text``, overlaps resolved, sorted by start.

    Detectors see the normalised view of ``text`` (:mod:`~privllm.redaction.normalize`: no-break
    and thin spaces, en dashes, fullwidth forms and other scripts' digits in their ASCII forms,
    zero-width characters removed); findings are mapped back, so each one's span and value are
    those of ``text`` itself.

    Raises ``RedactionError`` (fail closed) when a detector raises, reports a span that does
    not hold its value, or the scan takes longer than ``timeout`` seconds.

    >>> detectors = default_detectors(["EMAIL", "IP_ADDRESS"])
    >>> [f.type for f in scan("root@db.example.com at 10.0.0.1", detectors, timeout=1.0)]
    ['EMAIL', 'IP_ADDRESS']
    """
    clock = time.perf_counter
    deadline = None if timeout is None else clock() + timeout
    structured: list[Finding] = []
    modelled: list[Finding] = []  # named-entity models' findings: they yield to the others
    view = NormalizedView.of(text)
    original, text = text, (view.text if view is not None else text)
    size = len(text)
    for detector in detectors:
        found = modelled if getattr(detector, "model_based", False) else structured
        mark = len(found)
        failed: Exception | None = None
        try:
            # A running regex cannot be interrupted, so the budget is checked between
            # detectors and between findings: one slow pattern can overrun it, but the
            # call still fails instead of returning late with a partial result.
            for f in detector.find(text):
                found.append(f)
                if deadline is not None and clock() > deadline:
                    break
        except RedactionError:
            raise  # already says which detector (a model names itself) and never the text
        except Exception as exc:
            failed = exc
        if failed is not None:
            # Only the class names: the exception's own message may quote the text, so it is
            # neither the cause (a stand-in naming its type is) nor, raised out here, the
            # context that a traceback or a logger would print.
            name = type(detector).__name__
            error = RedactionError(f"detector {name} failed ({type(failed).__name__})")
            raise detach(error, failed)
        for i in range(mark, len(found)):
            f = found[i]
            # A wrong span would redact the wrong characters and send the real ones.
            if not (0 <= f.start < f.end <= size) or text[f.start : f.end] != f.value:
                name = type(detector).__name__
                raise RedactionError(f"detector {name} reported a span that is not in the text")
        if deadline is not None and clock() > deadline:
            name = type(detector).__name__
            raise RedactionError(f"redaction scan exceeded its {timeout:g} s budget at {name}")
    found = resolve_overlaps(structured)
    if modelled:
        found = _beside(found, resolve_overlaps(modelled))
    if view is not None:
        found = [_original(f, view, original) for f in found]
    return found


_EDGE = " \t\r\n.,;:!?()[]{}<>\"'`|/\\-"


def _beside(structured: list[Finding], modelled: list[Finding]) -> list[Finding]:
    """``structured`` and the parts of ``modelled`` outside them, sorted by start.

    A model's span that overlaps a structured finding never replaces it (an AWS key id read
    as a PERSON stays SECRET, an e-mail stays EMAIL): only its parts outside every structured
    span are kept, trimmed of spaces and punctuation, and only if a letter is left. The one
    exception extends, not replaces: a model's span of the same type that covers what it
    overlaps ("Jane Doe" where a cue found "Jane") is kept whole.

    >>> key = Finding(4, 24, "SECRET", "AKIAIOSFODNN7EXAMPLE")
    >>> ner = Finding(0, 28, "PERSON", "Bob AKIAIOSFODNN7EXAMPLE Lee")
    >>> [(f.type, f.value) for f in _beside([key], [ner])]
    [('PERSON', 'Bob'), ('SECRET', 'AKIAIOSFODNN7EXAMPLE'), ('PERSON', 'Lee')]
    """
    starts = [f.start for f in structured]
    dropped: set[int] = set()
    extra: list[Finding] = []
    for m in modelled:
        lo = bisect.bisect_right(starts, m.start) - 1
        if lo < 0 or structured[lo].end <= m.start:
            lo += 1
        hit = range(lo, bisect.bisect_left(starts, m.end))
        if hit and all(
            structured[k].type == m.type
            and m.start <= structured[k].start
            and structured[k].end <= m.end
            for k in hit
        ):
            dropped.update(hit)
            extra.append(m)
            continue
        pos = m.start
        for k in hit:
            if structured[k].start > pos:
                extra += _piece(m, pos, structured[k].start)
            pos = max(pos, structured[k].end)
        if pos < m.end:
            extra += _piece(m, pos, m.end)
    out = [f for k, f in enumerate(structured) if k not in dropped] if dropped else structured
    return sorted([*out, *extra], key=_span)


def _piece(m: Finding, start: int, end: int) -> list[Finding]:
    value = m.value[start - m.start : end - m.start]
    stripped = value.strip(_EDGE)
    if not any(c.isalpha() for c in stripped):
        return []
    start += len(value) - len(value.lstrip(_EDGE))
    return [Finding(start, start + len(stripped), m.type, stripped, m.score)]


def _original(f: Finding, view: NormalizedView, text: str) -> Finding:
    """``f``, found in ``view``, as the span of ``text`` that holds it."""
    start, end = view.span(f.start, f.end)
    return Finding(start, end, f.type, text[start:end], f.score)


def default_detectors(
    types: Iterable[str] | None = None,
    *,
    phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS,
    terms: Mapping[str, Iterable[str]] | None = None,
) -> list[Detector]:
    """The built-in detectors for ``types`` (``DEFAULT_TYPES`` when ``None``).

    ``phone_regions`` are the countries whose national number formats are recognised
    (international ``+CC`` numbers are recognised from anywhere). ``terms`` maps a type to
    a term list, e.g. ``{"PERSON": customers, "ORGANIZATION": partners}``; each becomes a
    ``TermListDetector`` and is used whatever ``types`` says, since giving it is explicit.
    PERSON, STREET_ADDRESS and DATE_OF_BIRTH are found without a model (cues, keys and
    headers, a census gazetteer); ORGANIZATION has no built-in detector: give terms or add an
    ``NERDetector``.

    >>> [type(d).__name__ for d in default_detectors(["IBAN"], terms={"PERSON": ["Ann"]})]
    ['IBANDetector', 'TermListDetector']
    """
    wanted = DEFAULT_TYPES if types is None else frozenset(types)
    unknown = wanted - BUILTIN_TYPES - NAME_TYPES
    if unknown:
        raise ConfigError(f"unknown redaction types: {sorted(unknown)}", field="redaction.types")
    detectors: list[Detector] = []
    if "EMAIL" in wanted:
        detectors.append(EmailDetector())
    if "PHONE" in wanted:
        detectors.append(PhoneDetector(phone_regions))
    if "CREDIT_CARD" in wanted:
        detectors.append(CreditCardDetector())
    if "IBAN" in wanted:
        detectors.append(IBANDetector())
    if "US_SSN" in wanted:
        detectors.append(USSSNDetector())
    if "IP_ADDRESS" in wanted:
        detectors.append(IPAddressDetector())
    if "URL_CREDENTIALS" in wanted:
        detectors.append(URLCredentialsDetector())
    if "SECRET" in wanted:
        detectors += [
            SecretKeyDetector(),
            JWTDetector(),
            PrivateKeyDetector(),
            SecretAssignmentDetector(),
            HostLoginDetector(),
        ]
    # Imported here: their modules are small, but the gazetteer they read is not, and
    # nothing of it belongs in ``import privllm``. It is read on the first scan.
    if "PERSON" in wanted:
        from privllm.redaction.names import PersonDetector

        detectors.append(PersonDetector())
    if "STREET_ADDRESS" in wanted:
        from privllm.redaction.addresses import StreetAddressDetector

        detectors.append(StreetAddressDetector())
    if "DATE_OF_BIRTH" in wanted:
        from privllm.redaction.birthdates import DateOfBirthDetector

        detectors.append(DateOfBirthDetector())
    for kind, words in (terms or {}).items():
        detectors.append(TermListDetector(words, type=kind))
    return detectors
