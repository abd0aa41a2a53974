"""The examples in the finetune modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "admission",
    "dataset",
    "formats",
    "gcs",
    "inventory",
    "inventory_rows",
    "jobs",
    "lines",
    "parallel",
    "report",
    "retention",
    "settings",
    "slots",
    "status",
    "strictjson",
    "surrogates",
    "valuemap",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"privllm.finetune.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
