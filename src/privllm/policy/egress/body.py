"""The egress guard's body rules: ``store``, body encoding, and the scan for blocked values.

Every body to an API host is read the way the server will read it, whatever its label:
content codings undone (bounded), the charset or BOM honoured, JSON parsed when it parses,
forms and multipart parts taken apart (:mod:`~privllm.policy.egress.decode`). What cannot be
read is refused. The scan then reads every string on its own: a JSON string, a form field's
name or value, a part's headers or content.
"""

from __future__ import annotations

import contextlib
import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from privllm.errors import ConfigError, EgressBlocked
from privllm.policy.egress.decode import (
    MAX_MULTIPART_DEPTH,
    body_text,
    decode_content,
    form_fields,
    media_type,
    multipart_parts,
)
from privllm.policy.egress.rules import blocked
from privllm.providers.cause import detach

if TYPE_CHECKING:
    import httpx2

    from privllm.redaction.findings import Detector, Finding

__all__ = ["DEFAULT_MAX_BODY_BYTES", "check_body", "detector_scanner", "detectors_for"]

#: The largest body (before and after content decoding) the guard reads; larger ones are
#: refused (``egress.body_size``). Files for fine-tuning and batches stay well below it.
DEFAULT_MAX_BODY_BYTES = 256 * 2**20

_MISSING: Any = object()
# Strings are scanned joined by a separator no detector reads a value or a cue across: a
# line break ends every cue window and assignment, and NUL is neither a word character nor
# a value character. A hit is then confirmed on the string alone, so context never reads
# from one string into the next. (A bare NUL let "token=" at the end of one string take
# the next string as its value and hide that string's own secret: the joined scan must find
# at least what the strings alone do; test_egress_bodies' property test holds it to that.)
_JOIN = "\n\x00\n"
# JSON integers this large can be card numbers or account numbers; small ones are noise.
_BIG_INT = 10**8
_FORM = "application/x-www-form-urlencoded"


@dataclass
class _Body:
    """What the rules need from a body: the JSON document (or ``_MISSING``), the form or
    multipart fields (or ``None``), and every string to scan."""

    doc: Any = _MISSING
    json_declared: bool = False
    fields: list[tuple[str, str]] | None = None
    strings: list[str] = field(default_factory=list)


