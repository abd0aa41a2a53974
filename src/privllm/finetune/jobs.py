"""Upload, train, track, delete: fine-tuning jobs through privllm's policy and egress guard.

Training data is the most sensitive payload there is: it is kept by the provider until
deleted (OpenAI files are not covered by Zero Data Retention) and a tuned model may
memorise it. So :class:`FinetuneJobs`:

- sends only to endpoints the ``[policy]`` section admits *and* whose kind is
  ``enterprise_api`` or ``self_hosted`` (rule ``finetune.endpoint_kind``): never a consumer
  product or an unknown host, even if the policy was loosened for chat. Self-hosted counts
  because the data stays with you (an in-house trainer speaking the OpenAI API);
- builds SDK clients exactly as the providers do, with the egress guard of
  :meth:`~privllm.policy.egress.EgressPolicy.from_config` around the transport;
- refuses to upload a file in which the configured detectors still find values
  (placeholders, masks and surrogates do not count) unless ``allow_unredacted=True``;
- records every upload, job and tuned model in the inventory (and the audit chain), and
  deletes expired ones at the provider on :meth:`purge`.

OpenAI and Azure OpenAI use the files and fine-tuning APIs; Vertex AI tunes through
google-genai's ``client.tunings`` from a ``gs://`` URI (Vertex reads training data from
Cloud Storage, which privllm does not write to: copy the prepared file there yourself).

    >>> from privllm.testing import OpenAIServer
    >>> with OpenAIServer() as server:                                   # doctest: +SKIP
    ...     with FinetuneJobs(provider=server.provider_config(),
    ...                       audit={"path": "audit.db"}) as jobs:
    ...         item = jobs.upload("train.prepared.jsonl")
    ...         job = jobs.create_job(item.remote_id, model="gpt-4o-mini")

``config.py`` imports :class:`FinetuneSettings` from here, so this module's top level stays
light: SDKs, the audit store and the redactor are imported where they are used.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from privllm.errors import ConfigError, NotFoundError, PolicyViolation, PrivllmError

if TYPE_CHECKING:
    from privllm.config import Config, PolicyConfig, ProviderConfig
    from privllm.finetune.backends import _Backend
    from privllm.finetune.inventory import Inventory, InventoryCheck, InventoryItem
    from privllm.providers.base import TransportWrapper
    from privllm.types import Endpoint

__all__ = [
    "FinetuneJobs",
    "FinetuneSettings",
    "JobState",
    "JobStatus",
    "PurgeOutcome",
    "UnpreparedFileError",
    "check_training_endpoint",
    "neutral_state",
]

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
_DONE: frozenset[JobState] = frozenset({"succeeded", "failed", "cancelled"})
_TRAINING_KINDS = frozenset({"enterprise_api", "self_hosted"})
# OpenAI's expires_after bounds for uploaded files.
_MIN_EXPIRY, _MAX_EXPIRY = 3600, 30 * 86400
_CHUNK = 1 << 20


class FinetuneSettings(BaseModel):
    """The ``[finetune]`` config section.

    >>> FinetuneSettings().retention_days, FinetuneSettings(retention_days=7).expiry_seconds()
    (30, 604800)
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    #: Days a training file stays at the provider before ``purge`` deletes it; unset keeps
    #: files until ``purge --older-than``.
    retention_days: int | None = Field(default=30, ge=1)
    #: Ask the provider to delete each file on its own after the retention (OpenAI only:
    #: 1 hour to 30 days; a longer retention is capped at 30 days there).
    provider_expiry: bool = True
    #: Days a tuned model is kept before ``purge --models`` deletes it; unset keeps models
    #: until ``purge --models --older-than``.
    model_retention_days: int | None = Field(default=None, ge=1)
    #: ``purge`` deletes expired tuned models too, without ``--models``.
    delete_models: bool = False
    #: The SQLite file of the inventory table; unset means the audit log's file.
    inventory_path: Path | None = None

    def expiry_seconds(self) -> int | None:
        """The ``expires_after`` to request from the provider, or None."""
        if not self.provider_expiry or self.retention_days is None:
            return None
        return max(_MIN_EXPIRY, min(self.retention_days * 86400, _MAX_EXPIRY))

    @classmethod
    def from_config(cls, config: object) -> FinetuneSettings:
        """``config.finetune`` once ``Config`` has that section, else the defaults."""
        found = getattr(config, "finetune", None)
        return found if isinstance(found, cls) else cls()


class UnpreparedFileError(PolicyViolation):
    """The file still holds values the configured detectors find. Counts per type only."""

    def __init__(self, message: str, *, findings: Mapping[str, int]) -> None:
        super().__init__(message, rule="finetune.unredacted")
        self.findings = dict(findings)


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
        return self.state in _DONE


