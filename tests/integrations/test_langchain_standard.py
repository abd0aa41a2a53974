"""LangChain's own standard test suites (langchain-tests) against privllm's LangChain models.

The integration suites run against ``OpenAIServer`` on loopback with a stand-in model
(``support.standin_model``) that answers as a capable model would: tool calls, JSON
matching a schema, usage. Every call goes through privllm's default chain (redaction,
policy, egress guard, audit log). What the local server cannot do is switched off with the
suites' own feature flags, each with its reason beside it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    EmbeddingsIntegrationTests,
)
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from privllm.integrations.langchain import ChatPrivllm, PrivllmEmbeddings
from privllm.testing import OpenAIServer
from support.standin_model import standin

_server: OpenAIServer | None = None


@pytest.fixture(scope="module", autouse=True)
def _standin_server() -> Iterator[None]:
    global _server
    with OpenAIServer(responder=standin) as server:
        _server = server
        yield
    _server = None


def _client_options() -> dict[str, Any]:
    assert _server is not None
    return {"provider": _server.provider_config(), "env": {}}


# The suites build models themselves (their `model` fixture, and inline); these subclasses
# remember each, so every privllm client they built is closed when the test ends, inside
# its event loop.
_built: list[ChatPrivllm | PrivllmEmbeddings] = []


class _ClosedAfterChat(ChatPrivllm):
    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        _built.append(self)


class _ClosedAfterEmbeddings(PrivllmEmbeddings):
    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        _built.append(self)


@pytest.fixture(autouse=True)
async def _close_built_models() -> AsyncIterator[None]:
    yield
    while _built:
        await _built.pop().aclose()


class TestChatPrivllmUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatPrivllm]:
        return ChatPrivllm

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "test-model"}


class TestChatPrivllmIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatPrivllm]:
        return _ClosedAfterChat

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"client_options": _client_options()}

    @property
    def supports_json_mode(self) -> bool:
        return True  # response_format={"type": "json_object"} is passed on as given

    @property
    def model_override_value(self) -> str:
        return "test-model-override"  # the server answers with the model it was asked for

    # Left at the suite's default (False), because privllm sends text only: it refuses image,
    # audio and file parts (it cannot redact what it cannot read), so supports_image_inputs,
    # supports_image_urls, supports_pdf_inputs, supports_audio_inputs, supports_video_inputs,
    # supports_image_tool_message and supports_pdf_tool_message stay False; so does
    # supports_anthropic_inputs (Anthropic content blocks are not the OpenAI shapes privllm
    # reads). supported_usage_metadata_details stays empty: privllm's Usage carries totals
    # only (no cache, audio or reasoning token details). enable_vcr_tests stays False: the
    # tests run against a local server, there is nothing to record.


class TestChatPrivllmFunctionCalling(TestChatPrivllmIntegration):
    """The suite again with ``with_structured_output(method="function_calling")``."""

    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "function_calling"}


class TestPrivllmEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[PrivllmEmbeddings]:
        return PrivllmEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "test-embedding"}


class TestPrivllmEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[PrivllmEmbeddings]:
        return _ClosedAfterEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"client_options": _client_options()}
