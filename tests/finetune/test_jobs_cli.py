"""``privllm finetune upload|create-job|status|inventory|purge`` against the local servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from finetune.samples import EMAIL, chat, write_jsonl
from privllm.audit.crypto import generate_key
from privllm.finetune.jobs.cli import JOB_COMMANDS
from privllm.testing import OpenAIServer


@click.group()
def finetune() -> None:
    """The group the lead wires into ``privllm finetune``."""


for _command in JOB_COMMANDS:
    finetune.add_command(_command)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as s:
        yield s


@pytest.fixture
def config(tmp_path: Path, server: OpenAIServer) -> Path:
    path = tmp_path / "privllm.toml"
    path.write_text(
        f"""
[provider]
name = "openai"
[provider.openai]
base_url = "{server.url}"
api_key = "sk-test-local-0000"
[audit]
path = "{tmp_path / "audit.db"}"
"""
    )
    return path


@pytest.fixture
def run(config: Path):
    runner = CliRunner(env={"PRIVLLM_AUDIT_KEY": generate_key(), "PRIVLLM_CONFIG": str(config)})

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(finetune, list(args), input=input, catch_exceptions=False)

    return invoke


def test_upload_train_track_purge(run, server, tmp_path):
    prepared = write_jsonl(tmp_path / "train.jsonl", [chat("Mail [EMAIL_1]", "Done.")])
    result = run("upload", str(prepared))
    assert result.exit_code == 0, result.output
    file_id = result.stdout.strip()
    assert file_id in server.files

    result = run("create-job", file_id, "--model", "gpt-4o-mini", "--suffix", "demo")
    assert result.exit_code == 0, result.output
    job_id = result.stdout.strip()
    assert job_id in server.jobs

    result = run("status", job_id, "--wait", "--interval", "0", "--events")
    assert result.exit_code == 0, result.output
    assert f"{job_id}: succeeded" in result.stdout
    model = server.jobs[job_id]["fine_tuned_model"]
    assert f"tuned model: {model}" in result.stdout

    result = run("inventory", "--json", "--verify")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["kind"], r["remote_id"]) for r in rows] == [
        ("file", file_id), ("job", job_id), ("model", model)
    ]  # fmt: skip
    assert rows[0]["bytes"] == prepared.stat().st_size
    assert "verify: ok" in result.stderr

    result = run("inventory")
    assert file_id in result.stdout

    result = run("purge", "--dry-run")
    assert "0 item(s) due (dry run)" in result.stdout
    result = run("purge", "--older-than", "0", "--models", "--dry-run")
    assert "2 item(s) due (dry run)" in result.stdout
    assert not [r for r in server.requests if r.method == "DELETE"]

    result = run("purge", "--older-than", "0", "--models", "--yes")
    assert result.exit_code == 0, result.output
    deleted = [r.path for r in server.requests if r.method == "DELETE"]
    assert deleted == [f"/v1/files/{file_id}", f"/v1/models/{model}"]

    result = run("inventory", "--all", "--json")
    gone = {r["kind"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert gone["file"]["deleted_at"]
    assert gone["model"]["deleted_at"]
    assert run("inventory", "--json").stdout == f"{json.dumps(gone['job'])}\n"


def test_unprepared_upload_exits_1_and_sends_nothing(run, server, tmp_path):
    raw = write_jsonl(tmp_path / "raw.jsonl", [chat(f"Mail {EMAIL}", "Done.")])
    result = run("upload", str(raw))
    assert result.exit_code == 1
    assert "finetune prepare" in result.stderr
    assert "EMAIL: 1" in result.stderr
    assert EMAIL not in result.output
    assert server.requests == []
    result = run("upload", "--allow-unredacted", str(raw))
    assert result.exit_code == 0, result.output


def test_purge_asks_first(run, server, tmp_path):
    prepared = write_jsonl(tmp_path / "train.jsonl", [chat("Hello", "Hi.")])
    run("upload", str(prepared))
    result = run("purge", "--older-than", "0", input="n\n")
    assert "nothing deleted" in result.stdout
    assert len(server.files) == 1
    result = run("purge", "--older-than", "0", input="y\n")
    assert "deleted" in result.stdout
    assert server.files == {}


def test_purge_without_a_terminal_or_yes_says_how_to_confirm(run, server, tmp_path):
    prepared = write_jsonl(tmp_path / "train.jsonl", [chat("Hello", "Hi.")])
    run("upload", str(prepared))
    result = run("purge", "--older-than", "0")  # stdin: empty, not a terminal
    assert result.exit_code == 1
    assert "pass --yes" in result.stderr
    assert "Aborted" not in result.output
    assert len(server.files) == 1


def test_inventory_piped_fits_80_columns_as_plain_text(run, server, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    prepared = write_jsonl(tmp_path / "train.jsonl", [chat("Hello", "Hi.")])
    file_id = run("upload", str(prepared)).stdout.strip()
    run("create-job", file_id, "--model", "gpt-4o-mini-2024-07-18")
    result = run("inventory")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line for line in lines if len(line.rstrip()) > 80] == []
    assert not set("─━┃│┏┡└") & set(result.stdout)
    assert "\x1b" not in result.stdout
    assert any(line.split()[:1] == ["openai"] and file_id in line for line in lines)


def test_failed_job_exits_1(run, server, tmp_path):
    server.job_steps = ("queued", "failed")
    prepared = write_jsonl(tmp_path / "train.jsonl", [chat("Hello", "Hi.")])
    file_id = run("upload", str(prepared)).stdout.strip()
    job_id = run("create-job", file_id, "--model", "m").stdout.strip()
    result = run("status", job_id, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["state"] == "failed"


def test_config_errors_exit_2(run):
    result = run("inventory", "--profile", "missing")
    assert result.exit_code == 2
    assert "missing" in result.stderr


def test_purge_older_than_the_calendar_finds_nothing_and_huge_values_are_refused(
    run, server, tmp_path
):
    prepared = write_jsonl(tmp_path / "train.jsonl", [chat("Hello", "Hi.")])
    assert run("upload", str(prepared)).exit_code == 0
    # 800,000 days ago is before year 1: the cut-off is the earliest date, nothing is older.
    result = run("purge", "--older-than", "800000", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "0 item(s) due (dry run)" in result.stdout
    result = run("purge", "--older-than", "99999999999", "--dry-run")
    assert result.exit_code == 2
    assert "--older-than" in result.output
    assert "Traceback" not in result.output
    assert not [r for r in server.requests if r.method == "DELETE"]


def test_reading_commands_create_no_key_and_no_log_before_the_first_upload(tmp_path, server):
    folder = tmp_path / "state"  # where audit.db and audit.key would appear
    config = tmp_path / "privllm.toml"
    config.write_text(
        f"""
[provider]
name = "openai"
[provider.openai]
base_url = "{server.url}"
api_key = "sk-test-local-0000"
[audit]
path = "{folder / "audit.db"}"
create_key = true
"""
    )
    runner = CliRunner(env={"PRIVLLM_AUDIT_KEY": None, "PRIVLLM_CONFIG": str(config)})

    def invoke(*args: str):
        result = runner.invoke(finetune, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    assert "nothing recorded" in invoke("inventory").stdout
    assert invoke("inventory", "--json").stdout == ""
    assert "verify: ok (0 rows)" in invoke("inventory", "--verify").stderr
    assert "0 item(s) due (dry run)" in invoke("purge", "--dry-run").stdout
    assert "0 item(s) due" in invoke("purge", "--yes").stdout
    assert not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["privllm.toml"]
    assert server.requests == []
