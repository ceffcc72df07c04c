"""Check the tier prediction on this machine: calibrate on one model, predict another, measure it.

    python -m bench.predict_check record MODEL_ID --threads 1 --out A.json   # machine figures, then one run
    python -m bench.predict_check compare A.json B.json                      # calibrated on each, predicts the other

`record` measures this machine with N threads and, right after, runs the model with N threads in a fresh
process (bench/model_run.py): each step is short, so a shared machine is held for a minute or two at a time.
`compare` calibrates the efficiencies on one record and predicts the other model on the other record's
machine figures, for the prompt that run evaluated, then prints prediction ÷ measurement. One thread
emulates a smaller machine; a model six times larger (or smaller) checks that time scales with bytes and
FLOPs as bench/predict.py assumes.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np


def record(model_id: str, threads: int) -> dict:
    from bench.machine import measure
    from bench.model_run import run_in_subprocess

    machine = measure(threads)
    return {"machine": machine.to_dict(), "run": run_in_subprocess(model_id, threads=threads, timeout_s=600)}


def _shape(run: dict):
    from bench.predict import shape_from_gguf

    return shape_from_gguf(Path(run["model_path"]), model_id=run["model_id"], tier="")


def compare(calibration: dict, target: dict) -> list[str]:
    from bench.predict import calibrate, predict

    cal_run, run = calibration["run"], target["run"]
    cal_m, m = calibration["machine"], target["machine"]
    cal = calibrate(cal_run, _shape(cal_run), bandwidth_gb_s=cal_m["bandwidth_gb_s"]["best"],
                    gflops=cal_m["gflops"]["best"])
    prompt = int(statistics.median(run["prompt_tokens"]))
    pred = predict(_shape(run), cal, bandwidth_gb_s=m["bandwidth_gb_s"]["best"], gflops=m["gflops"]["best"],
                   new_tokens=prompt, prefix_tokens=0)
    gaps = np.asarray(run["gaps_s"]) * 1e3
    measured = {"median inter-token (ms)": (pred.p50_inter_token_ms, float(np.median(gaps))),
                "p95 inter-token (ms)": (pred.p95_inter_token_ms, float(np.percentile(gaps, 95))),
                f"time to first token, {prompt} tokens (s)": (pred.ttft_s, statistics.median(run["ttft_s"])),
                "peak RSS (MB)": (pred.peak_rss_mb, run["peak_rss_bytes"] / 2**20)}
    lines = [f"{run['model_id']} at {run['threads']} thread(s), predicted from {cal_run['model_id']} "
             f"(load average {' '.join(cal_run['loadavg'][0])} / {' '.join(run['loadavg'][0])}; "
             f"bandwidth {m['bandwidth_gb_s']['best']:.1f} GB/s, GEMM {m['gflops']['best']:.0f} GFLOP/s):"]
    for name, (predicted, actual) in measured.items():
        lines.append(f"  {name:36} predicted {predicted:9.3g}  measured {actual:9.3g}  ratio {predicted / actual:.2f}")
    return lines


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("record")
    p.add_argument("model_id")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("compare")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.what == "record":
        args.out.write_text(json.dumps(record(args.model_id, args.threads)), encoding="utf-8")
    else:
        a, b = (json.loads(path.read_text(encoding="utf-8")) for path in (args.a, args.b))
        print("\n".join(compare(a, b) + compare(b, a)))
