"""Detectors for network identifiers: email addresses, IP addresses, URLs with credentials."""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterator

from privllm.redaction.boundaries import digit_at, word_at
from privllm.redaction.findings import Finding

__all__ = ["EmailDetector", "HostLoginDetector", "IPAddressDetector", "URLCredentialsDetector"]


class EmailDetector:
    """EMAIL: ``local@domain.tld`` found from each ``@``; the TLD must be letters.

    >>> [f.value for f in EmailDetector().find("cc: Ana <ana.b+x@mail.example.co.uk>.")]
    ['ana.b+x@mail.example.co.uk']
    """

    types: frozenset[str] = frozenset({"EMAIL"})
    _AT = re.compile(r"@(?=[^\W_])")
    _DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-]|\.[^\W_])")
    # ``icon@2x.png`` names a retina image, not a mailbox.
    _IMAGE = re.compile(r"\d+(?:\.\d+)?x\.(?:png|jpe?g|gif|svg|webp)", re.IGNORECASE)
    _LOCAL_PUNCT = frozenset("._%+-'")  # O'Brien's mailbox is o'brien@
    _SCP_PATH = re.compile(r":[\w~.-]*/")

    def find(self, text: str) -> Iterator[Finding]:
        if "@" not in text:
            return
        for at in self._AT.finditer(text):
            i = at.start()
            start = i
            while (
                start > 0
                and i - start < 64
                and (text[start - 1].isalnum() or text[start - 1] in self._LOCAL_PUNCT)
            ):
                start -= 1
            while start < i and text[start] in self._LOCAL_PUNCT:
                start += 1  # a mailbox does not begin with punctuation
            local = text[start:i]
            if not local or local.endswith(".") or ".." in local:
                continue
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_%+-"):
                continue  # local part longer than 64 characters: not an address
            domain = self._DOMAIN.match(text, i + 1)
            if domain is None or self._IMAGE.fullmatch(domain.group()):
                continue
            # ``ssh://git@host/x`` and ``git@host:org/x`` name a login on a host, not a mailbox.
            if text[max(0, start - 3) : start] == "://" or self._SCP_PATH.match(text, domain.end()):
                continue
            yield Finding(start, domain.end(), "EMAIL", text[start : domain.end()])


class IPAddressDetector:
    """IP_ADDRESS: IPv4 dotted quads and IPv6, validated by ``ipaddress``; private ranges too.

    Refused: version-like strings (``1.2.3``, ``1.2.3.4.5``, ``v1.2.3.4``, ``version
    10.0.0.1``), octets with leading zeros (``01.02.03.04``), and times (``12:30:45``).

    >>> [f.value for f in IPAddressDetector().find("ssh 10.0.0.1 or fe80::1%eth0.")]
    ['10.0.0.1', 'fe80::1%eth0']
    """

    types: frozenset[str] = frozenset({"IP_ADDRESS"})
    _V4_TAIL = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d{1,3}")  # literal '.' start: a fast scan
    _V6_SEED = re.compile(r":[0-9A-Fa-f:]")
    _V6_TAIL = re.compile(r"[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.]+)?")
    _VERSION_WORDS = re.compile(
        r"(?:\b(?:version|ver\.?|release|build|rev\.?|section|chapter|figure|table)|§)\s*[:#]?\s*$",
        re.IGNORECASE,
    )
    _HEX_COLON = frozenset("0123456789abcdefABCDEF:")

    def find(self, text: str) -> Iterator[Finding]:
        findings = list(self._v6(text)) if ":" in text else []
        if "." in text:
            # An IPv4 tail of an IPv6 address (::ffff:192.0.2.1) is part of that address. The
            # IPv6 spans are sorted and disjoint: one bisect per IPv4 candidate, not a walk
            # over all of them (a 4 MB log of both kinds made that quadratic).
            starts = [f.start for f in findings]
            ends = [f.end for f in findings]

            def inside_v6(i: int) -> bool:
                k = bisect.bisect_right(starts, i) - 1
                return k >= 0 and i < ends[k]

            findings += [f for f in self._v4(text) if not inside_v6(f.start)]
        findings.sort(key=lambda f: f.start)
        yield from findings

    def _v4(self, text: str) -> Iterator[Finding]:
        for m in self._V4_TAIL.finditer(text):
            start = m.start()
            while start > 0 and m.start() - start < 3 and text[start - 1].isdigit():
                start -= 1
            end = m.end()
            if start == m.start() or word_at(text, start - 1) or text[start - 1 : start] == ".":
                continue
            if word_at(text, end) or (text[end : end + 1] == "." and digit_at(text, end + 1)):
                continue
            if self._VERSION_WORDS.search(text, max(0, start - 16), start):
                continue
            if _ipv4_ok(text[start:end]):
                yield Finding(start, end, "IP_ADDRESS", text[start:end], 0.9)

    def _v6(self, text: str) -> Iterator[Finding]:
        resume = 0
        for m in self._V6_SEED.finditer(text):
            if m.start() < resume:
                continue
            start = m.start()
            while start > 0 and m.start() - start < 40 and text[start - 1] in self._HEX_COLON:
                start -= 1
            tail = self._V6_TAIL.match(text, m.start())
            end = tail.end() if tail else m.end()
            resume = end
            if word_at(text, start - 1) or text[start - 1 : start] == ".":
                continue
            # Sentence punctuation may cling to the end ("... at ::1."); drop it and retry.
            while end > start and text[end - 1] in ".:" and text[end - 2 : end] != "::":
                end -= 1
            value = text[start:end]
            if word_at(text, end) or value.count(":") < 2 or value.strip(":") == "":
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield Finding(start, end, "IP_ADDRESS", value, 0.9)


