"""The value map of a prepared dataset: every stand-in issued, and the real value behind it.

One map serves a whole file, and can be carried on to the next (the validation file after
the training file), so a value gets the same stand-in everywhere. It grows with *distinct*
values only, never with the size of the data.

Saved, it is one ``KeyRing.seal`` blob (AES-256-GCM under a fresh data key wrapped by the
master key, the audit log's crypto): without the key the file reveals nothing but its size,
and the wrong key raises ``WrongKeyError`` naming both key ids. The owner uses it to
re-identify what the tuned model writes:

    >>> vmap = ValueMap()
    >>> vmap.stand_in("EMAIL", "ann@acme.com")
    '[EMAIL_1]'
    >>> vmap.reidentify("Reply to email_1 today.")
    'Reply to ann@acme.com today.'
    >>> vmap
    ValueMap(mode='placeholder', 1 values)
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from privllm.errors import AuditError
from privllm.finetune.prepare.staging import remove_stale, temp_path
from privllm.finetune.prepare.surrogates import PLACEHOLDER_ONLY, Draw, normalise, surrogate
from privllm.redaction.vault import TOKEN, Vault

if TYPE_CHECKING:
    from privllm.audit.crypto import KeyRing
    from privllm.redaction.terms import TermListDetector

__all__ = ["Mode", "ValueMap"]

Mode = Literal["placeholder", "surrogate"]
_AAD = b"privllm finetune value map"
_FORMAT = "privllm value map"
_VERSION = 1
# Draws per value before falling back to a placeholder; each later draw widens the name
# space, so only an absurdly crowded type (or a term list that matches every draw) gets here.
_ATTEMPTS = 32


class ValueMap:
    """Placeholders or surrogates for one dataset (or several), and the values behind them.

    ``mode="surrogate"`` gives realistic stand-ins (see ``privllm.finetune.prepare.surrogates``)
    seeded by ``salt`` (32 random bytes when not given; kept in the saved map, so a map
    carried on to the next file keeps its surrogates). Types without surrogates, and
    identifiers, get placeholders in either mode. Secret: ``repr`` shows counts only.
    """

    __slots__ = (
        "_by_value",
        "_finder",
        "_no_surrogate",
        "_owner",
        "_reserved",
        "_salt",
        "_spelling",
        "_vault",
        "mode",
    )

    def __init__(self, mode: Mode = "placeholder", *, salt: bytes | None = None) -> None:
        if mode not in ("placeholder", "surrogate"):
            raise ValueError("mode must be 'placeholder' or 'surrogate'")
        self.mode: Mode = mode
        self._salt = os.urandom(32) if salt is None else salt
        self._vault = Vault()
        self._reserved: set[tuple[str, int]] = set()
        # Spellings of one value ("Jane Doe", "JANE DOE") share the first one's placeholder.
        self._spelling: dict[tuple[str, str], str] = {}  # (kind, normalised) -> first value
        self._by_value: dict[tuple[str, str], str] = {}  # (kind, value) -> surrogate
        self._owner: dict[str, tuple[str, str, str]] = {}  # surrogate -> (kind, key, value)
        self._no_surrogate: set[tuple[str, str]] = set()  # drew none acceptable: placeholder
        self._finder: tuple[TermListDetector, dict[str, str]] | None = None

    def __repr__(self) -> str:
        return f"ValueMap(mode={self.mode!r}, {len(self)} values)"

    def __len__(self) -> int:
        return len(self._vault) + len(self._by_value)

    def __reduce__(self) -> Any:
        # A pickle would carry every real value in the clear.
        raise TypeError("ValueMap cannot be pickled; save it with .save(path, keyring)")

    # -- issuing ----------------------------------------------------------------------------

    def stand_in(
        self,
        kind: str,
        value: str,
        *,
        bare: bool = False,
        accept: Callable[[str], bool] | None = None,
    ) -> str:
        """The stand-in for ``value`` of type ``kind``, issuing one if needed.

        ``bare`` asks for a placeholder without brackets (``PERSON_1``), for identifiers that
        providers restrict to ``[A-Za-z0-9_-]``; reidentify restores it all the same.
        ``accept`` vets a new surrogate (``prepare`` checks that the configured detectors
        do not mistake it for a real value); a rejected draw is redrawn.
        """
        if bare or self.mode == "placeholder" or kind in PLACEHOLDER_ONLY:
            token = self._placeholder(kind, value)
            return token[1:-1] if bare else token
        found = self._by_value.get((kind, value))
        if found is not None:
            return found
        if (kind, value) in self._no_surrogate:
            return self._placeholder(kind, value)
        key = normalise(kind, value)
        for attempt in range(_ATTEMPTS):
            candidate = surrogate(kind, value, Draw(self._salt, kind, key, attempt), attempt)
            if candidate is None:
                break
            owner = self._owner.get(candidate)
            if owner is not None and owner[:2] != (kind, key):
                continue  # another value has it
            if normalise(kind, candidate) == key or (accept is not None and not accept(candidate)):
                continue
            self._by_value[(kind, value)] = candidate
            self._owner.setdefault(candidate, (kind, key, value))
            if kind == "PERSON":
                self._parts(value, candidate)
            self._finder = None
            return candidate
        # Remembered, so the next occurrence does not draw all over again.
        self._no_surrogate.add((kind, value))
        return self._placeholder(kind, value)

    def surrogates(self) -> frozenset[tuple[str, str]]:
        """``(kind, normalised surrogate)`` of every surrogate issued: what ``scan_file``
        does not count as a finding in a file this map prepared. Surrogates only, never a
        real value, so the set may go to worker processes and into error-free reports."""
        return frozenset((kind, normalise(kind, s)) for s, (kind, _, _) in self._owner.items())

    def _parts(self, value: str, candidate: str) -> None:
        """A person's surrogate parts stand in for the real parts ("Jane Doe" -> "Mara
        Lind": "Jane" -> "Mara", "Doe" -> "Lind"), so a later "Thanks, Jane" reads as
        "Thanks, Mara", unless a part already has a stand-in or another value owns it."""
        real, fake = value.split(), candidate.split()
        if len(real) < 2 or len(fake) != len(real):
            return
        for r, f in ((real[0], fake[0]), (real[-1], fake[-1])):
            key = normalise("PERSON", r)
            owner = self._owner.get(f)
            if ("PERSON", r) in self._by_value or (owner is not None and owner[1] != key):
                continue
            if len(r) < 3 or normalise("PERSON", f) == key:
                continue
            self._by_value[("PERSON", r)] = f
            self._owner.setdefault(f, ("PERSON", key, r))

    def _placeholder(self, kind: str, value: str) -> str:
        spelling = self._spelling.setdefault((kind, normalise(kind, value)), value)
        return self._vault.placeholder(kind, spelling)

    def reserve(self, kind: str, n: int) -> bool:
        """Never issue ``[kind_n]``: the data holds it literally. False if already issued."""
        kind = kind.upper()
        if self._vault.value(kind, n) is not None:
            return False
        if (kind, n) not in self._reserved:
            self._reserved.add((kind, n))
            self._vault.reserve_from([f"[{kind}_{n}]"])
        return True

    def reserve_from(self, text: str, kinds: frozenset[str]) -> int:
        """Reserve the placeholder look-alikes of ``kinds`` in ``text``.

        Returns how many were already issued (a literal that reidentify would turn into a
        value); prepare reports the count.
        """
        clashes = 0
        for m in TOKEN.finditer(text):
            kind = m.group(1).upper()
            if kind in kinds and not self.reserve(kind, int(m.group(2))):
                clashes += 1
        return clashes

    def distinct(self) -> Counter[str]:
        """How many distinct values of each type have a stand-in."""
        spellings = {(kind, normalise(kind, value)) for kind, value in self._by_value}
        counts: Counter[str] = Counter(kind for kind, _ in spellings)
        for token in self._vault.mapping():
            counts[token[1:-1].rpartition("_")[0]] += 1
        return counts

    # -- re-identification ----------------------------------------------------------------

    def reidentify(self, text: str) -> str:
        """``text`` with every stand-in this map issued replaced by its real value.

        Placeholders are found as models mangle them (``email_1``, ``[Email_1``);
        surrogates in any case and, for numbers, also without their spaces or dashes.
        """
        if not self._owner:
            return self._vault.restore(text)
        detector, values = self._surrogate_finder()
        out: list[str] = []
        pos = 0
        for f in detector.find(text):
            value = values.get(f.value.lower())
            if value is None:
                continue
            out.append(self._vault.restore(text[pos : f.start]))
            out.append(value)
            pos = f.end
        out.append(self._vault.restore(text[pos:]))
        return "".join(out)

    def _surrogate_finder(self) -> tuple[TermListDetector, dict[str, str]]:
        if self._finder is None:
            from privllm.redaction.terms import TermListDetector

            values: dict[str, str] = {}
            for candidate, (kind, _, value) in self._owner.items():
                values.setdefault(candidate.lower(), value)
                if kind in ("CREDIT_CARD", "IBAN", "PHONE", "US_SSN"):
                    values.setdefault("".join(c for c in candidate if c.isalnum()).lower(), value)
            self._finder = TermListDetector(values, type="SURROGATE"), values
        return self._finder

    # -- storage ----------------------------------------------------------------------------

    def to_json(self) -> bytes:
        """The plaintext map. Secret: seal it (``save``) rather than writing this anywhere."""
        placeholders = []
        for token, value in self._vault.mapping().items():
            kind, _, n = token[1:-1].rpartition("_")
            placeholders.append([kind, int(n), value])
        data = {
            "format": _FORMAT,
            "version": _VERSION,
            "mode": self.mode,
            "salt": base64.b64encode(self._salt).decode("ascii"),
            "placeholders": sorted(placeholders, key=lambda p: (p[0], p[1])),
            "reserved": sorted([kind, n] for kind, n in self._reserved),
            "surrogates": [[k, s, v] for (k, v), s in self._by_value.items()],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, *, what: str = "the value map") -> ValueMap:
        """A map from :meth:`to_json` output, with the same numbering and surrogates."""
        try:
            data = json.loads(raw)
            if data.get("format") != _FORMAT or data.get("version") != _VERSION:
                raise ValueError("format")
            vmap = cls(data["mode"], salt=base64.b64decode(data["salt"]))
            for kind, n in data["reserved"]:
                vmap.reserve(kind, n)
            # Issued again in number order, with the same numbers reserved, the vault hands
            # out exactly the placeholders it handed out before.
            for kind, n, value in data["placeholders"]:
                if vmap._placeholder(kind, value) != f"[{kind}_{n}]":
                    raise ValueError("numbering")
            for kind, candidate, value in data["surrogates"]:
                vmap._by_value[(kind, value)] = candidate
                vmap._owner.setdefault(candidate, (kind, normalise(kind, value), value))
        except (ValueError, KeyError, TypeError, AttributeError):
            # No detail: the parser's message could quote a value.
            raise AuditError(f"{what} is not a privllm value map (or it is damaged)") from None
        return vmap

    def save(self, path: str | os.PathLike[str], keyring: KeyRing) -> None:
        """Seal the map with ``keyring``'s primary key into ``path`` (mode 0600, atomic)."""
        blob = keyring.seal(self.to_json(), _AAD)
        target = Path(path)
        remove_stale(target)
        tmp = temp_path(target)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | os.PathLike[str], keyring: KeyRing) -> ValueMap:
        """The map sealed in ``path``. ``WrongKeyError`` if none of ``keyring``'s keys wrote
        it, ``AuditError`` if it was altered."""
        what = f"value map {path}"
        blob = Path(path).read_bytes()
        return cls.from_json(keyring.open(blob, _AAD, what=what), what=what)
