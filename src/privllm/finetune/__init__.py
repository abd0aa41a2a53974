"""Fine-tuning on confidential data: prepare training files (consistent redaction or
surrogates, a sealed value map), upload them under policy, run and purge jobs.

Names load on first use: ``import privllm.finetune`` reads no file and imports no SDK.

>>> from privllm.finetune import ValueMap, prepare_file, scan_file
>>> ValueMap("placeholder").mode
'placeholder'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from privllm._lazy import surface

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


__getattr__, __dir__ = surface(__name__, _WHERE, __all__)
