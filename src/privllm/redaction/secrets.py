"""SECRET detectors: vendor key shapes, JWTs, PEM private keys, and ``password=...`` values.

Every finding has type ``SECRET``; the kind of secret is deliberately not part of the type, so
placeholders stay ``<SECRET_1>`` whatever leaked. Each detector first checks for a literal
that every match must contain (``"sk-" in text`` runs at GB/s), and runs its regex only then.

    >>> [f.type for f in SecretKeyDetector().find("key: ghp_" + "a1B2c3D4e5" * 4)]
    ['SECRET']
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator

from privllm.redaction.findings import Finding

__all__ = [
    "JWTDetector",
    "PrivateKeyDetector",
    "SecretAssignmentDetector",
    "SecretKeyDetector",
    "shannon_entropy",
]

_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution.

    >>> round(shannon_entropy("changeme"), 2), round(shannon_entropy("q8Zt!x2Lm9"), 2)
    (2.75, 3.32)
    """
    n = len(value)
    if not n:
        return 0.0
    # H = log2(n) - sum(c * log2(c)) / n over the character counts c; str.count per distinct
    # character beats a Counter on the short strings this sees (keys, passwords).
    total = 0.0
    for ch in set(value):
        c = value.count(ch)
        total += _C_LOG_C[c] if c < 256 else c * math.log2(c)
    return math.log2(n) - total / n


_C_LOG_C = [0.0] + [c * math.log2(c) for c in range(1, 256)]


def _key_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_.-"


def _token_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i] in _TOKEN_CHARS


# (a literal every match contains, pattern, must mix in digits and look random). A substring
# test per vendor gates each pattern: one alternation of all prefixes was 6x slower, as
# ``re`` cannot skip ahead on an alternation. Patterns start with a literal so their scan is
# fast; boundaries are checked by hand (a leading lookbehind would try every position).
_KEY_SHAPES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    # Anthropic sk-ant-api03-..., OpenAI sk-..., sk-proj-..., sk-svcacct-..., sk-admin-...
    ("sk-", re.compile(r"sk-(?:ant-[a-z]+\d\d-)?[A-Za-z0-9_-]{20,}"), True),
    ("AIza", re.compile(r"AIza[0-9A-Za-z_-]{35}"), False),  # Google API key
    ("AKIA", re.compile(r"AKIA[A-Z0-9]{16}"), False),  # AWS access key id, long-term
    ("ASIA", re.compile(r"ASIA[A-Z0-9]{16}"), False),  # AWS access key id, temporary
    ("gh", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,251}"), False),  # GitHub tokens
    ("github_pat_", re.compile(r"github_pat_[A-Za-z0-9_]{50,}"), False),
    ("glpat-", re.compile(r"glpat-[A-Za-z0-9_-]{20,}"), False),  # GitLab
    ("xox", re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"), True),  # Slack
    ("k_live_", re.compile(r"[rs]k_live_[A-Za-z0-9]{16,}"), False),  # Stripe
    ("k_test_", re.compile(r"[rs]k_test_[A-Za-z0-9]{16,}"), False),
)
# Most prose has no underscore; these shapes all contain one, so one test skips them all.
_UNDERSCORE_NEEDLES = frozenset({"gh", "github_pat_", "k_live_", "k_test_"})
# One scan for the literal "A" (fast: ``re`` skips to it) finds which of these are present,
# instead of three substring tests over the whole text.
_A_NEEDLES = re.compile(r"A(?:Iza|KIA|SIA)")


