"""A closed client refuses every call with ClientClosedError, before anything is sent."""

from __future__ import annotations

import asyncio

import pytest

from privllm import AsyncClient, Client, ClientClosedError
from privllm.testing import Reply


@pytest.fixture
def closed(runner_factory, openai_server):
    """A runner (sync and async) whose client has made one call and was then closed."""
    run = runner_factory(provider=openai_server.provider_config())
    assert run.chat("before").text == "before"
    close_client(run)
    openai_server.requests.clear()
    return run


def close_client(run):
    # Not Runner.close(): that also ends the async runner's event loop.
    closing = run.client.close()
    if run.kind == "async":
        run._run(closing)


@pytest.mark.parametrize(
    "call",
    [
        lambda run: run.chat("hello"),
        lambda run: run.stream("hello"),
        lambda run: run.embed(["hello"]),
    ],
    ids=["chat", "stream", "embed"],
)
def test_a_closed_client_refuses_calls_and_sends_nothing(closed, openai_server, call):
    openai_server.reply(Reply.text("should not be asked"))
    with pytest.raises(ClientClosedError) as info:
        call(closed)
    assert "closed" in str(info.value)
    assert type(closed.client).__name__ in str(info.value)
    assert openai_server.requests == []


def test_closing_twice_is_harmless(closed):
    close_client(closed)  # the runner's teardown closes a third time


def test_a_stream_made_before_close_and_read_after_sends_nothing(openai_server):
    client = Client(provider=openai_server.provider_config(), env={})
    stream = client.stream("hello")
    client.close()
    with pytest.raises(ClientClosedError):
        list(stream)
    assert openai_server.requests == []


async def test_an_async_stream_made_before_close_and_read_after_sends_nothing(openai_server):
    client = AsyncClient(provider=openai_server.provider_config(), env={})
    stream = client.stream("hello")
    await client.close()
    with pytest.raises(ClientClosedError):
        async with stream:
            pass
    assert openai_server.requests == []


def test_leaving_with_closes(openai_server):
    with Client(provider=openai_server.provider_config(), env={}) as client:
        client.chat("inside")
    with pytest.raises(ClientClosedError):
        client.chat("after")
    assert len(openai_server.requests) == 1


async def test_one_close_verb_on_clients_and_streams(openai_server):
    openai_server.reply(Reply.text("one two three", chunks=3))
    async with AsyncClient(provider=openai_server.provider_config(), env={}) as client:
        stream = client.stream("count")
        async for _ in stream:
            break
        await stream.close()  # the verb of AsyncClient.close; aclose stays as its alias
        await stream.aclose()
        assert asyncio.iscoroutinefunction(type(client).close)
    with Client(provider=openai_server.provider_config(), env={}) as sync_client:
        openai_server.reply(Reply.text("one two", chunks=2))
        sync_stream = sync_client.stream("count")
        next(iter(sync_stream))
        sync_stream.close()
