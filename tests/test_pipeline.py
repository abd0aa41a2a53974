"""The middleware chain: order, error flow, and user middleware, sync and async."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from privllm import CallContext, ChatChunk, ChatRequest, ChatResponse, Middleware
from privllm.errors import ConfigError, PolicyViolation, ServerError
from privllm.pipeline import Chain, load_middleware
from privllm.testing import Reply
from privllm.types import EmbeddingRequest, Endpoint


class Recorder(Middleware):
    """Appends ``name:hook`` to a shared log for every hook it sees."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def on_request(self, request, ctx):
        self.log.append(f"{self.name}:request")
        return request

    def on_response(self, response, ctx):
        self.log.append(f"{self.name}:response")
        return response

    def on_chunk(self, chunk, ctx):
        self.log.append(f"{self.name}:chunk")
        return (chunk,)

    def on_stream_end(self, ctx):
        self.log.append(f"{self.name}:end")
        return ()

    def on_error(self, error, ctx):
        self.log.append(f"{self.name}:error:{type(error).__name__}")


class Tagger(Middleware):
    """A user middleware rewriting both ways: tags the prompt, upper-cases the answer."""

    def on_request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        messages = [
            m.model_copy(update={"content": f"[tagged] {m.text}"}) for m in request.messages
        ]
        return request.model_copy(update={"messages": messages, "temperature": 0.0})

    def on_response(self, response: ChatResponse, ctx: CallContext) -> ChatResponse:
        return response.model_copy(update={"text": response.text.upper()})

    def on_chunk(self, chunk: ChatChunk, ctx: CallContext) -> Iterable[ChatChunk]:
        return (chunk.model_copy(update={"text": chunk.text.upper()}),)


class HoldUntilEnd(Middleware):
    """Buffers every chunk's text and releases it at stream end (like a restorer would)."""

    def __init__(self) -> None:
        self.held: list[str] = []

    def on_chunk(self, chunk, ctx):
        self.held.append(chunk.text)
        if chunk.finish_reason is None:
            return ()
        return ()  # keep even the last one; released in on_stream_end

    def on_stream_end(self, ctx):
        text, self.held = "".join(self.held), []
        return (ChatChunk(text=text, finish_reason="stop"),)


class Refuse(Middleware):
    def on_request(self, request, ctx):
        raise PolicyViolation("refused by test rule", rule="test_rule")


def test_requests_in_order_responses_in_reverse(runner_factory, openai_server):
    log: list[str] = []
    run = runner_factory(
        provider=openai_server.provider_config(),
        middleware=[Recorder("a", log), Recorder("b", log)],
    )
    run.chat("hi")
    assert log == ["a:request", "b:request", "b:response", "a:response"]


def test_stream_chunks_in_reverse_and_end_flushes_outward(runner_factory, openai_server):
    log: list[str] = []
    openai_server.reply(Reply.text("one two", chunks=2))
    run = runner_factory(
        provider=openai_server.provider_config(),
        middleware=[Recorder("a", log), Recorder("b", log)],
    )
    run.stream("hi")
    assert log[:2] == ["a:request", "b:request"]
    # each chunk passes b (inner) then a (outer); at the end b flushes before a
    assert log[2:4] == ["b:chunk", "a:chunk"]
    assert log[-2:] == ["b:end", "a:end"]


def test_flushed_chunks_pass_outer_middleware(runner_factory, openai_server):
    openai_server.reply(Reply.text("held back text", chunks=3))
    run = runner_factory(
        provider=openai_server.provider_config(), middleware=[Tagger(), HoldUntilEnd()]
    )
    chunks, response = run.stream("x")
    # HoldUntilEnd is inner: its flushed chunk still goes through Tagger (outer).
    assert [c.text for c in chunks] == ["HELD BACK TEXT"]
    assert response.text == "HELD BACK TEXT"


