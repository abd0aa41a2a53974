"""pytest fixtures: ``pytest_plugins = ["privllm.testing.pytest_plugin"]`` in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .openai import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh OpenAI wire server on 127.0.0.1 for one test."""
    with OpenAIServer() as server:
        yield server
