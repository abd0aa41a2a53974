"""The encrypted, tamper-evident audit log: SQLite (stdlib) or PostgreSQL.

>>> from privllm.audit import AuditStore, MasterKey, generate_key

Names load on first use, so the ``[audit]`` settings (``privllm.audit.settings``, read by
``import privllm``) do not load the store, its crypto and sqlite3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from privllm._lazy import surface

if TYPE_CHECKING:
    from privllm.audit.crypto import KeyRing, MasterKey, generate_key, key_id
    from privllm.audit.record import (
        AuditRecord,
        ContentMode,
        PurgeReport,
        StatsRow,
        VerifyReport,
    )
    from privllm.audit.store import AuditStore
    from privllm.audit.writer import AuditWriter

_WHERE = {
    **dict.fromkeys(["KeyRing", "MasterKey", "generate_key", "key_id"], "crypto"),
    **dict.fromkeys(
        ["AuditRecord", "ContentMode", "PurgeReport", "StatsRow", "VerifyReport"], "record"
    ),
    "AuditStore": "store",
    "AuditWriter": "writer",
}

__all__ = [
    "AuditRecord",
    "AuditStore",
    "AuditWriter",
    "ContentMode",
    "KeyRing",
    "MasterKey",
    "PurgeReport",
    "StatsRow",
    "VerifyReport",
    "generate_key",
    "key_id",
]

__getattr__, __dir__ = surface(__name__, _WHERE, __all__)
