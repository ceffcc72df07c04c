"""The tier prediction's arithmetic (bench/predict.py), its table (bench/tiers.py) and the GGUF header
reader it uses (bench/gguf_header.py), on constructed numbers: nothing here is timed."""

import numpy as np
import pytest

from bench.predict import (
    Calibration,
    Shape,
    calibrate,
    overall,
    predict,
    recommend,
    verdict,
)
from bench.tiers import Target, table_lines


def shape(model_id="m", *, weights=10**9, body=10**9, output=0, layers=0, file_bytes=None, tier="default"):
    return Shape(model_id=model_id, tier=tier, file_bytes=file_bytes or weights, weight_bytes_per_token=weights,
                 body_params=body, output_params=output, n_layer=layers, n_head=4, n_head_kv=2, head_dim=64,
                 n_vocab=1000)


CAL = Calibration(model_id="m", decode_efficiency=0.5, prefill_efficiency=0.25, tail_ratio=1.5, overhead_bytes=0)


def test_decode_is_bandwidth_bound_and_prefill_compute_bound():
    # 10 GB/s and 400 GFLOP/s: swapping them would give 5 ms a token and a 0.05 s first word.
    pred = predict(shape(), CAL, bandwidth_gb_s=10.0, gflops=400.0, new_tokens=100, prefix_tokens=0)
    assert pred.p50_inter_token_ms == pytest.approx(1e9 / (0.5 * 10e9) * 1e3)  # 200 ms
    assert pred.p95_inter_token_ms == pytest.approx(300.0)
    assert pred.ttft_s == pytest.approx(2 * 1e9 * 100 / (0.25 * 400e9))  # 2 s
    faster_memory = predict(shape(), CAL, bandwidth_gb_s=20.0, gflops=400.0, new_tokens=100, prefix_tokens=0)
    assert faster_memory.p50_inter_token_ms == pytest.approx(100.0) and faster_memory.ttft_s == pred.ttft_s


def test_prefill_counts_attention_over_the_cached_prefix_and_the_output_layer_once():
    s = shape(body=1000, output=50, layers=2)
    # positions 4 and 5 (after 3 cached tokens): 4 × layers × heads × head_dim per position
    assert s.prefill_flops(2, start=3) == 2 * 1000 * 2 + 4 * 2 * 4 * 64 * (4 + 5) + 2 * 50
    assert s.decode_bytes(10) == 10**9 + 2 * 2 * 2 * 64 * 2 * 10


def test_calibration_recovers_the_efficiencies_of_a_run():
    s = shape(weights=2 * 10**8, body=3 * 10**8)
    gaps = [0.040] * 90 + [0.080] * 10  # median 40 ms; p95 80 ms
    # 100-token prompts at 25% of 100 GFLOP/s; 200 MB a step in 40 ms = 5 GB/s = 50% of 10 GB/s
    run = {"model_id": "m", "prompt_tokens": [100, 100], "gaps_s": gaps,
           "ttft_s": [2 * 3e8 * 100 / 25e9] * 2, "peak_rss_bytes": s.file_bytes + s.kv_bytes(4096) + 123}
    cal = calibrate(run, s, bandwidth_gb_s=10.0, gflops=100.0)
    assert cal.decode_efficiency == pytest.approx(0.5)
    assert cal.prefill_efficiency == pytest.approx(0.25)
    assert cal.tail_ratio == pytest.approx(float(np.percentile(gaps, 95)) / 0.040)
    assert cal.overhead_bytes == 123
    # Applied back to the same machine and prompt, it reproduces the run.
    pred = predict(s, cal, bandwidth_gb_s=10.0, gflops=100.0, new_tokens=100, prefix_tokens=0)
    assert pred.ttft_s == pytest.approx(run["ttft_s"][0]) and pred.p50_inter_token_ms == pytest.approx(40.0)
    assert pred.peak_rss_mb * 2**20 == pytest.approx(run["peak_rss_bytes"])


@pytest.mark.parametrize(("value", "expected"), [(100, "meets"), (121, "borderline"), (150, "borderline"),
                                                 (179, "borderline"), (181, "misses")])
