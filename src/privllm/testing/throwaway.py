"""What the throwaway servers for tests (PostgreSQL, Redis) share: a temp folder holding the
server's files and its ``server.log``, a free loopback port, and ``with`` to start and stop.

    >>> with ThrowawayServer() as server:
    ...     server.log()
    ''
"""

from __future__ import annotations

import socket
from pathlib import Path
from types import TracebackType

from typing_extensions import Self

__all__ = ["ThrowawayServer", "free_port"]


def free_port() -> int:
    """A loopback port free right now (another process may take it before use: retry)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayServer:
    """Base of the servers in :mod:`privllm.testing.postgres` and :mod:`privllm.testing.redis`:
    ``start`` makes ``base`` (the temp folder) and picks ``port``; ``stop`` removes both."""

    def __init__(self) -> None:
        self.base: Path | None = None
        self.port = 0

    def start(self) -> object:
        return self

    def stop(self) -> None:
        self.base = None

    def log(self) -> str:
        """The server's log so far (to explain a failure)."""
        if self.base is None:
            return ""
        path = self.base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
