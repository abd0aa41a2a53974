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
google-genai's ``client.tunings`` from a ``gs://`` URI, and ``upload`` writes the file to
the Cloud Storage bucket ``[finetune] gcs_bucket`` names (``gcs``), with its own guard.

    >>> from privllm.testing import OpenAIServer
    >>> with OpenAIServer() as server:                                   # doctest: +SKIP
    ...     with FinetuneJobs(provider=server.provider_config(),
    ...                       audit={"path": "audit.db"}) as jobs:
    ...         item = jobs.upload("train.prepared.jsonl")
    ...         job = jobs.create_job(item.remote_id, model="gpt-4o-mini")

Beside this module: ``admission`` (the refusals), ``settings`` (``[finetune]``), ``status``
(job states), ``retention`` (what ``purge`` deletes), ``backends`` (SDK calls), ``gcs`` and
``gcs_refs`` (Cloud Storage for Vertex), ``inventory``;
their public names are importable from here too. The top level stays light: SDKs, the
audit store and the redactor are imported where they are used.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from privllm.errors import ConfigError, NotFoundError, PolicyViolation, PrivllmError
from privllm.finetune.jobs.admission import UnpreparedFileError, check_training_endpoint
from privllm.finetune.jobs.status import JobState, JobStatus, neutral_state
from privllm.finetune.retention import PurgeOutcome, plan_purge
from privllm.finetune.settings import FinetuneConfig

if TYPE_CHECKING:
    from privllm.config import Config, ProviderConfig
    from privllm.finetune.inventory.store import Inventory, InventoryCheck, InventoryItem
    from privllm.finetune.jobs.backends import _Backend
    from privllm.finetune.prepare.valuemap import ValueMap
    from privllm.providers.base import TransportWrapper
    from privllm.types import Endpoint

__all__ = [
    "FinetuneConfig",
    "FinetuneJobs",
    "JobState",
    "JobStatus",
    "PurgeOutcome",
    "UnpreparedFileError",
    "check_training_endpoint",
    "neutral_state",
]

