"""Measure a model's real streaming path: time to first token and inter-token latency percentiles."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from models.runtime import Prompt, TextModel

# A realistic interview prompt: a system prompt, a JD and a question, as the coach sends them.
INTERVIEW_PROMPT = (
    "You are an interviewer for an AI-engineering role. The job description: Design and own the evaluation "
    "infrastructure for our LLM applications. Partner with product and legal to define quality thresholds. Debug "
    "production regressions and drive root-cause analysis. Experience with RAG systems and prompt engineering "
    "required.\n\nAsk one behavioural question about evaluation, then explain in detail what a strong answer "
    "would contain, point by point, with examples of metrics, datasets and decisions.\n\nQuestion:"
)


@dataclass(slots=True)
class StreamMeasurement:
    model_id: str
    prompt_tokens: int
    generated_tokens: int
    ttft_s: float
    inter_token_s: list[float]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    tokens_per_s: float
    prompt_tokens_per_s: float
    finish_reason: str | None
    token_ids: list[int] = field(default_factory=list)  # what a verified benchmark checks

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("inter_token_s")
        out.pop("token_ids")
        return out


def peak_rss_bytes() -> int:
    """This process's peak resident memory. Linux: VmHWM, the high-water mark of this program's own memory.
    Not getrusage's ru_maxrss: Linux carries it across exec, so a process a big parent starts (a benchmark run
    from pytest holding a model) reports the parent's size at the fork (seen: 3,018 MB for the 270M model)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q)) if samples else float("nan")


def measure_stream(model: TextModel, prompt: Prompt = INTERVIEW_PROMPT, *, max_tokens: int = 256,
                   cancel: threading.Event | None = None, **options: Any) -> StreamMeasurement:
    """Generate greedily for max_tokens and time every token as the consumer receives it.

    Extra options go to the runtime (e.g. `ignore_eos=True`, so a benchmark always gets its
    full count of tokens, or `json_schema`).
    """
    completion = model.stream(prompt, max_tokens=max_tokens, temperature=0.0, cancel=cancel, **options)
    tokens = [token for token in completion if token.id >= 0]
    stamps = [token.t for token in tokens]
    stats = completion.stats
    gaps = list(np.diff(stamps)) if len(stamps) > 1 else []
    ttft = (stats.t_first or time.perf_counter()) - stats.t_start
    evaluated = max(stats.prompt_tokens - stats.reused_tokens, 1)
    return StreamMeasurement(
        model_id=model.model_id, prompt_tokens=stats.prompt_tokens, generated_tokens=len(stamps), ttft_s=ttft,
        inter_token_s=[float(g) for g in gaps], p50_ms=percentile_ms(gaps, 50), p95_ms=percentile_ms(gaps, 95),
        p99_ms=percentile_ms(gaps, 99),
        tokens_per_s=(len(gaps) / (stamps[-1] - stamps[0])) if len(stamps) > 1 and stamps[-1] > stamps[0] else 0.0,
        prompt_tokens_per_s=evaluated / ttft if ttft > 0 else 0.0, finish_reason=stats.finish_reason,
        token_ids=[token.id for token in tokens],
    )
