"""A tuning job's status: the provider's words mapped to privllm's neutral states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["DONE_STATES", "JobState", "JobStatus", "neutral_state"]

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled", "unknown"]
_STATES: dict[str, JobState] = {
    # OpenAI and Azure
    "validating_files": "queued", "pending": "queued", "queued": "queued",
    "running": "running", "paused": "running", "succeeded": "succeeded",
    "failed": "failed", "cancelled": "cancelled",
    # Vertex AI (google-genai JobState)
    "JOB_STATE_QUEUED": "queued", "JOB_STATE_PENDING": "queued",
    "JOB_STATE_RUNNING": "running", "JOB_STATE_UPDATING": "running",
    "JOB_STATE_PAUSED": "running", "JOB_STATE_CANCELLING": "running",
    "JOB_STATE_SUCCEEDED": "succeeded", "JOB_STATE_PARTIALLY_SUCCEEDED": "succeeded",
    "JOB_STATE_FAILED": "failed", "JOB_STATE_EXPIRED": "failed",
    "JOB_STATE_CANCELLED": "cancelled",
}  # fmt: skip
#: The states a job does not leave.
DONE_STATES: frozenset[JobState] = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class JobStatus:
    """A tuning job as the provider reported it; ``state`` is privllm's neutral name."""

    provider: str
    job_id: str
    state: JobState
    provider_status: str
    base_model: str | None = None
    training_file: str | None = None
    fine_tuned_model: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    #: The provider's error text, in the placeholder form the provider saw.
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES


def neutral_state(status: str) -> JobState:
    """privllm's name for a provider's job status (``"unknown"`` for one it does not know).

    >>> neutral_state("validating_files"), neutral_state("JOB_STATE_SUCCEEDED")
    ('queued', 'succeeded')
    """
    return _STATES.get(status, "unknown")
