"""pytest fixtures: ``pytest_plugins = ["privllm.testing.pytest_plugin"]`` in conftest.py.

A client built in a test keeps an audit log, by default under the user's data home
(``~/.local/share/privllm/``), and makes a key there. Every fixture here depends on
``privllm_data_home``, which points ``XDG_DATA_HOME`` at a temporary folder for the test, so
a test that talks to one of these servers never writes to the real audit log or creates a
key there. Use ``privllm_data_home`` directly in tests that build a client without a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .azure import AzureOpenAIServer
from .google import GeminiServer
from .openai import OpenAIServer


@pytest.fixture
def privllm_data_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A fresh ``XDG_DATA_HOME`` for one test: the default audit log and key go there."""
    home = tmp_path_factory.mktemp("privllm-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def openai_server(privllm_data_home: Path) -> Iterator[OpenAIServer]:
    """A fresh OpenAI wire server on 127.0.0.1 for one test."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def azure_server(privllm_data_home: Path) -> Iterator[AzureOpenAIServer]:
    """A fresh Azure OpenAI wire server (deployment and v1 paths) for one test."""
    with AzureOpenAIServer() as server:
        yield server


@pytest.fixture
def gemini_server(privllm_data_home: Path) -> Iterator[GeminiServer]:
    """A fresh Gemini API / Vertex AI wire server for one test."""
    with GeminiServer() as server:
        yield server
