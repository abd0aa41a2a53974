"""The audit log in PostgreSQL: the connection target, numbered migrations, the head row,
and error mapping. Needs the ``postgres`` extra (psycopg 3 and psycopg_pool).

One log per schema (``audit.pg_schema``, default ``privllm_audit``): every connection sets
its ``search_path`` to it, so the queries name bare tables. The schema's tables are made by
the numbered SQL files in ``privllm/audit/migrations/`` (``0001_create_log.sql``, ...),
applied in order inside one transaction under the log's advisory lock and recorded in
``schema_migrations``: many processes may start at once and exactly one creates the log.

The DSN may hold a password: it is kept only to connect, and every message names the log
by :attr:`Target.where` (``postgresql://user@host:port/db, schema s``), never the DSN.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from privllm.audit.chain import CHAIN_COLUMNS, Head, genesis
from privllm.audit.crypto import KeyRing, MacKey
from privllm.audit.rows import chain_label
from privllm.errors import AuditError, ConfigError, TamperedLogError, WrongKeyError

__all__ = [
    "FORMAT",
    "INSERT_ROW",
    "SELECT_ROW",
    "Migration",
    "Target",
    "migrations",
    "open_log",
]

FORMAT = 1  # the same record format as the SQLite store: rows copy across unchanged
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MIGRATION = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_COLUMNS = ", ".join(CHAIN_COLUMNS)
SELECT_ROW = f"SELECT {_COLUMNS}, mac FROM records"  # noqa: S608 - constant column names
_MARKS = ", ".join(["%s"] * (len(CHAIN_COLUMNS) + 1))
INSERT_ROW = f"INSERT INTO records ({_COLUMNS}, mac) VALUES ({_MARKS})"  # noqa: S608 - constant


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file of ``privllm/audit/migrations``."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration, in order; their numbers run 1, 2, 3... with no gap or repeat."""
    folder = resources.files("privllm.audit") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _MIGRATION.fullmatch(entry.name)
        if m is not None:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise AuditError("privllm's PostgreSQL migrations are not numbered 1..n: a broken install")
    return found


