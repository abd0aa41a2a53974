"""A throwaway PostgreSQL server for tests: ``initdb`` in a temp folder, ``pg_ctl start`` on
a free loopback port, trust authentication, and everything removed on stop (the pattern
pytest-postgresql uses).

    >>> with PostgresServer() as pg:                                   # doctest: +SKIP
    ...     dsn = pg.dsn()                  # postgresql://postgres@127.0.0.1:PORT/postgres

It needs the server binaries (Debian: ``apt-get install postgresql``); it looks in
``$PG_BIN``, then ``/usr/lib/postgresql/<newest>/bin``, then ``PATH``. The server refuses to
run as root, so under root it runs as the ``postgres`` user (else ``nobody``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .throwaway import ThrowawayServer, free_port

__all__ = ["PostgresServer", "find_pg_bin"]


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None if PostgreSQL is not installed."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = [p for p in root.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: -int(p.name))]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class PostgresServer(ThrowawayServer):
    """A private PostgreSQL instance; ``settings`` are extra ``-c name=value`` options.

    ``fast=True`` (for tests) turns ``fsync`` off: the files are still written, a power cut
    is simply not survived. Benchmarks should pass ``fast=False``.
    """

    def __init__(self, *, settings: dict[str, str] | None = None, fast: bool = True) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (initdb not found): set PG_BIN")
        self.bin = bin_dir
        self.settings = {"fsync": "off"} if fast else {}
        self.settings.update(settings or {})
        super().__init__()
        self._user: str | None = None

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder (for tests that read its bytes)."""
        assert self.base is not None, "the server is not started"
        return self.base / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        """A connection URI for ``dbname`` as the superuser ``postgres`` (no password)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PostgresServer:
        self.base = Path(tempfile.mkdtemp(prefix="privllm-pg-"))
        if os.geteuid() == 0:
            self._user = _unprivileged_user()
            entry = pwd.getpwnam(self._user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        for attempt in range(5):
            self.port = free_port()  # another process may take it first: retry
            options = [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-k {self.base}",  # the Unix socket stays in our folder, not /var/run
                *(f"-c {k}={v}" for k, v in self.settings.items()),
            ]
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data_dir), "-l", str(self.base / "server.log"),
                    "-w", "-t", "60", "-o", " ".join(options), "start",
                )  # fmt: skip
                return self
            except RuntimeError:
                if attempt == 4:
                    self.stop()
                    raise
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder. Idempotent."""
        if self.base is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{self.log()}"
            )


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no postgres or nobody user to run PostgreSQL as")
