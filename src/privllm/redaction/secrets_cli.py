"""SECRET on a command line: ``curl -u user:pass``, ``mysql -pS3cret``, ``--password S3cret``.

Shapes from gitleaks ``curl-auth-user`` and the MySQL/MariaDB, sshpass and generic
``--password``/``--token`` flag conventions. ``-u user:pass`` reports ``user:pass`` whole
(the user part is often a key id, as in ``api:key-...``); the other flags report the value.

    >>> [f.value for f in command_line_secrets("curl -u deploy:Zq8kLm2xP4 https://ci.local")]
    ['deploy:Zq8kLm2xP4']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privllm.redaction.entropy import shannon_entropy
from privllm.redaction.findings import Finding

__all__ = ["command_line_secrets"]

_PART = r"""(?:"[^"\s]*"|'[^'\s]*'|[^\s"':]+)"""
# -u / --user, then "user:pass", 'user:pass' or user:pass with each side quoted or not.
_USER = re.compile(
    r"-u(?:ser)?(?:=|[ \t]+)"
    r"""(?:"([^"\s]*:[^"]*)"|'([^'\s]*:[^']*)'|(""" + _PART + r"?:" + _PART + r"))(?=\s|$)"
)
_FLAG = re.compile(
    r"--(?:password|passwd|pass|token|api-key|api_key|apikey|secret|client-secret)"
    r"""[ \t]+(["']?)([^\s"']{4,256})\1(?=\s|$)"""
)
# mysql, mariadb, mysqldump, mysqladmin...: "-p" glued to the password; sshpass: "-p pw".
_MYSQL_P = re.compile(r"""-p(["']?)([^\s"']{4,128})\1(?=\s|$)""")
_SSHPASS_P = re.compile(r"""-p[ \t]+(["']?)([^\s"']{4,128})\1(?=\s|$)""")
_REFERENCE = re.compile(
    r"""["']?(?:\$\{?\w+\}?|\$\(.*\)|\$\{\{.*\}\}|\{\{.*\}\}|<.*>|\[.*\])["']?"""
)
# Fill-ins people write in documentation, compared case-insensitively.
_PLACEHOLDERS = frozenset(
    [
        "pass",
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "test",
        "changeme",
        "changeit",
        "user",
        "username",
        "xxx",
        "yyy",
        "mypassword",
        "yourpassword",
        "apikey",
        "api_key",
    ]
)


def _placeholder(part: str) -> bool:
    part = part.strip("\"'")
    return (
        part.lower() in _PLACEHOLDERS
        or _REFERENCE.fullmatch(part) is not None
        or set(part) <= set("xX*.")
        or len(set(part)) < 3
    )


def _credential_ok(cred: str) -> bool:
    if _REFERENCE.fullmatch(cred):
        return False  # "<user:password>", "[credentials]"
    user, _, password = cred.partition(":")
    user, password = user.strip("\"'"), password.strip("\"'")
    secret = password or user  # "-u :key" and "-u key:" put the key on one side
    if not secret or _placeholder(secret) or (user and _REFERENCE.fullmatch(user)):
        return False
    if user.isdigit() and password.isdigit():
        return False  # docker -u 1000:1000 is a uid:gid
    return len(secret) >= 6 and shannon_entropy(secret) >= 2.5


def command_line_secrets(text: str) -> Iterator[Finding]:
    """Credentials passed as command-line flags, each as a ``SECRET`` finding."""
    if "-u" in text:
        for m in _USER.finditer(text):
            if m.start() and text[m.start() - 1] not in " \t-":
                continue  # "run-user:x", not a flag
            group = next(g for g in (1, 2, 3) if m.group(g) is not None)
            if _credential_ok(m.group(group)):
                yield Finding(*m.span(group), "SECRET", m.group(group), 0.8)
    if "--" in text:
        for m in _FLAG.finditer(text):
            value = m.group(2)
            if not _placeholder(value) and shannon_entropy(value) >= 2.5:
                yield Finding(*m.span(2), "SECRET", value, 0.8)
    if "mysql" in text or "mariadb" in text:
        yield from _glued_p(text, _MYSQL_P)
    if "sshpass" in text:
        yield from _glued_p(text, _SSHPASS_P)


def _glued_p(text: str, pattern: re.Pattern[str]) -> Iterator[Finding]:
    for m in pattern.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line = text[line_start : m.start()]
        if m.start() and text[m.start() - 1] not in " \t":
            continue
        if not any(cmd in line for cmd in ("mysql", "mariadb", "sshpass")):
            continue  # "-p" is also mkdir's, ssh's port and git's patch flag
        value = m.group(2)
        if not _placeholder(value) and not value.isdigit():
            yield Finding(*m.span(2), "SECRET", value, 0.8)