@dataclass(frozen=True, slots=True)
class PurgeOutcome:
    """What :meth:`FinetuneJobs.purge` did with one item."""

    item: InventoryItem
    action: Literal["deleted", "gone", "would_delete", "kept", "failed"]
    note: str = ""


def check_training_endpoint(endpoint: Endpoint, policy: PolicyConfig) -> Endpoint:
    """``endpoint`` as policy classifies it, if training data may go there; else raise
    :class:`~privllm.errors.PolicyViolation` (every ``[policy]`` rule, then
    ``finetune.endpoint_kind``).

    >>> from privllm.config import PolicyConfig
    >>> from privllm.policy.endpoints import classify
    >>> check_training_endpoint(classify("https://chatgpt.com", provider="openai"),
    ...                         PolicyConfig())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    privllm.errors.PolicyViolation: refused by policy rule deny_consumer_endpoints: ...
    """
    from privllm.policy.rules import PolicyEngine

    engine = PolicyEngine(policy)
    endpoint = engine.classify(endpoint)
    refused = engine.refusal(engine.check_endpoint(endpoint))
    if refused is not None:
        engine.raise_for(refused)
    if endpoint.kind not in _TRAINING_KINDS:
        raise PolicyViolation(
            f"refused by policy rule finetune.endpoint_kind: training data goes only to "
            f"enterprise API or self-hosted endpoints; {endpoint.host} is {endpoint.kind}",
            rule="finetune.endpoint_kind",
            host=endpoint.host,
        )
    return endpoint


