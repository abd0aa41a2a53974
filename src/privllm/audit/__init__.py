"""The encrypted, tamper-evident audit log: SQLite (stdlib) or PostgreSQL.

>>> from privllm.audit import AuditStore, MasterKey, generate_key

Names load on first use, so the ``[audit]`` settings (``privllm.audit.settings``, read by
``import privllm``) do not load the store, its crypto and sqlite3.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AuditRecord": "privllm.audit.record",
    "AuditStore": "privllm.audit.store",
    "AuditWriter": "privllm.audit.writer",
    "ContentMode": "privllm.audit.record",
    "KeyRing": "privllm.audit.crypto",
    "MasterKey": "privllm.audit.crypto",
    "PurgeReport": "privllm.audit.record",
    "StatsRow": "privllm.audit.record",
    "VerifyReport": "privllm.audit.record",
    "generate_key": "privllm.audit.crypto",
    "key_id": "privllm.audit.crypto",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'privllm.audit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
