"""The examples in the finetune modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "inventory.rows",
    "inventory.store",
    "jobs.admission",
    "jobs.gcs",
    "jobs.lifecycle",
    "jobs.status",
    "prepare.dataset",
    "prepare.formats",
    "prepare.lines",
    "prepare.parallel",
    "prepare.report",
    "prepare.slots",
    "prepare.strictjson",
    "prepare.surrogates",
    "prepare.valuemap",
    "retention",
    "settings",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"privllm.finetune.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
