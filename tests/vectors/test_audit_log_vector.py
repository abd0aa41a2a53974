"""An audit log written by privllm's first log format, kept as a file: every later version must
open it, verify it and read back exactly what was written.

``audit-v1.db`` was written by ``make_vectors.py`` from ``known.py``: records of every status
and content mode, a day purged (the chain starts from a moved anchor), a placeholder map
erased, the master key rotated, and a record written under the new key. The tests read a copy
(opening a log may create ``-wal``/``-shm`` files), with privllm and, independently, with
``independent.py``. If one fails after a change, do not regenerate the file: see the
docstring of ``make_vectors.py``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from privllm.audit.crypto import MasterKey
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.errors import WrongKeyError
from vectors import known
from vectors.independent import ERASED, read_log, sha256_file

VECTOR = Path(__file__).resolve().parent / known.AUDIT_LOG_V1
SHA256 = "ec6bee78f25c201f2d7d7ed168e384082371aa70c15a7bb9eb75b8361b71ed70"

# Every field of every record that survived the purge, as it must read back.
_DEFAULTS: dict[str, Any] = {
    "endpoint_host": None,
    "endpoint_kind": None,
    "decision": "allow",
    "rule": None,
    "status": "ok",
    "latency_ms": None,
    "prompt_tokens": None,
    "completion_tokens": None,
    "total_tokens": None,
    "findings": {},
    "payload": None,
    "placeholder_map": None,
}


def _expected() -> list[dict[str, Any]]:
    out = []
    for seq, fields in enumerate(known.DAY_2 + known.AFTER_ROTATION, start=3):
        record = {**_DEFAULTS, **fields, "seq": seq}
        record["content_mode"] = fields.get("content_mode", known.STORE_CONTENT_MODE)
        if record["content_mode"] == "metadata":
            record["payload"] = None  # given to append, never stored
        if fields["call_id"] == "c-erased":
            record["placeholder_map"] = None  # its key was destroyed
        out.append(record)
    return out


EXPECTED = _expected()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    shutil.copyfile(VECTOR, path)
    return path


def test_the_stored_vector_is_the_file_written_by_format_1():
    # A different hash means the vector was overwritten: restore it from git, and add a new
    # vector for a new format instead (make_vectors.py).
    assert sha256_file(VECTOR.read_bytes()) == SHA256
    assert len(VECTOR.read_bytes()) < 16 * 1024


def test_the_expected_records_are_the_ones_written():
    # A guard on this file's own expectations: they were written by hand in known.py.
    assert [r["call_id"] for r in EXPECTED] == [
        "c-ok-redacted",
        "c-ok-full",
        "c-error",
        "c-blocked",
        "c-cancelled-metadata",
        "c-erased",
        "c-after-rotation",
    ]
    assert {r["status"] for r in EXPECTED} == {"ok", "error", "blocked", "cancelled"}
    assert {r["content_mode"] for r in EXPECTED} == {"redacted", "full", "metadata"}


@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
def test_it_opens_with_its_key_and_verifies_from_the_moved_anchor(log, read_only):
    with AuditStore(log, MasterKey(known.KEY), read_only=read_only) as store:
        assert store.key_id == "d8100b2e"
        report = store.verify()
        assert (report.ok, report.records, report.first_seq, report.last_seq) == (True, 7, 3, 9)
        assert report.problem is None


@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
def test_every_record_reads_back_exactly(log, read_only):
    with AuditStore(log, MasterKey(known.KEY), read_only=read_only) as store:
        records = [r.model_dump() for r in store.iter_records()]
        assert records == EXPECTED
        assert store.count() == 7
        assert [r.call_id for r in store.iter_records(status="error")] == ["c-error"]
        assert [r.call_id for r in store.iter_records(provider="azure")] == ["c-after-rotation"]
        assert store.get("c-purged-1") is None  # purged rows are gone
        full = store.get("c-ok-full")
        assert full is not None
        assert full.placeholder_map == {
            "[EMAIL_1]": "jurgen@example.com",
            "[PERSON_1]": "Jürgen \U0001d510üller",
        }
        erased = store.get("c-erased")
        assert erased is not None
        assert erased.placeholder_map is None
        assert erased.payload == {
            "request": {"messages": [{"role": "user", "content": "Call [PHONE_1]"}]}
        }


def test_metadata_reads_without_decrypting(log):
    with AuditStore(log, MasterKey(known.KEY), read_only=True) as store:
        first = next(store.iter_records(decrypt=False))
        assert first.call_id == "c-ok-redacted"
        assert first.time == datetime.fromisoformat("2025-01-07T09:30:00.250000+00:00")
        assert first.findings == {"EMAIL": 1, "PERSON": 1}
        assert first.payload is None
        stats = [
            (s.day, s.provider, s.calls, s.errors, s.blocked, s.total_tokens, s.findings)
            for s in store.stats()
        ]
        assert stats == [
            (date(2025, 1, 7), "openai", 6, 1, 1, 84, {"EMAIL": 2, "PERSON": 2, "PHONE": 1}),
            (date(2025, 1, 8), "azure", 1, 0, 0, 4, {"IBAN": 1}),
        ]


def test_the_key_it_was_rotated_away_from_is_refused_by_id(log):
    message = (
        f"this key (id b7c7866e) does not open the log; it was written with key id d8100b2e ({log})"
    )
    with pytest.raises(WrongKeyError) as info:
        AuditStore(log, MasterKey(known.OLD_KEY), read_only=True)
    assert str(info.value) == message


def test_a_later_version_keeps_writing_to_it(log):
    with AuditStore(log, MasterKey(known.KEY)) as store:
        seq = store.append(
            AuditRecord(
                call_id="c-new",
                provider="openai",
                model="gpt-x",
                content_mode="full",
                payload={"messages": [{"role": "user", "content": "[EMAIL_1]"}]},
                placeholder_map={"[EMAIL_1]": "new@example.com"},
            )
        )
        assert seq == 10
        assert store.erase("c-ok-full")
        report = store.verify()
        assert (report.ok, report.records, report.first_seq, report.last_seq) == (True, 8, 3, 10)
        assert store.get("c-ok-full").placeholder_map is None  # type: ignore[union-attr]
        assert store.get("c-new").placeholder_map == {"[EMAIL_1]": "new@example.com"}  # type: ignore[union-attr]


# -- the same file, read without privllm ---------------------------------------------------


def _as_stored(expected: dict[str, Any]) -> dict[str, Any]:
    """A record's columns as the format stores them, written out from docs/audit.md."""
    mode = expected["content_mode"]
    stored_map = expected["placeholder_map"] if mode == "full" else None
    if mode == "full" and stored_map is None:
        stored_map = ERASED
    return {
        "seq": expected["seq"],
        "call_id": expected["call_id"],
        "time": expected["time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # UTC, microseconds, Z
        "provider": expected["provider"],
        "model": expected["model"],
        "endpoint_host": expected["endpoint_host"],
        "endpoint_kind": expected["endpoint_kind"],
        "decision": expected["decision"],
        "rule": expected["rule"],
        "status": expected["status"],
        "latency_ms": expected["latency_ms"],
        "prompt_tokens": expected["prompt_tokens"],
        "completion_tokens": expected["completion_tokens"],
        "total_tokens": expected["total_tokens"],
        # compact JSON, keys sorted
        "findings": json.dumps(expected["findings"], sort_keys=True, separators=(",", ":")),
        "content_mode": mode,
        "period": expected["time"].strftime("%Y-%m-%d"),  # here the store's day = the call's
        "payload": expected["payload"] if mode != "metadata" else None,
        "map": stored_map,
    }


def test_an_independent_reader_verifies_and_decrypts_it(log):
    found = read_log(log, known.KEY)
    assert (found.format, found.key_id) == (1, "d8100b2e")
    assert (found.anchor_seq, found.last_seq, found.last_period) == (2, 9, "2025-01-08")
    assert found.periods == ["2025-01-07", "2025-01-08"]  # 2025-01-06 was crypto-shredded
    assert found.records == [_as_stored(r) for r in EXPECTED]


def test_what_this_version_writes_is_what_the_independent_reader_reads(tmp_path):
    # The stored vector pins the reader; this pins the writer to the same format.
    path = tmp_path / "fresh.db"
    records = [AuditRecord(**fields) for fields in known.DAY_2 + known.AFTER_ROTATION]
    key = MasterKey(known.KEY)
    with AuditStore(path, key, clock=lambda: known.utc("2025-01-07T23:00:00")) as store:
        store.append_many(records[:-1])
    with AuditStore(path, key, clock=lambda: known.utc("2025-01-08T23:00:00")) as store:
        store.append(records[-1])
        store.erase("c-erased")
    found = read_log(path, known.KEY)
    assert (found.format, found.key_id, found.anchor_seq, found.last_seq) == (1, "d8100b2e", 0, 7)
    assert found.periods == ["2025-01-07", "2025-01-08"]
    assert found.records == [_as_stored({**r, "seq": r["seq"] - 2}) for r in EXPECTED]
