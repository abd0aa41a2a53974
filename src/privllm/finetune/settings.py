"""The ``[finetune]`` config section: retention of training files and tuned models, and the
Cloud Storage bucket Vertex AI training files go to.

``config.py`` composes :class:`FinetuneConfig` into ``Config`` at import time, so this module
needs nothing but pydantic.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from privllm.config_section import Section

__all__ = ["FinetuneConfig"]

# OpenAI's expires_after bounds for uploaded files.
_MIN_EXPIRY, _MAX_EXPIRY = 3600, 30 * 86400
# Retention longer than this is not a clock anyone keeps (and date arithmetic overflows).
_MAX_DAYS = 100 * 366
# Cloud Storage bucket names: 3-63 characters (up to 222 with dots), lower-case letters,
# digits, "-", "_" and ".", starting and ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")


class FinetuneConfig(Section):
    """The ``[finetune]`` config section.

    >>> FinetuneConfig().retention_days, FinetuneConfig(retention_days=7).expiry_seconds()
    (30, 604800)
    """

    #: Days a training file stays at the provider before ``purge`` deletes it; unset keeps
    #: files until ``purge --older-than``.
    retention_days: int | None = Field(default=30, ge=1, le=_MAX_DAYS)
    #: Ask the provider to delete each file on its own after the retention (OpenAI only:
    #: 1 hour to 30 days; a longer retention is capped at 30 days there).
    provider_expiry: bool = True
    #: Days a tuned model is kept before ``purge --models`` deletes it; unset keeps models
    #: until ``purge --models --older-than``.
    model_retention_days: int | None = Field(default=None, ge=1, le=_MAX_DAYS)
    #: ``purge`` deletes expired tuned models too, without ``--models``.
    delete_models: bool = False
    #: The SQLite file of the inventory table; unset means the audit log's file.
    inventory_path: Path | None = None
    #: Vertex AI: the Cloud Storage bucket ``upload`` writes prepared files to (a name, not
    #: a ``gs://`` URI). Unset: ``upload`` on Vertex is a configuration error.
    gcs_bucket: str | None = None
    #: Vertex AI: a folder in the bucket for uploads (``privllm/training``); the object is
    #: ``<prefix>/privllm-<sha256>.jsonl``.
    gcs_prefix: str | None = None
    #: Vertex AI: where the bucket keeps its data (``europe-west4``, ``eu``), checked against
    #: ``policy.allowed_regions`` (required when that is set). A declaration: the location
    #: is not read from the bucket.
    gcs_location: str | None = None
    #: The Cloud Storage JSON API origin; unset means ``https://storage.googleapis.com``.
    #: Another value must be a self-hosted host (a local test server or emulator).
    gcs_endpoint: str | None = None

    @field_validator("gcs_bucket")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("gs://"):
            raise ValueError("a bucket name, without gs:// (the prefix goes in gcs_prefix)")
        if not _BUCKET.fullmatch(value) or ("." not in value and len(value) > 63):
            raise ValueError("not a Cloud Storage bucket name")
        return value

    @field_validator("gcs_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is None:
            return None
        prefix = value.strip("/")
        parts = prefix.split("/")
        if (
            len(prefix) > 512
            or any(part in ("", ".", "..") for part in parts)
            or not all(c.isprintable() for c in prefix)
            or any(c in prefix for c in "#?[]*")
        ):
            raise ValueError("not a usable folder name (no empty, . or .. parts, no #?[]*)")
        return prefix

    @field_validator("gcs_location")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9-]{2,40}", value):
            raise ValueError("not a Cloud Storage location (europe-west4, eu, us...)")
        return value.lower()

    @field_validator("gcs_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or "@" in parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError("an origin: http(s)://host[:port], no path, query or userinfo")
        return value.rstrip("/")

    def expiry_seconds(self) -> int | None:
        """The ``expires_after`` to request from the provider, or None."""
        if not self.provider_expiry or self.retention_days is None:
            return None
        return max(_MIN_EXPIRY, min(self.retention_days * 86400, _MAX_EXPIRY))

    @classmethod
    def from_config(cls, config: object) -> FinetuneConfig:
        """``config.finetune`` once ``Config`` has that section, else the defaults."""
        found = getattr(config, "finetune", None)
        return found if isinstance(found, cls) else cls()


#: The name before every section was a ``...Config`` (exported, so still importable).
FinetuneSettings = FinetuneConfig