class Target:
    """Where a log is: the DSN (kept private), the schema, and a printable name for both."""

    __slots__ = ("_dsn", "_secret", "lock_key", "schema", "where")

    def __init__(self, dsn: str, schema: str) -> None:
        if not _SCHEMA.fullmatch(schema):
            raise ConfigError(
                f"audit.pg_schema {schema!r} is not a plain lower-case SQL name",
                field="audit.pg_schema",
            )
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.Error:
            # psycopg's message quotes the string near the error: it may be the password.
            raise ConfigError(
                "the audit log's PostgreSQL DSN is not a valid connection string (its text is "
                "not shown: it may hold a password)",
                field="audit.dsn_env",
            ) from None
        self._dsn = dsn
        secret = params.get("password")
        self._secret = str(secret) if secret else None
        host = params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or ""
        port = f":{params['port']}" if params.get("port") else ""
        user = f"{params['user']}@" if params.get("user") else ""
        self.schema = schema
        self.where = (
            f"postgresql://{user}{host}{port}/{params.get('dbname') or ''} (schema {schema})"
        )
        # One advisory lock per log (schema): appends, purges, rotations and migrations
        # of this log take it; other logs in the database are not held up.
        digest = hashlib.sha256(b"privllm audit log|" + schema.encode()).digest()
        self.lock_key = int.from_bytes(digest[:8], "big", signed=True)

    def __repr__(self) -> str:
        return f"Target({self.where!r})"

    def __reduce__(self) -> Any:
        raise TypeError("an audit log target holds a DSN (maybe a password); it is not pickled")

    def scrub(self, text: str) -> str:
        """``text`` with the DSN's password, if it appears, replaced by ``***``."""
        return text.replace(self._secret, "***") if self._secret else text

    def setup(self, read_only: bool) -> Any:
        """The callback that prepares each new connection: the log's schema, and read-only
        transactions for a reader (the server then refuses any write)."""
        statements: list[sql.SQL | sql.Composed] = [
            sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))
        ]
        if read_only:
            statements.append(sql.SQL("SET default_transaction_read_only = on"))

        def configure(conn: psycopg.Connection[Any]) -> None:
            for statement in statements:
                conn.execute(statement)

        return configure

    def connect(self, *, read_only: bool, timeout: float) -> psycopg.Connection[Any]:
        """One autocommit connection, prepared as :meth:`setup` says."""
        conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=max(1, int(timeout)))
        try:
            self.setup(read_only)(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def pool_args(self) -> tuple[str, dict[str, Any]]:
        """The conninfo and connection keywords for a ``ConnectionPool``."""
        return self._dsn, {"autocommit": True}

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Turn any psycopg error into an ``AuditError`` naming the log and the action.

        Only the server's primary message is kept: its DETAIL can quote row values.
        """
        try:
            yield
        except psycopg.Error as exc:
            diag = getattr(exc, "diag", None)
            primary = diag.message_primary if diag is not None else None
            text = primary or (str(exc).splitlines() or [type(exc).__name__])[0]
            raise AuditError(
                f"audit log {self.where}: {action} failed: {self.scrub(text)}"
            ) from exc


def open_log(
    conn: psycopg.Connection[Any], target: Target, ring: KeyRing, *, create: bool
) -> tuple[bytes, MacKey]:
    """The log id and chain key of the log at ``target``; with ``create``, make or migrate it.

    Raises ``WrongKeyError`` if ``ring`` did not write the log, ``TamperedLogError`` if its
    head row was deleted (a new head is only made with the tables, never over records), and
    ``ConfigError`` if there is no log and ``create`` is false.
    """
    latest = len(migrations())
    with conn.transaction():
        if create:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (target.lock_key,))
            _migrate(conn, target, ring)
        version = _version(conn)
        if version is None:
            raise ConfigError(
                f'no audit log at {target.where}: a client with audit.backend = "postgresql" '
                "creates it on first use",
                field="audit.dsn_env",
            )
        if version > latest:
            raise AuditError(
                f"audit log {target.where} has schema version {version}; this privllm knows "
                f"up to {latest}: upgrade privllm"
            )
        if version < latest:
            raise AuditError(
                f"audit log {target.where} has schema version {version}, not {latest}: open it "
                "once with a writer (a client, or `privllm audit purge`) to migrate it"
            )
        row = conn.execute(
            "SELECT format, log_id, key_id, chain_key FROM log_head WHERE id = 1"
        ).fetchone()
    if row is None:
        raise TamperedLogError(
            f"audit log {target.where}: the signed head (table log_head, row 1) is missing: it "
            "was deleted, so no record can be checked against it"
        )
    fmt, log_id, kid, wrapped = row
    if fmt != FORMAT:
        raise AuditError(f"audit log {target.where} has format {fmt}; this privllm reads {FORMAT}")
    check_key_id(target, ring.key_id, kid)
    return bytes(log_id), ring.open_mac_key(
        bytes(wrapped), chain_label(bytes(log_id)), what="the log's chain key"
    )


def check_key_id(target: Target, mine: str, stored: str) -> None:
    """Raise the actionable ``WrongKeyError`` unless the log's key id is ``mine``."""
    if stored != mine:
        raise WrongKeyError(
            f"this key (id {mine}) does not open the log; it was written with "
            f"key id {stored} ({target.where})"
        )


def _version(conn: psycopg.Connection[Any]) -> int | None:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return None
    found = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return None if found is None or found[0] is None else int(found[0])


def _migrate(conn: psycopg.Connection[Any], target: Target, ring: KeyRing) -> None:
    # Under the log's advisory lock: one process migrates, the others then see it done.
    exists = conn.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (target.schema,)
    ).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(target.schema)))
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
        " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    applied = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
    for m in migrations():
        if m.version in applied:
            continue
        conn.execute(m.sql.encode())  # one file, several statements: the simple protocol
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name)
        )
        if m.version == 1:
            _init_head(conn, ring)  # with the tables, in their transaction


def _init_head(conn: psycopg.Connection[Any], ring: KeyRing) -> None:
    log_id = os.urandom(16)
    mac, wrapped = ring.new_mac_key(chain_label(log_id))
    g = genesis(mac, log_id)
    head = Head.signed(mac, log_id, 0, g, 0, g)
    conn.execute(
        "INSERT INTO log_head (id, format, log_id, key_id, chain_key, anchor_seq, anchor_mac,"
        " last_seq, last_mac, last_period, head_mac)"
        " VALUES (1, %s, %s, %s, %s, 0, %s, 0, %s, '', %s)",
        (FORMAT, log_id, ring.key_id, wrapped, g, g, head.head_mac),
    )
