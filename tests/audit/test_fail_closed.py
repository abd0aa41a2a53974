"""The audit log fails closed: a log that cannot be written refuses calls before anything
is sent, and with ``require_record`` no call returns without its record on disk, kill -9
included (issue 11, item 2). Real processes, a real full disk (RLIMIT_FSIZE), real SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from privllm.audit import AuditStore, MasterKey, generate_key

CHILD = Path(__file__).parents[1] / "support" / "audit_child.py"


@pytest.fixture
def key_b64() -> str:
    return generate_key()


def start(mode: str, server, log: Path, key_b64: str) -> subprocess.Popen[str]:
    provider = {**server.provider_config(), "max_retries": 0}
    env = {**os.environ, "PRIVLLM_AUDIT_KEY": key_b64}
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, json.dumps(provider), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def chats(server) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def recorded_calls(log: Path, key_b64: str) -> list[int]:
    with AuditStore(log, MasterKey.from_base64(key_b64)) as store:
        assert store.verify().ok
        texts = [r.payload["request"]["messages"][0]["content"] for r in store.iter_records()]
    return sorted(0 if t.startswith("first") else int(t.split(":")[0].split()[1]) for t in texts)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_refuses_every_later_call_before_sending(openai_server, tmp_path, key_b64):
    log = tmp_path / "audit.db"
    child = start("diskfull", openai_server, log, key_b64)
    out, err = child.communicate(timeout=60)
    lines = out.splitlines()
    # Call 1 was sent before the writer met the full disk; its record is lost and the
    # caller hears so. Every call after that is refused before a byte is sent.
    assert lines[:2] == ["ok 0", "ok 1"], err
    refused = lines[2:8]
    assert len(refused) == 6
    assert all(line.startswith("refused AuditError") for line in refused)
    assert all("1 record(s) not logged" in line for line in refused)
    assert chats(openai_server) == 2
    assert "close AuditError" in lines[-1]
    assert recorded_calls(log, key_b64) == [0]


def test_with_require_record_a_call_whose_record_fails_fails(openai_server, tmp_path, key_b64):
    log = tmp_path / "audit.db"
    child = start("strict-diskfull", openai_server, log, key_b64)
    out, err = child.communicate(timeout=60)
    lines = out.splitlines()
    # The call whose record could not be committed does not return its answer.
    assert lines[0] == "ok 0", err
    assert all(line.startswith("refused AuditError") for line in lines[1:7])
    assert chats(openai_server) == 2
    assert recorded_calls(log, key_b64) == [0]


@pytest.mark.parametrize("kills", range(3))
def test_with_require_record_no_returned_call_lacks_its_record_after_kill_9(
    openai_server, tmp_path, key_b64, kills
):
    log = tmp_path / "audit.db"
    child = start("strict", openai_server, log, key_b64)
    assert child.stdout is not None
    returned: list[int] = []
    for line in child.stdout:
        returned.append(int(line.split()[1]))
        if len(returned) >= 20 + 7 * kills:
            break
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    recorded = recorded_calls(log, key_b64)
    assert set(returned) <= set(recorded)
    # At most the one call in flight at the kill has a record but never returned.
    assert len(recorded) - len(returned) <= 1
