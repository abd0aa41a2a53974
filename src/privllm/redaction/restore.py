"""Restoring placeholders in a streamed answer, whatever the chunk boundaries.

A placeholder may arrive split across chunks (``"[EMA"`` + ``"IL_1]"``). The restorer holds
back only a tail that could still grow into a placeholder this vault issued, and releases
everything else at once, so the added latency is a few characters at most.

>>> from privllm.redaction.vault import Vault
>>> vault = Vault(); _ = vault.placeholder("EMAIL", "ann@example.com")
>>> r = StreamRestorer(vault)
>>> [r.feed("Mail [EMA"), r.feed("IL_1] now"), r.flush()]
['Mail ', 'ann@example.com now', '']
"""

from __future__ import annotations

import re

from privllm.redaction.vault import Vault

__all__ = ["StreamRestorer"]

_TAIL = re.compile(r"(\[?)(\w*)\Z")


class StreamRestorer:
    """Feed text deltas, get restored text; ``flush()`` at the end releases the rest."""

    __slots__ = ("_json", "_keep", "_pending", "_vault")

    def __init__(
        self, vault: Vault, *, json_escape: bool = False, keep: frozenset[str] = frozenset()
    ) -> None:
        self._vault = vault
        self._json = json_escape
        self._keep = keep  # types left as placeholders (see Vault.restore)
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta if self._pending else delta
        if not text:
            return ""
        cut = self._safe_cut(text)
        self._pending = text[cut:]
        if not cut:
            return ""
        return self._vault.restore(text[:cut], json_escape=self._json, keep=self._keep)

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._vault.restore(text, json_escape=self._json, keep=self._keep) if text else ""

    def _safe_cut(self, text: str) -> int:
        """Where to cut so that no placeholder the vault could restore spans the cut."""
        last = text[-1]
        if not (last == "[" or last == "_" or last.isalnum()):
            return len(text)  # ends on a separator (or "]"): nothing can be pending
        m = _TAIL.search(text)
        if m is None:  # pragma: no cover - the pattern matches the empty string
            return len(text)
        # The last character is "[", "_" or alphanumeric, so either the run is empty and the
        # text ends on "[", or the run is the whole trailing word: \w is exactly
        # "alphanumeric or _", and \w* is maximal.
        run = m.group(2)
        if not run or self._vault.could_start_token(run):
            return m.start()  # hold the run, and the "[" before it
        return len(text)
