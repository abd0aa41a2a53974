"""``privllm audit``, run as a user runs it: CliRunner over a log written by a real Client."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from privllm import Client
from privllm.audit import AuditRecord, AuditStore, MasterKey, generate_key
from privllm.audit.cli import parse_duration
from privllm.cli import main
from privllm.errors import AuditError, RedactionBlocked
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
        with pytest.raises(RedactionBlocked, match=r"CREDIT_CARD .*redaction\.actions"):
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


def test_verify_reports_a_deleted_head_and_writes_nothing(log):
    with sqlite3.connect(log) as conn:
        conn.execute("DELETE FROM log_head")
    conn.close()  # the last connection: the WAL is folded into the file and removed
    before = log.read_bytes()
    result = audit("verify", "--path", str(log))
    assert result.exit_code == 1
    assert "FAILED: " in result.stderr
    assert "signed head (table log_head, row 1) is missing" in result.stderr
    assert "inserted" not in result.stderr  # not a misleading record-level finding
    shown = audit("show", "--path", str(log))
    assert shown.exit_code == 1
    assert "signed head (table log_head, row 1) is missing" in shown.stderr
    assert log.read_bytes() == before
    wal = log.with_name(log.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing waiting to be written either


NOBODY = 65534


@pytest.fixture
def read_only_log(log) -> Iterator[Path]:
    """A copy of the log, 0400 in a 0500 folder: its reader can write neither.

    Root ignores file modes, so under root the copy belongs to ``nobody`` and the commands
    run as that user (see ``as_log_owner``); hence a folder outside pytest's 0700 tmp tree.
    """
    folder = Path(tempfile.mkdtemp(prefix="privllm-ro-"))
    copy = folder / "audit.db"
    shutil.copyfile(log, copy)
    if os.geteuid() == 0:
        os.chown(copy, NOBODY, -1)
        os.chown(folder, NOBODY, -1)
    copy.chmod(0o400)
    folder.chmod(0o500)
    yield copy
    folder.chmod(0o700)
    shutil.rmtree(folder)


@contextmanager
def as_log_owner() -> Iterator[None]:
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


READS = (("verify",), ("show", "--json"), ("export",), ("stats", "--json"))


def test_a_read_only_log_in_a_read_only_folder_can_be_read_and_verified(log, read_only_log):
    # First on the writable original: the answers to expect, and every module the commands
    # import lazily is loaded while the interpreter's files are still readable.
    expected = [audit(*cmd, "--path", str(log)).stdout for cmd in READS]
    before = read_only_log.read_bytes()
    with as_log_owner():
        with pytest.raises(PermissionError):  # the setup is what it claims to be
            (read_only_log.parent / "probe").touch()
        results = [audit(*cmd, "--path", str(read_only_log)) for cmd in READS]
    assert [r.exit_code for r in results] == [0, 0, 0, 0], [r.output for r in results]
    assert [r.stdout for r in results] == expected
    assert "ok: 4 record(s) verify" in results[0].stdout
    assert read_only_log.read_bytes() == before
    assert [p.name for p in read_only_log.parent.iterdir()] == ["audit.db"]


def test_reading_a_log_never_writes_to_it(log, key_text):
    with AuditStore(log, MasterKey.from_base64(key_text), read_only=True) as store:
        assert store.verify()
        with pytest.raises(AuditError, match="open read-only: cannot append"):
            store.append(AuditRecord(call_id="new", provider="openai", model="m"))
        with pytest.raises(AuditError, match="open read-only: cannot purge"):
            store.purge(timedelta(0))
    with AuditStore(log, MasterKey.from_base64(key_text)) as store:
        assert [r.call_id for r in store.iter_records(decrypt=False)][-1] != "new"


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


def flip_payload(log, seq: int) -> None:
    """Alter one byte of record ``seq``'s ciphertext, as a tamperer would."""
    with sqlite3.connect(log) as conn:
        (blob,) = conn.execute("SELECT payload FROM records WHERE seq = ?", (seq,)).fetchone()
        conn.execute(
            "UPDATE records SET payload = ? WHERE seq = ?", (blob[:-1] + bytes([blob[-1] ^ 1]), seq)
        )
    conn.close()


