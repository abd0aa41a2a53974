"""The audit database on disk: file creation, connection settings, tables, and error mapping.

One SQLite file in WAL mode, created 0600 (SQLite gives its ``-wal``/``-shm`` files the
same mode). Tables:

``log_head``   one row: log id, master key id, wrapped chain key, and the signed head
``records``    one row per call: plain metadata, encrypted ``payload``/``map``, chain ``mac``
``data_keys``  one wrapped data key per UTC day ("period"); purge deletes expired ones
``map_keys``   per-call keys of ``full`` mode placeholder maps, outside the chain, so
               ``erase`` can delete one without breaking verification

``secure_delete`` is on, so a deleted key's bytes are zeroed rather than left in a free page.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from privllm.audit.chain import CHAIN_COLUMNS, Head, genesis
from privllm.audit.crypto import KeyRing, MacKey
from privllm.audit.rows import chain_label
from privllm.errors import AuditError, TamperedLogError, WrongKeyError

__all__ = [
    "FORMAT",
    "INSERT_ROW",
    "SELECT_ROW",
    "check_key_id",
    "checkpoint",
    "connect",
    "open_log",
    "sqlite_errors",
]

FORMAT = 1
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_EFFECTIVE_IDS = os.access in os.supports_effective_ids  # file access uses them, not real ids
# STRICT tables (SQLite >= 3.37) refuse a value of the wrong type instead of converting it.
_STRICT = " STRICT" if sqlite3.sqlite_version_info >= (3, 37) else ""

_DDL = f"""
CREATE TABLE IF NOT EXISTS log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format INTEGER NOT NULL,
    log_id BLOB NOT NULL,
    key_id TEXT NOT NULL,
    chain_key BLOB NOT NULL,
    anchor_seq INTEGER NOT NULL,
    anchor_mac BLOB NOT NULL,
    last_seq INTEGER NOT NULL,
    last_mac BLOB NOT NULL,
    last_period TEXT NOT NULL,
    head_mac BLOB NOT NULL
){_STRICT};
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint_host TEXT,
    endpoint_kind TEXT,
    decision TEXT NOT NULL,
    rule TEXT,
    status TEXT NOT NULL,
    latency_ms REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    findings TEXT NOT NULL,
    content_mode TEXT NOT NULL,
    period TEXT NOT NULL,
    payload BLOB,
    map BLOB,
    mac BLOB NOT NULL
){_STRICT};
CREATE INDEX IF NOT EXISTS records_by_time ON records (time);
CREATE TABLE IF NOT EXISTS data_keys (
    period TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
){_STRICT};
CREATE TABLE IF NOT EXISTS map_keys (
    call_id TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
){_STRICT};
"""

# Built from the constant column list, never from input.
_COLUMNS = ", ".join(CHAIN_COLUMNS)
SELECT_ROW = f"SELECT {_COLUMNS}, mac FROM records"  # noqa: S608 - constant column names
_MARKS = ", ".join("?" * (len(CHAIN_COLUMNS) + 1))
INSERT_ROW = f"INSERT INTO records ({_COLUMNS}, mac) VALUES ({_MARKS})"  # noqa: S608 - constant


@contextmanager
def sqlite_errors(path: Path, action: str) -> Iterator[None]:
    """Turn any ``sqlite3.Error`` into an ``AuditError`` that names the file and the action.

    SQLite messages name constraints and conditions, never bound values, so they are safe
    to keep.
    """
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        # Extended codes carry the primary code in the low byte (3.11+ exposes it).
        code = getattr(exc, "sqlite_errorcode", None)
        if (
            (code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB))
            if code is not None
            else (
                type(exc) is sqlite3.DatabaseError  # 3.10 has no code; the bare class is the sign
            )
        ):
            text = f"the file is corrupt or not a privllm audit log ({text})"
        raise AuditError(f"audit log {path}: {action} failed: {text}") from exc


def connect(
    path: Path, *, durable: bool, busy_timeout: float, read_only: bool = False
) -> sqlite3.Connection:
    """A connection with the log's settings.

    Read-write creates the file 0600 if it does not exist, and switches it to WAL mode only
    once it is known to be empty or a privllm log. ``read_only`` never creates or changes
    anything (see :func:`_connect_read_only`).
    """
    if read_only:
        return _connect_read_only(path, busy_timeout)
    try:
        # O_CREAT without O_TRUNC: harmless when another process created it first.
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise AuditError(f"audit log {path}: cannot create or open: {exc.strerror}") from exc
    os.close(fd)
    with sqlite_errors(path, "open"):
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            # Another application's database must be refused before anything changes it,
            # its journal mode included.
            if _not_a_log(_tables(conn)):
                raise AuditError(f"{path} is an SQLite file but not a privllm audit log")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise AuditError(f"audit log {path}: cannot switch to WAL mode (got {mode})")
            # NORMAL in WAL mode survives a killed process (not a power cut); FULL fsyncs
            # the WAL on every commit.
            conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            conn.close()
            raise
    return conn


def _connect_read_only(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection that cannot write to the log, for reading and verifying.

    SQLite's ``mode=ro`` still needs the WAL's ``-shm`` index: it creates it (and an empty
    ``-wal``) when the folder is writable, and shares an existing one otherwise. A log in a
    read-only folder with no ``-wal`` file has no writer (a writer would have made one) and
    all of it is in the main file, so it is read as ``immutable``. A ``-wal`` without a
    usable ``-shm`` in a read-only folder cannot be read correctly and stays an error.
    """
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise AuditError(f"audit log {path}: cannot open: {exc.strerror}") from exc
    uri = path.resolve().as_uri()  # percent-encodes ? and # in the name
    with sqlite_errors(path, "open read-only"):
        try:
            return _probed(f"{uri}?mode=ro", busy_timeout)
        except sqlite3.OperationalError:
            if os.access(path.parent, os.W_OK, effective_ids=_EFFECTIVE_IDS):
                raise
            if os.path.lexists(path.with_name(path.name + "-wal")):
                raise AuditError(
                    f"audit log {path}: cannot read it read-only: its folder is read-only and "
                    "its -wal file has no -shm index to share (open it once with write access)"
                ) from None
        return _probed(f"{uri}?mode=ro&immutable=1", busy_timeout)


def _probed(uri: str, busy_timeout: float) -> sqlite3.Connection:
    # SQLite opens lazily: the first read is what fails on a WAL log it cannot share.
    conn = sqlite3.connect(
        uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def open_log(
    conn: sqlite3.Connection, path: Path, ring: KeyRing, *, create: bool = True
) -> tuple[bytes, MacKey]:
    """The log id and chain key of the log on ``conn``; with ``create``, make a new file a log.

    Raises ``WrongKeyError`` (both key ids) if ``ring`` did not write the log, and
    ``TamperedLogError`` if its head row was deleted: a new head would replace the
    evidence, so none is ever written over an existing log.
    """
    with sqlite_errors(path, "open"):
        row = _read_head_row(conn, path)
        if row is None and not create:
            empty = not _tables(conn)
            raise AuditError(
                f"{path} is not a privllm audit log (it is empty)"
                if empty
                else f"{path} is an SQLite file but not a privllm audit log"
            )
        if row is None:
            # Several processes may open a new file at once: create under the write lock
            # and re-read, so exactly one of them makes the log id and chain key.
            conn.execute("BEGIN IMMEDIATE")
            try:
                tables = _tables(conn)
                if _not_a_log(tables):
                    raise AuditError(f"{path} is an SQLite file but not a privllm audit log")
                if "log_head" not in tables:
                    for stmt in _DDL.split(";"):
                        if stmt.strip():
                            conn.execute(stmt)
                    _init_head(conn, ring)
                row = _read_head_row(conn, path)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
    assert row is not None
    fmt, log_id, kid, wrapped = row
    if fmt != FORMAT:
        raise AuditError(f"audit log {path} has format {fmt}; this privllm reads {FORMAT}")
    check_key_id(path, ring.key_id, kid)
    return log_id, ring.open_mac_key(wrapped, chain_label(log_id), what="the log's chain key")


def check_key_id(path: Path, mine: str, stored: str) -> None:
    """Raise the actionable ``WrongKeyError`` unless the log's key id is ``mine``."""
    if stored != mine:
        raise WrongKeyError(
            f"this key (id {mine}) does not open the log; it was written with "
            f"key id {stored} ({path})"
        )


def checkpoint(conn: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    """Copy the WAL into the database and truncate it, waiting at most a second.

    Run after deleting or re-wrapping keys, so the pages that held them leave the WAL file
    too. Best effort: with other processes reading, a later checkpoint finishes the job.
    """
    with sqlite_errors(path, "checkpoint"):
        conn.execute("PRAGMA busy_timeout = 1000")
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")


def _init_head(conn: sqlite3.Connection, ring: KeyRing) -> None:
    log_id = os.urandom(16)
    mac, wrapped = ring.new_mac_key(chain_label(log_id))
    g = genesis(mac, log_id)
    head = Head.signed(mac, log_id, 0, g, 0, g)
    conn.execute(
        "INSERT INTO log_head (id, format, log_id, key_id, chain_key, anchor_seq, anchor_mac,"
        " last_seq, last_mac, last_period, head_mac) VALUES (1, ?, ?, ?, ?, 0, ?, 0, ?, '', ?)",
        (FORMAT, log_id, ring.key_id, wrapped, g, g, head.head_mac),
    )


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _not_a_log(tables: set[str]) -> bool:
    # A new log is an empty file; every log has log_head (made with the other tables).
    return bool(tables) and "log_head" not in tables


def _read_head_row(conn: sqlite3.Connection, path: Path) -> tuple[int, bytes, str, bytes] | None:
    """The head's fixed fields; None for a file that is not a log yet."""
    if "log_head" not in _tables(conn):
        return None
    row = conn.execute(
        "SELECT format, log_id, key_id, chain_key FROM log_head WHERE id = 1"
    ).fetchone()
    if row is None:
        # The table and its row are made in one transaction: only a deletion parts them.
        raise TamperedLogError(
            f"audit log {path}: the signed head (table log_head, row 1) is missing: it was "
            "deleted, so no record can be checked against it"
        )
    return row[0], row[1], row[2], row[3]
