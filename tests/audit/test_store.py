"""AuditStore from the outside: what reaches the disk, reading back, erase, purge, rotation."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest

from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.errors import AuditError, WrongKeyError

# Words and values that must never reach the disk in clear.
SECRETS = [
    "zanzibar-quokka",
    "alice.secret@example.com",
    "4111111111111111",
    "Confidential merger with Globex",
    "ANSWER-PLATYPUS",
    "tool-arg-wombat",
]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    """A settable clock for the store."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


def record(call_id: str, *, time: datetime = T0, **kw) -> AuditRecord:
    fields = {
        "provider": "openai",
        "model": "gpt-test",
        "endpoint_host": "api.openai.com",
        "endpoint_kind": "enterprise",
        "decision": "allow",
        "rule": "default",
        "status": "ok",
        "latency_ms": 12.5,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "findings": {"EMAIL": 2, "PHONE": 1},
        "payload": {
            "messages": [
                {"role": "user", "content": f"{SECRETS[0]} mail {SECRETS[1]} card {SECRETS[2]}"},
                {"role": "system", "content": SECRETS[3]},
            ],
            "answer": SECRETS[4],
            "tool_calls": [{"name": "lookup", "arguments": {"q": SECRETS[5]}}],
        },
        "placeholder_map": {"<EMAIL_1>": SECRETS[1], "<CARD_1>": SECRETS[2]},
    }
    fields.update(kw)
    return AuditRecord(call_id=call_id, time=time, **fields)


