"""Fixtures: a master key on disk, and a redactor with the sample term lists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finetune.samples import TERMS
from privllm.audit.crypto import KeyRing, MasterKey, generate_key
from privllm.config import RedactionConfig
from privllm.redaction.redactor import Redactor


@pytest.fixture
def redactor() -> Redactor:
    return Redactor.from_config(RedactionConfig(terms=TERMS))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "master.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(generate_key())
    return path


@pytest.fixture
def keyring(key_file: Path) -> KeyRing:
    return KeyRing(MasterKey.from_file(key_file))