class FinetuneJobs:
    """Upload training files, run tuning jobs, track and delete what they leave behind.

    Arguments as :class:`~privllm.Client`: a ``Config``, a config file, or keyword sections
    (``provider=...``, ``audit=...``). ``profile`` picks a ``[providers.NAME]`` section
    instead of ``[provider]``; ``settings`` overrides the ``[finetune]`` section; ``clock``
    (an aware datetime) is for tests. Sync only: these are batch operations, not a hot path.
    Close it (or use ``with``) to close SDK clients and the inventory.
    """

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        settings: FinetuneSettings | None = None,
        profile: str | None = None,
        env: Mapping[str, str] | None = None,
        transport_wrapper: TransportWrapper | None = None,
        clock: Callable[[], datetime] | None = None,
        **overrides: Any,
    ) -> None:
        from privllm.config import resolve_config

        self.config = resolve_config(config, env, overrides)
        self.settings = settings or FinetuneSettings.from_config(self.config)
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._wrapper = transport_wrapper
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        if profile is not None and profile not in self.config.providers:
            raise ConfigError(f"no provider profile {profile!r} in [providers]", field="providers")
        self.section = self.config.provider if profile is None else self.config.providers[profile]
        self._backends: dict[str, _Backend] = {}
        self._inventory: Inventory | None = None

    def __repr__(self) -> str:
        return f"FinetuneJobs(provider={self.section.name!r})"

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def inventory_store(self) -> Inventory:
        """The inventory (opened on first use)."""
        if self._inventory is None:
            from privllm.finetune.inventory import open_inventory

            # The audit key and default path come from the process environment, as for
            # Client: ``env`` holds provider settings, not the log's key.
            self._inventory = open_inventory(
                self.config, self.settings.inventory_path, clock=self._clock
            )
        return self._inventory

    def close(self) -> None:
        try:
            for backend in self._backends.values():
                backend.provider.close()
        finally:
            self._backends.clear()
            if self._inventory is not None:
                self._inventory.close()
                self._inventory = None

    def __enter__(self) -> FinetuneJobs:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- upload, train, track ------------------------------------------------------------------

    def upload(
        self, path: str | os.PathLike[str], *, allow_unredacted: bool = False
    ) -> InventoryItem:
        """Check ``path`` and upload it as a fine-tuning file; returns its inventory entry.

        Refused before any byte is sent when policy refuses the endpoint, or (without
        ``allow_unredacted``) when the configured detectors still find values in the file:
        run ``privllm finetune prepare`` first. The provider gets the bytes checked, under a
        neutral name (``privllm-<sha256>.jsonl``): a local file name can say too much.
        """
        from privllm.finetune.dataset import scan_file
        from privllm.finetune.inventory import InventoryItem
        from privllm.redaction.redactor import Redactor

        source = Path(path)
        inventory = self.inventory_store
        endpoint = self._admit(self.section, "upload")
        if self.section.name == "google":
            raise ConfigError(
                "Vertex AI tunes from Cloud Storage: copy the prepared file to your bucket, "
                "then create_job('gs://BUCKET/FILE.jsonl', ...)",
                field="provider.name",
            )
        before = _sha256(source)
        # One process: forking here would copy a process that runs the audit writer thread.
        scan = scan_file(source, Redactor.from_config(self.config.redaction))
        if scan.findings and not allow_unredacted:
            counts = dict(sorted(scan.findings.items()))
            inventory.refused(
                operation="upload", provider=self.section.name, endpoint=_clean(endpoint.base_url),
                rule="finetune.unredacted", findings=counts,
            )  # fmt: skip
            shown = ", ".join(f"{kind}: {n}" for kind, n in counts.items())
            raise UnpreparedFileError(
                f"{source}: {sum(counts.values())} value(s) the detectors still find ({shown}); "
                "run `privllm finetune prepare` first, or allow it explicitly "
                "(--allow-unredacted)",
                findings=counts,
            )
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != before:
            raise PolicyViolation(
                f"{source} changed while it was being checked; nothing was sent",
                rule="finetune.changed",
            )
        backend = self._backend(self.section)
        started = time.perf_counter()
        try:
            uploaded = backend.upload(f"privllm-{digest[:16]}.jsonl", data, self._expiry())
        except PolicyViolation as exc:  # the egress guard: nothing left the process
            inventory.refused(
                operation="upload", provider=self.section.name, endpoint=_clean(endpoint.base_url),
                rule=exc.rule, findings=dict(scan.findings),
            )  # fmt: skip
            raise
        latency = (time.perf_counter() - started) * 1000
        now = self._clock()
        days = self.settings.retention_days
        item = InventoryItem(
            kind="file",
            provider=self.section.name,
            endpoint=_clean(endpoint.base_url),
            remote_id=uploaded.file_id,
            created_at=now,
            bytes=len(data),
            sha256=digest,
            status=uploaded.status,
            expires_at=now + timedelta(days=days) if days else None,
            provider_expires_at=uploaded.expires_at,
        )
        findings = dict(scan.findings) if allow_unredacted else None
        return inventory.record(item, latency_ms=latency, findings=findings)

    def create_job(
        self,
        training: str,
        *,
        model: str,
        validation: str | None = None,
        suffix: str | None = None,
        epochs: int | None = None,
    ) -> JobStatus:
        """Start tuning ``model`` on ``training``: a file id (OpenAI, Azure) or a ``gs://``
        URI (Vertex AI). The job is added to the inventory."""
        from privllm.finetune.inventory import InventoryItem

        endpoint = self._admit(self.section, "job")
        backend = self._backend(self.section)
        started = time.perf_counter()
        job = backend.create_job(model, training, validation, suffix, epochs)
        latency = (time.perf_counter() - started) * 1000
        item = InventoryItem(
            kind="job",
            provider=self.section.name,
            endpoint=_clean(endpoint.base_url),
            remote_id=job.job_id,
            created_at=self._clock(),
            parent_id=None if training.startswith("gs://") else training,
            base_model=model,
            status=job.provider_status,
        )
        # A gs:// URI names a bucket and object: encrypted in the audit record, not in the table.
        extra = {"training_uri": training} if training.startswith("gs://") else None
        self.inventory_store.record(item, latency_ms=latency, extra=extra)
        return job

    def status(self, job_id: str) -> JobStatus:
        """The job's status now; a finished job's tuned model joins the inventory."""
        endpoint = self._admit(self.section, "status")
        job = self._backend(self.section).get_job(job_id)
        self._track(job, _clean(endpoint.base_url))
        return job

    def cancel(self, job_id: str) -> JobStatus:
        """Cancel a running job."""
        endpoint = self._admit(self.section, "cancel")
        job = self._backend(self.section).cancel_job(job_id)
        self._track(job, _clean(endpoint.base_url))
        return job

    def events(self, job_id: str) -> list[str]:
        """The job's event messages, oldest first (OpenAI and Azure; empty for Vertex)."""
        self._admit(self.section, "events")
        return self._backend(self.section).events(job_id)

    def _track(self, job: JobStatus, endpoint: str) -> None:
        from privllm.finetune.inventory import InventoryItem

        inventory = self.inventory_store
        row = inventory.find("job", job.job_id, endpoint=endpoint)
        if row is None:
            return  # not started through privllm: its model is not ours to purge
        inventory.set_status(row, job.provider_status)
        if job.state == "succeeded" and job.fine_tuned_model:
            created = job.finished_at or self._clock()
            days = self.settings.model_retention_days
            model = InventoryItem(
                kind="model",
                provider=job.provider,
                endpoint=endpoint,
                remote_id=job.fine_tuned_model,
                created_at=created,
                parent_id=job.job_id,
                base_model=job.base_model,
                expires_at=created + timedelta(days=days) if days else None,
            )
            inventory.record(model)

    # -- inventory and purge -------------------------------------------------------------------

    def inventory(self, *, include_deleted: bool = False) -> list[InventoryItem]:
        """Everything of ours at a provider (and, with ``include_deleted``, what was)."""
        return self.inventory_store.items(include_deleted=include_deleted)

    def verify(self) -> InventoryCheck:
        """Check the inventory against its audit records (see :meth:`Inventory.verify`)."""
        return self.inventory_store.verify()

    def purge(
        self,
        *,
        older_than: timedelta | None = None,
        models: bool | None = None,
        dry_run: bool = False,
    ) -> list[PurgeOutcome]:
        """Delete expired training files (and with ``models``, tuned models) at the provider.

        Expired means past ``expires_at`` (the retention when it was recorded), or with
        ``older_than``, created that long ago or more. ``models`` defaults to
        ``settings.delete_models``. A file a running job still trains on is kept. Each
        deletion is recorded; a file the provider no longer has is marked ``gone``.
        """
        with_models = self.settings.delete_models if models is None else models
        outcomes = _plan(
            self.inventory_store.items(), self._clock(), older_than, self.settings, with_models
        )
        if dry_run:
            return outcomes
        return [self._delete(o) if o.action == "would_delete" else o for o in outcomes]

    def _delete(self, outcome: PurgeOutcome) -> PurgeOutcome:
        item = outcome.item
        section = self._section_for(item)
        if section is None:
            return PurgeOutcome(item, "failed", "no provider section in config for this endpoint")
        try:
            self._admit(section, "delete")
            backend = self._backend(section)
            if item.kind == "file":
                backend.delete_file(item.remote_id)
            else:
                backend.delete_model(item.remote_id)
        except NotFoundError:
            done = self.inventory_store.mark_deleted(item, "already gone at the provider")
            return PurgeOutcome(done, "gone", done.delete_note or "")
        except PrivllmError as exc:
            return PurgeOutcome(item, "failed", f"{type(exc).__name__}: {exc}")
        done = self.inventory_store.mark_deleted(item, "deleted by privllm purge")
        return PurgeOutcome(done, "deleted", done.delete_note or "")

    def _section_for(self, item: InventoryItem) -> ProviderConfig | None:
        from privllm.policy.endpoints import provider_base_url

        for section in (self.section, self.config.provider, *self.config.providers.values()):
            if section.name != item.provider:
                continue
            try:
                if _clean(provider_base_url(section)) == item.endpoint:
                    return section
            except ConfigError:
                continue
        return None

    # -- plumbing ------------------------------------------------------------------------------

    def _admit(self, section: ProviderConfig, operation: str) -> Endpoint:
        """The classified endpoint, if policy lets training traffic go there; a refusal is
        recorded (as blocked) and raised before any client is built."""
        from privllm.policy.endpoints import provider_endpoint

        policy = self.config.policy
        endpoint = provider_endpoint(section, policy.self_hosted_hosts)
        try:
            return check_training_endpoint(endpoint, policy)
        except PolicyViolation as exc:
            self.inventory_store.refused(
                operation=operation, provider=section.name, endpoint=_clean(endpoint.base_url),
                rule=exc.rule,
            )  # fmt: skip
            raise

    def _backend(self, section: ProviderConfig) -> _Backend:
        key = section.model_dump_json()
        backend = self._backends.get(key)
        if backend is None:
            from privllm.finetune.backends import _make_backend

            backend = _make_backend(section, self.config, self._env, self._wrapper)
            self._backends[key] = backend
        return backend

    def _expiry(self) -> int | None:
        # Only OpenAI's files API takes expires_after (Azure's is unverified: not sent).
        return self.settings.expiry_seconds() if self.section.name == "openai" else None


