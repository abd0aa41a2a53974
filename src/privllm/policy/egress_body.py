"""The egress guard's body rules: ``store``, body encoding, and the scan for blocked values."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from privllm.errors import ConfigError, EgressBlocked
from privllm.policy.egress_rules import blocked, safe_text

if TYPE_CHECKING:
    import httpx2

    from privllm.redaction.findings import Detector, Finding

__all__ = ["check_body", "detector_scanner", "detectors_for"]

_MISSING: Any = object()
# A separator no detector treats as part of a value, so values in two JSON strings never
# join into one (it is neither alphanumeric nor whitespace for ``re``).
_JOIN = "\x00"
# JSON integers this large can be card numbers or account numbers; small ones are noise.
_BIG_INT = 10**8


def check_body(
    request: httpx2.Request,
    host: str,
    *,
    require_no_store: bool,
    scan: Callable[[str], Iterable[Finding]] | None,
    block_types: frozenset[str],
) -> None:
    """The body rules for a request to ``host`` whose body has been read (``store``,
    encoding, blocked values)."""
    content = request.content  # raises RequestNotRead if the caller did not read it
    is_responses = request.method == "POST" and request.url.path.rstrip("/").endswith("/responses")
    if not content:
        if require_no_store and is_responses:
            raise _store_refusal(host, "a Responses call without store=false is stored")
        return
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise blocked(
            "egress.body_encoding", host, f"a {safe_text(encoding)}-encoded body cannot be checked"
        )
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    json_declared = ctype == "application/json" or ctype.endswith("+json")
    doc = _MISSING
    if json_declared or (
        not ctype.startswith(("multipart/", "application/x-www-form-urlencoded"))
        and content.lstrip()[:1] in (b"{", b"[")
    ):
        try:
            doc = json.loads(content)
        except (ValueError, RecursionError):
            doc = _MISSING
    if require_no_store:
        _check_store(doc, json_declared, is_responses, host)
    if scan is not None:
        if doc is not _MISSING:
            text = _json_text(doc)
        else:
            text = content.decode("utf-8", "replace")
            if ctype == "application/x-www-form-urlencoded":
                text = unquote_plus(text)
        found = _first_blocked(scan, block_types, text, host)
        if found is not None:
            raise blocked(
                "egress.body",
                host,
                f"the body carries a {found} value, which policy says must never leave",
            )


def _first_blocked(
    scan: Callable[[str], Iterable[Finding]], block_types: frozenset[str], text: str, host: str
) -> str | None:
    try:
        for finding in scan(text):
            if finding.type in block_types:
                return finding.type
    except Exception as exc:
        raise blocked(
            "egress.body_scan",
            host,
            f"the body scanner failed ({type(exc).__name__}); the request was not sent",
        ) from exc
    return None


def _store_refusal(host: str, why: str) -> EgressBlocked:
    return blocked("egress.store", host, f"{why}; policy.require_no_store forbids it")


def _check_store(doc: Any, json_declared: bool, is_responses: bool, host: str) -> None:
    if isinstance(doc, dict):
        store = doc.get("store")
        if store is not None and store is not False:
            raise _store_refusal(host, "the body asks the provider to store the content")
        if store is None and is_responses:
            raise _store_refusal(host, "the Responses API stores by default; send store=false")
    elif doc is _MISSING and json_declared:
        raise _store_refusal(host, "the JSON body does not parse, so store cannot be checked")


def _json_text(doc: Any) -> str:
    """Every string (and large integer) in a JSON document, decoded, joined by a separator."""
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
    return _JOIN.join(parts)


def detectors_for(
    types: Iterable[str], terms: Mapping[str, Iterable[str]] | None = None
) -> list[Detector]:
    """privllm's detectors for ``types`` (term lists from ``terms``); ``ConfigError`` for a
    type that none of them finds."""
    from privllm.redaction.scan import default_detectors

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
    """A body scanner that runs ``detectors`` one after another, lazily."""

    # A generator, so the guard stops at the first blocked finding instead of running every
    # detector over a body it is going to refuse anyway.
    def scan(text: str) -> Iterator[Finding]:
        for detector in detectors:
            yield from detector.find(text)

    return scan
