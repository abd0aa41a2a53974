"""One provider's files and tuning calls for ``FinetuneJobs``, through its SDK, errors mapped."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from privllm.errors import ConfigError
from privllm.finetune.jobs.status import JobStatus, neutral_state
from privllm.providers.cause import raise_mapped

if TYPE_CHECKING:
    from privllm.config import Config, ProviderConfig
    from privllm.finetune.jobs.gcs import CloudStorage
    from privllm.finetune.settings import FinetuneConfig
    from privllm.providers.base import TransportWrapper


@dataclass(frozen=True, slots=True)
class _Uploaded:
    file_id: str
    status: str | None
    expires_at: datetime | None
    #: Vertex: the object's ``gs://`` URI (kept encrypted, in the audit record only).
    uri: str | None = None


class _Backend:
    """The provider (built as the client builds it) and its SDK calls; errors mapped."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def close(self) -> None:
        self.provider.close()

    def call(self, fn: Callable[[], Any]) -> Any:
        return raise_mapped(fn, self.provider.map_error)

    def upload(self, name: str, data: bytes, expires: int | None) -> _Uploaded:
        raise ConfigError(f"{self.provider.name}: no file uploads")

    def create_job(
        self, model: str, training: str, validation: str | None, suffix: str | None,
        epochs: int | None,
    ) -> JobStatus:  # fmt: skip
        raise NotImplementedError

    def get_job(self, job_id: str) -> JobStatus:
        raise NotImplementedError

    def cancel_job(self, job_id: str) -> JobStatus:
        raise NotImplementedError

    def events(self, job_id: str) -> list[str]:
        return []

    def delete_file(self, file_id: str) -> None:
        raise ConfigError(f"{self.provider.name}: no files to delete")

    def delete_model(self, model: str) -> None:
        raise NotImplementedError


class _OpenAIBackend(_Backend):
    """OpenAI and Azure OpenAI (the ``openai`` SDK; Azure's client builds Azure's URLs)."""

    def upload(self, name: str, data: bytes, expires: int | None) -> _Uploaded:
        extra: dict[str, Any] = {}
        if expires is not None:
            extra["expires_after"] = {"anchor": "created_at", "seconds": expires}
        sdk = self.provider.sdk
        obj = self.call(
            lambda: sdk.files.create(
                file=(name, data, "application/jsonl"), purpose="fine-tune", **extra
            )
        )
        return _Uploaded(obj.id, obj.status, _unix(obj.expires_at))

    def create_job(
        self, model: str, training: str, validation: str | None, suffix: str | None,
        epochs: int | None,
    ) -> JobStatus:  # fmt: skip
        extra: dict[str, Any] = {}
        if validation:
            extra["validation_file"] = validation
        if suffix:
            extra["suffix"] = suffix
        if epochs:
            extra["hyperparameters"] = {"n_epochs": epochs}
        jobs = self.provider.sdk.fine_tuning.jobs
        return self._status(
            self.call(lambda: jobs.create(model=model, training_file=training, **extra))
        )

    def get_job(self, job_id: str) -> JobStatus:
        jobs = self.provider.sdk.fine_tuning.jobs
        return self._status(self.call(lambda: jobs.retrieve(job_id)))

    def cancel_job(self, job_id: str) -> JobStatus:
        jobs = self.provider.sdk.fine_tuning.jobs
        return self._status(self.call(lambda: jobs.cancel(job_id)))

    def events(self, job_id: str) -> list[str]:
        jobs = self.provider.sdk.fine_tuning.jobs
        page = self.call(lambda: jobs.list_events(job_id, limit=100))
        return [e.message for e in reversed(page.data)]  # the API lists newest first

    def delete_file(self, file_id: str) -> None:
        files = self.provider.sdk.files
        self.call(lambda: files.delete(file_id))

    def delete_model(self, model: str) -> None:
        models = self.provider.sdk.models
        self.call(lambda: models.delete(model))

    def _status(self, job: Any) -> JobStatus:
        error = getattr(job, "error", None)
        return JobStatus(
            provider=self.provider.name,
            job_id=job.id,
            state=neutral_state(job.status),
            provider_status=job.status,
            base_model=job.model,
            training_file=job.training_file,
            fine_tuned_model=job.fine_tuned_model,
            created_at=_unix(job.created_at),
            finished_at=_unix(job.finished_at),
            error=getattr(error, "message", None) if error is not None else None,
        )


