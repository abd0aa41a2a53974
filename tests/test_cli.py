"""The privllm command, run as a user would run it (a subprocess for the demo)."""

from __future__ import annotations

import subprocess
import sys

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
