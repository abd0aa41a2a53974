"""``privllm audit``, run as a user runs it: CliRunner over a log written by a real Client."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat

import pytest
from click.testing import CliRunner

from privllm import Client
from privllm.audit import AuditRecord, AuditStore, MasterKey, generate_key
from privllm.audit.cli import parse_duration
from privllm.cli import main
from privllm.errors import RedactionBlocked
from privllm.testing import Reply

NAME = "Jane Doe"


@pytest.fixture
def key_text(monkeypatch) -> str:
    text = generate_key()
    monkeypatch.setenv("PRIVLLM_AUDIT_KEY", text)
    return text


@pytest.fixture
def log(tmp_path, openai_server, key_text):
    """A log with four calls: two ok, one provider error, one blocked (full mode)."""
    path = tmp_path / "audit.db"
    with Client(
        env={"PRIVLLM_AUDIT_KEY": key_text},
        provider={**openai_server.provider_config(), "max_retries": 0},
        redaction={"terms": {"PERSON": [NAME]}, "actions": {"CREDIT_CARD": "block"}},
        audit={"path": path, "content": "full"},
    ) as client:
        client.chat(f"hello {NAME}")
        client.chat("plain")
        openai_server.reply(Reply.error(500))
        with pytest.raises(Exception, match="scripted error"):
            client.chat("fails")
        with pytest.raises(RedactionBlocked):
            client.chat("card 4111 1111 1111 1111")
    return path


def audit(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, ["audit", *args], env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_show_lists_metadata_with_filters(log):
    result = audit("show", "--path", str(log), "--json")
    assert result.exit_code == 0
    shown = lines(result.stdout)
    assert [r["status"] for r in shown] == ["ok", "ok", "error", "blocked"]
    assert all("payload" not in r and "placeholder_map" not in r for r in shown)

    blocked = lines(audit("show", "--path", str(log), "--json", "--status", "blocked").stdout)
    assert [(r["status"], r["rule"]) for r in blocked] == [("blocked", "redaction.block")]
    assert audit("show", "--path", str(log), "--json", "--provider", "azure").stdout == ""
    assert len(lines(audit("show", "--path", str(log), "--json", "--since", "2h").stdout)) == 4
    old = audit("show", "--path", str(log), "--json", "--since", "2999-01-01").stdout
    assert old == ""
    assert len(lines(audit("show", "--path", str(log), "--json", "--limit", "1").stdout)) == 1

    table = audit("show", "--path", str(log), env={"COLUMNS": "200"}).stdout
    assert "4 call(s)" in table
    assert "redaction.block" in table


def test_verify_ok_then_names_the_tampered_record(log):
    result = audit("verify", "--path", str(log))
    assert result.exit_code == 0
    assert "ok: 4 record(s) verify" in result.stdout
    with sqlite3.connect(log) as conn:
        conn.execute("UPDATE records SET model = 'other' WHERE seq = 2")
    conn.close()
    result = audit("verify", "--path", str(log))
    assert result.exit_code == 1
    assert "record 2 (call" in result.stderr
    assert "does not match its MAC" in result.stderr


def test_wrong_key_is_a_clear_error(log, key_text):
    wrong = generate_key()
    result = audit("show", "--path", str(log), env={"PRIVLLM_AUDIT_KEY": wrong})
    assert result.exit_code == 1
    mine, theirs = MasterKey.from_base64(wrong).key_id, MasterKey.from_base64(key_text).key_id
    assert (
        f"error: this key (id {mine}) does not open the log; it was written with key id {theirs}"
        in result.stderr
    )
    assert wrong not in result.output
    assert key_text not in result.output


def test_corrupt_file_and_missing_log_are_clear_errors(tmp_path, key_text):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x00garbage" * 500)
    result = audit("verify", "--path", str(bad))
    assert result.exit_code == 1
    assert "corrupt or not a privllm audit log" in result.stderr
    missing = audit("stats", "--path", str(tmp_path / "none.db"))
    assert missing.exit_code == 2
    assert "no audit log at" in missing.stderr
    assert not (tmp_path / "none.db").exists()  # reading never creates a log


def test_export_decrypts_to_stdout_or_a_private_file(log, tmp_path, monkeypatch):
    result = audit("export", "--path", str(log), "--format", "jsonl")
    exported = lines(result.stdout)
    assert [r["status"] for r in exported] == ["ok", "ok", "error", "blocked"]
    first = exported[0]
    assert first["payload"]["request"]["messages"][0]["content"] == "hello [PERSON_1]"
    assert first["placeholder_map"] == {"[PERSON_1]": NAME}
    assert "exported 4 record(s)" in result.stderr

    out = tmp_path / "export.jsonl"
    monkeypatch.setattr("privllm.audit.cli._PROGRESS_FROM", 1)  # the progress-bar path
    assert audit("export", "--path", str(log), "-o", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert lines(out.read_text()) == exported
    again = audit("export", "--path", str(log), "-o", str(out))
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert audit("export", "--path", str(log), "-o", str(out), "--force").exit_code == 0


def test_export_names_a_record_whose_payload_was_altered(log):
    with sqlite3.connect(log) as conn:
        (blob,) = conn.execute("SELECT payload FROM records WHERE seq = 2").fetchone()
        flipped = blob[:-1] + bytes([blob[-1] ^ 1])
        conn.execute("UPDATE records SET payload = ? WHERE seq = 2", (flipped,))
    conn.close()
    result = audit("export", "--path", str(log))
    assert result.exit_code == 1
    assert "record 2 (call" in result.stderr
    assert "does not decrypt" in result.stderr
    assert "InvalidTag" not in result.output


def test_stats_per_provider_and_day(log):
    (row,) = lines(audit("stats", "--path", str(log), "--json").stdout)
    assert (row["provider"], row["calls"], row["errors"], row["blocked"]) == ("openai", 4, 1, 1)
    assert row["findings"] == {"PERSON": 1}
    assert row["total_tokens"] > 0
    assert "audit log usage" in audit("stats", "--path", str(log)).stdout


def test_keygen_prints_or_writes_a_key(tmp_path):
    result = audit("keygen")
    assert len(base64.b64decode(result.stdout.strip())) == 32
    assert "key id" in result.stderr
    target = tmp_path / "new.key"
    result = audit("keygen", "--output", str(target))
    assert result.exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().strip() not in result.output  # only the id is shown
    assert audit("keygen", "--output", str(target)).exit_code == 1  # never overwritten


def test_rotate_key_in_place_of_the_key_file(tmp_path, openai_server, monkeypatch):
    monkeypatch.delenv("PRIVLLM_AUDIT_KEY", raising=False)
    path = tmp_path / "audit.db"
    Client(env={}, provider=openai_server.provider_config(), audit={"path": path}).close()
    key_file = tmp_path / "audit.key"
    old = key_file.read_text()
    result = audit("rotate-key", "--path", str(path))
    assert result.exit_code == 0, result.output
    assert key_file.read_text() != old
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert audit("verify", "--path", str(path)).exit_code == 0  # the replaced file opens it
    stale = audit("verify", "--path", str(path), env={"PRIVLLM_AUDIT_KEY": old.strip()})
    assert stale.exit_code == 1
    assert "does not open the log" in stale.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if "key" in p.name) == ["audit.key"]


def test_rotate_key_from_the_environment_needs_a_new_key(log, tmp_path, monkeypatch):
    refused = audit("rotate-key", "--path", str(log))
    assert refused.exit_code == 2
    assert "--new-key-env" in refused.stderr
    new = generate_key()
    monkeypatch.setenv("NEW_AUDIT_KEY", new)
    assert audit("rotate-key", "--path", str(log), "--new-key-env", "NEW_AUDIT_KEY").exit_code == 0
    assert audit("verify", "--path", str(log), env={"PRIVLLM_AUDIT_KEY": new}).exit_code == 0


def test_erase_destroys_one_calls_values(log, key_text):
    first = lines(audit("show", "--path", str(log), "--json").stdout)[0]["call_id"]
    result = audit("erase", "--path", str(log), "--call", first)
    assert result.exit_code == 0
    assert "can no longer be decrypted" in result.stdout
    assert audit("erase", "--path", str(log), "--call", first).exit_code == 1
    assert audit("erase", "--path", str(log), "--call", "no-such-call").exit_code == 1
    with AuditStore(log, MasterKey.from_base64(key_text)) as store:
        assert store.get(first).placeholder_map is None
        assert store.verify()


def test_purge_removes_days_past_the_age(log, key_text):
    key = MasterKey.from_base64(key_text)
    assert "purged 0 record(s)" in audit("purge", "--path", str(log), "--older-than", "30d").stdout
    with AuditStore(log, key) as store:
        store.append(AuditRecord(call_id="later", provider="openai", model="m"))
    # Records are kept by whole UTC days: "0s" still keeps today's.
    assert audit("purge", "--path", str(log), "--older-than", "0s").exit_code == 0
    bad = audit("purge", "--path", str(log), "--older-than", "soon")
    assert bad.exit_code == 2
    assert "not a duration" in bad.output


def test_parse_duration():
    assert parse_duration("90s").total_seconds() == 90
    assert parse_duration("2H").total_seconds() == 7200
    assert parse_duration("1w").days == 7
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("30 days")
