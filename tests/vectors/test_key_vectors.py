"""Known answers for the key id: the fingerprint stored in every log, wrapped key and sealed
file, and shown in every wrong-key error. If it changed, no existing log would open.

Expected ids computed with the ``openssl`` command line, not with privllm::

    printf 'privllm key id' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<key hex>

(the first 8 hex characters).
"""

from __future__ import annotations

import pytest

from privllm.audit.crypto import KeyRing, MasterKey, key_id
from vectors import known
from vectors.independent import key_id as independent_key_id

ZERO = bytes(32)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (known.OLD_KEY, "b7c7866e"),
        (known.KEY, "d8100b2e"),
        (ZERO, "12a2e2cf"),
    ],
    ids=["old-key", "key", "zero-key"],
)
def test_a_fixed_key_has_a_fixed_key_id(key, expected):
    assert key_id(key) == expected
    assert MasterKey(key).key_id == expected
    assert KeyRing(MasterKey(key)).key_id == expected
    assert independent_key_id(key) == expected


def test_the_vector_files_name_the_ids_in_known():
    assert (known.OLD_KEY_ID, known.KEY_ID) == ("b7c7866e", "d8100b2e")


def test_a_base64_key_text_gives_the_same_id():
    # base64 of bytes 0x00..0x1f, typed out: what PRIVLLM_AUDIT_KEY would hold.
    text = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert MasterKey.from_base64(text).key_id == "b7c7866e"
    assert repr(MasterKey.from_base64(text)) == "MasterKey(id=b7c7866e)"