def test_within_twenty_percent_of_the_target_is_borderline(value, expected):
    assert verdict(value, 150.0) == expected


def test_the_largest_tier_that_meets_every_target_is_recommended():
    small, mid, big = shape("small", weights=1), shape("mid", weights=2), shape("big", weights=3)
    assert recommend([(small, "meets"), (mid, "meets"), (big, "misses")]) == "mid (default)"
    text = recommend([(small, "meets"), (mid, "borderline"), (big, "misses")])
    assert text.startswith("mid (default), borderline") and "small (default) meets them with margin" in text
    assert recommend([(small, "misses")]).startswith("none")
    base = Shape(**{**{f: getattr(big, f) for f in Shape.__slots__}, "model_id": "base", "instruct": False})
    assert recommend([(small, "meets"), (base, "meets")]) == "small (default)"  # a base model is no coach
    assert overall({"a": "meets", "b": "borderline"}) == "borderline"
    assert overall({"a": "misses", "b": "borderline"}) == "misses"


def test_a_tier_the_profile_does_not_list_gets_the_targets_its_models_share():
    target = Target(name="p", bandwidth_gb_s=20.0, gflops=380.0,
                    models={"a": {"p95_inter_token_ms": 150.0, "peak_rss_mb": 2500.0},
                            "b": {"p95_inter_token_ms": 150.0, "peak_rss_mb": 3000.0}, "speech": {"rtf_p95": 0.2}})
    assert target.targets("unlisted") == {"p95_inter_token_ms": 150.0, "rtf_p95": 0.2}
    assert target.targets("b")["peak_rss_mb"] == 3000.0


def test_the_table_shows_each_verdict_and_the_recommendation():
    target = Target(name="laptop", bandwidth_gb_s=20.0, gflops=380.0,
                    models={"small": {"p95_inter_token_ms": 150.0, "ttft_p50_s": 1.5, "peak_rss_mb": 2500.0}})
    small, big = shape("small", weights=10**8, body=10**8), shape("big", weights=3 * 10**9, body=3 * 10**9)
    preds = [predict(s, CAL, bandwidth_gb_s=20.0, gflops=380.0, new_tokens=141, prefix_tokens=0) for s in (small, big)]
    lines = table_lines(target, [small, big], preds)
    assert lines[0].startswith("laptop: 20 GB/s, 380 GFLOP/s")
    small_row = next(line for line in lines if line.strip().startswith("small"))
    big_row = next(line for line in lines if line.strip().startswith("big"))
    assert "15 ms meets" in small_row and small_row.rstrip().endswith("meets")
    assert "450 ms misses" in big_row and big_row.rstrip().endswith("misses")  # 3 GB / 10 GB/s × 1.5
    assert lines[-1] == "  recommended: small (default)"


def test_the_gguf_header_reader_agrees_with_gguf(tmp_path):
    gguf = pytest.importorskip("gguf")
    from bench.gguf_header import bytes_per_token, read_header

    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(2)
    writer.add_embedding_length(8)
    writer.add_head_count(2)
    writer.add_token_list(["a", "bb", "ccc"])  # an array of strings, skipped by length
    writer.add_tensor("token_embd.weight", np.zeros((3, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((8, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    metadata, tensors = read_header(path)
    assert metadata["llama.block_count"] == 2 and metadata["llama.embedding_length"] == 8
    assert metadata["tokenizer.ggml.tokens"] == 3
    reference = gguf.GGUFReader(str(path))
    assert [(t.name, t.n_elements, t.n_bytes) for t in tensors] == [
        (t.name, int(t.n_elements), int(t.n_bytes)) for t in reference.tensors]
    assert bytes_per_token(tensors) == 3 * 8 * 4 + 8 * 8 * 2  # tied: the embedding table is read whole


def test_bench_predict_refuses_zero_threads_in_one_line(capsys):
    from tui.cli import main

    assert main(["bench", "--predict", "--threads", "0"]) != 0
    assert "--threads must be at least 1" in capsys.readouterr().err
