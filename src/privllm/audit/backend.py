"""The storage seam: what the middleware, the writer, the CLI and ``verify`` need of a log.

:class:`~privllm.audit.store.AuditStore` (SQLite, one file per host) implements
:class:`AuditLog`; :func:`open_store` opens the log ``[audit]`` names.

    >>> from privllm.config import AuditConfig
    >>> from privllm.audit.crypto import MasterKey, generate_key
    >>> cfg = AuditConfig(path=tmp / "audit.db")                     # doctest: +SKIP
    >>> with open_store(cfg, MasterKey.from_base64(generate_key())) as log:  # doctest: +SKIP
    ...     log.verify_or_raise()
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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

__all__ = ["AuditLog", "open_store"]


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