def test_user_middleware_rewrites_request_and_response(runner_factory, openai_server):
    run = runner_factory(provider=openai_server.provider_config(), middleware=[Tagger()])
    response = run.chat("hello")
    body = openai_server.last.json()
    assert body["messages"][0]["content"] == "[tagged] hello"
    assert body["temperature"] == 0.0
    assert response.text == "[TAGGED] HELLO"  # the echo, upper-cased on the way back


def test_user_middleware_rewrites_stream(runner_factory, openai_server):
    openai_server.reply(Reply.text("quiet words", chunks=3))
    run = runner_factory(provider=openai_server.provider_config(), middleware=[Tagger()])
    chunks, _response = run.stream("hello")
    assert "".join(c.text for c in chunks) == "QUIET WORDS"
    assert openai_server.last.json()["messages"][0]["content"] == "[tagged] hello"


def test_policy_error_stops_the_call_and_reaches_on_error(runner_factory, openai_server):
    log: list[str] = []
    run = runner_factory(
        provider=openai_server.provider_config(), middleware=[Recorder("a", log), Refuse()]
    )
    with pytest.raises(PolicyViolation, match="refused by test rule"):
        run.chat("hi")
    with pytest.raises(PolicyViolation, match="refused by test rule"):
        run.stream("hi")
    assert openai_server.requests == []
    assert log == ["a:request", "a:error:PolicyViolation"] * 2


def test_provider_error_reaches_on_error(runner_factory, openai_server):
    log: list[str] = []
    run = runner_factory(
        provider={**openai_server.provider_config(), "max_retries": 0},
        middleware=[Recorder("a", log)],
    )
    openai_server.reply(Reply.error(500, "boom"))
    with pytest.raises(ServerError):
        run.chat("hi")
    assert log == ["a:request", "a:error:ServerError"]


def test_mid_stream_error_reaches_on_error(runner_factory, openai_server):
    log: list[str] = []
    run = runner_factory(provider=openai_server.provider_config(), middleware=[Recorder("a", log)])
    openai_server.reply(Reply.text("a b c d e f", drop_after=3))
    with pytest.raises(Exception, match="connection"):
        run.stream("hi")
    assert log[-1] == "a:error:ProviderConnectionError"
    assert "a:end" not in log


def test_middleware_named_in_config(openai_server, tmp_path, monkeypatch):
    from privllm import Client

    (tmp_path / "my_mw.py").write_text(
        "from privllm import Middleware\n"
        "class Suffix(Middleware):\n"
        "    def on_response(self, response, ctx):\n"
        "        return response.model_copy(update={'text': response.text + '!'})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / "privllm.toml"
    config.write_text('middleware = ["my_mw:Suffix"]\n')
    with Client(config, env={}, provider=openai_server.provider_config()) as client:
        assert client.chat("hi").text == "hi!"
    with Client(
        env={}, provider=openai_server.provider_config(), middleware=[Tagger(), "my_mw:Suffix"]
    ) as client:
        # instances and import paths mix; Suffix runs inside Tagger, so "!" is upper-cased too
        assert client.chat("hi").text == "[TAGGED] HI!"


def test_bad_middleware_path_names_it():
    with pytest.raises(ConfigError, match=r"nope\.module"):
        load_middleware("nope.module:Thing")
    with pytest.raises(ConfigError, match="ClassName"):
        load_middleware("no_colon")
    with pytest.raises(ConfigError, match="not a privllm"):
        load_middleware("collections:OrderedDict")


def test_sparse_chain_only_runs_overridden_hooks():
    class OnlyRequest(Middleware):
        def on_request(self, request, ctx):
            return request

    chain = Chain([OnlyRequest()])
    ctx = CallContext(
        endpoint=Endpoint(provider="x", base_url="http://h", host="h", kind="unknown")
    )
    chunk = ChatChunk(text="a")
    assert list(chain.chunk(chunk, ctx)) == [chunk]
    assert list(chain.stream_end(ctx)) == []
    request = EmbeddingRequest(input=["a"], model="m")
    assert chain.embedding_request(request, ctx) is request
    assert ctx.sent is request
