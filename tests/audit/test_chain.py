"""The hash chain without a store: its byte encoding, its MACs and every verifier verdict.

Expected values come from an independent source: the encoding is written out by hand,
and the MACs are recomputed here from the formulas in ``privllm.audit.chain``'s docstring
with ``hmac``/``hashlib`` and HKDF written from RFC 5869, not with privllm's own code.
A change to any of them makes every existing audit log unverifiable, so it must be a
deliberate format change, never an accident.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest

from privllm.audit.chain import CHAIN_COLUMNS, Head, canonical, genesis, verify_chain
from privllm.audit.crypto import MacKey
from privllm.audit.record import VerifyReport

SECRET = bytes(range(32))
LOG_ID = b"\x07" * 16


# -- an independent implementation of the format ------------------------------------------


def hkdf_sha256(secret: bytes, info: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256, no salt (so a salt of 32 zero bytes), 32 bytes of output."""
    prk = hmac.new(b"\x00" * 32, secret, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


CHAIN_KEY = hkdf_sha256(SECRET, b"privllm chain mac")
HEAD_KEY = hkdf_sha256(SECRET, b"privllm head mac")


def encode(values) -> bytes:
    out = b""
    for v in values:
        if isinstance(v, str):
            b = v.encode("utf-8", "surrogatepass")
            out += b"S" + struct.pack(">I", len(b)) + b
        elif isinstance(v, bytes):
            out += b"B" + struct.pack(">I", len(v)) + v
        elif v is None:
            out += b"N"
        elif isinstance(v, float):
            out += b"F" + struct.pack(">d", v)
        else:
            b = str(v).encode()
            out += b"I" + struct.pack(">I", len(b)) + b
    return out


def mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


GENESIS = mac(HEAD_KEY, b"privllm genesis" + LOG_ID)


def columns(seq: int) -> list:
    """A row's chain columns, one of each stored type."""
    values = [
        seq,
        f"c{seq}",
        "2025-03-01T12:00:00+00:00",
        "openai",
        "gpt-test",
        "api.openai.com",
        "enterprise",
        "allow",
        "default",
        "ok",
        10.5,
        3,
        2,
        5,
        '{"EMAIL": 1}',
        "full",
        "2025-03-01",
        b"\x01nonce+ciphertext",
        None,
    ]
    assert len(values) == len(CHAIN_COLUMNS)
    return values


def chain(seqs, prev: bytes = GENESIS) -> list[list]:
    """Rows (chain columns then mac) linked one to the next, starting after ``prev``."""
    rows = []
    for seq in seqs:
        values = columns(seq)
        prev = mac(CHAIN_KEY, prev + encode(values))
        rows.append([*values, prev])
    return rows


def head(anchor_seq: int, anchor_mac: bytes, last_seq: int, last_mac: bytes) -> Head:
    signed = encode(("head", LOG_ID, anchor_seq, anchor_mac, last_seq, last_mac))
    return Head(anchor_seq, anchor_mac, last_seq, last_mac, mac(HEAD_KEY, signed))


KEY = MacKey(SECRET)
ANCHOR_MAC = b"\xaa" * 32  # where a purge left the anchor: rows 1..10 are gone


def anchored(rows: list[list], last_seq: int | None = None) -> Head:
    last = rows[-1] if rows else None
    return head(
        10,
        ANCHOR_MAC,
        last_seq if last_seq is not None else (last[0] if last else 10),
        last[-1] if last else ANCHOR_MAC,
    )


# -- the encoding -------------------------------------------------------------------------


def test_canonical_encoding_known_answer():
    row = ["é", b"\x00\x01", None, 5, -12, 1.5, "\ud800", ""]
    assert canonical(row) == (
        b"S\x00\x00\x00\x02\xc3\xa9"  # text: tag, u32 big-endian length, UTF-8
        b"B\x00\x00\x00\x02\x00\x01"  # bytes
        b"N"  # None: the tag alone
        b"I\x00\x00\x00\x015"  # an integer as decimal digits
        b"I\x00\x00\x00\x03-12"
        b"F\x3f\xf8\x00\x00\x00\x00\x00\x00"  # a float as IEEE 754 big-endian
        b"S\x00\x00\x00\x03\xed\xa0\x80"  # a lone surrogate is kept (surrogatepass)
        b"S\x00\x00\x00\x00"
    )
    assert canonical([]) == b""


def test_canonical_tells_types_and_boundaries_apart():
    encodings = {
        canonical(v) for v in (["5"], [5], [5.0], [b"5"], [None], [""], [b""], ["ab"], ["a", "b"])
    }
    assert len(encodings) == 9


@pytest.mark.parametrize(("value", "name"), [(True, "bool"), ([1], "list"), ({}, "dict")])
def test_canonical_refuses_other_types(value, name):
    with pytest.raises(TypeError, match=f"cannot encode {name} in a chain row"):
        canonical(["ok", value])


# -- the MACs -----------------------------------------------------------------------------


def test_mac_key_subkeys_are_hkdf_with_their_own_labels():
    assert KEY.link(b"prev", b"data") == mac(CHAIN_KEY, b"prevdata")
    assert KEY.sign(b"data") == mac(HEAD_KEY, b"data")
    assert CHAIN_KEY != HEAD_KEY


def test_genesis_and_signed_head_known_answer():
    assert genesis(KEY, LOG_ID) == GENESIS
    expected = head(0, GENESIS, 0, GENESIS)
    assert Head.signed(KEY, LOG_ID, 0, GENESIS, 0, GENESIS) == expected
    assert expected.signature_ok(KEY, LOG_ID)
    assert not expected.signature_ok(KEY, b"\x08" * 16)  # another log's head


# -- the verifier's verdicts --------------------------------------------------------------


def test_a_new_empty_log_verifies():
    assert verify_chain(KEY, LOG_ID, head(0, GENESIS, 0, GENESIS), []) == VerifyReport(
        ok=True, records=0, first_seq=None, last_seq=0
    )


def test_a_whole_chain_verifies_from_genesis():
    rows = chain([1, 2, 3])
    report = verify_chain(KEY, LOG_ID, head(0, GENESIS, 3, rows[-1][-1]), rows)
    assert report == VerifyReport(ok=True, records=3, first_seq=1, last_seq=3)


def test_a_purged_chain_verifies_from_its_anchor():
    rows = chain([11, 12, 13], ANCHOR_MAC)
    assert verify_chain(KEY, LOG_ID, anchored(rows), rows) == VerifyReport(
        ok=True, records=3, first_seq=11, last_seq=13
    )


def bad(records, last_seq, problem, bad_seq, call_id=None) -> VerifyReport:
    return VerifyReport(
        ok=False,
        records=records,
        first_seq=11 if records else None,
        last_seq=last_seq,
        problem=problem,
        bad_seq=bad_seq,
        bad_call_id=call_id,
    )


def test_an_altered_head_is_reported_before_any_row():
    rows = chain([11, 12], ANCHOR_MAC)
    good = anchored(rows)
    forged = Head(good.anchor_seq, good.anchor_mac, 12, good.last_mac, b"\x00" * 32)
    assert verify_chain(KEY, LOG_ID, forged, rows) == bad(
        0, 10, "the signed head was altered", None
    )


def test_a_record_without_an_integer_seq():
    rows = chain([11, 12], ANCHOR_MAC)
    rows[1][0] = "12"
    assert verify_chain(KEY, LOG_ID, anchored(chain([11, 12], ANCHOR_MAC)), rows) == bad(
        1, 11, "a record has no valid seq", None, "c12"
    )


def test_a_repeated_record():
    rows = chain([11, 12], ANCHOR_MAC)
    rows.append(list(rows[1]))
    assert verify_chain(KEY, LOG_ID, anchored(rows[:2]), rows) == bad(
        2, 12, "record 12 (call c12) precedes the chain's anchor or repeats", 12, "c12"
    )


def test_a_record_past_the_signed_head():
    rows = chain([11, 12, 13], ANCHOR_MAC)
    assert verify_chain(KEY, LOG_ID, anchored(rows[:2]), rows) == bad(
        2,
        12,
        "record 13 (call c13) is past the signed head (last record 12): it was inserted",
        13,
        "c13",
    )


@pytest.mark.parametrize(("deleted", "records", "last"), [(11, 0, 10), (12, 1, 11)])
def test_a_deleted_record(deleted, records, last):
    rows = chain([11, 12, 13], ANCHOR_MAC)
    kept = [r for r in rows if r[0] != deleted]
    after = deleted + 1
    assert verify_chain(KEY, LOG_ID, anchored(rows), kept) == bad(
        records,
        last,
        f"record {deleted} is missing (the next present is {after}, call c{after}): it was deleted",
        deleted,
        f"c{after}",
    )


MODIFIED = (
    "record 12 (call {}) does not match its MAC: it was modified, moved, "
    "or a record before it was replaced"
)


@pytest.mark.parametrize(
    ("column", "value", "call_id"),
    [
        ("model", "gpt-other", "c12"),
        ("latency_ms", True, "c12"),  # a value the encoding refuses
        ("call_id", 12, None),  # not text: no call id to name
        ("map", "", "c12"),  # None and "" differ
    ],
)
def test_a_modified_record(column, value, call_id):
    rows = chain([11, 12, 13], ANCHOR_MAC)
    good = anchored(rows)
    rows[1][CHAIN_COLUMNS.index(column)] = value
    assert verify_chain(KEY, LOG_ID, good, rows) == bad(
        1, 11, MODIFIED.format(call_id), 12, call_id
    )


def test_a_mac_that_is_not_bytes():
    rows = chain([11, 12, 13], ANCHOR_MAC)
    good = anchored(rows)
    rows[1][-1] = rows[1][-1].hex()
    assert verify_chain(KEY, LOG_ID, good, rows) == bad(1, 11, MODIFIED.format("c12"), 12, "c12")


def test_a_truncated_log():
    rows = chain([11, 12, 13, 14], ANCHOR_MAC)
    assert verify_chain(KEY, LOG_ID, anchored(rows), rows[:2]) == bad(
        2, 12, "records 13..14 are missing: the log was truncated", 13
    )


def test_a_last_record_that_is_not_the_signed_one():
    rows = chain([11, 12, 13], ANCHOR_MAC)
    signed = head(10, ANCHOR_MAC, 13, b"\x55" * 32)
    assert verify_chain(KEY, LOG_ID, signed, rows) == bad(
        3, 13, "record 13 does not match the signed head", 13
    )


def test_a_record_that_cannot_be_encoded_is_named_even_with_an_empty_mac():
    # A value the encoding refuses (a storage backend may return types SQLite never does)
    # must fail its own record, not match an empty stored MAC and blame the next one.
    rows = chain([11, 12, 13], ANCHOR_MAC)
    good = anchored(rows)
    rows[1][CHAIN_COLUMNS.index("latency_ms")] = True
    rows[1][-1] = b""
    assert verify_chain(KEY, LOG_ID, good, rows) == bad(1, 11, MODIFIED.format("c12"), 12, "c12")
