"""What only the PostgreSQL store has: migrations, the DSN and its password, the extra,
and ``[audit] backend = "postgresql"`` through a Client and ``privllm audit``."""

from __future__ import annotations

import json
import pickle
import sys

import pytest

pytest.importorskip("psycopg", reason="the postgres extra: pip install 'privllm[postgres]'")

from click.testing import CliRunner

from privllm import Client
from privllm.audit.backend import open_store
from privllm.audit.chain import CHAIN_COLUMNS
from privllm.audit.crypto import MasterKey, generate_key
from privllm.audit.pg_schema import migrations
from privllm.audit.record import AuditRecord
from privllm.audit.store_postgres import PostgresAuditStore
from privllm.cli import main
from privllm.config import AuditConfig
from privllm.errors import AuditError, ConfigError

PASSWORD = "Sup3r-S3cret-pw"


def rec(call_id: str) -> AuditRecord:
    return AuditRecord(call_id=call_id, provider="openai", model="m", payload={"q": call_id})


def test_migrations_are_numbered_files_applied_once_in_order(pg_log):
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "create_log"
    key = MasterKey.from_base64(generate_key())
    for _ in range(2):  # a second open applies nothing again
        pg_log.open(key).close()
    applied = pg_log.sql("SELECT version, name FROM schema_migrations ORDER BY version")
    assert applied == [(m.version, m.name) for m in found]
    columns = pg_log.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ?"
        " AND table_name = 'records' ORDER BY ordinal_position",
        pg_log.schema,
    )
    # the same columns, in the same order, as the SQLite store and the chain's MAC input
    assert tuple(c for (c,) in columns) == (*CHAIN_COLUMNS, "mac")


