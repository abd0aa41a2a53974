"""SECRET detectors: vendor key shapes, JWTs, PEM blocks and high-entropy assignments."""

from __future__ import annotations

import base64
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privllm.redaction.findings import Detector
from privllm.redaction.scanner import default_detectors, scan
from privllm.redaction.secrets import (
    JWTDetector,
    PrivateKeyDetector,
    SecretAssignmentDetector,
    SecretKeyDetector,
    shannon_entropy,
)

RANDOM = "x7Qm2Lp9Zr4Tn8Vw3Ks6Hd1Jf5Gb0Yc7Ua2Pe9Wi4Ro8Ts3Nl6Mk1Bv5Cx0Dz"  # fake, high entropy


def values(detector: Detector, text: str) -> list[str]:
    found = list(detector.find(text))
    for f in found:
        assert text[f.start : f.end] == f.value
        assert f.type == "SECRET"
        assert f.value not in repr(f)
    return [f.value for f in found]


@pytest.mark.parametrize(
    "key",
    [
        "sk-" + RANDOM[:48],  # OpenAI, legacy
        "sk-proj-" + RANDOM[:40] + "_-" + RANDOM[:20],
        "sk-svcacct-" + RANDOM[:40],
        "sk-ant-api03-" + RANDOM * 2 + "AA",  # Anthropic
        "AIza" + RANDOM[:35],  # Google
        "AKIAQ3RZ7W2XKP5N4M6B",  # AWS key id
        "ASIA" + "Q3RZ7W2XKP5N4M6B",
        "ghp_" + RANDOM[:36],
        "gho_" + RANDOM[:36],
        "ghs_" + RANDOM[:36],
        "github_pat_" + RANDOM[:22] + "_" + RANDOM[:59],
        "glpat-" + RANDOM[:20],
        "xoxb-12345678901-1234567890123-" + RANDOM[:24],
        "sk_live_" + RANDOM[:24],
        "rk_live_" + RANDOM[:24],
        "sk_test_" + RANDOM[:24],
    ],
)
def test_key_shapes(key: str) -> None:
    assert values(SecretKeyDetector(), f"key: {key}\n") == [key]
    assert values(SecretKeyDetector(), f'"{key}"') == [key]


@pytest.mark.parametrize(
    "text",
    [
        "we use sk-learn-compatible-estimators here",  # words, no digits
        "ghp_short",
        "AKIA1234",
        "task-force AIzaTooShort",
        "xsk-" + RANDOM[:48],  # glued to a word: not a key boundary
        "myghp_" + RANDOM[:36],
        "pk_live_" + RANDOM[:24],  # Stripe publishable keys are public
        "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key id
    ],
)
def test_key_shapes_refused(text: str) -> None:
    assert values(SecretKeyDetector(), text) == []


AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ4v8Tn2Lk"  # fake, in the documented shape


def test_aws_secret_key_needs_context() -> None:
    secret = AWS_SECRET
    assert len(secret) == 40
    assert values(SecretKeyDetector(), f"my AWS secret key is {secret}") == [secret]
    key_id = "AKIAQ3RZ7W2XKP5N4M6B"
    assert values(SecretKeyDetector(), f"{key_id} {secret}") == [key_id, secret]
    # AWS's documented example pair is not a secret.
    example = "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert values(SecretKeyDetector(), example) == []
    assert values(SecretKeyDetector(), f"the hash is {secret}") == []  # no AWS cue


@pytest.mark.parametrize("glue", ["-", "_"])
def test_a_piece_of_a_base64url_token_is_not_an_aws_secret(glue: str) -> None:
    # Gemini thought signatures travel as URL-safe base64: a 40-character stretch between
    # "-" or "_" is part of that token, even in a text that talks about AWS secrets.
    secret = AWS_SECRET
    token = f"Q2hhdC{glue}{secret}"  # the last 40 characters of the token
    assert values(SecretKeyDetector(), f'AWS secret rotation, signature "{token}"') == []
    assert values(SecretKeyDetector(), f"AWS secret: {secret}") == [secret]


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_jwt() -> None:
    token = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'sub': '42'})}.{RANDOM[:43]}"
    assert values(JWTDetector(), f"Authorization: Bearer {token}") == [token]
    unsigned = f"{_b64({'alg': 'none'})}.{_b64({'sub': '42'})}."
    assert values(JWTDetector(), f"{unsigned} ") == [unsigned]


@pytest.mark.parametrize(
    "text",
    [
        f"{_b64({'typ': 'JWT'})}.{_b64({'sub': '1'})}.sig",  # no "alg"
        f"{_b64(['alg'])}.{_b64({'sub': '1'})}.sig",  # not an object
        "eyJub3QganNvbg.eyJzdWIiOiIxIn0.sig",  # header is not JSON
        "eyJhbGciOiJIUzI1NiJ9.only-two-parts",
        "eyJ in prose",
    ],
)
def test_jwt_refused(text: str) -> None:
    assert values(JWTDetector(), text) == []


def test_pem_block_is_reported_whole() -> None:
    body = "\n".join([RANDOM, RANDOM[:40] + "=="])
    for label in ("PRIVATE KEY", "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK"):
        pem = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
        assert values(PrivateKeyDetector(), f"here:\n{pem}\nthanks") == [pem]


