"""Apply findings to text: placeholders, masks, blocks. Sans-IO; used by the middleware,
``privllm redact`` and fine-tuning dataset preparation.

>>> from privllm.redaction.vault import Vault
>>> redactor = Redactor.from_types(["EMAIL"])
>>> redactor.redact("Write to ann@example.com", Vault()).text
'Write to [EMAIL_1]'
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privllm.errors import ConfigError, RedactionBlocked
from privllm.redaction.columns import CUE_WORDS, cued_cells
from privllm.redaction.findings import Detector, Finding
from privllm.redaction.ner import ModelDetector
from privllm.redaction.scanner import default_detectors, resolve_overlaps, scan
from privllm.redaction.vault import Vault

if TYPE_CHECKING:
    from privllm.config import RedactionConfig

__all__ = ["Redacted", "Redactor"]


@dataclass
class Redacted:
    """The result of redacting one text: the new text and counts per type found (whatever
    the action, ``allow`` included)."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)
    blocked: list[tuple[str, int, int]] = field(default_factory=list)  # (type, start, end)


class Redactor:
    """Detectors plus an action per type. Build once; call for every text."""

    __slots__ = ("_actions", "default_action", "detectors", "timeout")

    def __init__(
        self,
        detectors: Iterable[Detector],
        *,
        actions: Mapping[str, str] | None = None,
        default_action: str = "placeholder",
        timeout: float | None = 2.0,
    ) -> None:
        self.detectors = list(detectors)
        self._actions = dict(actions or {})
        self.default_action = default_action
        self.timeout = timeout

    @classmethod
    def from_types(cls, types: Iterable[str] | None = None, **kw: Any) -> Redactor:
        return cls(default_detectors(types), **kw)

    @classmethod
    def from_config(cls, config: RedactionConfig) -> Redactor:
        terms: dict[str, list[str]] = {k: list(v) for k, v in config.terms.items()}
        for kind, path in config.terms_files.items():
            try:
                lines = Path(path).read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ConfigError(
                    f"redaction.terms_files.{kind}: cannot read {path}: {exc.strerror}",
                    field=f"redaction.terms_files.{kind}",
                ) from None
            terms.setdefault(kind, []).extend(t.strip() for t in lines if t.strip())
        detectors = default_detectors(config.types, phone_regions=config.phone_regions, terms=terms)
        if config.ner.engine is not None:
            # Imported here: the engine (spaCy) and its model load only when configured.
            from privllm.redaction.ner import load_ner

            detectors.append(load_ner(config.ner))
        return cls(
            detectors,
            actions=config.actions,
            default_action=config.default_action,
            timeout=config.timeout,
        )

    @property
    def models(self) -> list[ModelDetector]:
        """The named-entity models among the detectors (``[redaction.ner]``)."""
        return [d for d in self.detectors if isinstance(d, ModelDetector)]

    @contextmanager
    def prefetched(self, dry_run: Callable[[], object]) -> Iterator[None]:
        """Within the block, the models' work for the redactions ``dry_run`` does is done.

        ``dry_run`` makes the same calls the real pass in the block will make (on a scratch
        ``Vault``); the models record the texts they are asked about, then run over them all
        at once (``nlp.pipe``); the real pass reads the results, which are dropped when the
        block ends. Without a model it does nothing.

        >>> r = Redactor.from_types(["EMAIL"])
        >>> lines = ["a@example.com", "b"]
        >>> with r.prefetched(lambda: [r.redact(line, Vault()) for line in lines]):
        ...     [r.redact(line, Vault()).text for line in lines]
        ['[EMAIL_1]', 'b']
        """
        models = self.models
        if not models:
            yield
            return
        with ExitStack() as stack:
            asked = [stack.enter_context(m.recording()) for m in models]
            dry_run()
        try:
            for model, texts in zip(models, asked, strict=True):
                model.prefetch(texts)
            yield
        finally:
            for model in models:
                model.prefetch(())

    def action(self, kind: str) -> str:
        return self._actions.get(kind, self.default_action)

    def find(self, text: str) -> list[Finding]:
        """Findings in ``text``; the cells of a table column are also read under its header."""
        found = scan(text, self.detectors, timeout=self.timeout)
        cells = cued_cells(text)
        if cells:
            found = resolve_overlaps([*found, *self._in_cells(text, cells)])
        return found

    def _in_cells(self, text: str, cells: list[tuple[int, int, str]]) -> list[Finding]:
        """Each cell read as ``header: cell``, all in one scan, mapped back to ``text``."""
        parts: list[str] = []
        starts: list[int] = []  # where each cell's text begins in the joined text
        pos = 0
        for s, e, header in cells:
            label = f"{header}: "
            parts.append(label)
            parts.append(text[s:e])
            parts.append("\n")
            starts.append(pos + len(label))
            pos += len(label) + (e - s) + 1
        out = []
        for f in scan("".join(parts), self.detectors, timeout=self.timeout):
            k = bisect.bisect_right(starts, f.start) - 1
            if k < 0:
                k = 0
            cell_start, cell_end, _ = cells[k]
            lo = max(f.start - starts[k], 0)
            hi = min(f.end - starts[k], cell_end - cell_start)
            if hi <= lo:
                continue  # in the header label only
            a, b = cell_start + lo, cell_start + hi
            out.append(Finding(a, b, f.type, text[a:b], f.score))
        return out

    def _find_after(self, context: str, text: str) -> list[Finding]:
        """Findings in ``text`` when it is read right after ``context``."""
        if not context:
            return self.find(text)
        # One space apart, as the detectors' cue windows are single-line.
        context = " ".join(context.split())
        shift = len(context) + 1
        found = []
        for f in self.find(f"{context} {text}"):
            if f.end <= shift:
                continue  # the context's own value: redacted where it belongs
            # A value that began in the context: its part in this text still goes.
            start = max(f.start - shift, 0)
            end = f.end - shift
            found.append(Finding(start, end, f.type, text[start:end], f.score))
        return found

    def redact(
        self, text: str, vault: Vault, *, detect: bool = True, context: str = ""
    ) -> Redacted:
        """Replace findings per their action. ``blocked`` lists spans whose action is block.

        Values the vault already holds are replaced wherever they occur, even where no
        detector would find them (the cue a detector needs may be in another message).
        ``detect=False`` does only that: a second pass over texts redacted before the vault
        learnt a value. ``context`` is text read just before ``text`` (the question a reply
        answers: "What's your SSN?"): its cues count, its own values are not redacted here.
        """
        findings = self._find_after(context, text) if text and detect else []
        if self.action("PERSON") == "placeholder":
            for f in findings:
                if f.type == "PERSON":
                    _learn_parts(f.value, vault)
        known = vault.known(text) if len(vault) or len(vault.restored) else []
        if known:
            findings = resolve_overlaps([*findings, *known]) if findings else known
        if not findings:
            return Redacted(text)
        # Allowed values are counted too: policy routes on what a request contains.
        result = Redacted(text, Counter(f.type for f in findings))
        actions, default = self._actions, self.default_action
        out: list[str] = []
        pos = 0
        for f in findings:
            act = actions.get(f.type, default)
            if act == "allow":
                continue
            if act == "block":
                result.blocked.append((f.type, f.start, f.end))
                continue
            out.append(text[pos : f.start])
            out.append(
                vault.placeholder(f.type, f.value) if act == "placeholder" else f"[{f.type}]"
            )
            pos = f.end
        out.append(text[pos:])
        result.text = "".join(out)
        return result

    def redact_json(self, text: str, vault: Vault, *, detect: bool = True) -> Redacted:
        """Redact the strings of a JSON document (tool arguments, tool results), keys
        included, keeping it valid; text that is not JSON is redacted as text.

        Strings are scanned decoded: ``"Jos\\u00e9"`` is seen as ``José``.
        """
        duplicates = False

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            nonlocal duplicates
            obj = dict(items)
            duplicates = duplicates or len(obj) != len(items)
            return obj

        try:
            data = json.loads(text, object_pairs_hook=pairs)
        except (ValueError, RecursionError):
            return self.redact(text, vault, detect=detect)
        total = Redacted(text)
        # A repeated key: parsers keep its last value, and only that one was scanned, so the
        # text is written again from what was parsed; the earlier values never leave.
        changed = duplicates

        def leaf(node: str, key: str = "") -> str:
            nonlocal changed
            # Under its key, as "password: Zq8#...": detectors that need the key's cue (a
            # password, a token) see it; the key itself is redacted on its own.
            prefix = f"{key}: " if key else ""
            r = self.redact(prefix + node, vault, detect=detect)
            if prefix and not r.text.startswith(prefix):
                r = self.redact(node, vault, detect=detect)  # a finding in the key: apart
                prefix = ""
            total.counts.update(r.counts)
            shift = len(prefix)
            total.blocked.extend((k, max(0, a - shift), max(0, b - shift)) for k, a, b in r.blocked)
            text = r.text[shift:]
            changed = changed or text != node
            return text

        def walk(node: Any, key: str = "") -> Any:
            # ``key`` is the cue a value sits under: its own key, its list's, or its parent's
            # ({"phones": ["4155552671"]}, {"passwords": {"current": "..."}}).
            if isinstance(node, str):
                return leaf(node, key)
            if isinstance(node, (int, float)) and not isinstance(node, bool):
                # {"ssn": 536221847}: a number is scanned as its digits, under its key, and
                # becomes a placeholder string when it holds a value.
                digits = json.dumps(node)
                redacted = leaf(digits, key)
                return node if redacted == digits else redacted
            if isinstance(node, list):
                return [walk(v, _singular(key)) for v in node]
            if isinstance(node, dict):
                return {walk(k): walk(v, _nested(key, k)) for k, v in node.items()}
            return node

        new = walk(data)
        if changed:
            total.text = json.dumps(new, ensure_ascii=False)
        return total


