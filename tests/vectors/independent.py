"""A second, from-scratch reader of privllm's formats, written from docs/audit.md.

It uses only ``hmac``, ``hashlib``, ``struct`` and AES-GCM from ``cryptography``, never a
privllm function, so a reader change in privllm that starts accepting something else (or
stops accepting what an older release wrote) shows up as a disagreement between the two.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def encode(values: Iterable[Any]) -> bytes:
    """The chain's canonical encoding: each value type-tagged; text, bytes and integers
    length-prefixed (u32 big-endian); text as UTF-8 with lone surrogates passed through;
    integers in decimal; floats as IEEE 754 binary64, big-endian."""
    out = b""
    for v in values:
        if v is None:
            out += b"N"
        elif type(v) is str:
            b = v.encode("utf-8", "surrogatepass")
            out += b"S" + struct.pack(">I", len(b)) + b
        elif type(v) is bytes:
            out += b"B" + struct.pack(">I", len(v)) + v
        elif type(v) is int:
            b = str(v).encode("ascii")
            out += b"I" + struct.pack(">I", len(b)) + b
        elif type(v) is float:
            out += b"F" + struct.pack(">d", v)
        else:
            raise TypeError(type(v).__name__)
    return out


def hkdf_sha256(secret: bytes, info: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256 with no salt (HashLen zero bytes), 32 bytes of output."""
    prk = hmac.digest(b"\x00" * 32, secret, "sha256")
    return hmac.digest(prk, info + b"\x01", "sha256")


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def key_id(master: bytes) -> str:
    return hmac.digest(master, b"privllm key id", "sha256")[:4].hex()


def unwrap(master: bytes, blob: bytes, label: bytes) -> bytes:
    """A key wrapped by a master key: ``PKW1 | key id (4) | nonce (12) | ciphertext+tag``,
    with the 8-byte header and then ``label`` as associated data."""
    assert blob[:4] == b"PKW1"
    assert blob[4:8].hex() == key_id(master)
    header, nonce, body = blob[:8], blob[8:20], blob[20:]
    return AESGCM(master).decrypt(nonce, body, header + label)


def open_data(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Data ciphertext: ``0x01 | nonce (12) | ciphertext+tag``."""
    assert blob[:1] == b"\x01"
    return AESGCM(key).decrypt(blob[1:13], blob[13:], aad)


def open_sealed(master: bytes, blob: bytes, aad: bytes) -> bytes:
    """A ``KeyRing.seal`` blob: ``PLS1 | u16 length | wrapped data key | data ciphertext``;
    the data key is wrapped with label ``privllm sealed``, the body's associated data is
    ``PLS1`` followed by the caller's ``aad``."""
    assert blob[:4] == b"PLS1"
    (n,) = struct.unpack(">H", blob[4:6])
    data_key = unwrap(master, blob[6 : 6 + n], b"privllm sealed")
    return open_data(data_key, blob[6 + n :], b"PLS1" + aad)


def sha256_file(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The columns of ``records``, in order: the chain covers all but ``mac``.
RECORD_COLUMNS = (
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
    "mac",
)
ERASED = "<erased>"


@dataclass
class Log:
    """An audit log as read by :func:`read_log`: the head, the periods whose data keys are
    kept, and each record's columns with ``payload``/``map`` decrypted (``map`` is
    :data:`ERASED` when its key was destroyed)."""

    format: int
    key_id: str
    anchor_seq: int
    last_seq: int
    last_period: str
    periods: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)


def read_log(path: Path, master: bytes) -> Log:
    """Verify and decrypt a whole audit log; an ``AssertionError`` (or ``InvalidTag``) names
    the first thing that does not match the documented format."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"log_head", "records", "data_keys", "map_keys"}, tables
        columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(records)"))
        assert columns == RECORD_COLUMNS, columns
        (fmt, log_id, kid, wrapped_chain, anchor_seq, anchor_mac, last_seq, last_mac,
         last_period, head_mac) = conn.execute(
            "SELECT format, log_id, key_id, chain_key, anchor_seq, anchor_mac, last_seq,"
            " last_mac, last_period, head_mac FROM log_head WHERE id = 1"
        ).fetchone()  # fmt: skip
        assert len(log_id) == 16
        assert kid == key_id(master)

        # The chain key is wrapped under the master key; HKDF gives the link and head keys.
        chain_secret = unwrap(master, wrapped_chain, b"privllm chain key|" + log_id)
        link_key = hkdf_sha256(chain_secret, b"privllm chain mac")
        head_key = hkdf_sha256(chain_secret, b"privllm head mac")
        signed = encode(("head", log_id, anchor_seq, anchor_mac, last_seq, last_mac))
        assert hmac_sha256(head_key, signed) == head_mac, "head MAC"
        if anchor_seq == 0:
            assert anchor_mac == hmac_sha256(head_key, b"privllm genesis" + log_id), "genesis"

        rows = conn.execute(
            f"SELECT {', '.join(RECORD_COLUMNS)} FROM records ORDER BY seq"  # noqa: S608
        ).fetchall()
        assert [r[0] for r in rows] == list(range(anchor_seq + 1, last_seq + 1)), "seq gap"
        prev = anchor_mac
        for row in rows:
            prev = hmac_sha256(link_key, prev + encode(row[:-1]))
            assert prev == row[-1], f"record {row[0]}: link MAC"
        assert prev == last_mac, "last link"

        wrapped_days = dict(conn.execute("SELECT period, wrapped FROM data_keys").fetchall())
        day_keys = {
            day: unwrap(master, blob, b"privllm data key|" + log_id + b"|" + day.encode())
            for day, blob in wrapped_days.items()
        }
        map_keys = dict(conn.execute("SELECT call_id, wrapped FROM map_keys").fetchall())
        log = Log(fmt, kid, anchor_seq, last_seq, last_period, sorted(day_keys))
        for row in rows:
            record = dict(zip(RECORD_COLUMNS[:-1], row[:-1], strict=True))
            seq, call_id, period = record["seq"], record["call_id"], record["period"]
            if record["payload"] is not None:
                aad = encode(("payload", log_id, call_id, period, seq))
                record["payload"] = json.loads(open_data(day_keys[period], record["payload"], aad))
            if record["map"] is not None:
                wrapped = map_keys.get(call_id)
                if wrapped is None:
                    record["map"] = ERASED
                else:
                    aad = encode(("map key", log_id, call_id))
                    map_key = open_data(day_keys[period], wrapped, aad)
                    aad = encode(("map", log_id, call_id, seq))
                    record["map"] = json.loads(open_data(map_key, record["map"], aad))
            log.records.append(record)
        return log
    finally:
        conn.close()
