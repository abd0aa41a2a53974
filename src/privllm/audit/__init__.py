"""The encrypted, tamper-evident local audit log (SQLite, stdlib).

>>> from privllm.audit import AuditStore, MasterKey, generate_key
"""

from privllm.audit.crypto import KeyRing, MasterKey, generate_key, key_id
from privllm.audit.record import AuditRecord, ContentMode, PurgeReport, StatsRow, VerifyReport
from privllm.audit.store import AuditStore
from privllm.audit.writer import AuditWriter

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
