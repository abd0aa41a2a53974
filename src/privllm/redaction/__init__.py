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

from typing import TYPE_CHECKING

from privllm._lazy import surface

if TYPE_CHECKING:
    from privllm.redaction.findings import Detector, Finding
    from privllm.redaction.middleware import RedactionMiddleware
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.restore import StreamRestorer
    from privllm.redaction.scanner import BUILTIN_TYPES, default_detectors, scan
    from privllm.redaction.terms import NERDetector, TermListDetector
    from privllm.redaction.vault import Vault

_WHERE = {
    **dict.fromkeys(["BUILTIN_TYPES", "default_detectors", "scan"], "scanner"),
    **dict.fromkeys(["Detector", "Finding"], "findings"),
    **dict.fromkeys(["NERDetector", "TermListDetector"], "terms"),
    "RedactionMiddleware": "middleware",
    "Redactor": "redactor",
    "StreamRestorer": "restore",
    "Vault": "vault",
}

__all__ = [
    "BUILTIN_TYPES",
    "Detector",
    "Finding",
    "NERDetector",
    "RedactionMiddleware",
    "Redactor",
    "StreamRestorer",
    "TermListDetector",
    "Vault",
    "default_detectors",
    "scan",
]

__getattr__, __dir__ = surface(__name__, _WHERE, __all__)
