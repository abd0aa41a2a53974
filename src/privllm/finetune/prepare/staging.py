"""Files written under a temporary name and renamed into place, and what keeps such a
temporary file from being left behind when the process is stopped.

A temporary file is ``.NAME.PID.tmp`` beside ``NAME``. Ctrl-C and SIGTERM (inside
``sigterm_unwinds``) run the ``finally`` blocks that remove it; SIGKILL runs nothing, so
each new write first removes the temporary files of ``NAME`` whose process is gone
(``remove_stale``). A file whose PID is alive, possibly another run writing the same
target, is left alone.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> temp_path(folder / "out.jsonl").name == f".out.jsonl.{os.getpid()}.tmp"
    True
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

__all__ = ["Terminated", "remove_stale", "sigterm_unwinds", "temp_path"]


def temp_path(target: Path) -> Path:
    """``.NAME.PID.tmp`` beside ``target``: private to this process, hidden, same folder
    (so the final rename is atomic)."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def remove_stale(target: Path) -> list[Path]:
    """Remove ``target``'s temporary files left by processes that no longer exist.

    Only names this module makes for ``target`` are considered, and only when their PID is
    not a running process; returns what was removed. Errors (a file removed meanwhile, a
    read-only folder) are ignored: the write that follows reports its own.
    """
    pattern = re.compile(r"\." + re.escape(target.name) + r"\.(\d+)\.tmp")
    removed: list[Path] = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        m = pattern.fullmatch(name)
        if m is None or _alive(int(m.group(1))):
            continue
        path = target.with_name(name)
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such PID)
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM inside ``sigterm_unwinds``."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """SIGTERM unwinds the block like Ctrl-C (``finally`` blocks remove temporary files,
    worker pools stop), then the process dies of SIGTERM, as its sender expects.

    A second SIGTERM during the clean-up kills at once. Outside the main thread (where no
    handler can be set) the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    except Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise  # pragma: no cover - the signal ends the process
    finally:
        signal.signal(signal.SIGTERM, previous)
