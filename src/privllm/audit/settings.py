"""The ``[audit]`` section: where the log is kept, what it holds, how its key is found.

``config.py`` composes it into ``Config``; this module needs nothing but pydantic, as
``import privllm`` loads it (the store, its crypto and sqlite3 load only when a client is
built).

>>> AuditConfig(backend="postgresql").dsn_env
'PRIVLLM_AUDIT_DSN'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from privllm.config_keys import EnvName
from privllm.config_section import Section, master_key_in_code

__all__ = ["AuditConfig"]


class AuditConfig(Section):
    """The local audit log: one encrypted record per call (see docs/audit.md).

    On by default, with payloads in placeholder form. The key comes from ``key`` (code
    only), else env var ``key_env``, else ``key_file``; with ``create_key`` and no log yet,
    a new 0600 key file is made next to the log.

    >>> AuditConfig().content, AuditConfig(content="metadata").on_full
    ('redacted', 'block')
    """

    enabled: bool = True
    #: Where the log is kept: ``sqlite`` (one file per host, ``path``) or ``postgresql`` (one
    #: log for many hosts, needs ``pip install 'privllm[postgres]'``; see ``dsn_env``).
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    #: The SQLite file; unset means ``$XDG_DATA_HOME/privllm/audit.db`` (else
    #: ``~/.local/share/privllm/audit.db``).
    path: Path | None = None
    #: ``postgresql``: env var holding the connection string (libpq DSN or URI). Read from
    #: the environment only, as it may hold a password; never shown.
    dsn_env: EnvName = "PRIVLLM_AUDIT_DSN"
    #: ``postgresql``: the schema holding the log's tables (one log per schema).
    pg_schema: str = Field(default="privllm_audit", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    #: ``metadata`` (no content), ``redacted`` (content as sent, in placeholder form), or
    #: ``full`` (also the placeholder map, under a per-call key that ``erase`` destroys).
    content: Literal["metadata", "redacted", "full"] = "redacted"
    #: Env var holding the master key (base64 of 32 bytes).
    key_env: EnvName = "PRIVLLM_AUDIT_KEY"
    #: Key file (mode 0600); unset means ``audit.key`` next to the log.
    key_file: Path | None = None
    #: Make a key file on first use when no key is configured and the log does not exist.
    create_key: bool = True
    #: In code only, never from a file or env: a ``MasterKey``, or a callable returning the
    #: key (32 raw bytes or base64 text), e.g. one that asks a KMS. Never shown or dumped.
    key: Any = Field(default=None, exclude=True, repr=False)
    #: Delete records older than this many days (whole UTC days), at client start and hourly.
    retention_days: int | None = Field(default=None, ge=1)
    #: Records waiting for the background writer before ``on_full`` applies.
    queue_size: int = Field(default=10_000, ge=1)
    #: A full queue: ``block`` waits for room (stalls an event loop), ``fail`` fails the call
    #: with ``AuditError``. A record is never dropped silently.
    on_full: Literal["block", "fail"] = "block"
    #: With ``on_full = "block"``: seconds to wait before failing the call; unset waits.
    block_timeout: float | None = Field(default=None, gt=0)
    #: fsync every commit (survives power loss, slower); the default survives a crash.
    durable: bool = False
    #: A call returns only once its record is committed, so no call succeeds without its
    #: record, even if the process is killed (kill -9) right after. Costs a commit per call
    #: on the caller's thread (see docs/performance.md).
    require_record: bool = False

    @field_validator("key")
    @classmethod
    def _key_in_code(cls, value: Any) -> Any:
        return master_key_in_code(value, "the PRIVLLM_AUDIT_KEY environment variable or a key file")
