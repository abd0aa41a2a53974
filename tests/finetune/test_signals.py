"""``privllm finetune prepare`` stopped by real signals: no worker outlives the run, and no
temporary file outlives the next run.

The command runs as a real process with two forked workers over a file large enough to
take several seconds; the test waits until the workers exist and the temporary output is
being written, then sends SIGTERM or SIGKILL to the parent only (as ``kill PID`` or the OOM
killer would, not to the process group).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)"
)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker waits as a zombie for its new parent to reap it)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state not in ("Z", "X")


def _wait(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def workdir(tmp_path: Path, key_file: Path) -> Path:
    line = {
        "messages": [
            {"role": "user", "content": "Mail ann.lee@acme.com or call +1 415 555 0199. " * 6},
            {"role": "assistant", "content": "Done."},
        ]
    }
    data = (json.dumps(line) + "\n").encode() * 40_000  # about 21 MB: seconds of work
    (tmp_path / "big.jsonl").write_bytes(data)
    (tmp_path / "small.jsonl").write_bytes(json.dumps(line).encode() + b"\n")
    return tmp_path


@pytest.fixture
def start(
    workdir: Path, key_file: Path
) -> Iterator[Callable[[], tuple[subprocess.Popen[bytes], list[int]]]]:
    """Start prepare; at the end, kill whatever survived (a failing test leaves no orphan)."""
    started: list[int] = []

    def run() -> tuple[subprocess.Popen[bytes], list[int]]:
        env = {**os.environ, "HOME": str(workdir), "XDG_DATA_HOME": str(workdir / "data")}
        command = [sys.executable, "-m", "privllm.cli", "finetune", "prepare", "big.jsonl",
                   "-o", "out.jsonl", "--workers", "2", "--key-file", str(key_file)]  # fmt: skip
        # Output to a file, not a pipe: orphaned workers would hold a pipe open for ever.
        with (workdir / "prepare.log").open("wb") as log:
            proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log)
        started.append(proc.pid)
        temp = workdir / f"..out.jsonl.new.{proc.pid}.tmp"
        ready = _wait(
            lambda: len(_children(proc.pid)) >= 2 and temp.exists() and temp.stat().st_size > 0,
            60,
        )
        if not ready:
            proc.kill()
            proc.wait()
            pytest.fail(
                f"prepare did not start its workers: {(workdir / 'prepare.log').read_text()}"
            )
        workers = _children(proc.pid)
        started.extend(workers)
        return proc, workers

    yield run
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _temp_files(workdir: Path) -> list[str]:
    return sorted(p.name for p in workdir.iterdir() if p.name.endswith(".tmp"))


def test_sigterm_stops_the_workers_and_removes_the_temporary_file(workdir, start):
    proc, workers = start()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGTERM  # dies of the signal, as the sender expects
    assert _wait(lambda: not any(_running(w) for w in workers), 10), workers
    assert _temp_files(workdir) == []
    assert not (workdir / "out.jsonl").exists()
    assert not (workdir / ".out.jsonl.new").exists()


def test_sigkill_takes_the_workers_and_the_next_run_removes_the_temporary_file(
    workdir, key_file, start
):
    proc, workers = start()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert _wait(lambda: not any(_running(w) for w in workers), 10), workers
    assert _temp_files(workdir) == [f"..out.jsonl.new.{proc.pid}.tmp"]  # SIGKILL runs nothing
    # Another process's temporary file (the test's own PID: alive) is not touched.
    alive = workdir / f"..out.jsonl.new.{os.getpid()}.tmp"
    alive.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "privllm.cli", "finetune", "prepare", "small.jsonl",
         "-o", "out.jsonl", "--key-file", str(key_file)],
        cwd=workdir, capture_output=True, text=True, check=False,
        env={**os.environ, "HOME": str(workdir), "XDG_DATA_HOME": str(workdir / "data")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _temp_files(workdir) == [alive.name]
    assert (workdir / "out.jsonl").exists()
