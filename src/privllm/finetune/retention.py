"""What ``purge`` deletes: expired training files and tuned models (sans-IO).

:class:`~privllm.finetune.FinetuneJobs` plans with :func:`plan_purge`, then deletes
at the provider and records each deletion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from privllm.finetune.jobs.status import DONE_STATES, neutral_state

if TYPE_CHECKING:
    from privllm.finetune.inventory.store import InventoryItem
    from privllm.finetune.settings import FinetuneConfig

__all__ = ["PurgeOutcome", "plan_purge"]


@dataclass(frozen=True, slots=True)
class PurgeOutcome:
    """What :meth:`FinetuneJobs.purge` did with one item."""

    item: InventoryItem
    action: Literal["deleted", "gone", "would_delete", "kept", "failed"]
    note: str = ""


def plan_purge(
    items: list[InventoryItem],
    now: datetime,
    older_than: timedelta | None,
    settings: FinetuneConfig,
    models: bool,
) -> list[PurgeOutcome]:
    """What purge would do with each present file and model (sans-IO)."""
    busy = {
        i.parent_id
        for i in items
        if i.kind == "job" and i.parent_id and neutral_state(i.status or "") not in DONE_STATES
    }
    model_age = older_than
    if model_age is None and settings.model_retention_days is not None:
        model_age = timedelta(days=settings.model_retention_days)
    out: list[PurgeOutcome] = []
    for item in items:
        if item.kind == "job" or (item.kind == "model" and not models):
            continue
        if older_than is not None or item.kind == "model":
            age = older_than if item.kind == "file" else model_age
            due = age is not None and item.created_at <= _cutoff(now, age)
        else:
            due = item.expires_at is not None and item.expires_at <= now
        if not due:
            continue
        if item.kind == "file" and item.remote_id in busy:
            out.append(PurgeOutcome(item, "kept", "a job that has not finished trains on it"))
        else:
            out.append(PurgeOutcome(item, "would_delete"))
    return out


def _cutoff(now: datetime, age: timedelta) -> datetime:
    """``now - age``, or the earliest datetime when that is before year 1.

    >>> from datetime import timezone
    >>> _cutoff(datetime(2025, 1, 1, tzinfo=timezone.utc), timedelta(days=800_000)).year
    1
    """
    try:
        return now - age
    except OverflowError:  # before year 1: nothing was created that long ago
        return datetime.min.replace(tzinfo=now.tzinfo)