_CHUNK = 1 << 20


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
        settings: FinetuneConfig | None = None,
        profile: str | None = None,
        env: Mapping[str, str] | None = None,
        transport_wrapper: TransportWrapper | None = None,
        clock: Callable[[], datetime] | None = None,
        **overrides: Any,
    ) -> None:
        from privllm.config import resolve_config

        self.config = resolve_config(config, env, overrides)
        self.settings = settings or FinetuneConfig.from_config(self.config)
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
            from privllm.finetune.inventory.store import open_inventory

            # The audit key and default path come from the process environment, as for
            # Client: ``env`` holds provider settings, not the log's key.
            self._inventory = open_inventory(
                self.config, self.settings.inventory_path, clock=self._clock
            )
        return self._inventory

    def _recorded(self) -> Inventory | None:
        """The inventory, if anything was ever recorded; ``None`` (and nothing created: no
        key, no log) before the first upload. For operations that only read."""
        if self._inventory is None:
            from privllm.finetune.inventory.store import inventory_exists, open_inventory

            if not inventory_exists(self.config, self.settings.inventory_path):
                return None
            self._inventory = open_inventory(
                self.config, self.settings.inventory_path, clock=self._clock, create_key=False
            )
        return self._inventory

    def close(self) -> None:
        try:
            for backend in self._backends.values():
                backend.close()
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
        self,
        path: str | os.PathLike[str],
        *,
        allow_unredacted: bool = False,
        value_map: ValueMap | None = None,
    ) -> InventoryItem:
        """Check ``path`` and upload it as a fine-tuning file; returns its inventory entry.

        Refused before any byte is sent when policy refuses the endpoint, or (without
        ``allow_unredacted``) when the configured detectors still find values in the file:
        run ``privllm finetune prepare`` first (give its ``value_map`` when it wrote name
        surrogates: they are not findings). The provider gets the bytes checked, under a
        neutral name (``privllm-<sha256>.jsonl``): a local file name can say too much.

        On Vertex AI the file goes to ``settings.gcs_bucket`` (in ``gcs_prefix``), which
        policy must admit too (``gcs_location`` for ``allowed_regions``); the entry's
        ``remote_id`` is the object name, which ``create_job`` takes. The same content
        already uploaded there returns its entry: nothing is sent again.
        """
        from privllm.finetune.inventory.store import InventoryItem
        from privllm.finetune.prepare.dataset import scan_file
        from privllm.redaction.redactor import Redactor

        source = Path(path)
        inventory = self.inventory_store
        endpoint = self._admit(self.section, "upload")
        vertex = self.section.name == "google"
        if vertex:
            from privllm.finetune.jobs.gcs_refs import admit_bucket

            admit_bucket(inventory, self.section, self.config.policy, self.settings)
        before = _sha256(source)
        # One process: forking here would copy a process that runs the audit writer thread.
        scan = scan_file(source, Redactor.from_config(self.config.redaction), value_map=value_map)
        if scan.issues:
            # Not even --allow-unredacted: what was scanned may not be what the provider reads.
            counts = dict(sorted(scan.findings.items()))
            inventory.refused(
                operation="upload", provider=self.section.name, endpoint=_clean(endpoint.base_url),
                rule="finetune.unchecked", findings=counts,
            )  # fmt: skip
            raise UnpreparedFileError(
                f"{source}: {scan.problems} line(s) cannot be checked ({scan.issues[0]}); "
                "run `privllm finetune prepare` first",
                findings=counts,
                rule="finetune.unchecked",
            )
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
        name = f"privllm-{digest[:16]}.jsonl"
        if vertex:
            from privllm.finetune.jobs.gcs_refs import uploaded_before

            again = uploaded_before(inventory, name, _clean(endpoint.base_url), self.settings)
            if again is not None:
                return again
        started = time.perf_counter()
        try:
            uploaded = backend.upload(name, data, self._expiry())
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
        # A gs:// URI names a bucket and folder: encrypted in the audit record, not the table.
        extra = {"gcs_uri": uploaded.uri} if uploaded.uri else None
        return inventory.record(item, latency_ms=latency, findings=findings, extra=extra)

    def create_job(
        self,
        training: str,
        *,
        model: str,
        validation: str | None = None,
        suffix: str | None = None,
        epochs: int | None = None,
    ) -> JobStatus:
        """Start tuning ``model`` on ``training``: a file id (OpenAI, Azure), or on Vertex AI
        the id ``upload`` returned or a ``gs://`` URI. The job is added to the inventory."""
        from privllm.finetune.inventory.store import InventoryItem

        endpoint = self._admit(self.section, "job")
        parent: str | None = None if training.startswith("gs://") else training
        if self.section.name == "google":
            from privllm.finetune.jobs.gcs_refs import training_ref

            where, inventory = _clean(endpoint.base_url), self.inventory_store
            training, parent = training_ref(inventory, training, where, self.settings)
            if validation is not None:
                validation, _ = training_ref(inventory, validation, where, self.settings)
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
            parent_id=parent,
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
        from privllm.finetune.inventory.store import InventoryItem

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
        """Everything of ours at a provider (and, with ``include_deleted``, what was).

        Empty, and nothing created (no key, no log), before anything was recorded.
        """
        recorded = self._recorded()
        return [] if recorded is None else recorded.items(include_deleted=include_deleted)

    def verify(self) -> InventoryCheck:
        """Check the inventory against its audit records (see :meth:`Inventory.verify`);
        nothing recorded yet is an empty, passing check."""
        from privllm.finetune.inventory.store import InventoryCheck

        recorded = self._recorded()
        return InventoryCheck(ok=True, rows=0) if recorded is None else recorded.verify()

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
        recorded = self._recorded()
        if recorded is None:  # nothing was ever uploaded: nothing to delete, nothing created
            return []
        outcomes = plan_purge(
            recorded.items(), self._clock(), older_than, self.settings, with_models
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
            if item.kind == "file" and item.provider == "google":
                from privllm.finetune.jobs.gcs_refs import file_uri

                backend.delete_file(file_uri(self.inventory_store, item, self.settings))
            elif item.kind == "file":
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
            from privllm.finetune.jobs.backends import _make_backend

            backend = _make_backend(section, self.config, self._env, self._wrapper, self.settings)
            self._backends[key] = backend
        return backend

    def _expiry(self) -> int | None:
        # Only OpenAI's files API takes expires_after (Azure's is unverified: not sent).
        return self.settings.expiry_seconds() if self.section.name == "openai" else None


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