def raw(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def disk_bytes(path) -> bytes:
    data = b""
    for suffix in ("", "-wal"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


@pytest.mark.parametrize("mode", ["redacted", "full"])
def test_no_payload_word_or_value_reaches_the_disk(tmp_path, mode):
    path = tmp_path / "audit.db"
    store = AuditStore(path, key(), content_mode=mode)
    try:
        for i in range(20):
            store.append(record(f"call-{i}"))
        assert path.with_name("audit.db-wal").stat().st_size > 0
        on_disk = disk_bytes(path)  # the WAL while open ...
        assert b"call-7" in on_disk  # sanity: we are reading the right bytes
        assert store.get("call-7").payload["answer"] == SECRETS[4]
    finally:
        store.close()
    on_disk += disk_bytes(path)  # ... and the database after the final checkpoint
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in on_disk, secret
        assert secret.encode("ascii").hex().encode() not in on_disk


def test_database_file_is_private(tmp_path):
    path = tmp_path / "audit.db"
    with AuditStore(path, key()) as store:
        store.append(record("c1"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name("audit.db-wal")
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_round_trip_keeps_metadata_and_payload(tmp_path):
    original = record("c1", time=T0 + timedelta(microseconds=123))
    with AuditStore(tmp_path / "a.db", key(), content_mode="full") as store:
        seq = store.append(original)
        got = store.get("c1")
    assert seq == 1
    assert got.model_dump(exclude={"seq", "content_mode"}) == original.model_dump(
        exclude={"seq", "content_mode"}
    )
    assert (got.seq, got.content_mode) == (1, "full")


def test_repr_of_record_and_store_hide_content(tmp_path):
    k = key()
    with AuditStore(tmp_path / "a.db", k) as store:
        store.append(record("c1"))
        got = store.get("c1")
        assert k.key_id in repr(store)
    text = repr(got) + str(got)
    assert all(secret not in text for secret in SECRETS)


def test_metadata_mode_stores_no_payload(tmp_path):
    path = tmp_path / "a.db"
    with AuditStore(path, key(), content_mode="metadata") as store:
        store.append(record("c1"))
        got = store.get("c1")
    assert got.payload is None
    assert got.placeholder_map is None
    assert got.findings == {"EMAIL": 2, "PHONE": 1}
    assert got.total_tokens == 15
    db = raw(path)
    try:
        assert db.execute("SELECT payload, map FROM records").fetchone() == (None, None)
    finally:
        db.close()


def test_redacted_mode_drops_the_placeholder_map(tmp_path):
    with AuditStore(tmp_path / "a.db", key()) as store:
        store.append(record("c1"))
        got = store.get("c1")
    assert got.content_mode == "redacted"
    assert got.payload["answer"] == SECRETS[4]
    assert got.placeholder_map is None


def test_a_record_may_choose_its_own_mode(tmp_path):
    with AuditStore(tmp_path / "a.db", key(), content_mode="full") as store:
        store.append(record("c1", content_mode="metadata"))
        assert store.get("c1").payload is None


def test_erase_destroys_the_map_and_keeps_the_chain(tmp_path):
    path = tmp_path / "a.db"
    with AuditStore(path, key(), content_mode="full") as store:
        for i in range(3):
            store.append(record(f"c{i}"))
        assert store.get("c1").placeholder_map == {"<EMAIL_1>": SECRETS[1], "<CARD_1>": SECRETS[2]}
        assert store.erase("c1") is True
        assert store.erase("c1") is False
        erased = store.get("c1")
        assert erased.placeholder_map is None
        assert erased.payload["answer"] == SECRETS[4]  # placeholder-form payload stays
        assert erased.findings == {"EMAIL": 2, "PHONE": 1}
        assert store.get("c0").placeholder_map is not None
        assert store.verify().ok
    db = raw(path)
    try:
        assert db.execute("SELECT COUNT(*) FROM map_keys WHERE call_id = 'c1'").fetchone() == (0,)
        assert db.execute("SELECT map IS NOT NULL FROM records WHERE call_id = 'c1'").fetchone()
    finally:
        db.close()


def test_get_unknown_call_is_none(tmp_path):
    with AuditStore(tmp_path / "a.db", key()) as store:
        assert store.get("nope") is None


def test_iter_records_filters(tmp_path):
    with AuditStore(tmp_path / "a.db", key()) as store:
        store.append(record("a", time=T0))
        store.append(record("b", time=T0 + timedelta(hours=1), provider="azure"))
        store.append(record("c", time=T0 + timedelta(hours=2), status="error"))
        store.append(record("d", time=T0 + timedelta(hours=3), status="blocked", provider="azure"))
        ids = lambda **kw: [r.call_id for r in store.iter_records(**kw)]  # noqa: E731
        assert ids() == ["a", "b", "c", "d"]
        assert ids(since=T0 + timedelta(hours=1)) == ["b", "c", "d"]
        assert ids(provider="azure") == ["b", "d"]
        assert ids(status="error") == ["c"]
        assert ids(provider="azure", status="blocked") == ["d"]
        assert all(r.payload is None for r in store.iter_records(decrypt=False))
        assert [r.payload is not None for r in store.iter_records()] == [True] * 4
        with pytest.raises(ValueError, match="timezone"):
            ids(since=datetime(2025, 1, 1))


def test_iter_records_pages_through_large_logs(tmp_path):
    with AuditStore(tmp_path / "a.db", key()) as store:
        store.append_many([record(f"c{i}", payload={"i": i}) for i in range(1234)])
        got = [r.payload["i"] for r in store.iter_records()]
    assert got == list(range(1234))


def test_stats_by_day_and_provider(tmp_path):
    day2 = T0 + timedelta(days=1)
    with AuditStore(tmp_path / "a.db", key()) as store:
        store.append(record("a"))
        store.append(record("b", status="error", findings={"EMAIL": 1}))
        store.append(record("c", provider="azure", findings={}))
        store.append(record("d", time=day2, total_tokens=None, prompt_tokens=None))
        rows = store.stats()
    assert [(r.day.isoformat(), r.provider, r.calls) for r in rows] == [
        ("2025-03-01", "azure", 1),
        ("2025-03-01", "openai", 2),
        ("2025-03-02", "openai", 1),
    ]
    openai = rows[1]
    assert (openai.errors, openai.blocked) == (1, 0)
    assert (openai.prompt_tokens, openai.total_tokens) == (20, 30)
    assert openai.findings == {"EMAIL": 3, "PHONE": 1}
    assert rows[0].findings == {}
    assert (rows[2].prompt_tokens, rows[2].completion_tokens) == (0, 5)


def test_export_jsonl(tmp_path):
    buf = io.StringIO()
    with AuditStore(tmp_path / "a.db", key()) as store:
        store.append(record("a"))
        store.append(record("b"))
        assert store.export_jsonl(buf) == 2
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [line["call_id"] for line in lines] == ["a", "b"]
    assert lines[0]["payload"]["answer"] == SECRETS[4]


def test_purge_shreds_old_periods_and_verify_still_passes(tmp_path):
    path = tmp_path / "a.db"
    clock, k = Clock(T0), key()
    with AuditStore(path, k, clock=clock, content_mode="full") as store:
        for day in range(4):
            clock.now = T0 + timedelta(days=day)
            store.append_many([record(f"d{day}-{i}", time=clock.now) for i in range(3)])
        clock.now = T0 + timedelta(days=3, hours=1)  # 2025-03-04 13:00
        report = store.purge(timedelta(days=1, hours=2))  # cut-off 03-03 11:00: 01 and 02 expire
        assert report.records == 6
        assert report.periods == ("2025-03-01", "2025-03-02")
        assert report.anchor_seq == 6
        assert store.verify().ok
        kept = [r.call_id for r in store.iter_records()]
        assert kept == [f"d{d}-{i}" for d in (2, 3) for i in range(3)]
        assert store.get("d0-0") is None
        assert store.get("d2-0").placeholder_map is not None
        # the chain goes on from the remaining records
        store.append(record("after"))
        assert store.verify().ok
        # purging again with nothing expired changes nothing
        assert store.purge(timedelta(days=1, hours=2)).records == 0
        assert store.verify().ok
    db = raw(path)
    try:
        periods = [r[0] for r in db.execute("SELECT period FROM data_keys ORDER BY period")]
        assert periods == ["2025-03-03", "2025-03-04"]
        assert db.execute("SELECT COUNT(*) FROM map_keys").fetchone() == (7,)
    finally:
        db.close()
    with AuditStore(path, k, clock=clock) as store:  # reopen: still valid
        assert store.verify().records == 7


def test_purge_everything_then_append(tmp_path):
    clock = Clock(T0)
    with AuditStore(tmp_path / "a.db", key(), clock=clock) as store:
        store.append_many([record(f"c{i}") for i in range(5)])
        clock.now = T0 + timedelta(days=10)
        assert store.purge(timedelta(days=1)).records == 5
        report = store.verify()
        assert report.ok
        assert report.records == 0
        store.append(record("new"))
        assert store.verify().records == 1
        assert store.get("new").seq == 6


@pytest.mark.parametrize(
    "age",
    [
        timedelta(days=600_000),  # back to the year 382: "382-..." sorted after "2025-..."
        timedelta(days=800_000),  # back before year 1: an OverflowError
        timedelta.max,
    ],
    ids=["year-382", "before-year-1", "max"],
)
def test_purging_by_an_age_older_than_the_log_keeps_everything(tmp_path, age):
    path = tmp_path / "a.db"
    with AuditStore(path, key(), clock=Clock(T0)) as store:
        store.append_many([record(f"c{i}") for i in range(3)])
        report = store.purge(age)
        assert (report.records, report.periods) == (0, ())
        assert [r.call_id for r in store.iter_records()] == ["c0", "c1", "c2"]
    db = raw(path)
    try:
        assert db.execute("SELECT period FROM data_keys").fetchall() == [("2025-03-01",)]
    finally:
        db.close()


def test_periods_never_go_backwards(tmp_path):
    # A clock that steps back (NTP, another host) must not split a period in two.
    clock = Clock(T0 + timedelta(days=1))
    with AuditStore(tmp_path / "a.db", key(), clock=clock) as store:
        store.append(record("a"))
        clock.now = T0
        store.append(record("b"))
        clock.now = T0 + timedelta(days=3)
        assert store.purge(timedelta(days=1)).records == 2
        assert store.verify().ok


def test_rotate_key(tmp_path):
    path = tmp_path / "a.db"
    old, new = key(), key()
    with AuditStore(path, old, content_mode="full") as store:
        store.append_many([record(f"old-{i}") for i in range(3)])
        store.rotate_key(new)
        assert store.key_id == new.key_id
        store.append(record("new-0"))
        assert store.verify().ok
    with AuditStore(path, new) as store:
        got = {r.call_id: r for r in store.iter_records()}
        assert set(got) == {"old-0", "old-1", "old-2", "new-0"}
        assert got["old-1"].payload["answer"] == SECRETS[4]
        assert got["old-1"].placeholder_map["<CARD_1>"] == SECRETS[2]
        assert store.verify().records == 4
    with pytest.raises(WrongKeyError) as info:
        AuditStore(path, old)
    assert old.key_id in str(info.value)
    assert new.key_id in str(info.value)


def test_rotation_is_seen_by_another_store_on_the_same_file(tmp_path):
    path = tmp_path / "a.db"
    old, new = key(), key()
    with AuditStore(path, old) as first, AuditStore(path, old) as second:
        first.append(record("a"))
        first.rotate_key(new)
        with pytest.raises(WrongKeyError, match=new.key_id):
            second.append(record("b"))
        first.append(record("b"))
        assert first.verify().records == 2


def test_durable_mode_writes_each_record(tmp_path):
    with AuditStore(tmp_path / "a.db", key(), durable=True) as store:
        for i in range(5):
            store.append(record(f"c{i}"))
        assert store.verify().records == 5


def test_duplicate_call_id_is_refused_and_the_batch_is_not_half_written(tmp_path):
    with AuditStore(tmp_path / "a.db", key()) as store:
        store.append(record("a"))
        with pytest.raises(AuditError, match="UNIQUE"):
            store.append_many([record("b"), record("a")])
        assert [r.call_id for r in store.iter_records()] == ["a"]
        assert store.verify().ok


def test_unserialisable_payload_is_an_audit_error(tmp_path):
    with AuditStore(tmp_path / "a.db", key()) as store, pytest.raises(AuditError, match="JSON"):
        store.append(record("a", payload={"when": object()}))


def test_closed_store_raises_audit_error(tmp_path):
    store = AuditStore(tmp_path / "a.db", key())
    store.close()
    store.close()
    with pytest.raises(AuditError, match="closed"):
        store.append(record("a"))


def test_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLLM_AUDIT_KEY", generate_key())
    with AuditStore(tmp_path / "a.db") as store:
        store.append(record("a"))
    with AuditStore(tmp_path / "a.db") as store:
        assert store.get("a") is not None


def test_another_apps_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    db = raw(path)
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES ('theirs')")
    db.close()
    before = path.read_bytes()
    assert before[18:20] == b"\x01\x01"  # a rollback-journal database, not WAL
    with pytest.raises(AuditError, match=r"other\.db is an SQLite file but not a privllm audit"):
        AuditStore(path, key())  # as a client would open it
    assert path.read_bytes() == before  # not even switched to WAL mode
    with pytest.raises(AuditError, match=r"other\.db is an SQLite file but not a privllm audit"):
        AuditStore(path, key(), read_only=True)  # as `privllm audit show` would
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["other.db"]


def test_an_empty_file_is_not_a_log_to_read(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(AuditError, match="not a privllm audit log \\(it is empty\\)"):
        AuditStore(path, key(), read_only=True)
    assert path.read_bytes() == b""


def test_garbage_file_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "a.db"
    path.write_bytes(b"this is not sqlite" * 400)
    with pytest.raises(AuditError, match="corrupt or not a privllm audit log"):
        AuditStore(path, key())


def test_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditRecord(call_id="a", provider="p", model="m", time=datetime(2025, 1, 1))