def test_a_log_from_a_newer_privllm_is_refused(pg_log):
    key = MasterKey.from_base64(generate_key())
    pg_log.open(key).close()
    pg_log.sql("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    with pytest.raises(AuditError, match="schema version 999; this privllm knows up to 1"):
        pg_log.open(key)


def test_the_dsn_password_is_never_shown(postgres_server, pg_log):
    key = MasterKey.from_base64(generate_key())
    dsn = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{postgres_server.port}/postgres"
    with PostgresAuditStore(dsn, key, schema=pg_log.schema) as store:  # trust auth: it opens
        assert PASSWORD not in repr(store)
        assert "postgres@127.0.0.1" in repr(store)
        store.append(rec("c1"))
        with pytest.raises(AuditError) as info:
            store.append(rec("c1"))  # a server error, with the log named in it
        assert PASSWORD not in str(info.value)
    bad_db = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(AuditError, match="no_such_db") as info:
        PostgresAuditStore(bad_db, key, timeout=5)
    assert PASSWORD not in str(info.value)
    with pytest.raises(ConfigError, match="not a valid connection string") as info:
        PostgresAuditStore(f"host=x password={PASSWORD} oops", key)
    assert PASSWORD not in str(info.value)
    with pytest.raises(TypeError):
        pickle.dumps(store._target)


def test_a_missing_extra_names_the_pip_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    monkeypatch.delitem(sys.modules, "privllm.audit.store_postgres", raising=False)
    monkeypatch.delitem(sys.modules, "privllm.audit.pg_schema", raising=False)
    config = AuditConfig(backend="postgresql")
    with pytest.raises(ConfigError) as info:
        open_store(
            config, MasterKey.from_base64(generate_key()), environ={"PRIVLLM_AUDIT_DSN": "x"}
        )
    assert "pip install 'privllm[postgres]'" in str(info.value)


def test_the_dsn_comes_from_the_named_variable_and_no_key_is_ever_made(pg_log):
    config = AuditConfig(backend="postgresql", dsn_env="APP_AUDIT_DSN", pg_schema=pg_log.schema)
    key = MasterKey.from_base64(generate_key())
    with pytest.raises(ConfigError, match="APP_AUDIT_DSN is not set"):
        open_store(config, key, environ={})
    with pytest.raises(ConfigError, match="no audit log at postgresql://"):
        open_store(config, key, environ={"APP_AUDIT_DSN": pg_log.dsn}, create=False)
    from privllm.audit.keys import resolve_key

    with pytest.raises(ConfigError, match="shared by every instance"):
        resolve_key(config, {})


def test_a_readers_connections_are_read_only_on_the_server(pg_log):
    key = MasterKey.from_base64(generate_key())
    pg_log.open(key).close()
    with pg_log.open(key, read_only=True) as reader, reader._pool.connection() as conn:
        read_only = conn.execute("SHOW default_transaction_read_only").fetchone()
    assert read_only == ("on",)


def test_a_client_and_the_cli_use_the_configured_postgresql_log(
    pg_log, openai_server, tmp_path, monkeypatch
):
    key_text = generate_key()
    env = {"PRIVLLM_AUDIT_KEY": key_text, "PRIVLLM_AUDIT_DSN": pg_log.dsn}
    audit = {"backend": "postgresql", "pg_schema": pg_log.schema, "content": "full"}
    with Client(env=env, provider=openai_server.provider_config(), audit=audit) as client:
        client.chat("write to jane@example.com")
        client.chat("plain")
    config = tmp_path / "privllm.toml"
    config.write_text(
        f'[audit]\nbackend = "postgresql"\npg_schema = "{pg_log.schema}"\ncontent = "full"\n'
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def audit_cli(*args: str):
        result = CliRunner().invoke(main, ["audit", *args, "--config", str(config)])
        assert "Traceback" not in result.output
        return result

    verified = audit_cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "ok: 2 record(s) verify (records 1..2)" in verified.output
    shown = audit_cli("show", "--json")
    assert [json.loads(line)["status"] for line in shown.stdout.splitlines()] == ["ok", "ok"]
    exported = audit_cli("export")
    first = json.loads(exported.stdout.splitlines()[0])
    assert first["payload"]["request"]["messages"][0]["content"] == "write to [EMAIL_1]"
    assert first["placeholder_map"] == {"[EMAIL_1]": "jane@example.com"}
    purged = audit_cli("purge", "--older-than", "30d")
    assert purged.exit_code == 0, purged.output
    assert "purged 0 record(s)" in purged.output
    erased = audit_cli("erase", "--call", first["call_id"])
    assert erased.exit_code == 0, erased.output
    new_key = generate_key()
    monkeypatch.setenv("NEW_AUDIT_KEY", new_key)
    rotated = audit_cli("rotate-key", "--new-key-env", "NEW_AUDIT_KEY")
    assert rotated.exit_code == 0, rotated.output
    monkeypatch.setenv("PRIVLLM_AUDIT_KEY", new_key)
    with pg_log.open(MasterKey.from_base64(new_key), read_only=True) as store:
        assert store.get(first["call_id"]).placeholder_map is None
        assert store.verify().records == 2
    pg_log.sql("UPDATE records SET model = 'other' WHERE seq = 2")
    failed = audit_cli("verify")
    assert failed.exit_code == 1
    assert "record 2" in failed.output
    assert pg_log.dsn not in verified.output + failed.output


def sqlite_log(path, key_text: str, n: int = 5) -> None:
    from datetime import datetime, timedelta, timezone

    from privllm.audit.store import AuditStore

    t0 = datetime(2025, 3, 1, 23, 59, tzinfo=timezone.utc)
    clock = iter([t0] * 3 + [t0 + timedelta(minutes=2)] * 100)
    with AuditStore(
        path, MasterKey.from_base64(key_text), content_mode="full", clock=lambda: next(clock)
    ) as store:
        for i in range(n):
            store.append(
                AuditRecord(
                    call_id=f"c{i}",
                    provider="openai",
                    model="m",
                    payload={"q": i},
                    placeholder_map={"<E>": f"u{i}@example.com"},
                )
            )
        store.erase("c1")


def test_copy_moves_an_sqlite_log_into_postgresql_and_verifies_both(pg_log, tmp_path, monkeypatch):
    key_text = generate_key()
    sqlite_log(tmp_path / "audit.db", key_text)
    config = tmp_path / "privllm.toml"
    config.write_text(f'[audit]\nbackend = "postgresql"\npg_schema = "{pg_log.schema}"\n')
    monkeypatch.setenv("PRIVLLM_AUDIT_KEY", key_text)
    monkeypatch.setenv("PRIVLLM_AUDIT_DSN", pg_log.dsn)
    args = ["audit", "copy", "--from", str(tmp_path / "audit.db"), "--config", str(config)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "copied 5 record(s)" in result.output
    assert "both verify (records 1..5)" in result.output
    with pg_log.open(MasterKey.from_base64(key_text)) as store:
        assert store.verify().records == 5
        assert store.get("c3").placeholder_map == {"<E>": "u3@example.com"}
        assert store.get("c1").placeholder_map is None  # erased stays erased
        assert store.append(rec("after")) == 6  # and the chain goes on
        assert store.verify().ok
    # a second copy would mix two histories: refused, the log untouched
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1
    assert "is not empty" in again.output
    assert pg_log.sql("SELECT COUNT(*) FROM records") == [(6,)]


def test_copy_refuses_a_tampered_source_and_copies_nothing(pg_log, tmp_path):
    import sqlite3

    from privllm.audit.copy import copy_to_postgres
    from privllm.audit.store import AuditStore
    from privllm.errors import TamperedLogError

    key_text = generate_key()
    sqlite_log(tmp_path / "audit.db", key_text)
    db = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
    db.execute("UPDATE records SET model = 'x' WHERE seq = 2")
    db.close()
    key = MasterKey.from_base64(key_text)
    with (
        AuditStore(tmp_path / "audit.db", key, read_only=True) as lite,
        pg_log.open(key) as target,
        pytest.raises(TamperedLogError, match="copy refused: record 2"),
    ):
        copy_to_postgres(lite, target)
    assert pg_log.sql("SELECT COUNT(*) FROM records") == [(0,)]
