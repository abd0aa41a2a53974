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
