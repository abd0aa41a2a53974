"""Streaming: the same text as a plain answer, usage last, early exit closes the connection."""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel

from privllm.errors import ProviderConnectionError, StructuredOutputError
from privllm.testing import Reply


def test_stream_matches_non_streamed_answer(run, target):
    text = "The quick brown fox jumps over the lazy dog"
    target.server.reply(Reply.text(text), Reply.text(text, chunks=7))
    whole = run.chat("x")
    chunks, assembled = run.stream("x")
    assert "".join(c.text for c in chunks) == whole.text == text
    assert len([c for c in chunks if c.text]) == 7
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage == whole.usage
    assert all(c.usage is None and c.finish_reason is None for c in chunks[:-1])
    assert assembled.text == text
    assert assembled.usage == whole.usage

    plain, streamed = target.server.requests
    target.check_request(streamed, target.stream_path)
    assert streamed.query == {**target.query, **target.stream_query}
    assert target.wire.turns(streamed.json()) == target.wire.turns(plain.json())


def test_stream_dropped_midway(run, target):
    target.server.reply(Reply.text("one two three four five six", drop_after=3))
    with pytest.raises(ProviderConnectionError) as info:
        run.stream("x")
    assert info.value.provider == target.provider_name
    assert "mid-stream" in info.value.message


def test_leaving_a_stream_early_closes_the_connection(run, target):
    target.server.reply(Reply.text("word " * 60, chunk_delay=0.05))
    first = run.stream_first("x")
    assert first.text == "word "
    deadline = time.monotonic() + 5
    while target.server.aborted_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert target.server.aborted_streams == 1
    # the connection is gone, not parked: the next call still works
    assert run.chat("again").text == "again"


class Invoice(BaseModel):
    number: str
    total: float


def test_a_streamed_answer_parses_into_the_response_format_model(run, target):
    target.server.reply(Reply.text('{"number": "INV-7", "total": 12.5}', chunks=4))
    chunks, assembled = run.stream("extract", response_format=Invoice)
    assert "".join(c.text for c in chunks) == '{"number": "INV-7", "total": 12.5}'
    assert assembled.parsed == Invoice(number="INV-7", total=12.5)
    schema = target.wire.schema(target.server.last.json())
    assert set(schema["properties"]) == {"number", "total"}


def test_a_streamed_answer_that_does_not_parse_names_fields_not_content(run, target):
    target.server.reply(Reply.text('{"number": "SECRET-VALUE-9"}', chunks=3))
    with pytest.raises(StructuredOutputError) as info:
        run.stream("extract", response_format=Invoice)
    assert "total" in str(info.value)
    assert "SECRET-VALUE-9" not in str(info.value)
    # the call is over: the next one on the same client works
    target.server.reply(Reply.text("fine"))
    assert run.chat("again").text == "fine"
