"""Websocket APIs bypass the HTTP guard, so the SDK clients privllm builds refuse them.

Each case points a websocket API at a local TCP listener (``ConnectionRecorder``), with a
card and an SSN in the per-connection query and headers, and asserts that nothing connected
and that the refusal names its rule, never a key, a token or a value.
"""

from __future__ import annotations

import inspect
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from privllm import AsyncClient, Client
from privllm.errors import EgressBlocked
from privllm.testing import ConnectionRecorder, GeminiServer

CARD = "4111 1111 1111 1111"
SSN = "536-22-1847"
KEY = "sk-proj-websocketTestKey0000"
TOKEN = "ya29.websocket-test-bearer-token"
LEAKS = {"extra_query": {"card": CARD}, "extra_headers": {"X-Note": f"ssn {SSN}"}}


@pytest.fixture
def listener() -> Iterator[ConnectionRecorder]:
    with ConnectionRecorder() as recorder:
        yield recorder


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_client(mode: str, provider: dict[str, Any], **policy: Any) -> Any:
    cls = Client if mode == "sync" else AsyncClient
    return cls(env={}, provider=provider, policy=policy, audit={"enabled": False})


async def close(client: Any) -> None:
    result = client.close()
    if inspect.isawaitable(result):
        await result


async def enter(manager: Any) -> None:
    """Open a connection manager as the app would (``with`` or ``async with``)."""
    if hasattr(manager, "__aenter__"):
        async with manager:
            pass
    else:
        with manager:
            pass


def assert_refused(info: pytest.ExceptionInfo[EgressBlocked], *secrets: str) -> None:
    assert info.value.rule == "egress.websocket"
    text = "".join(traceback.format_exception(info.value))
    assert "egress.websocket" in text
    for secret in (CARD, SSN, *secrets):
        assert secret not in text


OPENAI = {"name": "openai", "model": "gpt-test", "openai": {"api_key": KEY}}
AZURE = {
    "name": "azure",
    "model": "dep",
    "azure": {"endpoint": "https://contoso.openai.azure.com", "api_key": KEY},
}

# Every websocket entry point of the openai SDK, with the per-connection options it takes.
OPENAI_APIS = {
    "realtime": lambda sdk: sdk.realtime.connect(model="gpt-realtime", **LEAKS),
    "beta.realtime": lambda sdk: sdk.beta.realtime.connect(model="gpt-realtime", **LEAKS),
    "responses": lambda sdk: sdk.responses.connect(**LEAKS),
    "live": lambda sdk: sdk.live.connect(**LEAKS),
}


@pytest.mark.parametrize("api", list(OPENAI_APIS))
@pytest.mark.parametrize("provider", [OPENAI, AZURE], ids=["openai", "azure"])
async def test_openai_websocket_apis_are_refused(mode, listener, api, provider):
    client = make_client(mode, provider)
    try:
        sdk = client.provider.sdk if mode == "sync" else client.provider.async_sdk
        # A destination chosen in code, as an app might: nothing may reach it. (Only the
        # listener, never the default host: a regression must not reach the internet.)
        target = sdk.with_options(websocket_base_url=listener.url)
        with pytest.raises(EgressBlocked) as info:
            await enter(OPENAI_APIS[api](target))
        assert_refused(info, KEY)
    finally:
        await close(client)
    listener.wait_for(1, timeout=0.3)
    assert listener.connections == 0
    assert listener.received() == b""


async def test_openai_websockets_connect_when_policy_allows_them(mode, listener):
    client = make_client(mode, OPENAI, allow_websockets=True)
    try:
        sdk = client.provider.sdk if mode == "sync" else client.provider.async_sdk
        try:
            await enter(sdk.with_options(websocket_base_url=listener.url).realtime.connect())
        except EgressBlocked:
            raise
        except Exception:  # noqa: S110 - the listener closes without a websocket handshake
            pass
    finally:
        await close(client)
    listener.wait_for(1)
    assert listener.connections == 1


@pytest.fixture
def gemini() -> Iterator[GeminiServer]:
    with GeminiServer(access_token=TOKEN) as server:
        yield server


def live_config(listener: ConnectionRecorder) -> dict[str, Any]:
    # A per-connection base_url and headers: the case that sent the Vertex token away.
    headers = {"X-Card": CARD, "X-Note": f"ssn {SSN}"}
    return {"http_options": {"base_url": listener.url, "headers": headers}}


@pytest.mark.parametrize("which", ["sdk", "async_sdk"])
async def test_gemini_live_is_refused_on_vertex(gemini, listener, which):
    client = make_client("async", gemini.provider_config("vertex"))
    try:
        genai_client = getattr(client.provider, which)
        with pytest.raises(EgressBlocked) as info:
            await enter(genai_client.aio.live.connect(model="m", config=live_config(listener)))
        assert_refused(info, TOKEN)
    finally:
        await close(client)
    listener.wait_for(1, timeout=0.3)
    assert listener.connections == 0
    assert gemini.requests == []  # no token request either


async def test_gemini_live_music_and_interactions_are_refused(gemini, listener):
    provider = gemini.provider_config("gemini_api", api_key="AIza-websocket-test-0000")
    client = make_client("async", provider)
    try:
        aio = client.provider.async_sdk.aio
        with pytest.raises(EgressBlocked) as info:
            await enter(aio.live.connect(model="m", config=live_config(listener)))
        assert_refused(info, "AIza-websocket-test-0000")
        experimental = {
            "music": lambda: aio.live.music.connect(model="m"),
            "interactions": lambda: aio.interactions.connect("interaction-1"),
        }
        for connect in experimental.values():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the SDK marks both experimental
                with pytest.raises(EgressBlocked) as info:
                    await enter(connect())
            assert_refused(info, "AIza-websocket-test-0000")
    finally:
        await close(client)
    listener.wait_for(1, timeout=0.3)
    assert listener.connections == 0
