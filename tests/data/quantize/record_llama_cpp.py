"""Re-record llama-perplexity-tiny.json: llama.cpp's own `perplexity --kl-divergence` on the tiny model.

Usage (from the repository root, with a llama-perplexity built from the llama.cpp that llama-cpp-python
vendors; see README.md beside this file):

    .venv/bin/python tests/data/quantize/record_llama_cpp.py /path/to/llama-perplexity /tmp/tiny-record
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from models.store import sha256_file
from quantize.compare import corpus_text
from quantize.quantize import quantize_all
from quantize.tiny import build_tiny_model

HERE = Path(__file__).parent
TYPES = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0")
N_CTX = 512
CHUNKS = 12  # as tests/test_quantize.py: 3,060 scored tokens
FIELDS = {  # llama.cpp's printed label -> our key (values printed in % are divided by 100)
    r"Mean ln\(PPL\(Q\)/PPL\(base\)\)\s*:": "ln_ppl_ratio", r"Mean PPL\(Q\)\s*:": "ppl_candidate",
    r"Mean PPL\(base\)\s*:": "ppl_reference", r"Mean\s+KLD:": "mean_kld", r"Maximum KLD:": "max_kld",
    r"99\.0%\s+KLD:": "p99_kld", r"90\.0%\s+KLD:": "p90_kld", r"Median\s+KLD:": "median_kld",
    r"RMS Δp\s*:": "rms_dp", r"Same top p:": "same_top",
}


def parse(log: str) -> dict:
    out = {}
    for label, key in FIELDS.items():
        match = re.search(label + r"\s*(-?[\d.]+)", log)
        if match:
            value = float(match.group(1))
            out[key] = value / 100 if key in ("rms_dp", "same_top") else value
    chunks = int(re.search(r"computing over (\d+) chunks", log).group(1))
    out["tokens"] = chunks * (N_CTX - 1 - N_CTX // 2)
    return out


def main(binary: str, work: str) -> None:
    work_dir = Path(work)
    work_dir.mkdir(parents=True, exist_ok=True)
    reference = build_tiny_model(work_dir / "tiny-f32.gguf", seed=7)
    recipes = {r.type: r for r in quantize_all(reference, work_dir, TYPES)}
    corpus = work_dir / "corpus.txt"
    corpus.write_text(corpus_text(), encoding="utf-8")
    base = work_dir / "tiny-f32.kld"
    common = ["-c", str(N_CTX), "--chunks", str(CHUNKS), "--kl-divergence-base", str(base)]
    for _ in range(10):  # the reference's own pass: its exact perplexity, and the base file the others read
        with (work_dir / "base.log").open("w") as handle:
            subprocess.run([binary, "-m", str(reference), "-f", str(corpus), *common], check=True, stdout=handle,
                           stderr=subprocess.STDOUT)
        found = re.search(r"Final estimate: PPL = ([\d.]+)", (work_dir / "base.log").read_text(encoding="utf-8"))
        if found:
            break
    result = {"made_with": f"llama-perplexity from llama-cpp-python {metadata.version('llama-cpp-python')}'s "
                           "vendor/llama.cpp, default batch and threads",
              "command": f"llama-perplexity -m <type>.gguf -c {N_CTX} --chunks {CHUNKS} --kl-divergence-base tiny-f32.kld "
                         "--kl-divergence",
              "reference_sha256": sha256_file(reference), "ppl_reference_exact": float(found.group(1)),
              "note": "ppl_reference and ln_ppl_ratio are llama.cpp's from its stored base log-probs, which keep 16 nats "
                      "below each row's top: on this random model most actual tokens lie below that, so they are capped. "
                      "ppl_reference_exact is the reference's own pass (perplexity without --kl-divergence).",
              "types": {}}
    for qtype in TYPES:
        # llama.cpp's asynchronous log sometimes exits before printing the summary: run again until it is there.
        out = work_dir / f"{qtype}.log"
        for _ in range(10):
            with out.open("w") as handle:
                subprocess.run([binary, "-m", recipes[qtype].output, *common, "--kl-divergence"], check=True,
                               stdout=handle, stderr=subprocess.STDOUT)
            log = out.read_text(encoding="utf-8")
            if "Same top p" in log:
                break
        (HERE / f"llama-perplexity-{qtype.lower()}.log").write_text(
            "\n".join(line for line in log.splitlines() if "KLD" in line or "Δp" in line or "PPL" in line
                      or "Same top" in line or "chunks" in line) + "\n", encoding="utf-8")
        result["types"][qtype] = {**parse(log), "sha256": recipes[qtype].output_sha256}
    (HERE / "llama-perplexity-tiny.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
