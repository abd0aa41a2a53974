"""Known answers for the hash chain: the bytes a record's MAC covers, the MAC keys, the MACs.

Every audit log ever written is verified with these: if any of them changes, every existing
log stops verifying. The expected bytes are written out by hand from docs/audit.md; the MACs
were computed with the ``openssl`` command line from those bytes (commands beside each), and
each test also recomputes them with ``hmac`` (``independent.py``), never with privllm.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone

import pytest

from privllm.audit.chain import CHAIN_COLUMNS, Head, canonical, genesis
from privllm.audit.crypto import MacKey
from privllm.audit.rows import chain_label, data_label, utc_text
from privllm.audit.store import period_of
from vectors.independent import encode, hkdf_sha256

CHAIN_SECRET = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
LOG_ID = bytes.fromhex("00112233445566778899aabbccddeeff")

# openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:<CHAIN_SECRET>
#   -kdfopt info:"privllm chain mac" HKDF        (and info:"privllm head mac")
CHAIN_SUBKEY = "b139de090c7b8fe55404e6b6ec6c73d48f4ea459935d5884f7bbd09ce273d1af"
HEAD_SUBKEY = "138306350475ba4a101917681f78fcce245a1d1ce9bc4e4f6f4bb9331f141c6c"
# The same without info: what a dropped info argument would give.
NO_INFO_SUBKEY = "37ad29109f43265287804b674e2653d0a513718907f97fca97c95bded8104bbf"

# Every value type once, with the cases that are easy to get wrong.
VALUES = (7, -12, 0, "", "a\U0001f600\ud800", "\ud83d\ude00", b"\x00\xff", None, 1.5, 2**64)
VALUES_ENCODED = (
    b"I\x00\x00\x00\x017"
    + b"I\x00\x00\x00\x03-12"
    + b"I\x00\x00\x00\x010"
    + b"S\x00\x00\x00\x00"
    # "a", U+1F600 as 4 UTF-8 bytes, the lone surrogate U+D800 as 3 bytes (surrogatepass)
    + b"S\x00\x00\x00\x08a\xf0\x9f\x98\x80\xed\xa0\x80"
    # U+1F600 held as a surrogate pair in a str: two 3-byte surrogates, not F0 9F 98 80
    + b"S\x00\x00\x00\x06\xed\xa0\xbd\xed\xb8\x80"
    + b"B\x00\x00\x00\x02\x00\xff"
    + b"N"
    + b"F\x3f\xf8\x00\x00\x00\x00\x00\x00"
    + b"I\x00\x00\x00\x1418446744073709551616"
)

# One record row in CHAIN_COLUMNS order, and its encoding.
ROW = (
    1,
    "call-1",
    "2025-01-07T09:30:00.250000Z",
    "openai",
    "gpt-4.1-mini",
    "api.openai.com",
    "enterprise",
    "allow",
    None,
    "ok",
    812.5,
    42,
    7,
    49,
    '{"EMAIL":1,"PERSON":1}',
    "redacted",
    "2025-01-07",
    b"\x01" + b"\x00" * 12 + b"\xde\xad\xbe\xef",
    None,
)
ROW_ENCODED = (
    b"I\x00\x00\x00\x011"
    + b"S\x00\x00\x00\x06call-1"
    + b"S\x00\x00\x00\x1b2025-01-07T09:30:00.250000Z"
    + b"S\x00\x00\x00\x06openai"
    + b"S\x00\x00\x00\x0cgpt-4.1-mini"
    + b"S\x00\x00\x00\x0eapi.openai.com"
    + b"S\x00\x00\x00\x0aenterprise"
    + b"S\x00\x00\x00\x05allow"
    + b"N"
    + b"S\x00\x00\x00\x02ok"
    + b"F\x40\x89\x64\x00\x00\x00\x00\x00"  # 812.5
    + b"I\x00\x00\x00\x0242"
    + b"I\x00\x00\x00\x017"
    + b"I\x00\x00\x00\x0249"
    + b'S\x00\x00\x00\x16{"EMAIL":1,"PERSON":1}'
    + b"S\x00\x00\x00\x08redacted"
    + b"S\x00\x00\x00\x0a2025-01-07"
    + b"B\x00\x00\x00\x11\x01"
    + b"\x00" * 12
    + b"\xde\xad\xbe\xef"
    + b"N"
)

# openssl dgst -sha256 -mac HMAC -macopt hexkey:<HEAD_SUBKEY> of "privllm genesis" || LOG_ID
GENESIS = "cdfc1cc4c6cf8ac94459b43d25c7e37d2e0754a90466570ef8f123cd70e2fadb"
# ... -macopt hexkey:<CHAIN_SUBKEY> of GENESIS || ROW_ENCODED
LINK_1 = "7918e71d20838bc01048581e3391de29df0aecc2d3fd422233dff29a60d9e9ef"
HEAD_ENCODED = (
    b"S\x00\x00\x00\x04head"
    + b"B\x00\x00\x00\x10"
    + LOG_ID
    + b"I\x00\x00\x00\x010"  # anchor seq
    + b"B\x00\x00\x00\x20"
    + bytes.fromhex(GENESIS)  # anchor mac
    + b"I\x00\x00\x00\x011"  # last seq
    + b"B\x00\x00\x00\x20"
    + bytes.fromhex(LINK_1)  # last mac
)
# ... -macopt hexkey:<HEAD_SUBKEY> of HEAD_ENCODED
HEAD_MAC = "9feadf081241235e818efcc7d3a222097c07748fcca9a922930aacad69d5063d"


def test_every_value_type_has_a_fixed_encoding():
    assert canonical(VALUES) == VALUES_ENCODED
    assert encode(VALUES) == VALUES_ENCODED  # the hand-written bytes follow the documented format


def test_type_tags_keep_look_alike_values_apart():
    assert canonical(["5"]) == b"S\x00\x00\x00\x015"
    assert canonical([5]) == b"I\x00\x00\x00\x015"
    assert canonical([b"5"]) == b"B\x00\x00\x00\x015"
    assert canonical([5.0]) == b"F\x40\x14\x00\x00\x00\x00\x00\x00"
    # Length prefixes keep the column boundary: ("ab", "c") and ("a", "bc") differ.
    assert canonical(["ab", "c"]) == b"S\x00\x00\x00\x02abS\x00\x00\x00\x01c"
    assert canonical(["a", "bc"]) == b"S\x00\x00\x00\x01aS\x00\x00\x00\x02bc"


@pytest.mark.parametrize("value", [True, False, bytearray(b"x"), memoryview(b"x"), [1], {}])
def test_values_without_an_encoding_are_refused(value):
    with pytest.raises(TypeError, match=r"cannot encode \w+ in a chain row"):
        canonical([value])


def test_the_chain_covers_these_columns_in_this_order():
    assert CHAIN_COLUMNS == (
        "seq",
        "call_id",
        "time",
        "provider",
        "model",
        "endpoint_host",
        "endpoint_kind",
        "decision",
        "rule",
        "status",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "findings",
        "content_mode",
        "period",
        "payload",
        "map",
    )


def test_a_record_row_has_a_fixed_encoding():
    assert canonical(ROW) == ROW_ENCODED
    assert encode(ROW) == ROW_ENCODED


def test_the_mac_subkeys_are_fixed_hkdf_outputs_and_differ():
    assert hkdf_sha256(CHAIN_SECRET, b"privllm chain mac").hex() == CHAIN_SUBKEY
    assert hkdf_sha256(CHAIN_SECRET, b"privllm head mac").hex() == HEAD_SUBKEY
    assert hkdf_sha256(CHAIN_SECRET, b"").hex() == NO_INFO_SUBKEY
    assert len({CHAIN_SUBKEY, HEAD_SUBKEY, NO_INFO_SUBKEY}) == 3
    # MacKey keeps its subkeys inside; what they MAC shows which ones it derived.
    mac = MacKey(CHAIN_SECRET)
    # openssl dgst -sha256 -mac HMAC -macopt hexkey:<CHAIN_SUBKEY> of "x" (then HEAD_SUBKEY)
    assert mac.link(b"", b"x").hex() == (
        "edac3ad27f5b1941a8d1586e3382b96dbc0081f334b784ed7008f8993faa7f23"
    )
    assert mac.sign(b"x").hex() == (
        "0968f103308783408875b084e9f18513d33b61e838221ef33fb63df5adef78fc"
    )
    assert mac.link(b"", b"x") == hmac.digest(bytes.fromhex(CHAIN_SUBKEY), b"x", "sha256")
    assert mac.sign(b"x") == hmac.digest(bytes.fromhex(HEAD_SUBKEY), b"x", "sha256")


def test_genesis_link_and_head_macs_for_a_fixed_key():
    mac = MacKey(CHAIN_SECRET)
    g = genesis(mac, LOG_ID)
    assert g.hex() == GENESIS
    link = mac.link(g, canonical(ROW))
    assert link.hex() == LINK_1
    assert canonical(("head", LOG_ID, 0, g, 1, link)) == HEAD_ENCODED
    head = Head.signed(mac, LOG_ID, 0, g, 1, link)
    assert head.head_mac.hex() == HEAD_MAC
    assert head.signature_ok(mac, LOG_ID)
    # The literals again, recomputed from the subkeys with hmac alone.
    chain, head_key = bytes.fromhex(CHAIN_SUBKEY), bytes.fromhex(HEAD_SUBKEY)
    assert hmac.digest(head_key, b"privllm genesis" + LOG_ID, "sha256").hex() == GENESIS
    assert hmac.digest(chain, bytes.fromhex(GENESIS) + ROW_ENCODED, "sha256").hex() == LINK_1
    assert hmac.digest(head_key, HEAD_ENCODED, "sha256").hex() == HEAD_MAC


def test_key_labels_and_stored_times_are_fixed_text():
    assert chain_label(LOG_ID) == b"privllm chain key|" + LOG_ID
    assert data_label(LOG_ID, "2025-01-07") == b"privllm data key|" + LOG_ID + b"|2025-01-07"
    when = datetime(2025, 1, 7, 10, 30, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert utc_text(when) == "2025-01-07T09:30:00.250000Z"
    assert utc_text(datetime(999, 12, 31, 23, 59, tzinfo=timezone.utc)) == (
        "0999-12-31T23:59:00.000000Z"
    )
    assert period_of(when) == "2025-01-07"
