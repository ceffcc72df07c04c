import numpy as np
import pytest

pytestmark = pytest.mark.real_model


def test_shape_and_unit_norm(embedder):
    vectors = embedder.embed(["Design the evaluation harness.", "Own the on-call rotation.", "x"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_unrelated_sentences(embedder):
    pairs = [
        ("Build evaluation pipelines for LLM features.", "Create test harnesses that measure language-model quality.",
         "Our office has a dog-friendly policy and free snacks."),
        ("Debug production incidents in the model serving stack.", "Troubleshoot failures in how models are served.",
         "Bake sourdough bread with a long cold ferment."),
        ("Mentor junior engineers and lead design reviews.", "Coach less experienced engineers and run architecture reviews.",
         "The quarterly sales figures rose by four percent."),
    ]
    for anchor, paraphrase, unrelated in pairs:
        a, p, u = embedder.embed([anchor, paraphrase, unrelated])
        assert a @ p > a @ u + 0.2, (anchor, float(a @ p), float(a @ u))


def test_batching_does_not_change_vectors(embedder):
    texts = [f"Sentence number {i} about retrieval and ranking." for i in range(40)] + ["a much longer one " * 30]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts[:3] + texts[-1:]])
    assert np.allclose(together[[0, 1, 2, -1]], alone, atol=1e-4)


def test_empty_input(embedder):
    assert embedder.embed([]).shape == (0, 384)
