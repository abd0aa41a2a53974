"""The storage seam: what the middleware, the writer, the CLI and ``verify`` need of a log.

Two stores implement :class:`AuditLog`, with the same records, encryption and chain:

``sqlite``       :class:`~privllm.audit.store.AuditStore`, one file per host (stdlib)
``postgresql``   :class:`~privllm.audit.store_postgres.PostgresAuditStore`, one log shared by
                 many processes and hosts (psycopg 3, the ``postgres`` extra)

:func:`open_store` opens the one ``[audit] backend`` names. The PostgreSQL module, and so
psycopg, is imported only when that backend is chosen.

    >>> from privllm.config import AuditConfig
    >>> from privllm.audit.crypto import MasterKey, generate_key
    >>> cfg = AuditConfig(path=tmp / "audit.db")                     # doctest: +SKIP
    >>> with open_store(cfg, MasterKey.from_base64(generate_key())) as log:  # doctest: +SKIP
    ...     log.verify_or_raise()
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from privllm.errors import AuditError, ConfigError

if TYPE_CHECKING:
    from privllm.audit.crypto import MasterKey
    from privllm.audit.record import (
        AuditRecord,
        ContentMode,
        PurgeReport,
        StatsRow,
        VerifyReport,
    )
    from privllm.config import AuditConfig

__all__ = ["AuditLog", "open_store", "read_dsn"]


class AuditLog(Protocol):
    """An open audit log: append, read, verify and maintain it. Both stores are one.

    Writes are atomic per call (``append_many`` is all or none) and serialised across
    processes by the store, so a chain never forks. Errors are ``AuditError`` (and its
    ``TamperedLogError``/``WrongKeyError``), never a driver's exception.
    """

    content_mode: ContentMode
    durable: bool
    read_only: bool

    @property
    def key_id(self) -> str:
        """The id of the master key the log is open with."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> AuditLog: ...

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def append(self, record: AuditRecord) -> int: ...

    def append_many(self, records: Sequence[AuditRecord]) -> list[int]: ...

    def erase(self, call_id: str) -> bool: ...

    def purge(self, older_than: timedelta) -> PurgeReport: ...

    def rotate_key(self, new_key: MasterKey) -> None: ...

    def get(self, call_id: str, *, decrypt: bool = True) -> AuditRecord | None: ...

    def short_id_length(self, call_ids: Iterable[str]) -> int: ...

    def call_ids_starting(self, prefix: str, limit: int = 10) -> list[str]: ...

    def iter_records(
        self,
        since: datetime | None = None,
        provider: str | None = None,
        status: str | None = None,
        decrypt: bool = True,
    ) -> Iterator[AuditRecord]: ...

    def count(
        self, since: datetime | None = None, provider: str | None = None, status: str | None = None
    ) -> int: ...

    def stats(self) -> list[StatsRow]: ...

    def export_jsonl(
        self, fp: Any, *, decrypt: bool = True, since: datetime | None = None
    ) -> int: ...

    def verify(self) -> VerifyReport: ...

    def verify_or_raise(self) -> VerifyReport: ...


def read_dsn(config: AuditConfig, environ: Mapping[str, str] | None = None) -> str:
    """The PostgreSQL connection string from the env var ``audit.dsn_env`` names.

    Raises ``ConfigError`` naming the variable (never its value) when it is unset.
    """
    env = os.environ if environ is None else environ
    dsn = env.get(config.dsn_env, "")
    if not dsn.strip():
        raise ConfigError(
            f"audit.backend is postgresql but {config.dsn_env} is not set: put the "
            "PostgreSQL connection string (e.g. postgresql://app@db.internal/audit) in it",
            field="audit.dsn_env",
        )
    return dsn


def open_store(
    config: AuditConfig,
    key: MasterKey,
    *,
    environ: Mapping[str, str] | None = None,
    create: bool = True,
    read_only: bool = False,
) -> AuditLog:
    """Open the log ``config`` names with ``key``.

    ``create`` makes a new log (and its SQLite folder) if there is none; without it a
    missing log is a ``ConfigError``. ``read_only`` never writes (the reading commands).
    """
    if config.backend == "postgresql":
        try:
            from privllm.audit.store_postgres import PostgresAuditStore
        except ImportError as exc:
            if exc.name not in ("psycopg", "psycopg_pool"):
                raise
            raise ConfigError(
                'audit.backend = "postgresql" needs psycopg 3 and its pool: '
                "pip install 'privllm[postgres]'",
                field="audit.backend",
            ) from exc
        return PostgresAuditStore(
            read_dsn(config, environ),
            key,
            schema=config.pg_schema,
            content_mode=config.content,
            durable=config.durable,
            create=create and not read_only,
            read_only=read_only,
        )
    from privllm.audit.keys import audit_paths
    from privllm.audit.store import AuditStore

    path, _ = audit_paths(config, environ)
    if create and not read_only:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditError(
                f"cannot create the audit log folder {path.parent}: {exc.strerror}"
            ) from exc
    elif not path.is_file():
        raise ConfigError(
            f"no audit log at {path} (set audit.path in the config, or pass --path)",
            field="audit.path",
        )
    return AuditStore(
        path, key, content_mode=config.content, durable=config.durable, read_only=read_only
    )
