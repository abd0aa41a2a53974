"""``privllm demo --provider azure|google``: offline, through each provider's wire server."""

from __future__ import annotations

import subprocess
import sys

import pytest

from privllm.demo import DEFAULT_PROMPT, run_demo

SECRETS = ("jane.doe@acme-corp.com", "4111 1111 1111 1111", "Jane Doe")


@pytest.mark.parametrize("provider", ["azure", "google"])
def test_demo_result(provider):
    result = run_demo(provider=provider)
    assert result.provider == provider
    assert result.app_received == result.streamed == DEFAULT_PROMPT
    for secret in SECRETS:
        assert secret not in result.provider_received
    assert "[EMAIL_1]" in result.provider_received
    assert result.audit_records == 2
    assert not result.audit_log_has_values


@pytest.mark.parametrize("provider", ["azure", "google"])
def test_demo_cli_runs_offline_without_a_key(provider, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "privllm.cli", "demo", "--provider", provider, "--prompt", "hi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert f"local {provider} wire server" in out.stdout
    assert out.stdout.count("hi") >= 3
