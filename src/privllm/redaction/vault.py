"""The vault: real values <-> placeholders such as ``[EMAIL_1]``, for one call or conversation.

The same value always gets the same placeholder, in every message of every turn that shares
the vault, so the model sees one consistent stand-in and restoration is exact.

>>> vault = Vault()
>>> vault.placeholder("EMAIL", "ann@example.com")
'[EMAIL_1]'
>>> vault.placeholder("EMAIL", "ann@example.com"), vault.placeholder("EMAIL", "bob@example.com")
('[EMAIL_1]', '[EMAIL_2]')
>>> vault.restore("Write to [EMAIL_2] and email_1.")
'Write to bob@example.com and ann@example.com.'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from privllm.redaction.findings import Finding
from privllm.redaction.known import KnownValues, WholeValues
from privllm.redaction.known import is_word as _is_word
from privllm.redaction.restored import RestoredValues

__all__ = ["TOKEN", "KnownValues", "Vault"]

#: A placeholder as a model may write it back: brackets optional, any case.
#: ``\b`` on both sides of the bare token keeps ``EMAIL_12`` from matching ``EMAIL_1``.
TOKEN = re.compile(r"\[?\b([A-Za-z][A-Za-z_]*?)_(\d+)\b\]?")


class Vault:
    """Placeholder map for one call or one conversation. Never logged, never repr'd.

    Numbers that already appear in the user's own text (``[EMAIL_1]`` typed by a user) are
    reserved and never issued, so a literal look-alike is never "restored" into a value.

    ``restored`` is where the values this vault puts back into answers are remembered (a
    client shares one among all its vaults); they are re-redacted in any later text, glued to
    other characters or not (see :mod:`privllm.redaction.restored`).
    """

    __slots__ = (
        "_by_token",
        "_by_value",
        "_counters",
        "_kinds",
        "_known",
        "_reserved",
        "_token_test",
        "restored",
    )

    def __init__(self, restored: RestoredValues | None = None) -> None:
        self.restored = restored if restored is not None else RestoredValues()
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_token: dict[tuple[str, int], str] = {}  # (TYPE, n) -> value
        self._counters: dict[str, int] = {}
        self._reserved: set[tuple[str, int]] = set()
        self._kinds: list[str] | None = None
        self._token_test: _TokenTest | None = None  # could_start_token's, per set of kinds
        # The values again, searchable for known(); built by its first use, so a vault that
        # is never searched (a fine-tuning file's map) keeps only its two dicts.
        self._known: WholeValues | None = None

    def __repr__(self) -> str:
        return f"Vault({len(self._by_value)} values)"

    def __len__(self) -> int:
        return len(self._by_value)

    def reserve_from(self, texts: Iterable[str]) -> None:
        """Reserve placeholder numbers that occur literally in ``texts``."""
        for text in texts:
            if "_" not in text:
                continue
            for m in TOKEN.finditer(text):
                key = (m.group(1).upper(), int(m.group(2)))
                if key not in self._by_token:
                    self._reserved.add(key)

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder for ``value`` of type ``kind``, issuing a new one if needed."""
        key = (kind, value)
        token = self._by_value.get(key)
        if token is not None:
            return token
        n = self._counters.get(kind, 0)
        while True:
            n += 1
            if (kind, n) not in self._reserved:
                break
        if kind not in self._counters:
            self._kinds = None
            self._token_test = None
        self._counters[kind] = n
        token = f"[{kind}_{n}]"
        self._by_value[key] = token
        if self._known is not None:
            self._known.add(kind, value)
        self._by_token[(kind, n)] = value
        return token

    def expect(self, kind: str, value: str) -> None:
        """Redact ``value`` wherever it occurs from now on, as one of ``kind``; its placeholder
        is issued where it first occurs (a name's parts: see ``Redactor.redact``)."""
        if (kind, value) not in self._by_value:
            self._index().add(kind, value)

    def known(self, text: str) -> list[Finding]:
        """Where ``text`` holds a value this vault stands in for, or one it restored.

        A value found once (``SSN 536 22 1847``, with the cue a detector needs) is redacted
        wherever it occurs again as a whole token, cue or not: in a later message, or in an
        earlier answer the caller replays. A value restored into an answer is redacted
        wherever it occurs, even glued to other characters (``[CREDIT_CARD_1]9`` came back
        as the card and a 9). Exact characters; leftmost, then longest, wins.
        """
        if not text:
            return []
        # (start, -end, kind, whether it must be a whole token)
        candidates = [(*c, True) for c in self._index().candidates(text)] if self._by_value else []
        candidates.extend((*c, False) for c in self.restored.candidates(text))
        if not candidates:
            return []
        candidates.sort()
        found: list[Finding] = []
        taken_to = 0
        for start, neg_end, kind, whole in candidates:
            end = -neg_end
            if start < taken_to or (whole and not _whole(text, start, end)):
                continue
            found.append(Finding(start, end, kind, text[start:end]))
            taken_to = end
        return found

    def _index(self) -> WholeValues:
        index = self._known
        if index is None:
            # Filled before it is shared: another thread reading this vault never sees an
            # index that lacks some of its values.
            index = WholeValues()
            for kind, value in list(self._by_value):
                index.add(kind, value)
            self._known = index
        return index

    def mapping(self) -> dict[str, str]:
        """Placeholder -> real value. Secret: for the encrypted audit map only."""
        return {f"[{kind}_{n}]": value for (kind, n), value in self._by_token.items()}

    def entries(self, start: int = 0) -> list[tuple[str, int, str]]:
        """(type, number, value) of each placeholder issued, in issue order, from ``start``.

        Secret: what a shared vault store encrypts (see :mod:`privllm.redaction.vault_store`).
        """
        items = list(self._by_token.items())[start:]
        return [(kind, n, value) for (kind, n), value in items]

    def adopt(self, kind: str, n: int, value: str) -> None:
        """Take ``[kind_n]`` for ``value`` as issued elsewhere (another worker's turn).

        >>> vault = Vault(); vault.adopt("EMAIL", 3, "ann@example.com")
        >>> vault.placeholder("EMAIL", "ann@example.com"), vault.placeholder("EMAIL", "b@x.io")
        ('[EMAIL_3]', '[EMAIL_4]')
        """
        if (kind, value) in self._by_value or (kind, n) in self._by_token:
            return
        if kind not in self._counters:
            self._kinds = None
        self._counters[kind] = max(self._counters.get(kind, 0), n)
        self._by_value[(kind, value)] = f"[{kind}_{n}]"
        if self._known is not None:
            self._known.add(kind, value)
        self._by_token[(kind, n)] = value

    def value(self, kind: str, n: int) -> str | None:
        return self._by_token.get((kind.upper(), n))

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._counters)

    def restore(
        self, text: str, *, json_escape: bool = False, keep: frozenset[str] = frozenset()
    ) -> str:
        """Put real values back for every placeholder this vault issued.

        Tolerant of what models do to placeholders (dropped brackets, changed case); text
        that only looks like a placeholder but was not issued here is left alone.
        ``json_escape`` escapes values for insertion inside a JSON string (tool arguments).
        Placeholders of the types in ``keep`` stay as they are.
        """
        if not self._by_token:
            return text
        i = text.find("_")
        if i < 0:
            return text
        # Anchored on "_" + digits with str.find, not a regex: a pattern that may start with
        # "[" or any letter is tried at every position and costs ~30x more on a 2 KB answer.
        kinds = self._kinds_longest_first()
        lookup = self._by_token
        n = len(text)
        out: list[str] = []
        restored: list[tuple[str, str]] = []
        last = 0
        while i >= 0:
            j = i + 1
            while j < n and "0" <= text[j] <= "9":
                j += 1
            nxt = i + 1
            # At most 9 digits: no vault issues a billion placeholders, and int() of a very
            # long digit run (a model's output is untrusted) would raise ValueError.
            if i + 1 < j <= i + 10 and (j == n or not _is_word(text[j])):
                for kind in kinds:
                    s = i - len(kind)
                    if s < 0 or text[s:i].upper() != kind or (s and _is_word(text[s - 1])):
                        continue
                    value = lookup.get((kind, int(text[i + 1 : j])))
                    if value is not None and kind not in keep:
                        restored.append((kind, value))
                        start = s - 1 if s and text[s - 1] == "[" else s
                        end = j + 1 if j < n and text[j] == "]" else j
                        out.append(text[last:start])
                        out.append(
                            json.dumps(value, ensure_ascii=False)[1:-1] if json_escape else value
                        )
                        last = nxt = end
                    break
            i = text.find("_", nxt)
        if not out:
            return text
        self.restored.add(restored)
        out.append(text[last:])
        return "".join(out)

    def _kinds_longest_first(self) -> list[str]:
        if self._kinds is None:
            self._kinds = sorted(self._counters, key=len, reverse=True)
        return self._kinds

    def could_start_token(self, tail: str) -> bool:
        """Whether ``tail`` (a bare word run) could grow into a placeholder issued here:
        a prefix of ``KIND_``, or ``KIND_`` and up to 9 digits. Called for most chunks of a
        stream, so the kinds are compiled once into a set of prefixes and a pattern."""
        test = self._token_test
        if test is None:
            test = self._token_test = _TokenTest(self._counters)
        return test(tail.upper())


class _TokenTest:
    __slots__ = ("_pattern", "_prefixes")

    def __init__(self, kinds: Iterable[str]) -> None:
        heads = [kind + "_" for kind in kinds]
        self._prefixes = frozenset(h[:i] for h in heads for i in range(len(h) + 1))
        alternatives = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
        self._pattern = re.compile(f"(?:{alternatives})(.{{1,9}})", re.DOTALL) if heads else None

    def __call__(self, upper: str) -> bool:
        if upper in self._prefixes:
            return True
        m = self._pattern.fullmatch(upper) if self._pattern is not None else None
        # isdigit, as Vault.restore reads the number (\d would miss digits it accepts)
        return m is not None and m.group(1).isdigit()


def _whole(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is not glued to a word character on a side where it has one."""
    if start > 0 and _is_word(text[start]) and _is_word(text[start - 1]):
        return False
    return not (end < len(text) and _is_word(text[end - 1]) and _is_word(text[end]))
