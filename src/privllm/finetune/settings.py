"""The ``[finetune]`` config section: retention of training files and tuned models.

``config.py`` imports :class:`FinetuneSettings` from here at import time, so this module
needs nothing but pydantic.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FinetuneSettings"]

# OpenAI's expires_after bounds for uploaded files.
_MIN_EXPIRY, _MAX_EXPIRY = 3600, 30 * 86400


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
