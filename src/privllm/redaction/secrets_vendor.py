"""SECRET by vendor shape: keys whose prefix names their issuer (``sk-``, ``AKIA``, ``glpat-``...).

The shapes follow the public rule definitions of the established scanners (gitleaks
``cmd/generate/config/rules``, trufflehog detectors) and the vendors' own token documentation;
the code and the samples in the tests are ours. Each shape is gated by literals every match
contains, so a text without them costs a few substring tests.

    >>> [f.value[:5] for f in SecretKeyDetector().find("CI uses glpat-Zq8xK2mLp4Rt7Vw9Yb3N")]
    ['glpat']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from privllm.redaction.entropy import shannon_entropy, token_at
from privllm.redaction.findings import Finding

__all__ = ["SecretKeyDetector"]


@dataclass(frozen=True, slots=True)
class _Shape:
    needles: tuple[str, ...]  # a match contains at least one of these
    pattern: re.Pattern[str]
    min_entropy: float = 3.0  # bits per character of the whole value
    digit: bool = False  # must hold a digit (keys are random; names and words are not)
    mixed_case: bool = False  # must hold upper and lower case letters
    glue: str = ""  # characters besides [A-Za-z0-9_-] that continue the token at either end
    lead: str = ""  # reported with the match when just before it (a URL's scheme)


def _shape(
    needles: str,
    pattern: str,
    *,
    min_entropy: float = 3.0,
    digit: bool = False,
    mixed_case: bool = False,
    glue: str = "",
    lead: str = "",
) -> _Shape:
    compiled = re.compile(pattern)
    return _Shape(tuple(needles.split()), compiled, min_entropy, digit, mixed_case, glue, lead)


# A substring test per vendor gates each pattern: one alternation of all prefixes was 6x
# slower, as ``re`` cannot skip ahead on an alternation. Patterns start with a literal where
# the vendor allows, so their scan is fast; boundaries are checked by hand (a leading
# lookbehind would try every position).
_SHAPES: tuple[_Shape, ...] = (
    # OpenAI sk-, sk-proj-, sk-svcacct-, sk-admin-; Anthropic sk-ant-api03-, sk-ant-admin01-
    _shape("sk-", r"sk-(?:ant-[a-z]+\d\d-)?[A-Za-z0-9_-]{20,}", digit=True),
    _shape("AIza", r"AIza[0-9A-Za-z_-]{35}", min_entropy=3.5),  # Google API key
    # AWS access key ids: AKIA long-term, ASIA temporary (STS), ABIA STS bearer, ACCA
    # context-specific, A3T* older ids (gitleaks aws-access-token).
    _shape("AKIA ASIA ABIA ACCA A3T", r"A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z0-9]{16}"),
    # Amazon Bedrock API keys: long-lived ABSK + base64, short-lived bedrock-api-key- + a
    # base64 presigned URL whose first bytes are "bedrock.amazonaws.com".
    _shape("ABSK", r"ABSK[A-Za-z0-9+/]{109,269}={0,2}", min_entropy=4.0, glue="+/="),
    _shape(
        "bedrock-api-key-",
        r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]{20,}(?:&Version=\d+)?",
        glue="+/=&",
    ),
    _shape("gh", r"gh[pousr]_[A-Za-z0-9]{36,251}"),  # GitHub tokens
    _shape("github_pat_", r"github_pat_[A-Za-z0-9_]{50,}"),
    # GitLab: personal (and routable "glpat-...xx.yyyyyyy"), pipeline trigger, runner,
    # CI job, deploy, feed, SCIM, incoming mail, agent, OAuth app secret, feature flags.
    _shape(
        "gl",
        r"gl(?:pat|ptt|rt|cbt|dt|ft|soat|imt|agent|oas|ffct)-[0-9A-Za-z_-]{20,300}"
        r"(?:\.[0-9a-z]{9})?",
    ),
    _shape("GR1348941", r"GR1348941[0-9A-Za-z_-]{20,}"),  # GitLab runner registration
    _shape("_gitlab_session=", r"_gitlab_session=[0-9a-z]{32}"),
    # Slack: bot, user/refresh (p, e), legacy workspace (a, r), legacy (o, s) and
    # configuration tokens (xoxe.xoxp-); app-level tokens; incoming webhooks.
    _shape(
        "xox",
        r"xox(?:b-\d{8,14}-[A-Za-z0-9-]{8,}|[pe](?:-\d{8,14}){1,3}-[A-Za-z0-9]{8,}"
        r"|[ar]-(?:\d-)?[A-Za-z0-9-]{8,}|[os]-\d+-\d+-\d+-[A-Fa-f0-9]+"
        r"|e\.xox[bp]-\d-[A-Za-z0-9]{100,}|e-\d-[A-Za-z0-9]{100,})",
    ),
    _shape("xapp-", r"xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+"),
    _shape(
        "hooks.slack.com/",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}",
        lead="https://",
    ),
    # Stripe secret and restricted keys (pk_ publishable keys are public).
    # Random base62: may lack a digit (1.5% of 24-character keys do), never mixed case.
    _shape(
        "k_live_ k_test_ k_prod_", r"[rs]k_(?:live|test|prod)_[0-9A-Za-z]{10,99}", mixed_case=True
    ),
    # Azure AD (Entra) client secret: three characters, a digit, "Q~", then 31-34.
    _shape("Q~", r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}", glue="~."),
    _shape("SK", r"SK[0-9a-fA-F]{32}", digit=True),  # Twilio API key
    _shape("SG.", r"SG\.[A-Za-z0-9_-]{20,24}\.[A-Za-z0-9_-]{39,50}"),  # SendGrid
    _shape("npm_", r"npm_[A-Za-z0-9]{36}", mixed_case=True),
    _shape("pypi-AgEI", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),  # PyPI upload token
    _shape("dckr_", r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}"),  # Docker Hub access tokens
    _shape("hf_", r"hf_[A-Za-z]{34}", mixed_case=True),  # Hugging Face
    _shape("api_org_", r"api_org_[A-Za-z]{34}", mixed_case=True),
    _shape("dapi", r"dapi[a-f0-9]{32}(?:-\d)?", digit=True),  # Databricks
)
# How each shape is gated, worked out once: the shapes each literal admits, split by whether
# the shape needs an "_" (most prose has none, and one test skips all of those) and whether
# the literal starts with "A" (one scan finds those, below). A text then costs one substring
# test per literal, not a test per shape with a generator around it: on short texts that loop
# was most of the detector's time.
_NeedleIndex = tuple[tuple[str, tuple[int, ...]], ...]


def _needle_index(select: bool) -> _NeedleIndex:
    index: dict[str, list[int]] = {}
    for i, s in enumerate(_SHAPES):
        needs_underscore = all("_" in n for n in s.needles) or s.needles == ("gh",)
        if needs_underscore == select and s.needles[0][0] != "A":
            for n in s.needles:
                index.setdefault(n, []).append(i)
    return tuple((n, tuple(shapes)) for n, shapes in index.items())


_PLAIN_NEEDLES = _needle_index(False)
_UNDERSCORE_NEEDLES = _needle_index(True)
_A_SHAPES: dict[str, tuple[int, ...]] = {
    n: tuple(i for i, s in enumerate(_SHAPES) if n in s.needles)
    for s in _SHAPES
    for n in s.needles
    if n[0] == "A"
}
_AWS_IDS = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
_A_NEEDLES = re.compile(r"A(?:Iza|KIA|SIA|BIA|CCA|3T|BSK)")
# Documented example values and masks: AWS's AKIAIOSFODNN7EXAMPLE, "xxxx" fill-ins.
_EXAMPLE = re.compile(r"EXAMPLE|[xX*#]{6}|0{8}")


class SecretKeyDetector:
    """SECRET: API keys by their vendor shape, plus AWS secret access keys in context.

    Shapes: OpenAI ``sk-``/``sk-proj-``, Anthropic ``sk-ant-``, Google ``AIza``, AWS key
    ids ``AKIA``/``ASIA``/``ABIA``/``ACCA``, Amazon Bedrock ``ABSK``/``bedrock-api-key-``,
    GitHub ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/``github_pat_``, every GitLab prefix
    (``glpat-``, ``glptt-``, ``glrt-``, ``glcbt-``, ``gldt-``, ``glft-``, ``glsoat-``, ...),
    Slack ``xox[abeoprs]-``/``xapp-`` and webhooks, Stripe ``sk_``/``rk_`` ``live``/``test``/
    ``prod``, Azure AD client secrets (``...8Q~...``), Twilio ``SK``, SendGrid ``SG.``, npm,
    PyPI, Docker Hub, Hugging Face, Databricks. An AWS secret key (40 base64 characters) has
    no prefix, so it counts only when the text mentions AWS and "secret" or holds an AWS key
    id. Documented examples (``AKIAIOSFODNN7EXAMPLE``) and ``xxxx`` fill-ins are not keys.

    >>> [f.value[:7] for f in SecretKeyDetector().find("OPENAI=sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6H")]
    ['sk-proj']
    """

    types: frozenset[str] = frozenset({"SECRET"})
    _AWS_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
    _AWS_CUE = re.compile(r"secret", re.IGNORECASE)

    def find(self, text: str) -> Iterator[Finding]:
        found: list[Finding] = []
        # One scan for the literal "A" (fast: ``re`` skips to it) finds which AWS and Google
        # prefixes are present, instead of a substring test per prefix over the whole text.
        shapes = {i for n in set(_A_NEEDLES.findall(text)) for i in _A_SHAPES.get(n, ())}
        for needle, admitted in _PLAIN_NEEDLES:
            if needle in text:
                shapes.update(admitted)
        if "_" in text:
            for needle, admitted in _UNDERSCORE_NEEDLES:
                if needle in text:
                    shapes.update(admitted)
        for i in sorted(shapes):
            found.extend(self._matches(text, _SHAPES[i]))
        cues = [f.start for f in found if f.value.startswith(_AWS_IDS)]
        if ("AWS" in text or "aws" in text) and ("ecret" in text or "ECRET" in text):
            cues += [m.start() for m in self._AWS_CUE.finditer(text)]
        if cues:
            found.extend(self._aws_secrets(text, cues))
        found.sort(key=lambda f: f.start)
        yield from found

    @staticmethod
    def _matches(text: str, shape: _Shape) -> Iterator[Finding]:
        for m in shape.pattern.finditer(text):
            start, end = m.span()
            if token_at(text, start - 1, shape.glue) or token_at(text, end, shape.glue):
                continue
            value = m.group()
            if _EXAMPLE.search(value) or shannon_entropy(value) < shape.min_entropy:
                continue
            if shape.digit and not any(c.isdigit() for c in value):
                continue  # "sk-learn-style-names" are words, not keys
            if shape.mixed_case and not (
                any(c.isupper() for c in value) and any(c.islower() for c in value)
            ):
                continue
            if shape.lead and text.startswith(shape.lead, start - len(shape.lead)):
                start -= len(shape.lead)
            yield Finding(start, end, "SECRET", text[start:end])

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
            if token_at(text, end) or text[end : end + 1] in ("/", "+", "="):
                continue
            has_classes = (
                any(c.isupper() for c in value)
                and any(c.islower() for c in value)
                and any(c.isdigit() for c in value)
            )
            if has_classes and shannon_entropy(value) >= 4.0 and "EXAMPLE" not in value:
                yield Finding(start, end, "SECRET", value)