def _learn_parts(name: str, vault: Vault) -> None:
    """Put each part of a full name in the vault: "Jane Doe" found once, a later "Thanks,
    Jane" (no cue, no surname) is redacted too, in this message and the rest of the
    conversation (``Vault.known``)."""
    from privllm.redaction.names import name_parts

    parts = name_parts(name)
    if len(parts) > 1 or (parts and parts[0] != name):
        # The name itself is in this text: issued now, so the parts below are looked for in
        # this very text too (``known`` reads a vault that holds something).
        vault.placeholder("PERSON", name)
        for part in parts:
            if len(part) > 2 and part != name:
                vault.expect("PERSON", part)


def _nested(parent: str, key: str) -> str:
    """The cue a value under ``key`` inside ``parent`` is scanned under: the key itself,
    unless only the parent names what the value is (``{"passwords": {"current": ...}}``
    is a password). Plurals are made singular (``phones``), so a detector's cue matches.

    >>> _nested("passwords", "current"), _nested("user", "ssn"), _nested("", "phones")
    ('password', 'ssn', 'phone')
    """
    own = _singular(key)
    if not parent or CUE_WORDS.search(own) or not CUE_WORDS.search(parent):
        return own
    return _singular(parent)


def _singular(key: str) -> str:
    if len(key) > 3 and key.endswith("s") and not key.endswith(("ss", "us", "is")):
        return key[:-1]
    return key


def blocked_error(blocked: list[tuple[str, int, int]], where: str) -> RedactionBlocked:
    """A refusal naming types and positions, never the values."""
    spans = ", ".join(f"{kind} at {where} chars {start}-{end}" for kind, start, end in blocked)
    return RedactionBlocked(
        f"refused before sending: {spans} (action 'block' in redaction.actions)",
        rule="redaction.block",
    )
