"""What the stored vectors were made from: the keys, the clock, and every record and value.

Shared by ``make_vectors.py`` (which wrote the files once) and the tests (which check that
the stored files still decode to exactly this). Editing a value here does not change a
stored file: the tests then fail, which is the point. Keys are fixed, public test keys.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

#: The master key the audit log vector was first written with (rotated away since).
OLD_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
#: The master key that opens the audit log vector today, after ``rotate_key``.
KEY = bytes.fromhex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
#: Their key ids: HMAC-SHA256(key, "privllm key id")[:4], computed with
#: ``printf 'privllm key id' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<key hex>``.
OLD_KEY_ID = "b7c7866e"
KEY_ID = "d8100b2e"

AUDIT_LOG_V1 = "audit-v1.db"
VALUE_MAP_V1 = "valuemap-v1.map"  # placeholder mode, sealed under OLD_KEY
# surrogate mode, sealed under OLD_KEY, rotated to KEY
SURROGATE_MAP_V1 = "valuemap-surrogate-v1.map"


def utc(text: str) -> datetime:
    """A UTC moment from ``YYYY-MM-DDTHH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# -- the audit log ---------------------------------------------------------------------------
# Written in this order, with the store's clock set as noted (the clock picks the day period):
#   clock 2025-01-06: seq 1-2 (purged later)
#   clock 2025-01-07: seq 3-8
#   clock 2025-01-08: purge(older_than=1 day) removes period 2025-01-06 (seq 1-2, anchor -> 2),
#                     erase("c-erased"), rotate_key(OLD_KEY -> KEY)
#   clock 2025-01-08: seq 9, written under KEY

_COMMON: dict[str, Any] = {
    "provider": "openai",
    "model": "gpt-4.1-mini",
    "endpoint_host": "api.openai.com",
    "endpoint_kind": "enterprise",
}

PURGED: list[dict[str, Any]] = [
    {
        **_COMMON,
        "call_id": "c-purged-1",
        "time": utc("2025-01-06T08:00:00"),
        "payload": {"messages": [{"role": "user", "content": "gone after purge"}]},
    },
    {
        **_COMMON,
        "call_id": "c-purged-2",
        "time": utc("2025-01-06T08:05:00"),
        "status": "error",
        "payload": {"error": {"type": "APIStatusError", "status_code": 500}},
    },
]

DAY_2: list[dict[str, Any]] = [
    {
        **_COMMON,
        "call_id": "c-ok-redacted",
        "time": utc("2025-01-07T09:30:00.250000"),
        "latency_ms": 812.5,
        "prompt_tokens": 42,
        "completion_tokens": 7,
        "total_tokens": 49,
        "findings": {"PERSON": 1, "EMAIL": 1},
        "payload": {
            "request": {
                "messages": [
                    {"role": "user", "content": "Grüße an [PERSON_1] 😀, schreib an [EMAIL_1]"}
                ]
            },
            "response": {"content": "Erledigt, [PERSON_1].", "finish_reason": "stop"},
        },
    },
    {
        **_COMMON,
        "call_id": "c-ok-full",
        "time": utc("2025-01-07T09:31:00"),
        "content_mode": "full",
        "latency_ms": 640.0,
        "prompt_tokens": 30,
        "completion_tokens": 5,
        "total_tokens": 35,
        "findings": {"EMAIL": 1, "PERSON": 1},
        "payload": {
            "request": {"messages": [{"role": "user", "content": "[PERSON_1]: [EMAIL_1]"}]}
        },
        "placeholder_map": {
            "[EMAIL_1]": "jurgen@example.com",
            "[PERSON_1]": "Jürgen \U0001d510üller",  # a non-BMP letter (U+1D510)
        },
    },
    {
        **_COMMON,
        "call_id": "c-error",
        "time": utc("2025-01-07T09:32:00"),
        "status": "error",
        "latency_ms": 15.0,
        "payload": {
            "request": {"messages": [{"role": "user", "content": "Hello"}]},
            "error": {
                "type": "ProviderError",
                "status_code": 500,
                "request_id": "req_123",
                "message": "the provider failed",
            },
        },
    },
    {
        "provider": "openai",
        "model": "unknown",
        "call_id": "c-blocked",
        "time": utc("2025-01-07T09:33:00"),
        "status": "blocked",
        "decision": "deny",
        "rule": "consumer-endpoint",
        "endpoint_host": "chatgpt.com",
        "endpoint_kind": "consumer",
        "payload": {"error": {"type": "PolicyViolation", "rule": "consumer-endpoint"}},
    },
    {
        **_COMMON,
        "call_id": "c-cancelled-metadata",
        "time": utc("2025-01-07T09:34:00"),
        "status": "cancelled",
        "content_mode": "metadata",
        # Given, but a metadata record stores no payload: it must read back as None.
        "payload": {"request": {"messages": [{"role": "user", "content": "not stored"}]}},
    },
    {
        **_COMMON,
        "call_id": "c-erased",
        "time": utc("2025-01-07T09:35:00"),
        "content_mode": "full",
        "findings": {"PHONE": 1},
        "payload": {"request": {"messages": [{"role": "user", "content": "Call [PHONE_1]"}]}},
        "placeholder_map": {"[PHONE_1]": "+49 30 1234567"},
    },
]

AFTER_ROTATION: list[dict[str, Any]] = [
    {
        "provider": "azure",
        "model": "gpt-4o",
        "endpoint_host": "acme.openai.azure.com",
        "endpoint_kind": "enterprise",
        "call_id": "c-after-rotation",
        "time": utc("2025-01-08T12:00:00"),
        "content_mode": "full",
        "latency_ms": 1.25,
        "prompt_tokens": 3,
        "completion_tokens": 1,
        "total_tokens": 4,
        "findings": {"IBAN": 1},
        "payload": {"request": {"messages": [{"role": "user", "content": "Pay [IBAN_1]"}]}},
        "placeholder_map": {"[IBAN_1]": "DE89 3704 0044 0532 0130 00"},
    },
]

STORE_CONTENT_MODE = "redacted"  # the store's default; records above override it

# -- the value maps --------------------------------------------------------------------------

#: Salts given explicitly so the plaintext of the maps is fixed (32 bytes each).
VALUE_MAP_SALT = bytes(range(100, 132))
SURROGATE_MAP_SALT = bytes(range(200, 232))

#: (kind, value) in issue order; ``[EMAIL_2]`` is reserved first (the data held it literally).
VALUE_MAP_RESERVED = [("EMAIL", 2)]
VALUE_MAP_VALUES = [
    ("EMAIL", "ann@example.com"),
    ("PERSON", "Ann Lee"),
    ("EMAIL", "bob@example.org"),
    ("PERSON", "ann lee"),  # another spelling of the same person: the same placeholder
    ("SECRET", "sk-test-😀-0001"),
]
SURROGATE_MAP_VALUES = [
    ("PERSON", "Jane Doe"),
    ("EMAIL", "jane@corp.example"),
    ("SECRET", "hunter2-secret"),  # placeholder-only type, even in surrogate mode
]
