"""bench.model_run: every repetition starts from an empty KV cache, so the same prompt gives the same greedy ids
in every repetition (what lets an interleaved round verify each of them against bench/expected)."""

from __future__ import annotations

from bench.model_run import run


def test_repetitions_of_the_exact_prompt_give_the_same_ids(real_store, gemma):
    manifest = real_store.registry.get("gemma-3-270m-q4_k_m")
    result = run("gemma-3-270m-q4_k_m", threads=None, tokens=24, reps=2, file=real_store.path(manifest),
                 sha256=manifest.sha256, exact_prompt=True)
    first, second = result["token_ids"]
    assert len(first) == 24 and first == second
    assert result["prompt_tokens"][0] == result["prompt_tokens"][1]  # each evaluated its whole prompt