class SecretKeyDetector:
    """SECRET: API keys by their vendor shape, plus AWS secret access keys in context.

    Shapes: OpenAI ``sk-``/``sk-proj-``, Anthropic ``sk-ant-``, Google ``AIza``, AWS
    ``AKIA``/``ASIA`` key ids, GitHub ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/
    ``github_pat_``, GitLab ``glpat-``, Slack ``xox[abprs]-``, Stripe ``sk_live_``/
    ``rk_live_`` (and ``_test_``). An AWS secret key (40 base64 characters) has no prefix, so
    it counts only when the text mentions AWS and "secret" or holds an AWS key id.

    >>> [f.value[:7] for f in SecretKeyDetector().find("OPENAI=sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6H")]
    ['sk-proj']
    """

    types: frozenset[str] = frozenset({"SECRET"})
    _AWS_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
    _AWS_CUE = re.compile(r"secret", re.IGNORECASE)

    def find(self, text: str) -> Iterator[Finding]:
        found: list[Finding] = []
        underscore = "_" in text
        a_needles = set(_A_NEEDLES.findall(text))
        for needle, pattern, mixed in _KEY_SHAPES:
            if needle[0] == "A":
                if needle not in a_needles:
                    continue
            elif (needle in _UNDERSCORE_NEEDLES and not underscore) or needle not in text:
                continue
            for m in pattern.finditer(text):
                start, end = m.span()
                if _token_at(text, start - 1) or _token_at(text, end):
                    continue
                value = m.group()
                if mixed and not (any(c.isdigit() for c in value) and shannon_entropy(value) > 3):
                    continue  # "sk-learn-style-names" are words, not keys
                found.append(Finding(start, end, "SECRET", value))
        cues = [f.start for f in found if f.value.startswith(("AKIA", "ASIA"))]
        if ("AWS" in text or "aws" in text) and ("ecret" in text or "ECRET" in text):
            cues += [m.start() for m in self._AWS_CUE.finditer(text)]
        if cues:
            found.extend(self._aws_secrets(text, cues))
        found.sort(key=lambda f: f.start)
        yield from found

    def _aws_secrets(self, text: str, cues: list[int]) -> Iterator[Finding]:
        # Only near a cue: the 40-character pattern is slow over a whole text, and a random
        # 40-character string far from any mention of AWS is not known to be a key.
        windows: list[tuple[int, int]] = []
        for cue in sorted(cues):
            lo, hi = max(0, cue - 200), cue + 240
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
        for lo, hi in windows:
            yield from self._aws_secrets_in(text, lo, hi)

    def _aws_secrets_in(self, text: str, lo: int, hi: int) -> Iterator[Finding]:
        # A key is 40 characters without whitespace: only words that long can hold one, and
        # ``str.split`` finds them far faster than the pattern tried at every position.
        window, at = text[lo:hi], 0
        for word in window.split():
            if len(word) < 40:
                continue
            at = window.find(word, at)
            yield from self._aws_secrets_word(text, lo + at, lo + at + len(word))
            at += len(word)

    def _aws_secrets_word(self, text: str, lo: int, hi: int) -> Iterator[Finding]:
        for m in self._AWS_SECRET.finditer(text, lo, hi):
            start, end = m.span()
            value = m.group()
            # Inside a longer base64 or base64url token ("-" and "_" included), it is a
            # piece of that token, not a key: Gemini's thought signatures are such tokens.
            if text[start - 1 : start].isalnum() or text[start - 1 : start] in ("/", "+", "-", "_"):
                continue
            if _token_at(text, end) or text[end : end + 1] in ("/", "+", "="):
                continue
            has_classes = (
                any(c.isupper() for c in value)
                and any(c.islower() for c in value)
                and any(c.isdigit() for c in value)
            )
            if has_classes and shannon_entropy(value) >= 4.0:
                yield Finding(start, end, "SECRET", value)


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
            if _token_at(text, start - 1) or _token_at(text, end) or text[end : end + 1] == ".":
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


