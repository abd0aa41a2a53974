"""The hash chain: how a row is encoded for its MAC, the signed head, and the verifier.

Each row's ``mac = HMAC(chain key, prev_mac || canonical(row))``, where ``row`` is every
stored column but the MAC (ciphertexts included) in :data:`CHAIN_COLUMNS` order. The first
row links to ``genesis(log_id)``. A signed head ``HMAC(head key, anchor | last)`` pins both
ends:

* ``last_seq``/``last_mac``: the newest row, so cutting rows off the tail is detected;
* ``anchor_seq``/``anchor_mac``: the link *before* the oldest row kept. It starts as
  ``(0, genesis)``; ``purge`` moves it to the last removed row, so the remaining chain still
  verifies from a signed starting point after old rows are deleted.

Sequence numbers are contiguous, so a deleted row is a gap; they are inside the MAC, so a
reordered row no longer verifies where it sits. This module does no I/O: the store hands it
rows.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from privllm.audit.crypto import MacKey
from privllm.audit.record import VerifyReport

__all__ = [
    "CHAIN_COLUMNS",
    "Head",
    "canonical",
    "encode_blob",
    "encode_int",
    "encode_str",
    "genesis",
    "verify_chain",
]

CHAIN_COLUMNS = (
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
_SEQ = 0
_CALL_ID = 1

_LEN = struct.Struct(">I")
_FLOAT = struct.Struct(">d")


def canonical(values: Iterable[Any]) -> bytes:
    """An injective byte encoding of a row: every value type-tagged and length-prefixed.

    Type tags matter: without them an attacker could store a text ``"5"`` where the integer
    ``5`` was, or text where a blob was, and keep the MAC.
    """
    # Exact type checks (not isinstance): bool and int subclasses are refused, and this
    # loop runs twice per record on the write path, so it is kept tight.
    out: list[bytes] = []
    add, size = out.append, _LEN.pack
    for v in values:
        t = type(v)
        if t is str:
            b = v.encode("utf-8", "surrogatepass")
            add(b"S" + size(len(b)) + b)
        elif t is bytes:
            add(b"B" + size(len(v)) + v)
        elif v is None:
            add(b"N")
        elif t is int:
            b = b"%d" % v
            add(b"I" + size(len(b)) + b)
        elif t is float:
            add(b"F" + _FLOAT.pack(v))
        else:
            raise TypeError(f"cannot encode {t.__name__} in a chain row")
    return b"".join(out)


def encode_int(v: int) -> bytes:
    """``canonical((v,))`` for an int: the write path builds rows from pieces."""
    b = b"%d" % v
    return b"I" + _LEN.pack(len(b)) + b


def encode_str(v: str) -> bytes:
    """``canonical((v,))`` for a str."""
    b = v.encode("utf-8", "surrogatepass")
    return b"S" + _LEN.pack(len(b)) + b


def encode_blob(v: bytes | None) -> bytes:
    """``canonical((v,))`` for bytes or None."""
    return b"N" if v is None else b"B" + _LEN.pack(len(v)) + v


def genesis(mac: MacKey, log_id: bytes) -> bytes:
    """The link before the first row of a log."""
    return mac.sign(b"privllm genesis" + log_id)


@dataclass(frozen=True)
class Head:
    """The signed head row: both ends of the chain, and their MAC."""

    anchor_seq: int
    anchor_mac: bytes
    last_seq: int
    last_mac: bytes
    head_mac: bytes

    @staticmethod
    def signed(
        mac: MacKey,
        log_id: bytes,
        anchor_seq: int,
        anchor_mac: bytes,
        last_seq: int,
        last_mac: bytes,
    ) -> Head:
        """A head with a fresh signature."""
        sig = mac.sign(canonical(("head", log_id, anchor_seq, anchor_mac, last_seq, last_mac)))
        return Head(anchor_seq, anchor_mac, last_seq, last_mac, sig)

    def signature_ok(self, mac: MacKey, log_id: bytes) -> bool:
        """Whether ``head_mac`` matches the other fields."""
        expected = Head.signed(
            mac, log_id, self.anchor_seq, self.anchor_mac, self.last_seq, self.last_mac
        )
        return MacKey.equal(expected.head_mac, self.head_mac)


def verify_chain(
    mac: MacKey, log_id: bytes, head: Head, rows: Iterable[Sequence[object]]
) -> VerifyReport:
    """Check ``rows`` (chain columns then ``mac``, ordered by seq) against ``head``.

    Returns a report naming the first bad record; it never raises for a bad log.
    """
    if not head.signature_ok(mac, log_id):
        return _bad(0, None, head.anchor_seq, "the signed head was altered", None, None)
    prev = head.anchor_mac
    expected = head.anchor_seq + 1
    count = 0
    for row in rows:
        seq, call_id = row[_SEQ], row[_CALL_ID]
        cid = call_id if isinstance(call_id, str) else None
        if not isinstance(seq, int):
            return _bad(
                count, head.anchor_seq + 1, expected - 1, "a record has no valid seq", None, cid
            )
        if seq < expected:
            return _bad(
                count,
                head.anchor_seq + 1,
                expected - 1,
                f"record {seq} (call {cid}) precedes the chain's anchor or repeats",
                seq,
                cid,
            )
        if seq > head.last_seq:
            return _bad(
                count,
                head.anchor_seq + 1,
                expected - 1,
                f"record {seq} (call {cid}) is past the signed head (last record "
                f"{head.last_seq}): it was inserted",
                seq,
                cid,
            )
        if seq > expected:
            return _bad(
                count,
                head.anchor_seq + 1,
                expected - 1,
                f"record {expected} is missing (the next present is {seq}, call "
                f"{cid}): it was deleted",
                expected,
                cid,
            )
        stored = row[len(CHAIN_COLUMNS)]
        try:
            link: bytes | None = mac.link(prev, canonical(row[: len(CHAIN_COLUMNS)]))
        except TypeError:
            link = None  # not b"": that would match an emptied stored MAC
        if link is None or not isinstance(stored, bytes) or not MacKey.equal(link, stored):
            return _bad(
                count,
                head.anchor_seq + 1,
                expected - 1,
                f"record {seq} (call {cid}) does not match its MAC: it was modified, "
                "moved, or a record before it was replaced",
                seq,
                cid,
            )
        prev = stored
        expected += 1
        count += 1
    last = expected - 1
    if last < head.last_seq:
        return _bad(
            count,
            head.anchor_seq + 1,
            last,
            f"records {last + 1}..{head.last_seq} are missing: the log was truncated",
            last + 1,
            None,
        )
    if not MacKey.equal(prev, head.last_mac):
        return _bad(
            count,
            head.anchor_seq + 1,
            last,
            f"record {last} does not match the signed head",
            last,
            None,
        )
    return VerifyReport(
        ok=True, records=count, first_seq=head.anchor_seq + 1 if count else None, last_seq=last
    )


def _bad(
    count: int, first: int | None, last: int, problem: str, seq: int | None, call_id: str | None
) -> VerifyReport:
    return VerifyReport(
        ok=False,
        records=count,
        first_seq=first if count else None,
        last_seq=last,
        problem=problem,
        bad_seq=seq,
        bad_call_id=call_id,
    )
