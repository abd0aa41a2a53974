"""Embeddings: one vector per input, in input order, sent in the provider's own shape."""

from __future__ import annotations

import pytest

from privllm.testing import fake_embedding


def test_embeddings_shape_and_order(run, target):
    texts = ["alpha", "beta", "gamma", "delta"]
    result = run.embed(texts)
    assert len(result.vectors) == len(texts)
    for text, vector in zip(texts, result.vectors, strict=True):
        assert vector == pytest.approx(fake_embedding(text), abs=1e-6)
    assert result.provider == target.provider_name
    sent = target.server.last
    target.check_request(sent, target.embed_path)
    assert target.wire.embed_inputs(sent.json()) == texts


def test_embedding_dimensions(run, target):
    result = run.embed(["alpha", "beta"], dimensions=4)
    assert [len(v) for v in result.vectors] == [4, 4]
    assert result.vectors[1] == pytest.approx(fake_embedding("beta", 4), abs=1e-6)
