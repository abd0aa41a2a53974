"""The pytest plugin as a user's project uses it: a test that builds a client against a
fixture's server writes no audit log and no key into the user's home."""

from __future__ import annotations

import os
import subprocess
import sys

USER_TEST = """
from privllm import Client
from privllm.testing import Reply

def test_app(openai_server):
    openai_server.reply(Reply.text("ok"))
    with Client(None, provider=openai_server.provider_config()) as client:
        assert client.chat("hello").text == "ok"

def test_app_without_a_server(privllm_data_home):
    with Client(None, provider={"openai": {"api_key": "sk-x"}}):
        pass
"""


def test_fixtures_keep_the_audit_log_out_of_the_real_home(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text('pytest_plugins = ["privllm.testing.pytest_plugin"]\n')
    (project / "test_app.py").write_text(USER_TEST)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIVLLM_", "XDG_"))}
    env["HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []
