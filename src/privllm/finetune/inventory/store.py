"""The fine-tuning inventory: what of ours sits at which provider, since when, until when.

Two stores, each for what it is good at:

- a table, ``finetune_inventory``, in the audit log's SQLite file (or ``inventory_path``):
  one row per training file, tuning job and tuned model, with provider, endpoint, remote id,
  size, SHA-256, created, expiry and deletion. It is the working state ``inventory`` lists
  and ``purge`` reads and updates, so it must outlive the audit log's own retention: a file
  uploaded 200 days ago is still at the provider even if the audit records of that day
  were purged.
- an audit record per event (``finetune.upload.*``, ``finetune.job.*``, ``finetune.model.*``,
  ``finetune.delete.*`` and refusals), appended to the audit log's hash chain with the same
  metadata as its payload, encrypted. That is the tamper-evident evidence:
  :meth:`Inventory.verify` checks every row against its record and every record against
  its row, so a row edited, removed or "undeleted" by hand shows up.

Only metadata is kept, never content: ids, sizes, hashes, times, base model names and
finding counts per type. Neither the local file name nor its path is recorded.

This module runs the table; ``inventory_rows`` holds the items and their row form,
``inventory_evidence`` the audit records and the check against them.

    >>> import tempfile
    >>> from datetime import datetime, timezone
    >>> inv = Inventory(Path(tempfile.mkdtemp()) / "inventory.db")
    >>> when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> item = inv.record(InventoryItem("file", "openai", "https://api.openai.com/v1",
    ...                                 "file-abc", when, bytes=120, sha256="ab" * 32))
    >>> [(i.kind, i.remote_id, i.present) for i in inv.items()]
    [('file', 'file-abc', True)]
    >>> inv.close()
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from privllm.errors import AuditError, ConfigError
from privllm.finetune.inventory.evidence import (
    InventoryCheck,
    check_inventory,
    item_record,
    new_call_id,
    refusal_record,
)
from privllm.finetune.inventory.rows import (
    COLUMNS,
    InventoryItem,
    Kind,
    from_row,
    timestamp,
    to_row,
)

if TYPE_CHECKING:
    from privllm.audit.store import AuditStore
    from privllm.config import Config

__all__ = [
    "Inventory",
    "InventoryCheck",
    "InventoryItem",
    "Kind",
    "inventory_exists",
    "open_inventory",
]

_DDL = """
CREATE TABLE IF NOT EXISTS finetune_inventory (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'job', 'model')),
    provider TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    bytes INTEGER,
    sha256 TEXT,
    parent_id TEXT,
    base_model TEXT,
    status TEXT,
    expires_at TEXT,
    provider_expires_at TEXT,
    deleted_at TEXT,
    delete_note TEXT,
    audit_call_id TEXT,
    delete_call_id TEXT,
    UNIQUE (provider, endpoint, kind, remote_id)
)
"""
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM finetune_inventory"  # noqa: S608 - constant


class Inventory:
    """The inventory table, and the audit store its events are chained into.

    ``audit`` is an open :class:`~privllm.audit.store.AuditStore` (the caller closes it) or
    ``None`` (the table only, nothing tamper-evident). ``clock`` returns an aware datetime.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        audit: AuditStore | None = None,
        clock: Callable[[], datetime] | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.audit = audit
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()
        try:
            # Created 0600 like the audit log: the ids say what you trained, and where.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(f"inventory {self.path}: cannot open: {_why(exc)}") from exc
        self._conn: sqlite3.Connection | None = conn
        try:
            with self._errors("open"):
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_DDL)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"Inventory({str(self.path)!r}, chained={self.audit is not None})"

    def close(self) -> None:
        """Close the table's connection (not the audit store). Idempotent."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Inventory:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def now(self) -> datetime:
        return self._clock()

    # -- writing -------------------------------------------------------------------------------

    def record(
        self,
        item: InventoryItem,
        *,
        latency_ms: float | None = None,
        findings: Mapping[str, int] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> InventoryItem:
        """Add ``item`` and chain its creation record; an item already listed is returned as
        it is (recording the same tuned model twice changes nothing)."""
        call_id = new_call_id(item.kind if item.kind != "file" else "upload")
        item = dataclasses.replace(item, audit_call_id=call_id if self.audit else None)
        with self._write("record") as conn:
            # OR IGNORE: two processes polling one job both see its model; one row wins.
            added = conn.execute(
                f"INSERT OR IGNORE INTO finetune_inventory ({', '.join(COLUMNS)}) "  # noqa: S608 - constant
                f"VALUES ({', '.join('?' * len(COLUMNS))})",
                to_row(item),
            ).rowcount
        if not added:
            existing = self.find(item.kind, item.remote_id, endpoint=item.endpoint)
            assert existing is not None  # rows are never removed
            return existing
        # The row first: if the audit write fails, purge can still find what is out there.
        self._chain(call_id, item, "ok", latency_ms, findings, {**item.as_dict(), **(extra or {})})
        return item

    def refused(
        self,
        *,
        operation: str,
        provider: str,
        endpoint: str,
        rule: str,
        findings: Mapping[str, int] | None = None,
    ) -> None:
        """Chain a ``blocked`` record: an upload or job refused before any byte was sent."""
        if self.audit is None:
            return
        self.audit.append(
            refusal_record(
                when=self.now(),
                operation=operation,
                provider=provider,
                endpoint=endpoint,
                rule=rule,
                findings=findings,
            )
        )

    def set_status(self, item: InventoryItem, status: str) -> InventoryItem:
        """Update a job's last known status (not chained: it is what the provider said)."""
        if item.status == status:
            return item
        with self._write("update") as conn:
            conn.execute(
                "UPDATE finetune_inventory SET status = ? WHERE provider = ? AND endpoint = ?"
                " AND kind = ? AND remote_id = ?",
                (status, item.provider, item.endpoint, item.kind, item.remote_id),
            )
        return dataclasses.replace(item, status=status)

    def mark_deleted(self, item: InventoryItem, note: str) -> InventoryItem:
        """Record that ``item`` was deleted at the provider (now), in the table and the chain."""
        when = self.now()
        call_id = new_call_id("delete")
        done = dataclasses.replace(
            item, deleted_at=when, delete_note=note, delete_call_id=call_id if self.audit else None
        )
        with self._write("delete") as conn:
            conn.execute(
                "UPDATE finetune_inventory SET deleted_at = ?, delete_note = ?, delete_call_id = ?"
                " WHERE provider = ? AND endpoint = ? AND kind = ? AND remote_id = ?",
                (timestamp(when), note, done.delete_call_id, item.provider, item.endpoint,
                 item.kind, item.remote_id),
            )  # fmt: skip
        payload = {
            "operation": "delete",
            "kind": item.kind,
            "provider": item.provider,
            "endpoint": item.endpoint,
            "remote_id": item.remote_id,
            "deleted_at": timestamp(when),
            "note": note,
        }
        self._chain(call_id, done, "ok", None, None, payload)
        return done

    def _chain(
        self,
        call_id: str,
        item: InventoryItem,
        status: Literal["ok", "error", "blocked"],
        latency_ms: float | None,
        findings: Mapping[str, int] | None,
        payload: dict[str, Any],
    ) -> None:
        if self.audit is None:
            return
        self.audit.append(
            item_record(call_id, item, self.now(), status, latency_ms, findings, payload)
        )

    # -- reading -------------------------------------------------------------------------------

    def items(
        self, *, include_deleted: bool = False, kind: Kind | None = None
    ) -> list[InventoryItem]:
        """Items, oldest first; deleted ones only with ``include_deleted``."""
        where, args = [], []
        if not include_deleted:
            where.append("deleted_at IS NULL")
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        with self._read() as conn:
            return [from_row(r) for r in conn.execute(sql, args).fetchall()]

    def find(
        self, kind: Kind, remote_id: str, *, endpoint: str | None = None
    ) -> InventoryItem | None:
        """The newest item of ``kind`` with ``remote_id`` (at ``endpoint``), or None."""
        sql = _SELECT + " WHERE kind = ? AND remote_id = ?"
        args: list[str] = [kind, remote_id]
        if endpoint is not None:
            sql += " AND endpoint = ?"
            args.append(endpoint)
        with self._read() as conn:
            row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return None if row is None else from_row(row)

    def verify(self) -> InventoryCheck:
        """Check the audit chain, then every row against its records and back.

        Problems: a row whose fields differ from its creation record; a deletion without its
        record, or a deletion record whose row says "present"; a record whose row is gone.
        """
        if self.audit is None:
            raise AuditError("this inventory keeps no audit records: nothing to verify against")
        report = self.audit.verify()
        return check_inventory(report, self.items(include_deleted=True), self.audit)

    # -- plumbing ------------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AuditError(f"inventory {self.path} is closed")
        return self._conn

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            # SQLite messages name constraints, never bound values.
            raise AuditError(f"inventory {self.path}: {action} failed: {exc}") from exc

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors("read"):
            yield self._db()

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE: another process purging at the same time waits for this one.
        with self._lock, self._errors(action):
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise


