"""Vertex training files in Cloud Storage: may one go to the bucket, and which ``gs://``
object an inventory entry is (no network IO; ``gcs`` does the requests).

:func:`admit_bucket` applies ``[policy]`` to the configured bucket before an upload.

The inventory table names a Vertex training file by its neutral object name only
(``privllm-<sha256[:16]>.jsonl``): the bucket and folder can say what the data is, so its
``gs://`` URI is kept in the file's encrypted audit record (``gcs_uri``), as a job's
``training_uri`` is. :func:`file_uri` reads it back for ``create_job`` and ``purge``;
:func:`training_ref` turns what a user passes to ``create_job`` into a URI and, when it is a
file privllm uploaded, the inventory id a job's row points at (so ``purge`` keeps a file a
running job trains on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from privllm.errors import ConfigError, PolicyViolation
from privllm.finetune.jobs.gcs import object_name, split_uri

if TYPE_CHECKING:
    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.finetune.inventory.store import Inventory, InventoryItem
    from privllm.finetune.settings import FinetuneConfig
    from privllm.types import Endpoint

__all__ = ["admit_bucket", "file_uri", "training_ref", "uploaded_before"]


def admit_bucket(
    inventory: Inventory,
    section: ProviderConfig,
    policy: PolicyConfig,
    settings: FinetuneConfig,
) -> Endpoint:
    """The Cloud Storage endpoint of a Vertex upload, if policy lets the file go to the
    configured bucket; a refusal is recorded in the inventory's chain and raised."""
    from privllm.finetune.jobs.admission import check_storage_endpoint
    from privllm.finetune.jobs.gcs import storage_endpoint

    bucket = settings.gcs_bucket
    if bucket is None:
        raise ConfigError(
            "finetune.gcs_bucket: not set. Vertex AI tunes from Cloud Storage: name the "
            "bucket upload writes prepared files to (or copy the file there yourself and "
            "create_job('gs://BUCKET/FILE.jsonl', ...))",
            field="finetune.gcs_bucket",
        )
    storage = storage_endpoint(settings, policy.self_hosted_hosts)
    try:
        return check_storage_endpoint(storage, policy, bucket)
    except PolicyViolation as exc:
        inventory.refused(
            operation="upload", provider=section.name, endpoint=storage.base_url.rstrip("/"),
            rule=exc.rule,
        )  # fmt: skip
        raise


def uploaded_before(
    inventory: Inventory, name: str, endpoint: str, settings: FinetuneConfig
) -> InventoryItem | None:
    """The entry of object ``name`` in the configured bucket and folder, if privllm put it
    there and it is still there; ``ConfigError`` if it sits in another one (the table tells
    files apart by name, and the name is the content's)."""
    row = inventory.find("file", name, endpoint=endpoint)
    if row is None or not row.present:
        return None
    target = f"gs://{settings.gcs_bucket}/{object_name(name, settings.gcs_prefix)}"
    if file_uri(inventory, row, settings) == target:
        return row
    raise ConfigError(
        f"this content is already uploaded as {name}, to another bucket or folder; purge "
        "that copy first",
        field="finetune.gcs_bucket",
    )


def file_uri(inventory: Inventory, item: InventoryItem, settings: FinetuneConfig) -> str:
    """The ``gs://`` URI of Vertex training file ``item``: from its audit record; if that
    is gone (audit retention) or was never kept (no audit log), the configured
    ``gcs_bucket`` and ``gcs_prefix`` with the file's object name."""
    if inventory.audit is not None and item.audit_call_id is not None:
        record = inventory.audit.get(item.audit_call_id)
        uri = (record.payload or {}).get("gcs_uri") if record is not None else None
        if isinstance(uri, str):
            return uri
    if settings.gcs_bucket is None:
        raise ConfigError(
            f"file {item.remote_id}: its audit record (which names its bucket) is gone, and "
            "finetune.gcs_bucket is not set",
            field="finetune.gcs_bucket",
        )
    return f"gs://{settings.gcs_bucket}/{object_name(item.remote_id, settings.gcs_prefix)}"


def training_ref(
    inventory: Inventory, training: str, endpoint: str, settings: FinetuneConfig
) -> tuple[str, str | None]:
    """``(gs:// URI, inventory id or None)`` for what ``create_job`` was given on Vertex: a
    ``gs://`` URI, or the id ``upload`` returned."""
    if training.startswith("gs://"):
        _, name = split_uri(training)
        row = inventory.find("file", name.rsplit("/", 1)[-1], endpoint=endpoint)
        ours = row is not None and row.present and file_uri(inventory, row, settings) == training
        return training, row.remote_id if ours and row is not None else None
    row = inventory.find("file", training, endpoint=endpoint)
    if row is None:
        raise ConfigError(
            "Vertex AI tuning reads training data from gs:// URIs: pass one, or the id "
            "`privllm finetune upload` printed for this provider"
        )
    if not row.present:
        raise ConfigError(f"file {training} was deleted from its bucket (purge)")
    return file_uri(inventory, row, settings), row.remote_id
