"""SECRET families and cues beyond the first vendor list (issue 12), and what stays unfound.

Every sample value here is fake, written for these tests in the shape the named scanner rule
describes (gitleaks rule ids, trufflehog detector names); none is copied from their sources.
"""

from __future__ import annotations

import pytest

from privllm.redaction.scanner import default_detectors, scan
from privllm.redaction.secrets import SecretAssignmentDetector, SecretKeyDetector

B64 = "Qm9yZWFsaXMtN2Y0YzJhOWUtZmFrZS1iZWRyb2NrLWtleS1mb3ItdGVzdHMtb25seQ"  # fake base64
HEX32 = "7c3e9a1f5b2d4e8a0c6f1b9d3e7a5c2f"
UUID = "5eb4223e-5008-46e5-be67-c7b8f2732305"
ALNUM36 = "Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0Ue2Ta"


def secrets(text: str) -> list[str]:
    found = scan(text, default_detectors(["SECRET"]))
    assert all(f.type == "SECRET" and text[f.start : f.end] == f.value for f in found)
    return [f.value for f in found]


@pytest.mark.parametrize(
    "key",
    [
        # gitleaks aws-access-token: AKIA, ASIA, ABIA, ACCA + 16 of [A-Z2-7]
        "ABIAQ3RZ7W2XKP5N4M6B",
        "ACCAT6Y2WQ4RZ7KP3M5N",
        # gitleaks aws-amazon-bedrock-api-key-long-lived / -short-lived
        "ABSK" + (B64 + "x7Qm2Lp9Zr4Tn8Vw3Ks6Hd1Jf5Gb0Yc7Ua2Pe9Wi4Ro8Ts3Nl6")[:116] + "==",
        "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t" + B64 + "&Version=1",
        # gitleaks gitlab-*: every prefix the GitLab token docs list
        "glptt-" + HEX32 + "a1b2c3d4",
        "glrt-Zq8xK2mLp4Rt7Vw9Yb3N",
        "glrt-t1_Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0.01a2b3c4d",
        "glcbt-64_Zq8xK2mLp4Rt7Vw9Yb3N",
        "gldt-Zq8xK2mLp4Rt7Vw9Yb3N",
        "glft-Zq8xK2mLp4Rt7Vw9Yb3N",
        "glsoat-Zq8xK2mLp4Rt7Vw9Yb3N",
        "glimt-Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1",
        "glagent-" + ALNUM36 + "Zq8xK2mLp4Rt7V",
        "gloas-" + HEX32 + HEX32,
        "glffct-Zq8xK2mLp4Rt7Vw9Yb3N",
        "glpat-Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf.01a2b3c4d",  # routable
        "GR1348941Zq8xK2mLp4Rt7Vw9Yb3N",  # runner registration
        # gitleaks slack-*: user tokens with an xoxe- prefix, app-level, configuration
        "xoxe-4726837507825-4848681849303-4856614048758-" + HEX32,
        "xapp-1-A052FGTS2DL-5171572773297-" + HEX32 + HEX32,
        "xoxe.xoxp-1-" + (B64 * 3)[:163],
        "xoxe-1-" + (B64 * 3)[:146],
        # gitleaks stripe-access-token: the prod kind
        "sk_prod_" + ALNUM36[:24],
        "rk_live_GqYtjISQzvNgiXArxcWHAsYg",  # random base62 without a digit (1.5% of keys)
        # gitleaks azure-ad-client-secret: 3 chars, a digit, "Q~", 31-34 more
        "kT48Q~vWq3Zr8Lm2Xp9Nc4Hd7Jf1Gs5Ue0Ta.6bY",
        ".Ve2Q~31M5QOTEzsLnPcXK-dWt8RYhFmqB42kvz",
        "SK" + HEX32,  # gitleaks twilio-api-key
        "SG.Zq8xK2mLp4Rt7Vw9Yb3Nc6.Hd1Jf5Gs0Ue2Ta7Xk4Pq9Lm3Zr8Wn2Bv6Cy1Dz5Fa0Gh",  # sendgrid
        "npm_" + ALNUM36,  # gitleaks npm-access-token
        "pypi-AgEIcHlwaS5vcmc" + HEX32 + HEX32,  # gitleaks pypi-upload-token
        "dckr_pat_Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf",  # trufflehog dockerhub (v2 PAT)
        "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",  # gitleaks huggingface-access-token
        "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",  # huggingface-organization-api-token
        "dapi" + HEX32,  # gitleaks databricks-api-token
        "dapi" + HEX32 + "-3",
    ],
)
def test_vendor_family(key: str) -> None:
    assert [f.value for f in SecretKeyDetector().find(f'token = "{key}"\n')] == [key]
    assert secrets(f"use {key} for the build") == [key]


