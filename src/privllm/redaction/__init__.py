"""Reversible redaction: detectors, the placeholder vault, stream restoration, middleware.

>>> from privllm.redaction import Redactor, Vault
>>> vault = Vault()
>>> Redactor.from_types(["EMAIL"]).redact("mail ann@example.com", vault).text
'mail [EMAIL_1]'
>>> vault.restore("Sent to [EMAIL_1].")
'Sent to ann@example.com.'

Names load on first use, so importing this package (as privllm's policy does for the state
keys) does not import the detectors and their phone-number tables.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BUILTIN_TYPES": "privllm.redaction.scanner",
    "Detector": "privllm.redaction.findings",
    "Finding": "privllm.redaction.findings",
    "NERDetector": "privllm.redaction.terms",
    "RedactionMiddleware": "privllm.redaction.middleware",
    "Redactor": "privllm.redaction.redactor",
    "StreamRestorer": "privllm.redaction.restore",
    "TermListDetector": "privllm.redaction.terms",
    "Vault": "privllm.redaction.vault",
    "default_detectors": "privllm.redaction.scanner",
    "scan": "privllm.redaction.scanner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'privllm.redaction' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
