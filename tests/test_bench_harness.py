"""The benchmark harness: profiles, fingerprints, results and comparison, the bandwidth ceiling."""

import json
from pathlib import Path

import numpy as np
import pytest

from bench.gguf_header import bytes_per_token, read_header
from bench.harness import (
    ceiling,
    compare_last,
    fingerprint,
    load_profile,
    save_results,
    write_profile,
)
from coach.storage import open_db
from models.errors import InputError


def test_the_shipped_profile_covers_both_benchmarked_models():
    profile = load_profile("dev-vm-2core")
    for model_id in ("gemma-3-270m-q4_k_m", "qwen2.5-coder-1.5b-instruct-q4_k_m"):
        for key in ("p95_inter_token_ms", "ttft_p50_s", "peak_rss_mb"):
            assert profile.threshold(model_id, key) > 0


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(InputError, match="known: .*dev-vm-2core"):
        load_profile("laptop-that-does-not-exist")


def test_calibration_writes_thresholds_with_the_stated_headroom(tmp_path, isolated_home):
    path = write_profile("mine", "test box", {"m": {"ttft_s": 1.0, "p95_inter_token_ms": 40.0}}, 1.5,
                         directory=tmp_path)
    text = path.read_text()
    assert "measured value × 1.5" in text and "ttft_s = 1.5  # measured 1.0" in text
    (isolated_home / "bench-profiles").mkdir(parents=True)
    path.rename(isolated_home / "bench-profiles" / "mine.toml")
    assert load_profile("mine").threshold("m", "p95_inter_token_ms") == 60.0


def test_fingerprint_names_the_machine_build_and_model():
    fp = fingerprint(model_sha256="ab" * 32, threads=2)
    assert {"cpu_model", "cores", "threads_used", "instruction_sets", "llama_build", "model_sha256", "packages",
            "id"} <= set(fp)
    assert "cmake_args" in fp["llama_build"] and "llama-cpp-python" in fp["packages"]
    assert fingerprint(model_sha256="cd" * 32, threads=2)["id"] != fp["id"]


def test_results_go_to_the_database_and_a_json_file_and_compare_by_fingerprint(isolated_home):
    fp = fingerprint(model_sha256="ab" * 32, threads=2)
    first = save_results([{"name": "inter_token_latency", "model_id": "m", "figures": {"p95_ms": 40.0},
                           "fingerprint": fp}])
    save_results([{"name": "inter_token_latency", "model_id": "m", "figures": {"p95_ms": 44.0}, "fingerprint": fp}])
    assert json.loads(first.read_text())["results"][0]["figures"] == {"p95_ms": 40.0}
    lines = compare_last(open_db())
    assert lines == [f"inter_token_latency [{fp['id']}]: p95_ms 40 → 44 (+10.0%)"]


def test_ceiling_arithmetic():
    figures = ceiling(30e9, 1_000_000_000, 24.0)
    assert figures["ceiling_tokens_per_s"] == 30.0 and figures["achieved_fraction"] == 0.8


@pytest.mark.real_model
def test_bytes_per_token_counts_the_tied_embedding_table(real_store):
    manifest = real_store.registry.get("gemma-3-270m-q4_k_m")
    real_store.materialize(manifest)
    per_token = bytes_per_token(read_header(real_store.path(manifest))[1])
    # Gemma ties its output layer to the embedding table, so a step reads (nearly) the whole file.
    assert 0.9 * manifest.size < per_token <= manifest.size


def test_bench_compare_without_results(capsys):
    from tui.cli import main

    assert main(["bench", "--compare"]) == 0
    assert "no benchmark results yet" in capsys.readouterr().out


def test_a_child_process_peak_rss_is_its_own_not_its_parents():
    # Linux carries getrusage's ru_maxrss across exec: a probe started by a big process reported the parent's
    # size (3,018 MB for the 270M model, started from a pytest holding the 1.5B). VmHWM is the child's own.
    import subprocess
    import sys

    ballast = np.ones(600 * 2**20 // 8)  # 600 MB touched in this (parent) process
    code = "from models.measure import peak_rss_bytes; print(peak_rss_bytes())"
    child = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                               cwd=Path(__file__).resolve().parents[1]).stdout)
    assert ballast.sum() > 0
    assert child < 300 * 2**20, child
