"""The audit log's two stores as one parametrized fixture, and a throwaway PostgreSQL.

``log_backend`` is a fresh, unopened log on SQLite (a temp file) and on PostgreSQL (a new
schema on one server per session). The server is started by ``initdb``/``pg_ctl`` from
the machine's PostgreSQL packages on a free loopback port and stopped at the end; without
those binaries the PostgreSQL cases are skipped with the reason (CI installs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from privllm.testing.postgres import PostgresServer, find_pg_bin
from support.audit_backends import PostgresLog, SqliteLog


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if find_pg_bin() is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql "
            "or set PG_BIN"
        )
    pytest.importorskip("psycopg", reason="the postgres extra: pip install 'privllm[postgres]'")
    with PostgresServer(settings={"max_connections": "200"}) as server:
        yield server


@pytest.fixture
def pg_log(request: pytest.FixtureRequest) -> Iterator[PostgresLog]:
    log = PostgresLog(request.getfixturevalue("postgres_server"))
    yield log
    log.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def log_backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    if request.param == "sqlite":
        yield SqliteLog(tmp_path)
    else:
        yield request.getfixturevalue("pg_log")
