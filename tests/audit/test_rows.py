"""How records become rows: the fast paths write exactly what ``canonical`` defines."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from privllm.audit import rows
from privllm.audit.chain import Head, canonical, encode_blob, encode_int, encode_str
from privllm.audit.crypto import DataKey, MacKey
from privllm.audit.record import AuditRecord


def old_utc_text(when: datetime) -> str:
    # The format as first written (strftime), which stored logs hold.
    u = when.astimezone(timezone.utc)
    return f"{u.year:04d}-{u:%m-%dT%H:%M:%S.%f}Z"


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
        ),
    )
)
def test_utc_text_is_the_stored_format(when):
    assert rows.utc_text(when) == old_utc_text(when)


def test_utc_text_pads_the_year_and_keeps_zero_microseconds():
    assert rows.utc_text(datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == (
        "0999-01-02T03:04:05.000000Z"
    )


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_encode_int_is_canonical(v):
    assert encode_int(v) == canonical((v,))


@given(st.text())
def test_encode_str_is_canonical(v):
    assert encode_str(v) == canonical((v,))


@given(st.one_of(st.none(), st.binary()))
def test_encode_blob_is_canonical(v):
    assert encode_blob(v) == canonical((v,))


def make(i: int, mode: str | None = None, model: str = "m") -> AuditRecord:
    return AuditRecord(
        call_id=f"c{i}",
        provider="openai" if i % 2 else "google",
        model=model,
        findings={"EMAIL": i % 3} if i % 3 else {},
        payload={"q": f"question {i} é"},
        placeholder_map={"<EMAIL_1>": f"a{i}@example.com"},
        content_mode=mode,
    )


def test_chained_rows_link_exactly_as_canonical_rows_do():
    mac, dk, log_id = MacKey(os.urandom(32)), DataKey("2026-12-06", os.urandom(32)), b"L" * 16
    cache = rows.EncodingCache()
    records = [make(i, ("metadata", "redacted", "full")[i % 3]) for i in range(30)]
    prepared = [rows.Prepared(r, r.content_mode or "redacted", cache) for r in records]
    start = os.urandom(32)
    after = Head(0, b"", 41, start, b"")
    chained = rows.chain_rows(prepared, after, "2026-12-06", dk, mac, log_id)
    prev = start
    for i, row in enumerate(chained.rows):
        assert row[0] == 42 + i
        assert row[-1] == mac.link(prev, canonical(row[:-1]))
        assert row[1:16] == rows.Prepared(records[i], records[i].content_mode or "redacted").meta
        prev = row[-1]
    assert (chained.last_seq, chained.last_mac) == (71, prev)
    assert [c for c, _ in chained.map_keys] == [
        r.call_id for r in records if r.content_mode == "full"
    ]
    for row in chained.rows:
        if row[17] is not None:
            aad = canonical(("payload", log_id, row[1], "2026-12-06", row[0]))
            assert dk.decrypt(row[17], aad).startswith(b'{"q":"question')


def test_the_encoding_cache_is_bounded_and_changes_nothing():
    cache = rows.EncodingCache()
    for i in range(1000):
        r = make(i, model=f"model-{i}")
        assert rows.Prepared(r, "redacted", cache).meta_encoded == (
            rows.Prepared(r, "redacted").meta_encoded
        )
    assert len(cache.common) <= 256


def test_encrypt_many_is_encrypt_with_fresh_nonces():
    dk = DataKey("k", os.urandom(32))
    blobs = dk.encrypt_many([(b"same", b"aad")] * 50)
    assert len({b[1:13] for b in blobs}) == 50
    assert all(dk.decrypt(b, b"aad") == b"same" for b in blobs)
    assert dk.encrypt_many([]) == []