def test_slack_webhook_is_reported_with_its_scheme() -> None:
    # gitleaks slack-webhook-url: hooks.slack.com/services/T.../B.../...
    url = "https://hooks.slack.com/services/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"
    assert secrets(f"post to {url} please") == [url]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # gitleaks generic-api-key sample generator's Makefile, code and markup forms
        ('API_TOKEN ?= "Zf3D0LXCM3EIMbgJpUNnkRtO"', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('API_TOKEN ::= "Zf3D0LXCM3EIMbgJpUNnkRtO"', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('API_TOKEN :::= "Zf3D0LXCM3EIMbgJpUNnkRtO"', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('API_TOKEN += "Zf3D0LXCM3EIMbgJpUNnkRtO"', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('var apiToken string = "Zf3D0LXCM3EIMbgJpUNnkRtO"', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('var apiToken: String = "Zf3D0LXCM3EIMbgJpUNnkRtO"', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('$apiToken .= "Zf3D0LXCM3EIMbgJpUNnkRtO";', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('{\\"api_token\\": \\"Zf3D0LXCM3EIMbgJpUNnkRtO\\"}', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ("<apiToken>\n  Zf3D0LXCM3EIMbgJpUNnkRtO\n</apiToken>", "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('<add key="DbPassword" value="Zf3D0LXCM3EIMbgJpUNnkRtO" />', "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ("api_token: |\n  Zf3D0LXCM3EIMbgJpUNnkRtO", "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ("api_token: >-\n  Zf3D0LXCM3EIMbgJpUNnkRtO", "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ("apiToken,Zf3D0LXCM3EIMbgJpUNnkRtO,", "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ('"user_auth": "am9objpkMDY5NGIxYi1jMTcx"', "am9objpkMDY5NGIxYi1jMTcx"),
        ("creds = Zf3D0LXCM3EIMbgJpUNnkRtO", "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        ("DB_PASS=Zf3D0LXCM3EIMbg", "Zf3D0LXCM3EIMbg"),
        ("mySecretString=Zf3D0LXCM3EIMbgJpUNnkRtO", "Zf3D0LXCM3EIMbgJpUNnkRtO"),
        # Azure: storage connection string, API Management key header
        (
            "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + B64 + "==;",
            B64 + "==",
        ),
        (f"Ocp-Apim-Subscription-Key: {HEX32}", HEX32),
        # gitleaks curl-auth-header: Basic (base64 of user:pass), Token schemes
        ("-H 'Authorization: Basic YnVpbGQ6WnE4eEsybUxw'", "YnVpbGQ6WnE4eEsybUxw"),
        ('-H "Authorization: Token 22cb987851bc5659229114c62e"', "22cb987851bc5659229114c62e"),
        (
            "Authorization: 5eb4223e-5008-46e5-be67-c7b8f2732305",
            "5eb4223e-5008-46e5-be67-c7b8f2732305",
        ),
        # passphrases after a password cue, in config and in prose
        ("password: correct.horse.battery.staple", "correct.horse.battery.staple"),
        ("password = Tr0ub4dor.Horse", "Tr0ub4dor.Horse"),
        ("PASSWORD=Winter(2024)", "Winter(2024)"),
        ("My password is correct.horse.battery.staple.", "correct.horse.battery.staple"),
        ("the password was Winter(2024), sorry", "Winter(2024)"),
    ],
)
def test_value_after_a_cue(text: str, secret: str) -> None:
    assert [f.value for f in SecretAssignmentDetector().find(text)] == [secret]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # gitleaks curl-auth-user: -u / --user, quoted, unquoted, mixed, empty side
        ("curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200", "elastic:P@ssw0rd$1"),
        ('curl -u ":d2LkV78zLx!t" https://localhost:9200', ":d2LkV78zLx!t"),
        ("curl -s --user 'api:key-4f1c9a7e2b' https://api.example.net", "api:key-4f1c9a7e2b"),
        ("curl --user kevin:'pRf7vG2h1L8nQkW9' -X PATCH", "kevin:'pRf7vG2h1L8nQkW9'"),
        ("curl --user=ops:Zq8xK2mLp4 https://ci.local", "ops:Zq8xK2mLp4"),
        # -p glued to the password for the MySQL/MariaDB clients; sshpass -p
        ("mysql -h db -u root -pS3cr3tPw app", "S3cr3tPw"),
        ("mysqldump -uroot -p'Zq8#kLm2' app > app.sql", "Zq8#kLm2"),
        ("sshpass -p 'Zq8#kLm2x' ssh deploy@host", "Zq8#kLm2x"),
        # generic long flags with a space
        ("deploy --password Zq8#kLm2x --env prod", "Zq8#kLm2x"),
        ("vault login --token s.Zq8xK2mLp4Rt7Vw9", "s.Zq8xK2mLp4Rt7Vw9"),
    ],
)
def test_command_line_credentials(text: str, secret: str) -> None:
    assert secrets(text) == [secret]


# Texts that look like secrets and are not: none may yield a SECRET. The decisions:
# placeholders and documented examples are not secrets (redacting them hides nothing and
# breaks docs), hashes and ids without a secret's name are not secrets.
LOOK_ALIKES = [
    # ids, hashes, colours, images
    "request 3f2c8a4e-9b1d-4c7e-a2f5-6d8e0b1c4a7f failed",
    '"request_id": "3f2c8a4e-9b1d-4c7e-a2f5-6d8e0b1c4a7f"',
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (HEAD -> main)",
    '"sha": "9fceb02d0ae598e95dc970b74767f19372d61af8"',
    '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42'
    'mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">',
    ".btn { color: #1a2b3c; background: #ffcc00; border-color: #A0B1C2; }",
    '"integrity": "sha512-Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0Ue2Ta7Xk4Pq9Lm3Zr8Wn2Bv6Cy1Dz5Fa0Gh=="',
    '{file = "idna-3.7.tar.gz", hash = "sha256:028ff3aadf0609c1fd278d8ea3089299'
    '412a7a8b9bd005dd08b9f8285bcb5cfc"}',
    "checksum a3f1c7e9b5d2048e6c1f9a7b3d5e2c80 md5",
    "CTTCATAGGGTTCACGCTGTGTAATACGCCTGAGGCCACAAGGGGACTTCAGCAACCGTCGGG",
    # names that hold no secret
    'password_reset_url = "https://accounts.example.org/reset?step=2"',
    "token_count = 12",
    "max_tokens: 4096",
    "password_min_length: 12",
    'public_key = "4Hxq7Lm2Pz9WkRt3Vb8Nc1Jd6Gf5Ys0Ua2Te7Kw4Qp"',
    'publicToken = "4Hxq7Lm2Pz9WkRt3Vb8Nc1Jd6Gf5Ys0Ua2Te7Kw4Qp"',
    "csrf-token=Qz8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0Ue2Ta7Xk4Pq9Lm3Zr8Wn2Bv6",
    "credentialsId: '4b7e1c90-3a2d-4f6e-9b81-2c5d7e8f0a13'",
    "key_length = XSalsa20.key_length",
    'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"',
    "access_token_url='https://github.com/login/oauth/access_token'",
    # "pass" and "password" as English
    "Please pass the salt, and pass: the next round is yours.",
    "The password is case-sensitive.",
    "Your password was reset yesterday.",
    "We bypass=true the cache",
    # placeholders and documented examples
    "password: changeme",
    "password=changeit",
    "api_key: <your-key>",
    'OPENAI_API_KEY="sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "key = AKIAXXXXXXXXXXXXXXXX",
    "token: xxxxxxxxxxxxxxxxxxxx",
    'password = "********"',
    "glpat-XXXXXXXXXXX-XXXXXXXX",
    "xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
    "xoxb-12345-abcd234",
    "sk_test_placeholdervalue",
    "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "Authorization: Bearer <token>",
    "Authorization: Bearer $API_KEY",
    "Authorization: Basic ...",
    "curl -u username:token https://example.com",
    'curl --user "$USERNAME:$PASSWORD" https://example.com',
    "curl -u <user:password> https://test.com/endpoint",
    # shapes inside other words and command lines that are not credentials
    "- (id)hf_requiredCharacteristicTypesForDisplayMetadata;",
    "TODAYINASIAASACKOFRICEFELLOVER",
    "see https://github.com/xoxa-nyc/xoxa-nyc.github.io",
    "mkdir -p build/output && ssh -p 2222 deploy@10.0.0.5",
    "docker run -u 1000:1000 alpine && git push -u origin main",
    "SKU-4711 sold out",
]


def test_look_alikes_are_not_secrets() -> None:
    found = {text: secrets(text) for text in LOOK_ALIKES}
    assert {text: values for text, values in found.items() if values} == {}