class _VertexBackend(_Backend):
    """Vertex AI tuning through google-genai's ``client.tunings``; training files in Cloud
    Storage (``finetune.jobs.gcs``), one client per bucket."""

    def __init__(
        self,
        provider: Any,
        storage: Callable[[str], CloudStorage],
        settings: FinetuneConfig,
    ) -> None:
        super().__init__(provider)
        self._open_storage = storage
        self._settings = settings
        self._buckets: dict[str, CloudStorage] = {}

    def close(self) -> None:
        try:
            super().close()
        finally:
            for client in self._buckets.values():
                client.close()
            self._buckets.clear()

    def storage(self, bucket: str) -> CloudStorage:
        client = self._buckets.get(bucket)
        if client is None:
            client = self._buckets[bucket] = self._open_storage(bucket)
        return client

    def upload(self, name: str, data: bytes, expires: int | None) -> _Uploaded:
        from privllm.finetune.jobs.gcs import object_name

        bucket = self._settings.gcs_bucket
        if bucket is None:  # FinetuneJobs checks first; this keeps the backend honest
            raise ConfigError("finetune.gcs_bucket: not set", field="finetune.gcs_bucket")
        storage = self.storage(bucket)
        target = object_name(name, self._settings.gcs_prefix)
        storage.upload(target, data)
        return _Uploaded(name, "uploaded", None, uri=storage.uri(target))

    def delete_file(self, file_id: str) -> None:
        from privllm.finetune.jobs.gcs import split_uri

        bucket, name = split_uri(file_id)  # FinetuneJobs passes the object's gs:// URI
        self.storage(bucket).delete(name)

    def create_job(
        self, model: str, training: str, validation: str | None, suffix: str | None,
        epochs: int | None,
    ) -> JobStatus:  # fmt: skip
        import warnings

        from google.genai import errors as genai_errors
        from google.genai import types as gt

        if not training.startswith("gs://") or (validation and not validation.startswith("gs://")):
            raise ConfigError("Vertex AI tuning reads training data from gs:// URIs only")
        config = gt.CreateTuningJobConfig(
            tuned_model_display_name=suffix,
            epoch_count=epochs,
            validation_dataset=gt.TuningValidationDataset(gcs_uri=validation)
            if validation
            else None,
        )
        tunings = self.provider.sdk.tunings
        with warnings.catch_warnings():
            # google-genai marks tuning "experimental" with a warning on first use; the
            # calls are the documented REST API, and privllm pins what it sends.
            warnings.simplefilter("ignore", genai_errors.ExperimentalWarning)
            job = self.call(
                lambda: tunings.tune(
                    base_model=model,
                    training_dataset=gt.TuningDataset(gcs_uri=training),
                    config=config,
                )
            )
        return self._status(job)

    def get_job(self, job_id: str) -> JobStatus:
        tunings = self.provider.sdk.tunings
        return self._status(self.call(lambda: tunings.get(name=job_id)))

    def cancel_job(self, job_id: str) -> JobStatus:
        tunings = self.provider.sdk.tunings
        self.call(lambda: tunings.cancel(name=job_id))
        return self.get_job(job_id)

    def delete_model(self, model: str) -> None:
        # The tuned model is "…/models/ID@VERSION": delete the model, not only a version.
        models = self.provider.sdk.models
        self.call(lambda: models.delete(model=model.split("@", 1)[0]))

    def _status(self, job: Any) -> JobStatus:
        state = getattr(job.state, "value", None) or str(job.state or "")
        tuned = job.tuned_model.model if job.tuned_model is not None else None
        error = job.error.message if job.error is not None else None
        return JobStatus(
            provider=self.provider.name,
            job_id=job.name or "",
            state=neutral_state(state),
            provider_status=state,
            base_model=job.base_model,
            training_file=None,
            fine_tuned_model=tuned,
            created_at=job.create_time,
            finished_at=job.end_time,
            error=error,
        )


def _make_backend(
    section: ProviderConfig,
    config: Config,
    env: Mapping[str, str],
    wrapper: TransportWrapper | None,
    settings: FinetuneConfig,
) -> _Backend:
    """The provider built as ``Client`` builds it: its own egress guard around the
    transport (the caller's wrapper inside), one allowlist per section. Vertex gets a
    Cloud Storage client per bucket, with a guard of its own (``gcs.storage_guard``)."""
    from privllm.policy.egress.guard import EgressPolicy
    from privllm.providers.base import build_provider

    if section.name == "google" and section.google.mode != "vertex":
        raise ConfigError(
            'fine-tuning with google needs mode = "vertex" (the Gemini API is not supported)',
            field="provider.google.mode",
        )
    terms = config.redaction.terms
    guarded = wrapper
    if config.policy.egress_guard:
        guard = EgressPolicy.from_config(section, config.policy, terms=terms, env=env)
        guarded = _guarded(guard, wrapper)
    provider = build_provider(section, env=env, transport_wrapper=guarded)
    if section.name != "google":
        return _OpenAIBackend(provider)

    def storage(bucket: str) -> CloudStorage:
        from privllm.finetune.jobs.gcs import CloudStorage, storage_endpoint, storage_guard

        endpoint = storage_endpoint(settings, config.policy.self_hosted_hosts)
        outer = wrapper
        if config.policy.egress_guard:
            guard = storage_guard(section, config.policy, terms, endpoint, bucket)
            outer = _guarded(guard, wrapper)
        return CloudStorage.open(section, endpoint, bucket, env, outer)

    return _VertexBackend(provider, storage, settings)


def _guarded(guard: Any, wrapper: TransportWrapper | None) -> TransportWrapper:
    """``guard`` outside the caller's ``wrapper``, except that surrogates (``prepare
    --surrogates``) are not findings: they come from test and documentation ranges that
    belong to no one, exactly as ``scan_file`` treats them. Real card numbers, SSNs, IBANs
    and keys are still refused."""
    import dataclasses

    from privllm.finetune.prepare.surrogates import is_surrogate
    from privllm.policy.egress.guard import guard_wrapper

    scanner = guard.scanner
    if scanner is not None:

        def scan(text: str) -> Any:
            return (f for f in scanner(text) if not is_surrogate(f.type, f.value))

        guard = dataclasses.replace(guard, scanner=scan)
    return guard_wrapper(guard, then=wrapper)


def _unix(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)