class SecretAssignmentDetector:
    """SECRET: the value in ``password=...``, ``"api_key": "..."``, ``secret: ...``, ``Bearer ...``.

    Only the value is reported, so the key name stays readable. A value counts when it has at
    least ``min_length`` characters and ``min_entropy`` bits per character (Shannon) and is
    not a reference or a placeholder (``${DB_PASSWORD}``, ``os.environ[...]``, ``<token>``,
    ``get_secret()``, ``settings.API_KEY``, ``your-api-key-here``, ``None``).

    With the defaults (8 characters, 3.0 bits) ``password=changeme`` (2.75 bits) is refused:
    the gate is there to skip placeholders and prose, and a real password that weak is not
    caught. Lower ``min_entropy`` to trade precision for recall.

    >>> [f.value for f in SecretAssignmentDetector().find('db_password = "Xk9#mQ2vLp"')]
    ['Xk9#mQ2vLp']
    """

    types: frozenset[str] = frozenset({"SECRET"})
    _VALUE = r"""[ \t]*(?:(["'`])([^"'`\r\n]{1,256})\1|([^\s"'`,;<>]{1,256}))"""
    # Separators are literals, so each scan is fast; the key name is checked behind them.
    _SEPARATORS = (
        re.compile(r"=>?" + _VALUE),
        re.compile(r":=?" + _VALUE),
        re.compile(r"Bearer(?=[ \t])" + _VALUE),
    )
    _KEY = re.compile(
        r"[\w.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|access[_-]?key"
        r"|private[_-]?key|token|credentials?)(?:[_.-]?(?:key|value|prod|dev|staging|test|live|\d+))*",
        re.IGNORECASE,
    )
    # Variable references, templates, masks, literals and ENV_VAR_NAMES are not secrets;
    # nor are privllm's own placeholders and masks ("[SECRET_1]", "[SECRET]"), which the
    # egress guard reads in bodies redaction already rewrote.
    _REFERENCE = re.compile(
        r"\$\{.*|\$\(.*|[$%](?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)%?|%\(\w+\)s|<.*>|\{\{.*\}\}"
        r"|\[[A-Z][A-Z0-9_]*\]"
        r"|\*+|\.{3,}|[xX]+|(?i:none|null|nil|true|false|undefined)"
        r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Za-z_][\w.]*\(.*\)"
    )
    _PLACEHOLDER_WORDS = (
        "example",
        "placeholder",
        "your",
        "redacted",
        "environ",
        "getenv",
        "process.env",
        "secrets.",
    )

    def __init__(self, *, min_length: int = 8, min_entropy: float = 3.0) -> None:
        self.min_length = min_length
        self.min_entropy = min_entropy

    def find(self, text: str) -> Iterator[Finding]:
        found: dict[int, Finding] = {}
        for i, pattern in enumerate(self._SEPARATORS):
            if i == 2 and "Bearer" not in text:
                continue
            for m in pattern.finditer(text):
                if i < 2 and not self._key_before(text, m.start()):
                    continue
                group = 2 if m.group(2) is not None else 3
                start, end = m.span(group)
                if group == 3 and text[end : end + 1] in ("(", "["):
                    continue  # a call or subscript: get_password(), env["PW"]
                # Unquoted, ``f(password=x)`` reports ``x)``: a password may end in ")", and
                # redacting one character too many is safer than leaking one.
                value = text[start:end]
                if self._is_secret(value) and start not in found:
                    found[start] = Finding(start, end, "SECRET", value, 0.8)
        yield from sorted(found.values(), key=lambda f: f.start)

    def _key_before(self, text: str, sep: int) -> bool:
        # Walk back over quotes and the key name, then one anchored match: cheaper than a
        # search that would try every start in a window.
        end = sep
        while end > 0 and text[end - 1] in " \t\"'":
            end -= 1
        start = end
        while start > 0 and end - start < 64 and _key_char(text[start - 1]):
            start -= 1
        return start < end and self._KEY.fullmatch(text, start, end) is not None

    def _is_secret(self, value: str) -> bool:
        value = value.strip()
        if len(value) < self.min_length or self._REFERENCE.fullmatch(value):
            return False
        lowered = value.lower()
        if any(w in lowered for w in self._PLACEHOLDER_WORDS):
            return False
        return shannon_entropy(value) >= self.min_entropy