def inventory_exists(
    config: Config, inventory_path: Path | None, *, env: Mapping[str, str] | None = None
) -> bool:
    """Whether the inventory ``config`` names has been created (by a first upload or job).

    Reads only: no key is looked up, no file or table is created. Commands that only read
    (``inventory``, ``purge --dry-run``) check this first, and have nothing to show if not.
    """
    path = _inventory_file(config, inventory_path, env)
    try:
        if path.stat().st_size == 0:
            return False
    except OSError:  # no file, or no access to it: there is nothing to read either way
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            return conn.execute(query, ("finetune_inventory",)).fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return True  # let opening it report what is wrong


def _inventory_file(
    config: Config, inventory_path: Path | None, env: Mapping[str, str] | None
) -> Path:
    if inventory_path is not None:
        return Path(inventory_path).expanduser()
    if not config.audit.enabled:
        raise ConfigError(
            "fine-tuning needs a record of what is uploaded: enable [audit], or set "
            "finetune.inventory_path",
            field="finetune.inventory_path",
        )
    from privllm.audit.keys import audit_paths

    return audit_paths(config.audit, env)[0]


def open_inventory(
    config: Config,
    inventory_path: Path | None,
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
    create_key: bool | None = None,
) -> Inventory:
    """The inventory ``config`` names: the table in the audit log's file (or
    ``inventory_path``), with events chained into the audit log when it is enabled.

    With the audit log disabled, ``inventory_path`` is required: what sits at a provider
    must be written down somewhere before anything is uploaded. ``create_key`` overrides
    ``audit.create_key`` (``False`` when only reading).
    """
    store = None
    if config.audit.enabled:
        from privllm.audit.keys import audit_paths, resolve_key
        from privllm.audit.store import AuditStore

        db, _ = audit_paths(config.audit, env)
        key = resolve_key(config.audit, env, create=create_key)
        try:
            db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditError(f"cannot create {db.parent}: {exc.strerror}") from exc
        # The audit store opens (and creates) the log first: it refuses an SQLite file that
        # already holds other tables but no log.
        store = AuditStore(db, key, durable=config.audit.durable, clock=clock)
        path = inventory_path or db
    elif inventory_path is None:
        raise ConfigError(
            "fine-tuning needs a record of what is uploaded: enable [audit], or set "
            "finetune.inventory_path",
            field="finetune.inventory_path",
        )
    else:
        path = inventory_path
    try:
        path = Path(path).expanduser()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _Owning(path, audit=store, clock=clock)
    except BaseException:
        if store is not None:
            store.close()
        raise


class _Owning(Inventory):
    """An inventory that also closes the audit store it was opened with."""

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.audit is not None:
                self.audit.close()


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
