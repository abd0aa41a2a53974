"""What the audit log stores and reports: one ``AuditRecord`` per call, and result types.

A record splits in two. The metadata (time, provider, model, endpoint, policy decision,
status, latency, token usage, finding counts) is stored in plain columns so it can be
queried and counted without the key; it must never hold message content. ``payload`` (the
messages, answers, tool calls, error text) and ``placeholder_map`` (placeholder -> real
value) are encrypted.

    >>> r = AuditRecord(call_id="c1", provider="openai", model="gpt-x", findings={"EMAIL": 1},
    ...                 payload={"messages": [{"role": "user", "content": "Hi <PERSON_1>"}]})
    >>> "Hi" in repr(r)
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from privllm.errors import TamperedLogError

__all__ = [
    "AuditRecord",
    "ContentMode",
    "PurgeReport",
    "RecordStatus",
    "StatsRow",
    "VerifyReport",
]

ContentMode = Literal["metadata", "redacted", "full"]
"""How much content a record keeps.

``metadata``: no payload at all. ``redacted`` (default): the payload as given (which the
redaction middleware has already put in placeholder form). ``full``: the payload plus the
placeholder map, whose own per-call key :meth:`AuditStore.erase` can destroy.
"""

RecordStatus = Literal["ok", "error", "blocked", "cancelled"]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AuditRecord(BaseModel):
    """One LLM call. Build it after the call; the store adds ``seq`` and ``content_mode``.

    Set ``content_mode`` to override the store's mode for this one record (e.g. a rule
    that demands ``metadata`` only). ``repr()`` leaves out ``payload`` and
    ``placeholder_map``: they hold content.
    The store takes ownership on append: do not mutate the payload afterwards (the
    background writer serialises it later, in its own thread).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    call_id: str = Field(min_length=1, max_length=200)
    time: datetime = Field(default_factory=_utc_now)
    provider: str
    model: str
    endpoint_host: str | None = None
    endpoint_kind: str | None = None
    decision: str = "allow"
    rule: str | None = None
    status: RecordStatus = "ok"
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    findings: dict[str, int] = Field(default_factory=dict)
    payload: dict[str, Any] | None = Field(default=None, repr=False)
    placeholder_map: dict[str, str] | None = Field(default=None, repr=False)
    seq: int | None = None
    content_mode: ContentMode | None = None

    @field_validator("time")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        # A naive time is ambiguous, and the log's day periods and `since` filters are UTC.
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("time must be timezone-aware (e.g. datetime.now(timezone.utc))")
        return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`AuditStore.verify`. Truthy when the chain verifies.

    On failure ``problem`` says what is wrong, ``bad_seq``/``bad_call_id`` name the first
    record that does not verify (``bad_seq`` is None when the signed head itself is bad).
    """

    ok: bool
    records: int
    first_seq: int | None
    last_seq: int
    problem: str | None = None
    bad_seq: int | None = None
    bad_call_id: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def raise_for_problem(self) -> None:
        """Raise ``TamperedLogError(problem, record=bad_seq)`` unless the chain verified."""
        if not self.ok:
            raise TamperedLogError(self.problem or "the log does not verify", record=self.bad_seq)


@dataclass(frozen=True)
class StatsRow:
    """Usage for one provider on one UTC day."""

    day: date
    provider: str
    calls: int
    errors: int
    blocked: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    findings: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PurgeReport:
    """What :meth:`AuditStore.purge` removed: rows, and the day periods whose keys it shredded."""

    records: int
    periods: tuple[str, ...]
    anchor_seq: int
