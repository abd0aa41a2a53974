"""SECRET after a cue: the value of ``password=...``, ``"api_key": "..."``, ``Authorization: ...``.

The key names and the ways of assigning follow what the established scanners test for
(gitleaks ``generic-api-key`` and its sample generator, detect-secrets ``KeywordDetector``):
env files, YAML (also ``|`` and ``>`` blocks), JSON (also escaped inside a string), XML
elements and ``key=/value=`` attributes, Makefiles (``?=``, ``:=``, ``::=``, ``+=``), code
(``String token = "..."``, ``var token string = "..."``, ``$token .= "..."``), CSV cells,
HTTP headers, and "my password is ..." in prose. Command-line flags live in
:mod:`~privllm.redaction.secrets_cli`.

    >>> [f.value for f in SecretAssignmentDetector().find("PGPASSWORD ?= Xk9#mQ2vLp")]
    ['Xk9#mQ2vLp']
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from privllm.redaction.entropy import shannon_entropy
from privllm.redaction.findings import Finding
from privllm.redaction.secrets_cli import command_line_secrets

__all__ = ["SecretAssignmentDetector", "is_reference", "is_secret_name"]

# A quoted value (also JSON-escaped, \"...\"), a YAML block scalar's first line, or a bare
# word. Groups: 1 quote, 2 quoted value, 3 block line, 4 bare value.
_VALUE = (
    r"""[ \t]*(?:\\?(["'`])([^"'`\r\n]{1,256}?)\\?\1"""
    r"|[|>][-+]?[ \t]*\r?\n[ \t]+([^\s\"'`][^\r\n]{0,255})"
    r"""|([^\s"'`,;<>]{1,256}))"""
)
_KEY = re.compile(
    r"[\w.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|access[_-]?key|auth"
    r"|private[_-]?key|token|credentials?|creds|authorization"
    r"|(?:account|subscription|master|signing|encryption|shared|storage|client|app|service"
    r"|openai|azure)[_-]?key)"
    r"(?:[_.-]?(?:key|value|prod|dev|staging|test|live|string|str|\d+))*"
    r"|(?:[\w.-]*[_.-])?pass|(?-i:[\w.-]*[a-z0-9]Pass)",
    re.IGNORECASE,
)
# Names that hold a secret's neighbour, not a secret: public keys and tokens, CSRF tokens.
# (and "io.jsonwebtoken", the Java JWT library's Maven group).
_NOT_SECRET_NAME = re.compile(r"public|csrf|xsrf|jsonwebtoken", re.IGNORECASE)
# "var token string = ..." (Go), "var token: String = ..." (Kotlin): the type is no key.
_TYPE_WORDS = frozenset({"string", "String", "str", "char", "byte", "var", "val", "const"})
_OPERATOR = ":?+."  # ?=, +=, :=, ::=, :::=, .= before "="


def is_secret_name(name: str) -> bool:
    """True when a key, field or header called ``name`` holds a secret.

    >>> is_secret_name("DB_PASSWORD"), is_secret_name("password_reset_url")
    (True, False)
    """
    return _KEY.fullmatch(name) is not None and not _NOT_SECRET_NAME.search(name)


# Variable references, templates, masks, literals and ENV_VAR_NAMES are not secrets; nor are
# privllm's own placeholders and masks ("[SECRET_1]", "[SECRET]"), which the egress guard
# reads in bodies redaction already rewrote.
_REFERENCE = re.compile(
    r"\$\{.*|\$\(.*|[$%](?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)%?|%\(\w+\)s|<.*>|\{\{.*\}\}"
    r"|\[[A-Z][A-Z0-9_]*\]|\[[a-z_ -]+\]"
    r"|\*+|\.{3,}|[xX]+|(?i:none|null|nil|true|false|undefined)"
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Za-z_][\w.]*\(.*\)"
)
# Fill-ins: masks ("####", "xxxxxx", "•••"), counting runs, one group said three times.
_FILL_IN = re.compile(r"[xX*#•]{6}|0123456|1234567|abcdefg|(\w{3,})\W?\1\W?\1")
# "Winter(2024)" is a passphrase, not a call.
_PASSPHRASE_CALL = re.compile(r"[A-Z][a-z]+\(\d{1,6}\)[!?#$%&*]*")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_OBJECTS = frozenset(
    [
        "self",
        "this",
        "cls",
        "os",
        "env",
        "environ",
        "config",
        "conf",
        "cfg",
        "settings",
        "secrets",
        "process",
        "args",
        "opts",
        "options",
        "params",
        "request",
        "req",
        "ctx",
        "context",
        "app",
        "vault",
        "values",
        "data",
        "props",
        "properties",
        "credentials",
        "creds",
        "window",
        "document",
        "module",
        "exports",
        "system",
        "environment",
        "user",
        "db",
        "auth",
        "form",
    ]
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
    "changeme",
    "changeit",
    "insert",
    "replace",
)


def is_reference(value: str) -> bool:
    """True when ``value`` names a secret instead of being one: ``${X}``, ``cfg.password``, ``f()``.

    A dotted value is a reference when it starts with a known object, holds an ``_``, an
    upper-case or camelCase part, or ends in a secret name; ``correct.horse.battery.staple``
    and ``Tr0ub4dor.Horse`` are passphrases.

    >>> is_reference("settings.API_KEY"), is_reference("correct.horse.battery.staple")
    (True, False)
    """
    if _PASSPHRASE_CALL.fullmatch(value):
        return False
    if _REFERENCE.fullmatch(value):
        return True
    if not _DOTTED.fullmatch(value):
        return False
    parts = value.split(".")
    return (
        parts[0].lower() in _OBJECTS
        or "_" in value
        or any(len(p) > 1 and p.isupper() for p in parts)
        or any(p[1:] != p[1:].lower() for p in parts)
        or is_secret_name(parts[-1])
        or (len(parts) == 2 and value.islower())
    )


def _basic_ok(value: str) -> bool:
    # HTTP Basic credentials are base64 of "user:password".
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


class SecretAssignmentDetector:
    """SECRET: the value after a secret's name, an ``Authorization`` scheme or a password cue.

    Only the value is reported, so the key name stays readable. A value counts when it has at
    least ``min_length`` characters and ``min_entropy`` bits per character (Shannon) and is
    not a reference or a placeholder (``${DB_PASSWORD}``, ``os.environ[...]``, ``<token>``,
    ``get_secret()``, ``settings.API_KEY``, ``your-api-key-here``, ``changeme``, ``None``).
    Command-line credentials (``curl -u user:pass``, ``mysql -pS3cret``, ``--password x``)
    are found here too.

    With the defaults (8 characters, 3.0 bits) ``password=changeme`` (2.75 bits) is refused:
    the gate is there to skip placeholders and prose, and a real password that weak is not
    caught. Lower ``min_entropy`` to trade precision for recall.

    >>> [f.value for f in SecretAssignmentDetector().find('db_password = "Xk9#mQ2vLp"')]
    ['Xk9#mQ2vLp']
    """

    types: frozenset[str] = frozenset({"SECRET"})
    # Separators are literals, so each scan is fast; the key name is checked behind them.
    _EQUALS = re.compile(r"=>?" + _VALUE)
    _COLON = re.compile(r":(?!:)=?" + _VALUE)
    _COMMA = re.compile(r",([^\s\"'`,;<>]{8,256})(?=,|\s|$)")  # a CSV cell after its name
    _BEARER = re.compile(r"Bearer(?=[ \t])" + _VALUE)
    # Led by a literal ("asic", not "(?i:basic)"), so ``re`` skips to candidates; the first
    # letter is checked by hand.
    _BASIC = re.compile(r"asic[ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![\w+/=.-])")
    _TOKEN_SCHEME = re.compile(
        r"uthorization:[ \t]*(?:[Tt]oken|TOKEN|[Aa]pi-[Tt]oken|API-TOKEN)[ \t]+" + _VALUE
    )
    _XML = re.compile(r"<([A-Za-z_][\w.:-]{0,63})>\s*([^<>\s]{1,256})\s*</\1>")
    _XML_VALUE = re.compile(r"""value=(["'])([^"'<>]{1,256})\1""")
    _XML_NAME = re.compile(r"""(?:key|name)=(["'])([\w.:-]{1,64})\1\s+$""")
    # "my password is ...": a cue word, a verb, then one word.
    _PROSE = re.compile(r"ass(?:word|phrase|wd)s?[ \t]+(?:is|was|will be)[ \t]*:?[ \t]+(\S{1,256})")

    def __init__(self, *, min_length: int = 8, min_entropy: float = 3.0) -> None:
        self.min_length = min_length
        self.min_entropy = min_entropy

    def find(self, text: str) -> Iterator[Finding]:
        found: dict[int, Finding] = {}
        candidates: list[tuple[int, int]] = []
        for pattern in (self._EQUALS, self._COLON):
            for m in pattern.finditer(text):
                if pattern is self._COLON and text[m.start() - 1 : m.start()] == ":":
                    continue  # the second colon of "::=" or "std::"; "=" handles "::="
                if self._key_before(text, m.start(), pattern is self._EQUALS) < 0:
                    continue
                group = next(g for g in (2, 3, 4) if m.group(g) is not None)
                start, end = m.span(group)
                if group == 4 and text[end : end + 1] in ("(", "["):
                    continue  # a call or subscript: get_password(), env["PW"]
                # Unquoted, ``f(password=x)`` reports ``x)``: a password may end in ")", and
                # redacting one character too many is safer than leaking one.
                candidates.append((start, end))
        if "," in text:
            for m in self._COMMA.finditer(text):
                key = self._key_before(text, m.start(), False)
                if key >= 0 and text[key - 1 : key] not in ("=", ":"):
                    candidates.append(m.span(1))  # a cell, not "type=secret,id=..."
        if "Bearer" in text:
            candidates += [self._value_span(m) for m in self._BEARER.finditer(text)]
        if "uthorization:" in text:
            candidates += [self._value_span(m) for m in self._TOKEN_SCHEME.finditer(text)]
        if "</" in text:
            for m in self._XML.finditer(text):
                if is_secret_name(m.group(1)):
                    candidates.append(m.span(2))
        if "value=" in text:
            for m in self._XML_VALUE.finditer(text):
                name = self._XML_NAME.search(text, max(0, m.start() - 80), m.start())
                if name and is_secret_name(name.group(2)):
                    candidates.append(m.span(2))
        for start, end in candidates:
            value = text[start:end]
            if start not in found and self._is_secret(value):
                found[start] = Finding(start, end, "SECRET", value, 0.8)
        if "asic " in text:
            for m in self._BASIC.finditer(text):
                if text[m.start() - 1 : m.start()] not in ("B", "b"):
                    continue
                if _basic_ok(m.group(1)) and m.start(1) not in found:
                    found[m.start(1)] = Finding(*m.span(1), "SECRET", m.group(1), 0.8)
        if "assw" in text or "assph" in text:
            for f in self._prose(text):
                found.setdefault(f.start, f)
        for f in command_line_secrets(text):
            found.setdefault(f.start, f)
        yield from sorted(found.values(), key=lambda f: f.start)

    @staticmethod
    def _value_span(m: re.Match[str]) -> tuple[int, int]:
        group = next(g for g in (2, 3, 4) if m.group(g) is not None)
        return m.span(group)

    def _key_before(self, text: str, sep: int, equals: bool) -> int:
        # Walk back over operators, quotes and the key name, then one anchored match:
        # cheaper than a search that would try every start in a window. Returns where the
        # key starts, or -1 when no secret's name stands before ``sep``.
        end = sep
        if equals:
            while end > 0 and sep - end < 3 and text[end - 1] in _OPERATOR:
                end -= 1
        for _ in range(2):
            while end > 0 and text[end - 1] in " \t\"'\\":
                end -= 1
            start = end
            while start > 0 and end - start < 64 and _key_char(text[start - 1]):
                start -= 1
            if text[start:end] not in _TYPE_WORDS:
                break
            end = start
            while end > 0 and text[end - 1] in " \t:":
                end -= 1
        return start if start < end and is_secret_name(text[start:end]) else -1

    def _is_secret(self, value: str) -> bool:
        value = value.strip()
        if len(value) < self.min_length or is_reference(value):
            return False
        lowered = value.lower()
        if any(w in lowered for w in _PLACEHOLDER_WORDS) or _FILL_IN.search(value):
            return False
        return shannon_entropy(value) >= self.min_entropy

    def _prose(self, text: str) -> Iterator[Finding]:
        for m in self._PROSE.finditer(text):
            if text[m.start() - 1 : m.start()] not in ("P", "p"):
                continue  # "Password is", not "compassword"
            if m.start() > 1 and text[m.start() - 2].isalnum():
                continue
            start, end = m.span(1)
            while end > start and text[end - 1] in ".,;:!?\"'`":
                end -= 1  # the sentence's punctuation and quotes, not the password's
            while start < end and text[start] in "\"'`":
                start += 1
            value = text[start:end]
            if self._is_secret(value) and _looks_made_up(value):
                yield Finding(start, end, "SECRET", value, 0.8)


def _looks_made_up(value: str) -> bool:
    # After "password is", an English word is prose ("is case-sensitive"); a password has a
    # digit, a symbol, an inner capital, or is a passphrase of dotted words.
    return (
        any(c.isdigit() for c in value)
        or any(not c.isalnum() and c not in "-'" for c in value)
        or value[1:] != value[1:].lower()
    )


def _key_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_.-"