def test_pem_block_in_json_string() -> None:
    pem = f"-----BEGIN PRIVATE KEY-----\\n{RANDOM}\\n-----END PRIVATE KEY-----"
    assert values(PrivateKeyDetector(), f'{{"private_key": "{pem}\\n"}}') == [pem]


def test_truncated_pem_block_is_reported_to_its_last_key_line() -> None:
    head = f"-----BEGIN RSA PRIVATE KEY-----\n{RANDOM}\n{RANDOM}"
    assert values(PrivateKeyDetector(), f"{head}\n\nwhat is wrong with it?") == [head]


def test_public_keys_and_certificates_are_not_secrets() -> None:
    text = f"-----BEGIN PUBLIC KEY-----\n{RANDOM}\n-----END PUBLIC KEY-----"
    assert values(PrivateKeyDetector(), text) == []


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('db_password = "Xk9#mQ2vLp"', "Xk9#mQ2vLp"),
        ("DB_PASSWORD=Xk9#mQ2vLp!", "Xk9#mQ2vLp!"),
        ('{"client_secret": "' + RANDOM[:32] + '"}', RANDOM[:32]),
        ("secret: " + RANDOM[:20], RANDOM[:20]),
        ("api_key => '" + RANDOM[:24] + "'", RANDOM[:24]),
        ("connect(password=Xk9#mQ2vLp)", "Xk9#mQ2vLp)"),  # over-redacts rather than leaks
        ("$token := " + RANDOM[:16], RANDOM[:16]),
        ("Authorization: Bearer " + RANDOM[:40], RANDOM[:40]),
        ("export GITHUB_TOKEN_PROD=" + RANDOM[:30], RANDOM[:30]),
    ],
)
def test_assignment_reports_only_the_value(text: str, secret: str) -> None:
    assert values(SecretAssignmentDetector(), text) == [secret]


@pytest.mark.parametrize(
    "text",
    [
        "password=passw0rd",  # 2.75 bits/char: below the default gate (documented)
        "password=changeme",  # a documented fill-in, whatever the entropy gate
        "password: ${DB_PASSWORD}",
        "password=$DB_PASSWORD",
        "api_key = os.environ['API_KEY']",
        "password = get_password()",
        "token = settings.API_TOKEN",
        "secret_key: API_SECRET_KEY",
        'token: "<your-token-here>"',
        "api_key: your-api-key-here",
        "password: None",
        "password: ********",
        "the secret: ingredient",
        "max_tokens=4096000 and token_count: 12345678",
        "password_min_length: 12",
        "author: Jean-Baptiste Poquelin",
    ],
)
def test_assignment_refused(text: str) -> None:
    assert values(SecretAssignmentDetector(), text) == []


def test_entropy_gate_is_configurable() -> None:
    assert values(SecretAssignmentDetector(min_entropy=2.5), "password=passw0rd") == ["passw0rd"]
    assert values(SecretAssignmentDetector(min_length=20), 'password = "Xk9#mQ2vLp"') == []


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


@given(st.text(min_size=1, max_size=64))
def test_entropy_is_bounded_by_the_alphabet(value: str) -> None:
    assert 0.0 <= shannon_entropy(value) <= math.log2(len(set(value))) + 1e-9


_PIECES = st.sampled_from(
    [
        "sk-",
        "ghp_",
        "AKIA",
        "eyJ",
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "password=",
        "secret: ",
        '"',
        "'",
        "\n",
        "\\n",
        " ",
        "Bearer ",
        "aws secret ",
        RANDOM,
    ]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=10)), max_size=14).map("".join)


@given(_TEXT)
def test_every_finding_is_its_span(text: str) -> None:
    for detector in (
        SecretKeyDetector(),
        JWTDetector(),
        PrivateKeyDetector(),
        SecretAssignmentDetector(),
    ):
        for f in detector.find(text):
            assert 0 <= f.start < f.end <= len(text)
            assert text[f.start : f.end] == f.value


@pytest.mark.parametrize(
    ("text", "login"),
    [
        (
            "connect with admin:S3cr3tPassw0rd@db.example.com now",
            "admin:S3cr3tPassw0rd@db.example.com",
        ),
        ("DATABASE=app_user:Zq8#kLm2@10.0.3.7:5432/app", "app_user:Zq8#kLm2@10.0.3.7:5432"),
        ('dsn: "svc:p@ss:w0rd@db:6543"', "svc:p@ss:w0rd@db:6543"),
    ],
)
def test_a_schemeless_login_is_one_secret_not_an_email(text, login):
    found = scan(text, default_detectors())
    assert [(f.type, f.value) for f in found] == [("SECRET", login)]


@pytest.mark.parametrize(
    "text",
    [
        "Email:ann@example.com",
        "mailto:ann@example.com",
        "Contact:ann@example.com",
        "git clone git@github.com:org/repo.git",
        "cc ann@example.com",
    ],
)
def test_labels_and_scp_paths_are_not_logins(text):
    assert [f.type for f in scan(text, default_detectors()) if f.type == "SECRET"] == []
