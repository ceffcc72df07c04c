"""Task-level parity: does the 4-bit coach make the same decisions as its reference?

The coach's model-dependent steps (the JD read, question tailoring, feedback) run with
greedy decoding on both models over a fixed set; the report gives the exact-match rate and
the embedding similarity of the outputs. The deterministic decode and the rubric scores
are computed alongside and must be identical whatever the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coach.decode import decode
from coach.feedback import collect_feedback
from coach.interview import tailor_messages
from coach.questions import load_bank
from coach.read import SlotDone, stream_read
from coach.rubric import score_answer
from models.embeddings import Embedder
from models.runtime import TextModel

ROOT = Path(__file__).resolve().parents[1]
TASK_JDS = ("02-llm-support-automation.txt", "11-applied-clinical-docs.txt", "21-ml-search-relevance.txt")
TASK_ANSWERS = (
    ("evaluation", "Tell me about a time you built an evaluation that changed a launch decision.",
     "At my last company I built a golden set of 400 tickets and an LLM-as-judge rubric, set an 85% faithfulness "
     "bar, pushed back on the launch when we scored 71%, fixed retrieval, and escalations fell by 23%."),
    ("reliability_debugging", "Describe a production incident you debugged.",
     "I usually fix things when they break and work with the team until it is good."),
)


@dataclass
class ParityReport:
    outputs: int
    exact_match: float
    mean_similarity: float | None
    min_similarity: float | None
    deterministic_identical: bool
    pairs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _jd(name: str) -> str:
    return (ROOT / "tests" / "data" / "jds" / name).read_text(encoding="utf-8").split("\n---\n", 1)[1]


def task_outputs(model: TextModel, *, embedder: Embedder | None = None) -> tuple[list[tuple[str, str]], list]:
    """(task id, text) for every model-dependent step, and the deterministic results beside them."""
    outputs: list[tuple[str, str]] = []
    deterministic: list = []
    bank = load_bank()
    for name in TASK_JDS:
        result = decode(_jd(name), embedder=embedder)
        deterministic.append(result.to_dict())
        for event in stream_read(model, result):
            if isinstance(event, SlotDone):
                outputs.append((f"read:{name}:{event.slot.id}", event.text))
        question = next(q for q in bank if q.cluster == result.clusters[0].id)
        tailored = model.stream(tailor_messages(question, result), max_tokens=80, stop=["\n"]).collect()
        outputs.append((f"tailor:{name}", tailored.strip()))
    for competency, question, answer in TASK_ANSWERS:
        rubric = score_answer(answer, question=question, competency=competency, embedder=embedder)
        deterministic.append(rubric.to_dict())
        for slot, item in collect_feedback(model, question=question, answer=answer, rubric=rubric).items():
            outputs.append((f"feedback:{competency}:{slot}", item["text"]))
    return outputs, deterministic


def parity(reference: TextModel, candidate: TextModel, *, embedder: Embedder | None = None,
           progress: Callable[[str], None] | None = None) -> ParityReport:
    if progress:
        progress("reference")
    ref_out, ref_det = task_outputs(reference, embedder=embedder)
    if progress:
        progress("candidate")
    cand_out, cand_det = task_outputs(candidate, embedder=embedder)
    exact = [a[1] == b[1] for a, b in zip(ref_out, cand_out)]
    sims = None
    if embedder is not None:
        va = embedder.embed([t or " " for _, t in ref_out])
        vb = embedder.embed([t or " " for _, t in cand_out])
        sims = (va * vb).sum(axis=1)
    pairs = [{"task": a[0], "reference": a[1], "candidate": b[1], "exact": e,
              "similarity": None if sims is None else round(float(sims[i]), 3)}
             for i, (a, b, e) in enumerate(zip(ref_out, cand_out, exact))]
    return ParityReport(
        outputs=len(exact), exact_match=float(np.mean(exact)),
        mean_similarity=None if sims is None else float(sims.mean()),
        min_similarity=None if sims is None else float(sims.min()),
        deterministic_identical=ref_det == cand_det, pairs=pairs,
    )
