"""The Responses API through the AzureOpenAI drop-in: on the v1 API (``/openai/v1/responses``)
and on ``/openai/responses?api-version=...`` for the versions that have it; ``store`` false on
the wire, values restored for the caller and never sent. An api-version without it is
refused before sending. Sync and async."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types.responses import Response

from privllm import errors
from privllm.openai import AsyncAzureOpenAI, AzureOpenAI
from privllm.testing import AzureOpenAIServer, Reply

EMAIL = "jane.doe@example.com"
KEY = "azure-key-0000"
ASK = f"Write to {EMAIL} please"


@pytest.fixture
def azure_server() -> Iterator[AzureOpenAIServer]:
    with AzureOpenAIServer(api_key=KEY) as server:
        yield server


def _client(kind: str, server: AzureOpenAIServer, style: str) -> Any:
    cls = AsyncAzureOpenAI if kind == "async" else AzureOpenAI
    where: dict[str, Any] = (
        {"base_url": f"{server.url}/openai/v1/"}
        if style == "v1"
        else {"azure_endpoint": server.url, "api_version": style}
    )
    return cls(api_key=KEY, max_retries=0, env={}, audit={"enabled": False}, **where)


def _call(kind: str, client: Any, **kwargs: Any) -> Any:
    if kind == "sync":
        with client:
            result = client.responses.create(**kwargs)
            return list(result) if kwargs.get("stream") else result

    async def go() -> Any:
        async with client:
            result = await client.responses.create(**kwargs)
            if kwargs.get("stream"):
                return [e async for e in result]
            return result

    return asyncio.run(go())


PATHS = {"v1": "/openai/v1/responses", "2025-04-01-preview": "/openai/responses"}


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("style", ["v1", "2025-04-01-preview"])
def test_responses_create_on_azure(azure_server, kind, style):
    client = _client(kind, azure_server, style)
    result = _call(kind, client, model=azure_server.model, input=ASK)
    assert isinstance(result, Response)
    assert result.output_text == ASK
    (request,) = azure_server.requests
    assert request.path == PATHS[style]
    body = request.json()
    assert body["store"] is False
    assert body["model"] == azure_server.model
    assert EMAIL.encode() not in request.body
    if style != "v1":
        assert request.query["api-version"] == [style]
        assert request.headers["api-key"] == KEY


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("style", ["v1", "2025-04-01-preview"])
def test_responses_stream_on_azure(azure_server, kind, style):
    azure_server.reply(Reply.text("Sent to [EMAIL_1], done", chunks=7))
    client = _client(kind, azure_server, style)
    events = _call(kind, client, model=azure_server.model, input=ASK, stream=True)
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == f"Sent to {EMAIL}, done"
    assert events[-1].type == "response.completed"
    assert azure_server.last.path == PATHS[style]
    assert json.loads(azure_server.last.body)["store"] is False


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_api_version_without_responses_is_refused_before_sending(azure_server, kind):
    client = _client(kind, azure_server, "2024-10-21")
    with pytest.raises(openai.BadRequestError) as info:
        _call(kind, client, model=azure_server.model, input=ASK)
    assert isinstance(info.value, errors.InvalidRequestError)
    assert "v1_api" in str(info.value)
    assert EMAIL not in str(info.value)
    assert azure_server.requests == []
