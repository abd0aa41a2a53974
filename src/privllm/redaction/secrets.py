"""SECRET detectors: vendor key shapes, JWTs, PEM private keys, and ``password=...`` values.

Every finding has type ``SECRET``; the kind of secret is deliberately not part of the type, so
placeholders stay ``<SECRET_1>`` whatever leaked. Each detector first checks for a literal
that every match must contain (``"sk-" in text`` runs at GB/s), and runs its regex only then.
Vendor shapes live in :mod:`~privllm.redaction.secrets_vendor`, values after a cue in
:mod:`~privllm.redaction.secrets_assign` (command-line flags in
:mod:`~privllm.redaction.secrets_cli`); every public name is importable from here.

    >>> [f.type for f in SecretKeyDetector().find("key: ghp_" + "a1B2c3D4e5" * 4)]
    ['SECRET']
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

from privllm.redaction.entropy import shannon_entropy, token_at
from privllm.redaction.findings import Finding
from privllm.redaction.secrets_assign import SecretAssignmentDetector
from privllm.redaction.secrets_vendor import SecretKeyDetector

__all__ = [
    "JWTDetector",
    "PrivateKeyDetector",
    "SecretAssignmentDetector",
    "SecretKeyDetector",
    "shannon_entropy",
]


class JWTDetector:
    """SECRET: JSON Web Tokens, three base64url parts whose header is JSON with ``"alg"``.

    >>> h = "eyJhbGciOiJIUzI1NiJ9"  # {"alg":"HS256"}
    >>> [f.type for f in JWTDetector().find(f"Bearer {h}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")]
    ['SECRET']
    """

    types: frozenset[str] = frozenset({"SECRET"})
    _JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")

    def find(self, text: str) -> Iterator[Finding]:
        if "eyJ" not in text:
            return
        for m in self._JWT.finditer(text):
            start, end = m.span()
            if token_at(text, start - 1) or token_at(text, end) or text[end : end + 1] == ".":
                continue
            header = m.group().split(".", 1)[0]
            try:
                decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
            except (binascii.Error, ValueError):  # JSONDecodeError and UnicodeError are ValueErrors
                continue
            if isinstance(decoded, dict) and "alg" in decoded:
                yield Finding(start, end, "SECRET", m.group())


class PrivateKeyDetector:
    """SECRET: a whole PEM private key block, ``-----BEGIN ... PRIVATE KEY-----`` to ``END``.

    RSA, EC, DSA, OpenSSH, encrypted PKCS#8 and PGP private key blocks. A block cut short
    (no END line) is reported up to the last line of key material.

    >>> pem = "-----BEGIN PRIVATE KEY-----\\nMIIEvQ==\\n-----END PRIVATE KEY-----"
    >>> [f.value == pem for f in PrivateKeyDetector().find(f"key:\\n{pem}\\nthanks")]
    [True]
    """

    types: frozenset[str] = frozenset({"SECRET"})
    _BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?)-----")
    # Header lines (Proc-Type: ...) and base64 lines, with real or JSON-escaped newlines.
    _BODY = re.compile(r"(?:(?:\r?\n|\\r?\\n)[ \t]*(?:[A-Za-z0-9+/=]{4,}|[\w-]+: [^\r\n\\]*))*")

    def find(self, text: str) -> Iterator[Finding]:
        if "PRIVATE KEY" not in text:
            return
        pos = 0
        while (m := self._BEGIN.search(text, pos)) is not None:
            end_marker = f"-----END {m.group(1)}-----"
            end_at = text.find(end_marker, m.end())
            if end_at >= 0:
                end = end_at + len(end_marker)
            else:
                body = self._BODY.match(text, m.end())
                end = body.end() if body else m.end()
            yield Finding(m.start(), end, "SECRET", text[m.start() : end])
            pos = end
