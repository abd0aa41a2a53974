"""Fine-tuning on confidential data: prepare training files (consistent redaction or
surrogates, a sealed value map), upload them under policy, run and purge jobs.

Names load on first use: ``import privllm.finetune`` reads no file and imports no SDK.

>>> from privllm.finetune import ValueMap, prepare_file, scan_file
>>> ValueMap("placeholder").mode
'placeholder'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privllm.finetune.jobs.lifecycle import (
        FinetuneJobs,
        JobState,
        JobStatus,
        PurgeOutcome,
        UnpreparedFileError,
    )
    from privllm.finetune.prepare.dataset import (
        DatasetError,
        Example,
        FileScan,
        Issue,
        PrepareReport,
        prepare_file,
        scan_file,
    )
    from privllm.finetune.prepare.valuemap import ValueMap
    from privllm.finetune.settings import FinetuneConfig

__all__ = [
    "DatasetError",
    "Example",
    "FileScan",
    "FinetuneConfig",
    "FinetuneJobs",
    "Issue",
    "JobState",
    "JobStatus",
    "PrepareReport",
    "PurgeOutcome",
    "UnpreparedFileError",
    "ValueMap",
    "prepare_file",
    "scan_file",
]

_WHERE = {
    **dict.fromkeys(
        ["DatasetError", "Example", "FileScan", "Issue", "PrepareReport"], "prepare.dataset"
    ),
    "prepare_file": "prepare.dataset",
    "scan_file": "prepare.dataset",
    **dict.fromkeys(
        ["FinetuneJobs", "JobState", "JobStatus", "PurgeOutcome"],
        "jobs.lifecycle",
    ),
    "UnpreparedFileError": "jobs.lifecycle",
    "ValueMap": "prepare.valuemap",
    "FinetuneConfig": "settings",
    # The name before every section was a ``...Config``: importable, no longer listed.
    "FinetuneSettings": "settings",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'privllm.finetune' has no attribute {name!r}")
    return getattr(importlib.import_module(f"privllm.finetune.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