def _plan(
    items: list[InventoryItem],
    now: datetime,
    older_than: timedelta | None,
    settings: FinetuneSettings,
    models: bool,
) -> list[PurgeOutcome]:
    """What purge would do with each present file and model (sans-IO)."""
    busy = {
        i.parent_id
        for i in items
        if i.kind == "job" and i.parent_id and neutral_state(i.status or "") not in _DONE
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
            due = age is not None and item.created_at <= now - age
        else:
            due = item.expires_at is not None and item.expires_at <= now
        if not due:
            continue
        if item.kind == "file" and item.remote_id in busy:
            out.append(PurgeOutcome(item, "kept", "a job that has not finished trains on it"))
        else:
            out.append(PurgeOutcome(item, "would_delete"))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _clean(url: str) -> str:
    """A base URL without credentials, query or fragment, and without a trailing slash."""
    import httpx2

    parsed = httpx2.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    host = parsed.host if ":" not in parsed.host else f"[{parsed.host}]"
    return f"{parsed.scheme}://{host}{port}{parsed.path}".rstrip("/")


def neutral_state(status: str) -> JobState:
    """privllm's name for a provider's job status (``"unknown"`` for one it does not know).

    >>> neutral_state("validating_files"), neutral_state("JOB_STATE_SUCCEEDED")
    ('queued', 'succeeded')
    """
    return _STATES.get(status, "unknown")
