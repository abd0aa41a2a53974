"""Given names and surnames from public census and civil-registry lists, loaded on first use.

The lists and their sources and licences are in ``redaction/data/README.md``: US Census 2010
surnames, first names from Tzioumis (2018), and Jörg Michael's European given-name dictionary.
Names are casefolded; a lookup also tries the name without accents (``Müller`` is found as the
census's ``MULLER``).

    >>> names = gazetteer()
    >>> names.is_given("Jane"), names.is_surname("Okafor"), names.is_given("Summer")
    (True, True, False)
    >>> names.is_ambiguous("Summer"), names.is_plain_surname("Iwasaki")
    (True, True)
    >>> names.is_plain_surname("Gold")  # also a word
    False
"""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Gazetteer", "fold", "gazetteer"]


def fold(word: str) -> str:
    """``word`` casefolded, apostrophes unified; accents kept (see ``_plain``)."""
    return word.casefold().replace("\u2019", "'")


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Gazetteer:
    given: frozenset[str]
    ambiguous: frozenset[str]  # given names that are also words: a cue is needed
    surnames: frozenset[str]
    word_surnames: frozenset[str] = frozenset()  # surnames that are also words: Gold, Hale
    words: frozenset[str] = frozenset()  # English words: Dashboard, Falls, Gold

    def _has(self, names: frozenset[str], word: str) -> bool:
        key = fold(word)
        if key in names:
            return True
        if key.isascii():
            return False
        plain = _plain(key)
        return plain != key and plain in names

    def is_given(self, word: str) -> bool:
        """A given name that is not also a common word; hyphenated forms part by part."""
        if self._has(self.given, word):
            return True
        parts = word.split("-")
        return len(parts) > 1 and all(self._has(self.given, p) for p in parts)

    def is_ambiguous(self, word: str) -> bool:
        return self._has(self.ambiguous, word)

    def is_surname(self, word: str) -> bool:
        if self._has(self.surnames, word):
            return True
        parts = word.split("-")
        return len(parts) > 1 and any(self._has(self.surnames, p) for p in parts)

    def is_word(self, word: str) -> bool:
        """An English word (a plural or a past form by its stem): "Skills", "Center"."""
        key = fold(word)
        if key in self.words:
            return True
        for suffix, stem in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ing", "")):
            if key.endswith(suffix) and key[: -len(suffix)] + stem in self.words:
                return True
        return False

    def is_plain_surname(self, word: str) -> bool:
        """A surname that is not also a common word: Iwasaki, Calloway, not Gold or Hale."""
        return self.is_surname(word) and not self._has(self.word_surnames, word)


def _read(name: str) -> frozenset[str]:
    data = resources.files("privllm.redaction").joinpath("data").joinpath(name).read_bytes()
    return frozenset(n for n in gzip.decompress(data).decode("utf-8").split("\n") if n)


@cache
def gazetteer() -> Gazetteer:
    """The shared, read-only lists (about 40 ms to load, once per process)."""
    return Gazetteer(
        given=_read("given_names.txt.gz"),
        ambiguous=_read("ambiguous_given_names.txt.gz"),
        surnames=_read("surnames.txt.gz"),
        word_surnames=_read("word_surnames.txt.gz"),
        words=_read("english_words.txt.gz"),
    )
