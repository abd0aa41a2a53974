"""The inventory's audit evidence: one chained record per event, and the check against it.

Every upload, job, tuned model, deletion and refusal is appended to the audit log's hash
chain with the same metadata as its payload, encrypted. :func:`check_inventory` checks every
row against its record and every record against its row, so a row edited, removed or
"undeleted" by hand shows up. Builds records and reads them; the table is
:mod:`privllm.finetune.inventory.store`'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from privllm.finetune.inventory.rows import InventoryItem, timestamp

if TYPE_CHECKING:
    from privllm.audit.record import AuditRecord, VerifyReport
    from privllm.audit.store import AuditStore

__all__ = [
    "CALL_PREFIX",
    "InventoryCheck",
    "check_inventory",
    "item_record",
    "new_call_id",
    "refusal_record",
]

#: Prefix of the audit call ids of fine-tuning events.
CALL_PREFIX = "finetune."
# The fields the creation record vouches for; status changes as a job runs, so it is not one.
_EVIDENCE = ("kind", "provider", "endpoint", "remote_id", "created_at", "bytes", "sha256",
             "parent_id", "base_model", "expires_at", "provider_expires_at")  # fmt: skip


@dataclass(frozen=True, slots=True)
class InventoryCheck:
    """What :meth:`Inventory.verify` found. Truthy when everything matched.

    ``unverifiable`` rows have no audit record any more (audit retention purged it, or it
    was removed): the row is shown but nothing vouches for it.
    """

    ok: bool
    rows: int
    problems: tuple[str, ...] = ()
    unverifiable: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


def new_call_id(operation: str) -> str:
    """A fresh audit call id for a fine-tuning event: ``finetune.<operation>.<hex>``."""
    return f"{CALL_PREFIX}{operation}.{uuid.uuid4().hex}"


def item_record(
    call_id: str,
    item: InventoryItem,
    when: datetime,
    status: Literal["ok", "error", "blocked"],
    latency_ms: float | None,
    findings: Mapping[str, int] | None,
    payload: dict[str, Any],
) -> AuditRecord:
    """The record of an event on ``item`` (created, deleted), ``payload`` its evidence."""
    from privllm.audit.record import AuditRecord
    from privllm.policy.endpoints import host_kind

    # content_mode "redacted" keeps the payload even in a log set to "metadata": the
    # payload *is* metadata (ids, sizes, hashes), and it is the evidence verify reads.
    return AuditRecord(
        call_id=call_id,
        time=when,
        provider=item.provider,
        model=item.base_model or "-",
        endpoint_host=item.host,
        endpoint_kind=host_kind(item.host),
        status=status,
        latency_ms=latency_ms,
        findings=dict(findings or {}),
        payload={"operation": call_id.split(".")[1], **payload},
        content_mode="redacted",
    )


def refusal_record(
    *,
    when: datetime,
    operation: str,
    provider: str,
    endpoint: str,
    rule: str,
    findings: Mapping[str, int] | None = None,
) -> AuditRecord:
    """The ``blocked`` record of an upload or job refused before any byte was sent."""
    from privllm.audit.record import AuditRecord

    host = (urlsplit(endpoint).hostname or "").lower()
    payload = {"operation": operation, "provider": provider, "endpoint": endpoint}
    return AuditRecord(
        call_id=new_call_id(operation),
        time=when,
        provider=provider,
        model="-",
        endpoint_host=host,
        decision="block",
        rule=rule,
        status="blocked",
        findings=dict(findings or {}),
        payload=payload,
        content_mode="redacted",
    )


def check_inventory(
    report: VerifyReport, rows: list[InventoryItem], audit: AuditStore
) -> InventoryCheck:
    """Given the audit chain's ``report``, check every row (deleted ones too) against its
    records and back.

    Problems: a row whose fields differ from its creation record; a deletion without its
    record, or a deletion record whose row says "present"; a record whose row is gone.
    """
    problems = [] if report.ok else [f"audit log: {report.problem}"]
    unverifiable: list[str] = []
    claimed: set[str] = set()
    for item in rows:
        label = f"{item.kind} {item.remote_id} at {item.endpoint}"
        created = _payload(audit, item.audit_call_id)
        if item.audit_call_id is None:
            unverifiable.append(f"{label}: recorded without an audit log")
        elif created is None:
            unverifiable.append(f"{label}: its audit record is gone (audit retention?)")
        else:
            actual = item.as_dict()
            changed = sorted(k for k in _EVIDENCE if created.get(k) != actual[k])
            if changed:
                problems.append(f"{label}: {', '.join(changed)} differ from its record")
        deleted = _payload(audit, item.delete_call_id)
        if item.deleted_at is not None and item.delete_call_id is None:
            problems.append(f"{label}: marked deleted without a deletion record")
        elif item.delete_call_id is not None and item.deleted_at is None:
            problems.append(f"{label}: has a deletion record but is listed as present")
        elif (
            deleted is not None
            and item.deleted_at is not None
            and deleted.get("deleted_at") != timestamp(item.deleted_at)
        ):
            problems.append(f"{label}: deletion time differs from its record")
        claimed.update(c for c in (item.audit_call_id, item.delete_call_id) if c)
    for record in audit.iter_records(decrypt=False):
        call_id = record.call_id
        if call_id.startswith(CALL_PREFIX) and record.status == "ok" and call_id not in claimed:
            problems.append(f"audit record {call_id}: no inventory row claims it")
    return InventoryCheck(not problems, len(rows), tuple(problems), tuple(unverifiable))


def _payload(audit: AuditStore, call_id: str | None) -> dict[str, Any] | None:
    if call_id is None:
        return None
    record = audit.get(call_id)
    return None if record is None else dict(record.payload or {})