def _ipv4_ok(quad: str) -> bool:
    """What ``ipaddress.IPv4Address`` accepts of a dotted quad of 1-3 digit parts: ASCII
    digits, each part 0-255 without a leading zero. Checked here: the module costs ~2 us."""
    if not quad.isascii():
        return False
    for part in quad.split("."):
        if (len(part) > 1 and part[0] == "0") or int(part) > 255:
            return False
    return True


class URLCredentialsDetector:
    """URL_CREDENTIALS: a URL carrying ``user:password@`` or a credential query parameter.

    The whole URL is reported, so an internal host travels with its password into the vault.
    Credential parameters are names like ``token``, ``access_token``, ``api_key``, ``key``,
    ``secret``, ``password``, ``sig``/``signature`` (incl. ``X-Amz-Signature``), with a
    value of 4+ characters; the fragment is checked too (OAuth ``#access_token=``).

    >>> [f.value for f in URLCredentialsDetector().find("see https://u:p4ss@db.local/x.")]
    ['https://u:p4ss@db.local/x']
    """

    types: frozenset[str] = frozenset({"URL_CREDENTIALS"})
    # Literal start: a fast scan. "'" is allowed inside (paths may hold one) and trimmed
    # from the end with other closing punctuation.
    _URL = re.compile(r"://[^\s<>\"`]+")
    _PARAM = re.compile(
        r"(?:[\w.-]*[_.-])?(?:token|key|apikey|secret|password|passwd|pwd|pass|sig|signature"
        r"|credential|auth)",
        re.IGNORECASE,
    )

    def find(self, text: str) -> Iterator[Finding]:
        if "://" not in text:
            return
        for m in self._URL.finditer(text):
            start = m.start()
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+.-"):
                start -= 1
            if start == m.start() or not text[start].isalpha() or m.start() - start > 20:
                continue
            end = m.end()
            while end > m.start() + 3 and text[end - 1] in ".,;:!?)]}'\"":
                end -= 1
            url = text[start:end]
            if self._has_credentials(url[m.start() - start + 3 :]):
                yield Finding(start, end, "URL_CREDENTIALS", url)

    def _has_credentials(self, rest: str) -> bool:
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if "@" in authority:
            userinfo = authority.rsplit("@", 1)[0]
            user, colon, password = userinfo.partition(":")
            if colon and password:
                return True
            if len(user) >= 20 and sum(c.isdigit() for c in user) >= 2:
                return True  # a token used as the user name (https://<token>@github.com)
        for part in re.split(r"[?#]", rest)[1:]:
            for pair in re.split(r"[&;]", part):
                name, eq, value = pair.partition("=")
                if eq and len(value) >= 4 and self._PARAM.fullmatch(name):
                    return True
        return False


class HostLoginDetector:
    """SECRET: a scheme-less login ``user:password@host`` (``admin:S3cr3t@db.example.com``).

    Without a scheme it reads like ``password@host``, an e-mail address: reported as an
    EMAIL, its placeholder would be restored into tool calls (where secrets stay
    placeholders) and ``user:`` sent as it is. The whole login is one SECRET instead, which
    outranks the shorter EMAIL. A label before the colon (``Email:ann@example.com``,
    ``mailto:``) is not a user name.

    >>> [f.value for f in HostLoginDetector().find("use admin:S3cr3tPassw0rd@db.example.com:5432")]
    ['admin:S3cr3tPassw0rd@db.example.com:5432']
    >>> list(HostLoginDetector().find("Email:ann@example.com, mailto:bob@example.org"))
    []
    """

    types: frozenset[str] = frozenset({"SECRET"})
    _USER = re.compile(r"[A-Za-z0-9._-]{1,64}")
    # A dotted name, an IPv4 address, or one label followed by a port (``db:5432``).
    _HOST = re.compile(
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
        r"[A-Za-z0-9])?)+(?::\d{1,5})?|[A-Za-z0-9][A-Za-z0-9-]{0,62}:\d{1,5})(?![\w-])"
    )
    # Where a login token begins: after a space, a quote, a bracket, "=" or ",".
    _BEFORE = frozenset("\"'`<([{=,;|")
    _LABELS = frozenset(
        {
            "mailto",
            "email",
            "e-mail",
            "mail",
            "from",
            "to",
            "cc",
            "bcc",
            "contact",
            "reply-to",
            "sender",
            "courriel",
            "re",
            "fw",
            "fwd",
            "an",
            "von",
            "de",
            "a",
            "kontakt",
        }
    )

    def find(self, text: str) -> Iterator[Finding]:
        if "@" not in text or ":" not in text:
            return
        at = text.find("@")
        while at >= 0:
            yield from self._at(text, at)
            at = text.find("@", at + 1)

    def _at(self, text: str, at: int) -> Iterator[Finding]:
        start = at
        while start > 0 and at - start < 200:
            ch = text[start - 1]
            if ch.isspace() or ch in self._BEFORE:
                break
            start -= 1
        token = text[start:at]
        user, colon, password = token.partition(":")
        if (
            not colon
            or not password
            or "/" in password
            or password.startswith("/")
            or not self._USER.fullmatch(user)
            or user.lower() in self._LABELS
        ):
            return
        host = self._HOST.match(text, at + 1)
        if host is not None:
            yield Finding(start, host.end(), "SECRET", text[start : host.end()])
