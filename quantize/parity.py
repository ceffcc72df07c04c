"""Task parity: does the quantized coach say the same things as its reference, where it matters?

A fixed, versioned set of coach prompts (quantize/tasks/v1/: JD reads, tailored questions, feedback
parts) runs greedy on the reference and on the candidate. Only outputs the model writes count: the
feedback parts the rubric fills with its own template are the same whatever the model, and would
inflate agreement. Each pair is a *flip* when the candidate differs from the reference in what a user
would notice: a number, the question asked, or the claim made (see `flip_reason`).

Flips are counted with an exact 95% interval. To tell quantization from arithmetic noise, the
reference also runs a second time with another batch size (other kernels, other rounding): McNemar's
exact test compares the candidate's flips with that noise run's, item by item, and a paired bootstrap
gives the interval of the similarity lost beyond noise.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from models.embeddings import Embedder
from models.runtime import TextModel
from models.store import sha256_file
from quantize.stats import clopper_pearson, mcnemar_exact, paired_bootstrap

TASKS = Path(__file__).parent / "tasks" / "v1"
SAME_JACCARD = 0.5  # content-word overlap at or above which two texts make the same claim
SAME_COSINE = 0.9  # or MiniLM cosine at or above which they do (when an embedder is available)
NOISE_BATCH = 32  # the noise run's batch size: prompts are split into other ubatches than with 512
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z][a-z'-]+")
_STOP = frozenset("the a an and or but of to in on for with at by from as is are was were be been this that these those "
                  "it its you your they their them we our i me my he she his her what which who how why when where "
                  "do did does can could would should will not no so if then than about into more most one two".split())


@dataclass(frozen=True, slots=True)
class TaskSet:
    version: str
    jds: list[tuple[str, str]]  # (file name, JD text without its header)
    answers: list[tuple[str, str, str]]  # (competency, question, answer)


def load_tasks(directory: Path = TASKS) -> TaskSet:
    """The task set shipped as package data (never tests/data: an installed coach has no tests/)."""
    data = tomllib.loads((directory / "tasks.toml").read_text(encoding="utf-8"))
    jds = [(name, (directory / name).read_text(encoding="utf-8").split("\n---\n", 1)[1]) for name in data["jds"]]
    answers = [(a["competency"], a["question"], a["answer"]) for a in data["answer"]]
    return TaskSet(data["version"], jds, answers)


# -- what counts as a flip --------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%?.]+", " ", text.lower()).split())


def content_words(text: str) -> set[str]:
    return {w.removesuffix("s") for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def jaccard(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    return 1.0 if not wa and not wb else len(wa & wb) / len(wa | wb)


def compared_span(kind: str, text: str) -> str:
    """What matters in an output: for a question, the first question it asks; otherwise all of it."""
    if kind == "question":
        match = re.search(r"[^.?!]*\?", text)
        return match.group(0).strip() if match else text.strip()
    return text.strip()


def flip_reason(kind: str, reference: str, candidate: str, cosine: float | None = None) -> str | None:
    """Why the candidate's output differs from the reference's in what matters, or None if it does not."""
    if _norm(reference) == _norm(candidate):
        return None
    if sorted(_NUMBER.findall(reference)) != sorted(_NUMBER.findall(candidate)):
        return "a number differs"
    a, b = compared_span(kind, reference), compared_span(kind, candidate)
    if kind == "question" and a.endswith("?") != b.endswith("?"):
        return "only one of them asks a question"
    if jaccard(a, b) >= SAME_JACCARD or (cosine is not None and cosine >= SAME_COSINE):
        return None
    return "a different question" if kind == "question" else "a different claim"


# -- running the tasks -----------------------------------------------------------------------------
class _Spy:
    """A TextModel that notes whether the coach called it: a feedback part it did not call the model
    for is the rubric's template, the same whatever the model."""

    def __init__(self, model: TextModel) -> None:
        self.model, self.called = model, False
        self.model_id, self.instruct, self.n_ctx = model.model_id, model.instruct, model.n_ctx

    def stream(self, *args, **kwargs):
        self.called = True
        return self.model.stream(*args, **kwargs)

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def close(self) -> None: ...


def task_outputs(model: TextModel, tasks: TaskSet, *, embedder: Embedder | None = None) -> list[tuple[str, str, str]]:
    """(task id, kind, text) for every output the model wrote; kind is "question" or "claim"."""
    from coach.decode import decode
    from coach.feedback import FeedbackDone, stream_feedback
    from coach.interview import tailor_messages
    from coach.questions import load_bank
    from coach.read import SlotDone, stream_read
    from coach.rubric import score_answer

    outputs: list[tuple[str, str, str]] = []
    bank = load_bank()
    for name, text in tasks.jds:
        result = decode(text, embedder=embedder)
        for event in stream_read(model, result):
            if isinstance(event, SlotDone):
                outputs.append((f"read:{name}:{event.slot.id}", "claim", event.text))
        if result.clusters:
            question = next(q for q in bank if q.cluster == result.clusters[0].id)
            tailored = model.stream(tailor_messages(question, result), max_tokens=80, stop=["\n"]).collect()
            outputs.append((f"tailor:{name}", "question", tailored.strip()))
    spy = _Spy(model)
    for competency, question, answer in tasks.answers:
        rubric = score_answer(answer, question=question, competency=competency, embedder=embedder)
        for event in stream_feedback(spy, question=question, answer=answer, rubric=rubric):
            if isinstance(event, FeedbackDone):
                if spy.called:
                    kind = "question" if event.slot.id == "follow_up" else "claim"
                    outputs.append((f"feedback:{competency}:{event.slot.id}", kind, event.text))
                spy.called = False
    return outputs


