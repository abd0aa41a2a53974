"""The inventory table and its audit evidence: listing, tamper evidence, where it lives."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from finetune.samples import TERMS, chat, write_jsonl
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.store import AuditStore
from privllm.errors import AuditError
from privllm.finetune.inventory.store import Inventory, InventoryItem
from privllm.finetune.jobs.lifecycle import FinetuneConfig, FinetuneJobs
from privllm.testing import OpenAIServer

T0 = datetime(2026, 2, 1, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as s:
        yield s


@pytest.fixture
def training(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", [chat("Hello [PERSON_1]", "Hi.")])


def _jobs(server: OpenAIServer, tmp_path: Path, key: MasterKey, **kw: object) -> FinetuneJobs:
    kw.setdefault("audit", {"path": tmp_path / "audit.db", "key": key})
    return FinetuneJobs(env={}, provider=server.provider_config(), redaction={"terms": TERMS}, **kw)


def _sql(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_inventory_lists_provider_id_size_hash_and_times(server, training, tmp_path, key):
    with _jobs(server, tmp_path, key, clock=lambda: T0) as jobs:
        uploaded = jobs.upload(training)
        (item,) = jobs.inventory()
    assert item == uploaded
    row = item.as_dict()
    assert row["provider"] == "openai"
    assert row["endpoint"] == server.url
    assert row["remote_id"] == uploaded.remote_id
    assert row["bytes"] == training.stat().st_size
    assert len(row["sha256"]) == 64
    assert row["created_at"] == "2026-02-01T09:30:00.000000Z"
    assert row["expires_at"] == "2026-03-03T09:30:00.000000Z"


def test_the_table_lives_in_the_audit_log_and_holds_metadata_only(server, training, tmp_path, key):
    with _jobs(server, tmp_path, key) as jobs:
        jobs.upload(training)
    db = tmp_path / "audit.db"
    conn = sqlite3.connect(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        cells = " ".join(
            str(v) for r in conn.execute("SELECT * FROM finetune_inventory") for v in r
        )
    finally:
        conn.close()
    assert {"log_head", "records", "finetune_inventory"} <= tables
    assert "train.jsonl" not in cells
    assert str(tmp_path) not in cells
    assert "PERSON_1" not in cells
    # The audit log itself is untouched by the extra table.
    with AuditStore(db, key) as store:
        assert store.verify().ok
        assert [r.call_id.split(".")[1] for r in store.iter_records()] == ["upload"]


def test_verify_passes_then_catches_an_edited_row(server, training, tmp_path, key):
    with _jobs(server, tmp_path, key) as jobs:
        jobs.upload(training)
        assert jobs.verify().ok
        _sql(tmp_path / "audit.db", "UPDATE finetune_inventory SET sha256 = 'ab', bytes = 1")
        check = jobs.verify()
    assert not check.ok
    (problem,) = check.problems
    assert "bytes, sha256 differ" in problem


def test_verify_catches_a_removed_row(server, training, tmp_path, key):
    with _jobs(server, tmp_path, key) as jobs:
        item = jobs.upload(training)
        _sql(tmp_path / "audit.db", "DELETE FROM finetune_inventory")
        check = jobs.verify()
    assert not check.ok
    assert check.problems == (f"audit record {item.audit_call_id}: no inventory row claims it",)


def test_verify_catches_hidden_and_undeleted_rows(server, training, tmp_path, key):
    db = tmp_path / "audit.db"
    with _jobs(server, tmp_path, key) as jobs:
        jobs.upload(training)
        _sql(db, "UPDATE finetune_inventory SET deleted_at = '2026-01-01T00:00:00.000000Z'")
        assert "marked deleted without a deletion record" in jobs.verify().problems[0]
        _sql(db, "UPDATE finetune_inventory SET deleted_at = NULL")
        jobs.purge(older_than=timedelta(0))
        assert jobs.verify().ok
        _sql(db, "UPDATE finetune_inventory SET deleted_at = NULL")
        problems = jobs.verify().problems
    assert "has a deletion record but is listed as present" in problems[0]


def test_rows_outlive_audit_retention(server, training, tmp_path, key):
    with _jobs(server, tmp_path, key, clock=lambda: T0) as jobs:
        jobs.upload(training)
    later = T0 + timedelta(days=10)
    with AuditStore(tmp_path / "audit.db", key, clock=lambda: later) as store:
        assert store.purge(timedelta(days=1)).records == 1
    with _jobs(server, tmp_path, key, clock=lambda: later) as jobs:
        assert len(jobs.inventory()) == 1
        check = jobs.verify()
        assert check.ok
        assert "audit record is gone" in check.unverifiable[0]
        # Retention of the inventory is its own: the file is still due for deletion.
        assert [o.item for o in jobs.purge(dry_run=True)] == []
        assert [o.action for o in jobs.purge(older_than=timedelta(days=5))] == ["deleted"]


def test_audit_disabled_needs_an_inventory_path(server, training, tmp_path):
    settings = FinetuneConfig(inventory_path=tmp_path / "inv" / "finetune.db")
    with _jobs(server, tmp_path, MasterKey.from_base64(generate_key()), audit={"enabled": False},
               settings=settings) as jobs:  # fmt: skip
        item = jobs.upload(training)
        assert jobs.inventory() == [item]
        assert item.audit_call_id is None
        with pytest.raises(AuditError, match="no audit records"):
            jobs.verify()
    path = tmp_path / "inv" / "finetune.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (tmp_path / "audit.db").exists()


def test_separate_inventory_file_with_the_audit_log(server, training, tmp_path, key):
    settings = FinetuneConfig(inventory_path=tmp_path / "inventory.db")
    with _jobs(server, tmp_path, key, settings=settings) as jobs:
        jobs.upload(training)
        assert jobs.verify().ok
    assert (tmp_path / "audit.db").exists()
    assert (tmp_path / "inventory.db").exists()


def test_inventory_directly(tmp_path):
    with Inventory(tmp_path / "i.db", clock=lambda: T0) as inv:
        one = InventoryItem("file", "openai", "https://api.openai.com/v1", "file-1", T0)
        assert inv.record(one) == one
        assert inv.record(one) == one  # once only
        other = InventoryItem("file", "openai", "https://eu.api.openai.com/v1", "file-1", T0)
        inv.record(other)
        assert inv.find("file", "file-1", endpoint="https://eu.api.openai.com/v1") == other
        assert [i.endpoint for i in inv.items()] == [one.endpoint, other.endpoint]
        gone = inv.mark_deleted(one, "by hand")
        assert gone.deleted_at == T0
        assert inv.items() == [other]
        assert len(inv.items(include_deleted=True)) == 2
        assert one.host == "api.openai.com"
        assert "chained=False" in repr(inv)
    with pytest.raises(AuditError, match="closed"):
        inv.items()


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AuditError, match=r"junk\.db"):
        Inventory(path)
