"""What the inventory lists, and how an item maps to a ``finetune_inventory`` row.

Plain data, no SQLite: :mod:`privllm.finetune.inventory.store` runs the queries,
:mod:`privllm.finetune.inventory.evidence` compares items with their audit records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = ["COLUMNS", "InventoryItem", "Kind", "from_row", "timestamp", "to_row"]

Kind = Literal["file", "job", "model"]
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: text order is time order
#: The table's columns, in the order :func:`to_row` gives and :func:`from_row` takes.
COLUMNS = (
    "kind", "provider", "endpoint", "remote_id", "created_at", "bytes", "sha256", "parent_id",
    "base_model", "status", "expires_at", "provider_expires_at", "deleted_at", "delete_note",
    "audit_call_id", "delete_call_id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """One thing of ours at a provider: a training ``file``, a tuning ``job`` or a ``model``.

    ``endpoint`` is the API base URL (no credentials, query or fragment), so two servers on
    one host stay apart. ``expires_at`` is when privllm's retention says it goes;
    ``provider_expires_at`` when the provider said it would delete it on its own.

    >>> from datetime import datetime, timezone
    >>> when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> InventoryItem("model", "openai", "https://api.openai.com/v1", "ft:x", when).present
    True
    """

    kind: Kind
    provider: str
    endpoint: str
    remote_id: str
    created_at: datetime
    bytes: int | None = None
    sha256: str | None = None
    parent_id: str | None = None
    base_model: str | None = None
    status: str | None = None
    expires_at: datetime | None = None
    provider_expires_at: datetime | None = None
    deleted_at: datetime | None = None
    delete_note: str | None = None
    audit_call_id: str | None = None
    delete_call_id: str | None = None

    @property
    def present(self) -> bool:
        """Not deleted (as far as privllm knows)."""
        return self.deleted_at is None

    @property
    def host(self) -> str:
        return (urlsplit(self.endpoint).hostname or "").lower()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601 UTC text."""
        return {k: timestamp(v) if isinstance(v, datetime) else v for k, v in _fields(self).items()}


def _fields(item: InventoryItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in COLUMNS}


def to_row(item: InventoryItem) -> tuple[Any, ...]:
    """The column values of ``item``, times as text."""
    return tuple(timestamp(v) if isinstance(v, datetime) else v for v in _fields(item).values())


def from_row(row: tuple[Any, ...]) -> InventoryItem:
    """The item a row of :data:`COLUMNS` holds."""
    values = dict(zip(COLUMNS, row, strict=True))
    for name in ("created_at", "expires_at", "provider_expires_at", "deleted_at"):
        if values[name] is not None:
            values[name] = _parse(values[name])
    return InventoryItem(**values)


def timestamp(when: datetime) -> str:
    """``when`` as the table stores it: UTC text of fixed width."""
    return when.astimezone(timezone.utc).strftime(_TIME)


def _parse(text: str) -> datetime:
    return datetime.strptime(text, _TIME).replace(tzinfo=timezone.utc)
