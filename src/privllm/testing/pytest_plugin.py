"""pytest fixtures: ``pytest_plugins = ["privllm.testing.pytest_plugin"]`` in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .azure import AzureOpenAIServer
from .google import GeminiServer
from .openai import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh OpenAI wire server on 127.0.0.1 for one test."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def azure_server() -> Iterator[AzureOpenAIServer]:
    """A fresh Azure OpenAI wire server (deployment and v1 paths) for one test."""
    with AzureOpenAIServer() as server:
        yield server


@pytest.fixture
def gemini_server() -> Iterator[GeminiServer]:
    """A fresh Gemini API / Vertex AI wire server for one test."""
    with GeminiServer() as server:
        yield server
