"""The drop-in's chunk objects: the fast path for text chunks makes what the general path
makes (same values, same fields set), and no two chunks share mutable state."""

from __future__ import annotations

from privllm.openai._convert import ChunkMaker
from privllm.types import ChatChunk


def _comparable(chunk):
    data = chunk.model_dump()
    del data["id"], data["created"]
    return data


def test_text_chunks_are_what_the_general_path_makes():
    fast = ChunkMaker("m", include_usage=True)
    fast(ChatChunk(text="first"))  # the first chunk (role) takes the general path
    general = ChunkMaker("m", include_usage=True)
    general._first = False
    (a,) = fast(ChatChunk(text="hello"))
    (b,) = general._full(ChatChunk(text="hello"))
    assert _comparable(a) == _comparable(b)
    assert a.to_dict() == {**b.to_dict(), "id": a.id, "created": a.created}
    for x, y in ((a, b), (a.choices[0], b.choices[0]), (a.choices[0].delta, b.choices[0].delta)):
        assert x.model_fields_set == y.model_fields_set
        assert type(x) is type(y)


def test_chunks_share_no_state():
    make = ChunkMaker("m", include_usage=False)
    make(ChatChunk(text="first"))
    (a,) = make(ChatChunk(text="one"))
    (b,) = make(ChatChunk(text="two"))
    a.choices[0].delta.refusal = "changed"
    a.choices.append(a.choices[0])
    assert b.choices[0].delta.refusal is None
    assert len(b.choices) == 1
    assert "refusal" not in b.choices[0].delta.model_fields_set
    assert b.choices[0].delta.content == "two"


def _same_as_model_construct(made, cls, **fields):
    expected = cls.model_construct(**fields)
    assert type(made) is cls
    assert made.__dict__ == expected.__dict__
    assert made.model_fields_set == expected.model_fields_set
    assert made.__pydantic_extra__ == expected.__pydantic_extra__
    assert made.__pydantic_private__ == expected.__pydantic_private__
    assert made.model_dump() == expected.model_dump()


def test_construct_makes_what_model_construct_makes():
    # openai's types allow extra fields; google-genai's forbid them, and its usage metadata
    # has a private attribute (read by the SDK when it joins streamed usage).
    from google.genai import types as gt
    from openai.types import CompletionUsage

    from privllm._construct import construct

    for cls, fields in (
        (CompletionUsage, {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
        (gt.Part, {"text": "hi"}),
        (gt.GenerateContentResponseUsageMetadata, {"prompt_token_count": 4}),
    ):
        made = construct(cls, **fields)
        _same_as_model_construct(made, cls, **fields)
    usage = construct(gt.GenerateContentResponseUsageMetadata, prompt_token_count=4)
    assert usage._initial_prompt_token_count is None


def test_a_skeleton_makes_what_construct_makes_and_shares_no_state():
    from google.genai import types as gt

    from privllm._construct import Skeleton

    make = Skeleton(gt.Candidate, "content", index=0, finish_reason=None)
    a = make(gt.Content(role="model", parts=[]))
    b = make(gt.Content(role="model", parts=[]))
    _same_as_model_construct(a, gt.Candidate, content=a.content, index=0, finish_reason=None)
    a.index = 5
    a.model_fields_set.add("citation_metadata")
    assert b.index == 0
    assert b.model_fields_set == {"content", "index", "finish_reason"}


def test_genai_text_chunks_are_what_the_general_path_makes():
    from privllm.genai._response import ChunkMaker as GenaiChunks

    make = GenaiChunks("m")
    (fast,) = make(ChatChunk(text="hello"))
    (general,) = make._full(ChatChunk(text="hello"))
    assert fast.model_dump() == general.model_dump()
    pairs = [(fast, general)]
    pairs.append((fast.candidates[0], general.candidates[0]))
    pairs.append((fast.candidates[0].content, general.candidates[0].content))
    pairs.append((fast.candidates[0].content.parts[0], general.candidates[0].content.parts[0]))
    for x, y in pairs:
        assert type(x) is type(y)
        assert x.model_fields_set == y.model_fields_set
    assert fast.text == "hello"
