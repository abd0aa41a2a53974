"""The privllm command, run as a user would run it (a subprocess for the demo)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from privllm.cli import main
from privllm.demo import DEFAULT_PROMPT, run_demo
from privllm.testing import Reply


def test_demo_runs_offline_without_a_key():
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "privllm.cli", "demo", "--prompt", "hello demo world"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "the provider received" in out.stdout
    assert out.stdout.count("hello demo world") >= 3
    assert "audit log: 2 encrypted record(s) written; detected values in the log file: none" in (
        out.stdout
    )


def test_demo_result_reports_what_the_server_received():
    result = run_demo("plain words only")
    assert result.app_sent == result.provider_received == result.app_received == "plain words only"
    assert result.streamed == "plain words only"
    assert result.request_bytes > len("plain words only")
    assert "jane.doe@acme-corp.com" in DEFAULT_PROMPT


def test_chat_uses_the_configured_provider(openai_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "privllm.toml").write_text(
        "[provider]\n"
        'model = "test-model"\n'
        "[provider.openai]\n"
        f'base_url = "{openai_server.url}"\n'
        'api_key_env = "TEST_KEY"\n'
    )
    monkeypatch.setenv("TEST_KEY", "sk-cli-test-key-000111")
    openai_server.reply(Reply.text("streamed answer", chunks=3), Reply.text("whole answer"))
    runner = CliRunner()
    result = runner.invoke(main, ["chat", "question?"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "streamed answer"
    result = runner.invoke(main, ["chat", "--no-stream", "-"], input="from stdin")
    assert result.output.strip() == "whole answer"
    assert openai_server.last.json()["messages"][0]["content"] == "from stdin"
    assert openai_server.last.headers["authorization"] == "Bearer sk-cli-test-key-000111"


def test_config_show_masks_secrets_and_names_sources(tmp_path, monkeypatch):
    key = "sk-proj-ABCDEFGHIJKLMNOP9876"
    path = tmp_path / "cfg.toml"
    path.write_text(f'[provider]\nmodel = "m1"\n[provider.openai]\napi_key = "{key}"\n')
    monkeypatch.setenv("PRIVLLM_PROVIDER__TIMEOUT", "9")
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps long cells at 80 columns otherwise
    result = CliRunner().invoke(main, ["config", "show", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert key not in result.output
    assert "sk-…9876" in result.output
    assert "PRIVLLM_PROVIDER__TIMEOUT" in result.output
    assert str(path) in result.output.replace("\n", "")


def test_bad_config_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[provider]\nmax_retries = 'many'\n")
    result = CliRunner().invoke(main, ["config", "show", "--config", str(path)])
    assert result.exit_code == 2
    assert "provider.max_retries" in result.output
    assert "Traceback" not in result.output


def test_config_show_prints_markup_like_values_as_text(tmp_path, monkeypatch):
    path = tmp_path / "mk[x].toml"
    path.write_text('[provider]\nmodel = "my[/model]"\n[provider.azure]\nregion = "[bold]eu"\n')
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(main, ["config", "show", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "my[/model]" in result.output
    assert "[bold]eu" in result.output
    assert "mk[x].toml" in result.output.replace("\n", "")


def test_config_show_hides_url_passwords_and_terms(tmp_path, monkeypatch):
    path = tmp_path / "sec.toml"
    path.write_text(
        "[provider.openai]\n"
        'base_url = "https://user:hunter2pass@gpu.internal:8000/v1"\n'
        "[providers.local.openai]\n"
        'base_url = "http://tok3nvalue@10.0.0.5:8000/v1"\n'
        "[redaction.terms]\n"
        'PERSON = ["Jane Doe", "John Roe", "Ann Lee"]\n'
        'ORGANIZATION = ["Acme"]\n'
    )
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(main, ["config", "show", "--config", str(path)])
    assert result.exit_code == 0, result.output
    for secret in ("hunter2pass", "tok3nvalue", "Jane Doe", "John Roe", "Ann Lee", "Acme"):
        assert secret not in result.output
    assert "https://user:***@gpu.internal:8000/v1" in result.output
    assert "http://***@10.0.0.5:8000/v1" in result.output
    assert "3 terms" in result.output
    assert "1 term " in result.output


BAD_UTF8 = b"caf\xc3\xa9 ok\nline two \xff\xfe here\n"


def test_config_file_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(b'[provider]\nmodel = "\xff\xfe"\n')
    result = CliRunner().invoke(main, ["config", "show", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}: not valid UTF-8 (byte 20)" in result.output.replace("\n", "")
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("jsonl", [False, True])
def test_redact_input_not_utf8_is_a_clear_error(tmp_path, jsonl):
    path = tmp_path / "in.txt"
    path.write_bytes(BAD_UTF8 if not jsonl else b'{"a": "x"}\n{"b": "\xff"}\n')
    args = ["redact", str(path), *(["--jsonl"] if jsonl else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    offset = 18
    assert f"error: {path}: not valid UTF-8 (line 2, byte {offset})" in result.output


def test_redact_stdin_not_utf8_is_a_clear_error():
    result = CliRunner().invoke(main, ["redact", "-"], input=BAD_UTF8)
    assert result.exit_code == 1, result.output
    assert "error: <stdin>: not valid UTF-8 (line 2, byte 18)" in result.output


def test_redact_keeps_line_endings_as_text_mode_did(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("mail ann@acme.com\r\ncafé\n".encode())
    result = CliRunner().invoke(main, ["redact", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == "mail [EMAIL_1]\ncafé\n"


def test_plan_file_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "prompt.txt"
    path.write_bytes(BAD_UTF8)
    result = CliRunner().invoke(main, ["plan", "--file", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"error: {path}: not valid UTF-8 (byte 18)" in result.output


def test_plan_prints_markup_like_text_as_text(tmp_path, monkeypatch):
    path = tmp_path / "p.toml"
    path.write_text(
        '[provider]\nname = "azure"\n[provider.azure]\nendpoint = "https://r.openai.azure.com"\n'
        'deployment = "d"\napi_key = "k"\nregion = "[/eu]"\n'
        '[policy]\nallowed_regions = ["[/us]"]\n'
    )
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(main, ["plan", "--config", str(path), "hi"])
    assert result.exit_code == 1, result.output
    assert "region=[/eu]" in result.output