def has_chat_template(path: Path) -> bool:
    from gguf import GGUFReader

    return "tokenizer.chat_template" in GGUFReader(str(path)).fields


def open_task_model(path: Path, model_id: str, *, n_batch: int = 512, n_ctx: int = 4096) -> TextModel:
    """A GGUF loaded as the coach loads it, through its chat template when it has one (the coach's
    prompts are chat messages; a plain transcript would test another prompt than the one users get)."""
    from models.llama_runtime import LlamaCppModel

    return LlamaCppModel(model_path=path, model_id=model_id, instruct=has_chat_template(path), n_ctx=n_ctx,
                         n_batch=n_batch)


# -- the report ------------------------------------------------------------------------------------
@dataclass
class ParityReport:
    tasks_version: str
    items: int  # model-written outputs compared (the rubric's templates are left out)
    chat_template: bool
    exact_match: float
    flips: dict  # flips, items, rate, rate_ci95
    noise: dict | None  # the same for the reference run again with another batch size
    mcnemar: dict | None  # candidate's flips against the noise run's, paired by item
    similarity: dict  # measure, mean, min, and the paired bootstrap of (candidate - noise)
    reference_sha256: str = ""
    candidate_sha256: str = ""
    pairs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _flip_summary(reasons: list[str | None]) -> dict:
    k, n = sum(r is not None for r in reasons), len(reasons)
    return {"flips": k, "items": n, "rate": k / n if n else 0.0, "rate_ci95": list(clopper_pearson(k, n))}


def _similarities(pairs: list[tuple[str, str, str]], embedder: Embedder | None) -> tuple[str, np.ndarray]:
    """Per item, the similarity of the compared spans: MiniLM cosine with an embedder, else word overlap."""
    if embedder is None:
        return "content-word Jaccard", np.array([jaccard(a, b) for _, a, b in pairs])
    va = embedder.embed([compared_span(k, a) or " " for k, a, _ in pairs])
    vb = embedder.embed([compared_span(k, b) or " " for k, _, b in pairs])
    return "MiniLM cosine", (va * vb).sum(axis=1)


def compare_outputs(ref: list[tuple[str, str, str]], cand: list[tuple[str, str, str]],
                    embedder: Embedder | None) -> tuple[list[str | None], np.ndarray, str, list[dict]]:
    cand_by_id = {task: text for task, _, text in cand}
    rows = [(task, kind, text, cand_by_id.get(task, "")) for task, kind, text in ref]
    measure, sims = _similarities([(k, a, b) for _, k, a, b in rows], embedder)
    cosines = sims if embedder is not None else [None] * len(rows)
    reasons = [flip_reason(k, a, b, c) for (_, k, a, b), c in zip(rows, cosines)]
    pairs = [{"task": t, "kind": k, "reference": a, "candidate": b, "similarity": round(float(s), 3), "flip": r}
             for (t, k, a, b), s, r in zip(rows, sims, reasons)]
    return reasons, sims, measure, pairs


def parity(reference: Path, candidate: Path, *, embedder: Embedder | None = None, tasks: TaskSet | None = None,
           noise: bool = True, n_ctx: int = 4096, progress: Callable[[str], None] | None = None) -> ParityReport:
    tasks = tasks or load_tasks()
    runs: dict[str, list[tuple[str, str, str]]] = {}
    chat = False
    plan = [("reference", reference, 512), ("candidate", candidate, 512)] + ([("noise", reference, NOISE_BATCH)] if noise else [])
    for name, path, n_batch in plan:
        if progress:
            progress(name)
        model = open_task_model(path, name, n_batch=n_batch, n_ctx=n_ctx)
        try:
            runs[name] = task_outputs(model, tasks, embedder=embedder)
            chat = chat or model.instruct
        finally:
            model.close()
    reasons, sims, measure, pairs = compare_outputs(runs["reference"], runs["candidate"], embedder)
    noise_summary = mcnemar = None
    similarity = {"measure": measure, "mean": float(sims.mean()) if sims.size else 1.0,
                  "min": float(sims.min()) if sims.size else 1.0}
    if noise:
        noise_reasons, noise_sims, _, _ = compare_outputs(runs["reference"], runs["noise"], embedder)
        noise_summary = _flip_summary(noise_reasons)
        mcnemar = mcnemar_exact([r is not None for r in reasons], [r is not None for r in noise_reasons])
        diff, low, high = paired_bootstrap(sims, noise_sims)
        similarity["candidate_minus_noise"] = {"mean": diff, "ci95": [low, high]}
    return ParityReport(
        tasks_version=tasks.version, items=len(pairs), chat_template=chat,
        exact_match=float(np.mean([p["reference"] == p["candidate"] for p in pairs])) if pairs else 1.0,
        flips=_flip_summary(reasons), noise=noise_summary, mcnemar=mcnemar, similarity=similarity,
        reference_sha256=sha256_file(reference), candidate_sha256=sha256_file(candidate), pairs=pairs,
    )
