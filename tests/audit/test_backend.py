"""The storage seam: ``open_store`` picks the store ``[audit]`` names, behind ``AuditLog``."""

from __future__ import annotations

import pytest

from privllm.audit.backend import AuditLog, open_store
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.record import AuditRecord
from privllm.audit.store import AuditStore
from privllm.config import AuditConfig
from privllm.errors import AuditError, ConfigError


def test_sqlite_is_the_default_and_keeps_its_file_format(tmp_path):
    key = MasterKey.from_base64(generate_key())
    config = AuditConfig(path=tmp_path / "logs" / "audit.db", content="full")
    log: AuditLog = open_store(config, key)  # makes the folder, as the client does
    with log:
        assert isinstance(log, AuditStore)
        log.append(AuditRecord(call_id="c1", provider="openai", model="m", payload={"q": 1}))
    with AuditStore(tmp_path / "logs" / "audit.db", key, read_only=True) as same:
        assert same.get("c1").payload == {"q": 1}
        assert same.verify().records == 1


def test_reading_never_creates_a_log(tmp_path):
    config = AuditConfig(path=tmp_path / "audit.db")
    key = MasterKey.from_base64(generate_key())
    with pytest.raises(ConfigError, match="no audit log at"):
        open_store(config, key, create=False, read_only=True)
    assert not (tmp_path / "audit.db").exists()


def test_a_read_only_log_refuses_writes(tmp_path):
    key = MasterKey.from_base64(generate_key())
    config = AuditConfig(path=tmp_path / "audit.db")
    open_store(config, key).close()
    with (
        open_store(config, key, create=False, read_only=True) as log,
        pytest.raises(AuditError, match="read-only"),
    ):
        log.append(AuditRecord(call_id="c1", provider="openai", model="m"))
