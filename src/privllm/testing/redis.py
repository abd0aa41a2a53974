"""A throwaway Redis server for tests: ``redis-server`` on a free loopback port, its files in
a temp folder, everything removed on stop (as :class:`~privllm.testing.postgres.PostgresServer`).

    >>> with RedisServer() as server:                                  # doctest: +SKIP
    ...     url = server.url()                 # redis://127.0.0.1:PORT/0
    ...     with server.monitor() as seen:     # every command the server receives
    ...         ...
    ...     server.save(); server.dump_path.read_bytes()

It needs the ``redis-server`` binary (Debian: ``apt-get install redis-server``); it looks in
``$REDIS_SERVER``, then ``PATH``. No system service is used or needed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .throwaway import ThrowawayServer, free_port

__all__ = ["RedisServer", "find_redis_server"]


def find_redis_server() -> Path | None:
    """The ``redis-server`` binary, or None if Redis is not installed."""
    given = os.environ.get("REDIS_SERVER")
    found = given if given and os.access(given, os.X_OK) else shutil.which("redis-server")
    return Path(found) if found else None


def _command(*args: str) -> bytes:
    """One command in the Redis protocol (RESP)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RedisServer(ThrowawayServer):
    """A private ``redis-server``; ``password`` sets ``requirepass``.

    Persistence is off (no automatic snapshots); :meth:`save` writes ``dump.rdb`` on demand,
    for tests that read what Redis would put on disk.
    """

    def __init__(self, *, password: str | None = None) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RuntimeError("redis-server is not installed: set REDIS_SERVER")
        self.binary = binary
        self.password = password
        super().__init__()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def dump_path(self) -> Path:
        """Where :meth:`save` writes the RDB snapshot."""
        assert self.base is not None, "the server is not started"
        return self.base / "dump.rdb"

    def url(self, db: int = 0) -> str:
        """A ``redis://`` URL for database ``db`` (with the password, if one is set)."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.base = Path(tempfile.mkdtemp(prefix="privllm-redis-"))
        for attempt in range(5):
            self.port = free_port()  # another process may take it first: retry
            args = [
                str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.base), "--dbfilename", "dump.rdb", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--logfile", "server.log",
            ]  # fmt: skip
            if self.password:
                args += ["--requirepass", self.password]
            self._proc = subprocess.Popen(
                args, cwd=self.base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if self._wait_ready():
                return self
            self._halt()
            if attempt == 4:
                log = self.log()
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{log}")
        return self

    def _wait_ready(self, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                if self.command("PING").startswith(b"+PONG"):
                    return True
            time.sleep(0.02)
        return False

    def command(self, *args: str) -> bytes:
        """Send one command on a new connection; the raw reply (enough for PING, SAVE...)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            if self.password:
                sock.sendall(_command("AUTH", self.password))
                sock.recv(1024)
            sock.sendall(_command(*args))
            return sock.recv(65536)

    def save(self) -> Path:
        """Write the snapshot now (``SAVE``) and return its path."""
        reply = self.command("SAVE")
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"SAVE failed: {reply!r}")
        return self.dump_path

    @contextlib.contextmanager
    def monitor(self) -> Iterator[bytearray]:
        """Every command the server runs while inside, as ``MONITOR`` prints them."""
        seen = bytearray()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        if self.password:
            sock.sendall(_command("AUTH", self.password))
            sock.recv(1024)
        sock.sendall(_command("MONITOR"))
        sock.recv(1024)  # +OK
        sock.settimeout(0.05)
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                seen.extend(data)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            yield seen
        finally:
            time.sleep(0.1)  # the last commands are relayed after their replies
            stop.set()
            reader.join(5)
            sock.close()

    def kill(self) -> None:
        """SIGKILL the server (a crash): connections drop, nothing is saved. Files stay."""
        self._halt()

    def _halt(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(30)
        self._proc = None

    def stop(self) -> None:
        """Stop the server and delete its folder. Idempotent."""
        self._halt()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
