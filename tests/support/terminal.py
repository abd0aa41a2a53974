"""Run ``privllm`` as a person does: a real process in a pseudo-terminal of a given width,
or piped; return what the screen (or the pipe) shows, escape sequences removed."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


def plain(text: str) -> str:
    """``text`` without terminal escape sequences, with ``\\r\\n`` as ``\\n``."""
    return _ESCAPES.sub("", text).replace("\r\n", "\n")


def wide_lines(text: str, columns: int = 80) -> list[str]:
    """The lines of ``text`` longer than ``columns`` (trailing blanks do not count)."""
    return [line for line in text.splitlines() if len(line.rstrip()) > columns]


@dataclass
class Screen:
    """What a run showed: ``terminal`` (everything written to the pseudo-terminal),
    ``stdout`` when it was piped, and the exit status."""

    terminal: str
    stdout: str
    returncode: int


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "privllm.cli", *args]


def _env(env: Mapping[str, str] | None, columns: int) -> dict[str, str]:
    merged = {**os.environ, **(env or {})}
    merged["COLUMNS"] = str(columns)
    merged["LINES"] = "24"
    merged["TERM"] = "xterm-256color"
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        merged.pop(name, None)
    return merged


def in_terminal(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    columns: int = 80,
    stdin_terminal: bool = True,
    stdout_terminal: bool = True,
    typed: Sequence[tuple[str, bytes]] = (),
    timeout: float = 60,
) -> Screen:
    """Run in a pseudo-terminal ``columns`` wide (stderr always on it; stdin and stdout
    unless told otherwise: then stdin is empty, stdout a pipe). ``typed``: (text to wait
    for on the terminal, bytes to type then)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    # Not a pipe: nobody reads it while the terminal is being read, so a full pipe would
    # block the command.
    captured = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        command(*args),
        cwd=cwd,
        env=_env(env, columns),
        stdin=slave if stdin_terminal else subprocess.DEVNULL,
        stdout=slave if stdout_terminal else captured,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    pending = list(typed)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0].encode() in plain(seen.decode(errors="replace")).encode():
                os.write(master, pending.pop(0)[1])
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None and not _readable(master):
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            seen += data
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        captured.seek(0)
        out = captured.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        captured.close()
    return Screen(plain(seen.decode(errors="replace")), out, proc.returncode)


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def piped(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    columns: int = 80,
    input: bytes = b"",
) -> subprocess.CompletedProcess[str]:
    """Run with stdin, stdout and stderr all pipes, ``COLUMNS`` set to ``columns``."""
    return subprocess.run(
        command(*args),
        cwd=cwd,
        env=_env(env, columns),
        input=input.decode(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