def check_body(
    request: httpx2.Request,
    host: str,
    *,
    require_no_store: bool,
    scan: Callable[[str], Iterable[Finding]] | None,
    block_types: frozenset[str],
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """The body rules for a request to ``host`` whose body has been read (size, encoding,
    ``store``, blocked values)."""
    content = request.content  # raises RequestNotRead if the caller did not read it
    is_responses = request.method == "POST" and request.url.path.rstrip("/").endswith("/responses")
    if not content:
        if require_no_store and is_responses:
            raise _store_refusal(host, "a Responses call without store=false is stored")
        return
    if len(content) > max_bytes:
        raise blocked("egress.body_size", host, f"the body is over {max_bytes} bytes")
    coding = request.headers.get("content-encoding", "")
    if coding.strip():
        content = decode_content(content, coding, host, limit=max_bytes)
    body = _read(content, request.headers.get("content-type", ""), host, 0)
    if require_no_store:
        _check_store(body, is_responses, host)
    if scan is not None:
        found = _first_blocked(scan, block_types, body.strings, host)
        if found is not None:
            raise blocked(
                "egress.body",
                host,
                f"the body carries a value of type {found}, which policy says must never leave",
            )


def _read(data: bytes, content_type: str, host: str, depth: int) -> _Body:
    ctype = media_type(content_type)
    if ctype.startswith("multipart/"):
        return _read_multipart(data, content_type, host, depth)
    text = body_text(data, content_type, host)
    if ctype == _FORM:
        pairs = form_fields(text)
        body = _Body(fields=pairs)
        for name, value in pairs:
            body.strings.append(name)
            body.strings.extend(_text_strings(value, False).strings)
        return body
    return _text_strings(text, ctype == "application/json" or ctype.endswith("+json"))


def _text_strings(text: str, json_declared: bool) -> _Body:
    """A text: its JSON strings when it parses as JSON (whatever its label), else the text
    and the views a server or a model may read in it."""
    body = _Body(json_declared=json_declared)
    if json_declared or text.lstrip()[:1] in ("{", "["):
        try:
            body.doc = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            body.strings = _json_strings(body.doc)
            return body
    strings = body.strings
    strings.append(text)
    if "\x00" in text:  # UTF-16/32 text read as UTF-8: the ASCII letters with NULs between
        strings.append(text.replace("\x00", ""))
    if "%" in text or "+" in text:  # percent-encoding, as in a form sent with another label
        strings.append(unquote_plus(text))
    if "\\" in text:  # JSON Lines (a training file), whose escapes can spell a value
        for line in text.splitlines():
            if line.lstrip()[:1] in ("{", "["):
                with contextlib.suppress(ValueError, RecursionError):
                    strings.extend(_json_strings(json.loads(line)))
    return body


def _read_multipart(data: bytes, content_type: str, host: str, depth: int) -> _Body:
    if depth >= MAX_MULTIPART_DEPTH:
        raise blocked("egress.body_unreadable", host, "multipart bodies nested too deep")
    fields: list[tuple[str, str]] = []
    body = _Body(fields=fields)
    for part in multipart_parts(data, content_type, host):
        body.strings.append(part.headers)  # field names and file names
        inner = _read(part.content, part.content_type, host, depth + 1)
        body.strings.extend(inner.strings)
        if part.name is not None and part.filename is None and inner.fields is None:
            value = part.content.decode("utf-8", "replace").strip()
            fields.append((part.name, value))
    return body


def _first_blocked(
    scan: Callable[[str], Iterable[Finding]],
    block_types: frozenset[str],
    strings: Sequence[str],
    host: str,
) -> str | None:
    """The type of the first blocked value in any one of ``strings``, read on its own."""
    unique = list(dict.fromkeys(strings))  # keys and roles repeat in every message
    failed: Exception | None = None
    try:
        if len(unique) <= 1:
            return next((f.type for t in unique for f in scan(t) if f.type in block_types), None)
        # One scan over the joined strings finds candidates fast; a candidate counts only
        # if a string it touches, scanned alone, holds a blocked value: a cue at the end of
        # one string ("password:") never reaches into the next.
        text = _JOIN.join(unique)
        starts: list[int] | None = None
        confirmed: set[int] = set()
        for finding in scan(text):
            if finding.type not in block_types:
                continue
            if starts is None:
                starts = list(accumulate((len(s) + len(_JOIN) for s in unique[:-1]), initial=0))
            first = bisect_right(starts, finding.start) - 1
            last = bisect_right(starts, max(finding.end - 1, finding.start)) - 1
            for i in range(first, last + 1):
                if i in confirmed:
                    continue
                confirmed.add(i)
                for alone in scan(unique[i]):
                    if alone.type in block_types:
                        return alone.type
    except EgressBlocked:
        raise
    except Exception as exc:
        failed = exc
    if failed is not None:
        # A detector's exception may quote the body: a stand-in naming its type is the
        # cause, and raised out here it is not the context either.
        error = blocked(
            "egress.body_scan",
            host,
            f"the body scanner failed ({type(failed).__name__}); the request was not sent",
        )
        raise detach(error, failed)
    return None


def _store_refusal(host: str, why: str) -> EgressBlocked:
    return blocked("egress.store", host, f"{why}; policy.require_no_store forbids it")


def _check_store(body: _Body, is_responses: bool, host: str) -> None:
    doc = body.doc
    if isinstance(doc, dict):
        store = doc.get("store")
        if store is not None and store is not False:
            raise _store_refusal(host, "the body asks the provider to store the content")
        if store is None and is_responses:
            raise _store_refusal(host, "the Responses API stores by default; send store=false")
    elif body.fields is not None:
        # A form or multipart field: the server reads the text; only "false" means false.
        values = [value for name, value in body.fields if name.strip() == "store"]
        if any(value.strip().lower() != "false" for value in values):
            raise _store_refusal(host, "a form field asks the provider to store the content")
        if not values and is_responses:
            raise _store_refusal(host, "the Responses API stores by default; send store=false")
    elif doc is _MISSING and body.json_declared:
        raise _store_refusal(host, "the JSON body does not parse, so store cannot be checked")


def _json_strings(doc: Any) -> list[str]:
    """Every string (and large integer) in a JSON document, decoded, keys included."""
    parts: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, dict):
            parts.extend(node)  # keys are strings in JSON
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= _BIG_INT:
            parts.append(str(node))
        elif isinstance(node, float) and abs(node) >= _BIG_INT and node.is_integer():
            parts.append(str(int(node)))  # 4111111111111111.0 is read as the number
    return parts


def detectors_for(
    types: Iterable[str], terms: Mapping[str, Iterable[str]] | None = None
) -> list[Detector]:
    """privllm's detectors for ``types`` (term lists from ``terms``); ``ConfigError`` for a
    type that none of them finds."""
    from privllm.redaction.scanner import default_detectors

    wanted = frozenset(types)
    chosen_terms = {t: list(words) for t, words in (terms or {}).items() if t in wanted}
    detectors = default_detectors(wanted - chosen_terms.keys(), terms=chosen_terms)
    covered = set().union(*(d.types for d in detectors)) if detectors else set()
    missing = wanted - covered
    if missing:
        raise ConfigError(
            f"policy.egress_block_types: no detector for {sorted(missing)} (give terms)",
            field="policy.egress_block_types",
        )
    return detectors


def detector_scanner(detectors: Sequence[Detector]) -> Callable[[str], Iterator[Finding]]:
    """A body scanner that runs ``detectors`` one after another, lazily, over the text as
    the redaction scan reads it (:mod:`~privllm.redaction.normalize`): a card pasted with
    no-break spaces or an SSN with en dashes is found here too. Findings keep the spans of
    ``text`` itself.

    >>> from privllm.redaction.scanner import default_detectors
    >>> scan = detector_scanner(default_detectors(["US_SSN"]))
    >>> [(f.type, f.value) for f in scan("ssn 536\u201322\u20131847")]
    [('US_SSN', '536\u201322\u20131847')]
    """
    from privllm.redaction.findings import Finding
    from privllm.redaction.normalize import NormalizedView

    # A generator, so the guard stops at the first blocked finding instead of running every
    # detector over a body it is going to refuse anyway.
    def scan(text: str) -> Iterator[Finding]:
        # None for plain ASCII (the common case, checked at C speed): the text as it is.
        view = NormalizedView.of(text)
        if view is None:
            for detector in detectors:
                yield from detector.find(text)
            return
        for detector in detectors:
            for f in detector.find(view.text):
                start, end = view.span(f.start, f.end)
                yield Finding(start, end, f.type, text[start:end], f.score)

    return scan