@pytest.mark.parametrize("progress_from", [1, 1000], ids=["progress-bar", "plain"])
def test_a_failed_export_keeps_the_earlier_file_and_leaves_no_partial_one(
    log, tmp_path, monkeypatch, progress_from
):
    monkeypatch.setattr("privllm.audit.cli._PROGRESS_FROM", progress_from)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    good = out_dir / "good.jsonl"
    assert audit("export", "--path", str(log), "-o", str(good)).exit_code == 0
    before = good.read_bytes()
    assert len(lines(before.decode())) == 4

    flip_payload(log, 3)  # records 1 and 2 still decrypt: a partial export would hold them
    again = audit("export", "--path", str(log), "-o", str(good), "--force")
    assert again.exit_code == 1
    assert "record 3 (call" in again.stderr
    assert good.read_bytes() == before  # the earlier export is untouched
    fresh = audit("export", "--path", str(log), "-o", str(out_dir / "new.jsonl"))
    assert fresh.exit_code == 1
    assert [p.name for p in out_dir.iterdir()] == ["good.jsonl"]  # no partial, no temp file


def test_export_force_replaces_the_file_with_a_private_one(log, tmp_path):
    out = tmp_path / "calls.jsonl"
    out.write_text("old\n")
    out.chmod(0o644)
    assert audit("export", "--path", str(log), "-o", str(out), "--force").exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(lines(out.read_text())) == 4
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("audit.db")) == [
        "calls.jsonl"
    ]


def test_stats_per_provider_and_day(log):
    (row,) = lines(audit("stats", "--path", str(log), "--json").stdout)
    assert (row["provider"], row["calls"], row["errors"], row["blocked"]) == ("openai", 4, 1, 1)
    assert row["findings"] == {"PERSON": 1}
    assert row["total_tokens"] > 0
    assert "audit log usage" in audit("stats", "--path", str(log)).stdout


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("findings", "{bad"),
        ("findings", "[1,2]"),
        ("findings", '{"EMAIL": "two"}'),
        ("time", "garbage"),
        ("time", "2025-13-45T00:00:00.000000Z"),
    ],
)
def test_stats_names_a_record_with_invalid_metadata(log, column, value):
    with sqlite3.connect(log) as conn:
        conn.execute(f"UPDATE records SET {column} = ? WHERE seq = 3", (value,))  # noqa: S608
        (call,) = conn.execute("SELECT call_id FROM records WHERE seq = 3").fetchone()
    conn.close()
    for args in (("stats",), ("stats", "--json")):
        result = audit(*args, "--path", str(log))
        assert result.exit_code == 1
        assert result.stderr == f"error: record 3 (call {call}) has invalid metadata: run verify\n"
    shown = audit("show", "--path", str(log))  # which says the same
    assert f"record 3 (call {call}) has invalid metadata" in shown.stderr


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


def test_durations_too_long_are_usage_errors_and_old_cut_offs_keep_everything(log):
    for args in (("purge", "--older-than"), ("show", "--since")):
        for text in ("99999999999d", "9" * 400 + "w"):
            result = audit(*args, text, "--path", str(log))
            assert result.exit_code == 2, result.output
            assert f"'{text}' is too long a duration" in result.stderr
    # Valid, but reaching back before year 1: nothing is that old, every call is that recent.
    purged = audit("purge", "--older-than", "800000d", "--path", str(log))
    assert purged.exit_code == 0, purged.output
    assert "purged 0 record(s)" in purged.stdout
    for since in ("800000d", "0001-01-01T00:00+05:00", "0999-01-01"):
        shown = audit("show", "--since", since, "--path", str(log), "--json")
        assert shown.exit_code == 0, shown.output
        assert len(lines(shown.stdout)) == 4


def test_parse_duration():
    assert parse_duration("90s").total_seconds() == 90
    assert parse_duration("2H").total_seconds() == 7200
    assert parse_duration("1w").days == 7
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("30 days")
    with pytest.raises(ValueError, match="too long a duration"):
        parse_duration("1000000000d")
