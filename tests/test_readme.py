"""The README's quickstart runs as written, with the README's own configuration.

The only changes a reader would make too: the Azure endpoint points at a local Azure wire
server and the key variable the config names is set. The process runs with a fresh HOME, as
on a new machine, so the default audit log and its key are created there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from privllm.testing import AzureOpenAIServer, Reply

README = Path(__file__).resolve().parent.parent / "README.md"


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _block(section: str, language: str) -> str:
    match = re.search(rf"^```{language}\n(.*?)^```", section, re.S | re.M)
    assert match is not None, f"no ```{language} block in the README section"
    return match.group(1)


def test_quickstart_runs_with_the_readme_config(tmp_path: Path) -> None:
    quickstart = _block(_section("Quickstart"), "python")
    config = _block(_section("Configuration"), "toml")
    endpoint = re.search(r'^endpoint = "([^"]+)"', config, re.M)
    key_env = re.search(r'^api_key_env = "([^"]+)"', config, re.M)
    assert endpoint is not None
    assert key_env is not None
    with AzureOpenAIServer(api_key="azure-readme-key-0000") as server:
        (tmp_path / "privllm.toml").write_text(
            config.replace(endpoint.group(0), f'endpoint = "{server.url}"')
        )
        server.deployments.update({"gpt4o", "embed-small"})
        server.reply(
            Reply.text("Dear customer, your refund is on its way to jane.doe@acme-corp.com."),
            Reply.text("Bytes stay home / keys in the vault", chunks=3),
            Reply.text(json.dumps({"number": "INV-7", "total": 12.5})),
        )
        result = subprocess.run(
            [sys.executable, "-c", quickstart],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONWARNINGS": "error",
                "HOME": str(tmp_path),
                "XDG_DATA_HOME": str(tmp_path / "data"),
                key_env.group(1): "azure-readme-key-0000",
            },
        )
        received = server.received()
    assert result.returncode == 0, result.stderr
    # The app got the real address back; the provider saw a placeholder only.
    assert "jane.doe@acme-corp.com" in result.stdout
    assert "Bytes stay home / keys in the vault" in result.stdout
    assert b"jane.doe@acme-corp.com" not in received
    assert b"[EMAIL_1]" in received
    # A fresh machine: the default audit log was created under the private HOME.
    assert list((tmp_path / "data").rglob("audit.db"))


@pytest.mark.parametrize("title", ["Quickstart", "Configuration"])
def test_readme_sections_exist(title: str) -> None:
    assert _section(title).strip()
