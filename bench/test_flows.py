"""What the user waits for, on the real prompts with real JDs of ~2,000 and ~8,000 characters (issue 12).

Per JD size, each round runs the flows in the order a user meets them, the alternatives of one flow
interleaved in the same round (so a change in machine load hits both):
- decode done -> first word of the model's read: first open (the JD's prefix evaluated) vs reopen
  (the prefix restored from the state saved on disk, the KV cache holding something else);
- interview start -> first word of question 1: prepared in the background while the user read the decode
  vs asked cold (the JD prefix cached by the read, the question's part evaluated now);
- submit -> score (rubric with the embedder, the answer committed first);
- submit -> first model feedback word (as a user meets it: the KV cache holds the JD and the next
  question, which was being prepared while they answered).
The default text model (1.5B) and the embedder, from COACH_HOME. p50/p95 over ROUNDS rounds, ours, and the
goodput of the rounds' interactions against the profile's targets (bench/goodput.py), with every record kept.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.conftest import ROOT, percentiles, report
from bench.sweep import postings_by_id
from bench.test_interview_speed import ANSWER as INTERVIEW_ANSWER

ROUNDS = int(os.environ.get("COACH_FLOW_ROUNDS", "5"))
GATED = {  # the measures whose p95 is asserted -> the profile's target for them (issue 12 item 3)
    "first_question_prefetched_s": "first_question_word_s",
    "submit_to_score_s": "submit_to_score_s",
    "submit_to_first_feedback_word_typed_s": "first_feedback_word_s",  # the app's path: the answer read as typed
}
ANSWER = INTERVIEW_ANSWER  # one scripted answer for every timed flow
MID_DRAFT_S = 1.0  # how long after typing paused (and drafting began) the mid-draft variant submits


# The postings the flows are timed on, chosen once (the one posting nearest 2,000 characters; whole LLM-engineer
# postings joined to ~8,000, as no posting is that long) and pinned by id, so that the corpus growing does not
# change the benchmark's JD under figures already published.
BENCH_POSTINGS = {
    2000: ("loxo-principal-machine-learning-engineer-ml-platform",),
    8000: ("acbjobs-acb-ho-ai-engineer-expert", "aihiresignal-booking-senior-machine-learning-scientist-agentic",
           "aihiresignal-microsoft-research-intern-ai-evaluation-alignment", "aihiresignal-notion-model-behavior-engineer",
           "devopsschool-distinguished-llm-engineer"),
}


def real_jd(chars: int) -> tuple[str, str]:
    """The real posting(s) the flows use for a JD of about `chars` characters. Returns (text, what it is)."""
    postings = postings_by_id()
    ids = BENCH_POSTINGS[chars]
    return "\n\n".join(postings[i]["text"] for i in ids).strip(), " + ".join(ids)


@pytest.fixture(scope="module")
def coach_model(store, tmp_path_factory):
    from models.loader import load_text_model

    manifest = store.registry.default("llm")
    store.materialize(manifest)
    model = load_text_model(store, manifest)
    # The benchmark's saved prefixes go to a folder of its own, emptied for each first open.
    model._states.root = tmp_path_factory.mktemp("kvstate")
    yield model
    model.close()


def until(events: Iterator, is_first: Callable[[object], bool], started: float) -> float:
    """Seconds from `started` to the first event that `is_first`; the rest is cancelled."""
    try:
        for event in events:
            if is_first(event):
                return time.perf_counter() - started
    finally:
        events.close()  # type: ignore[attr-defined]
    raise AssertionError("the flow ended before its first word")


def evict(model) -> None:
    """Fill the KV cache with something else (as another JD or the previous step would)."""
    model.stream("Unrelated text about cooking pasta for dinner tonight.", max_tokens=1).collect()


@pytest.mark.parametrize("size", [2000, 8000])
def test_what_the_user_waits_for(size, coach_model, embedder, tmp_path, profile):
    from bench.goodput import flow_interactions, goodput
    from bench.harness import conditions
    from bench.method import percentile
    from coach.feedback import FeedbackText
    from coach.read import SlotText, stream_read
    from coach.rubric import RubricResult
    from coach.services import interviewing as flow
    from coach.services.decoding import decode_and_save
    from coach.storage import open_db

    at_start = conditions()
    text, source = real_jd(size)
    db = open_db(tmp_path / "bench.db")
    decoded = decode_and_save(db, text, embedder=embedder)
    assert decoded.jd is not None, "the bench JD must decode to competencies"
    decode = decoded.decode
    samples: dict[str, list[float]] = {k: [] for k in (
        "read_first_word_first_open_s", "read_first_word_reopen_s", "first_question_prefetched_s",
        "first_question_cold_s", "submit_to_score_s", "submit_to_first_feedback_word_s",
        "submit_to_score_typed_s", "submit_to_first_feedback_word_typed_s",
        "submit_to_score_mid_draft_s", "submit_to_first_feedback_word_mid_draft_s")}
    prefetch = flow.Prefetcher(model=coach_model, embedder=embedder)

    def read_word(event: object) -> bool:  # the model's first word: the likely questions are shown at once
        return isinstance(event, SlotText) and event.slot.source == "model" and bool(event.text.strip())

    def first_question(session: flow.Session, prepared: bool, started: float) -> tuple[float, object]:
        first, turn = None, None
        for event in flow.ask_next(db, session, model=coach_model, embedder=embedder,
                                   prefetch=prefetch if prepared else None):
            if first is None and isinstance(event, flow.QuestionText | flow.QuestionReady):
                first = time.perf_counter() - started
            if isinstance(event, flow.QuestionReady):
                turn = event.turn
        assert first is not None and turn is not None
        return first, turn

    def submit_and_time(session: flow.Session, turn: object, *, variant: str = "") -> None:
        """Submit -> score -> first model feedback word; a `variant` ("_typed", "_mid_draft"): the answer was read
        (and its follow-up drafted) while it was typed, through the prefetcher, as in the app."""
        typed = bool(variant)
        started = time.perf_counter()
        answer_id = flow.submit(db, session, turn, ANSWER)
        scoring = flow.score(db, answer_id=answer_id, turn=turn, answer=ANSWER, embedder=embedder,
                             model=coach_model, session=session, prefetch=prefetch if typed else None)
        assert isinstance(next(scoring), RubricResult)
        samples[f"submit_to_score{variant}_s"].append(time.perf_counter() - started)
        samples[f"submit_to_first_feedback_word{variant}_s"].append(until(
            scoring, lambda e: isinstance(e, FeedbackText) and e.slot.source == "model", started))

    try:
        for _ in range(ROUNDS):
            # A new session's prefetcher each round (as a new app would have): one round's drafts, kept for an answer
            # submitted again, must not answer the next round's identical answer at once.
            prefetch.close()
            prefetch = flow.Prefetcher(model=coach_model, embedder=embedder)
            # Decode -> read: the first open evaluates the JD (and saves its prefix); the reopen restores it.
            shutil.rmtree(coach_model._states.root, ignore_errors=True)
            evict(coach_model)
            samples["read_first_word_first_open_s"].append(
                until(stream_read(coach_model, decode), read_word, time.perf_counter()))
            evict(coach_model)
            started, first = time.perf_counter(), None
            for event in stream_read(coach_model, decode):  # the read the user sees, to its end
                if first is None and read_word(event):
                    first = time.perf_counter() - started
            samples["read_first_word_reopen_s"].append(first)
            # Interview start -> question 1: prepared in the background while the user read (here: until it is
            # ready), then cold (the JD prefix cached, the question's own part evaluated while the user waits).
            flow.prepare_first_question(db, decoded.jd.id, decode, n=3, embedder=embedder, prefetch=prefetch)
            assert prefetch.wait(timeout=600)
            started = time.perf_counter()
            session = flow.start(db, decoded.jd.id, n=3, embedder=embedder)
            seconds, turn = first_question(session, True, started)
            samples["first_question_prefetched_s"].append(seconds)
            assert prefetch.wait(timeout=600)  # question 2, prepared while the user answers question 1
            started = time.perf_counter()
            seconds, _ = first_question(flow.start(db, decoded.jd.id, n=3, embedder=embedder), False, started)
            samples["first_question_cold_s"].append(seconds)
            # Submit -> score -> first model feedback word (the KV cache holds the JD and a tailored question).
            submit_and_time(session, turn)
            # Question 2 (prepared while question 1 was answered), answered as the app sees it: when typing pauses
            # the model reads the answer and drafts the follow-up (flow.warm_answer, here until it is done: the
            # user pausing over the finished answer before Ctrl+S), then submit -> score -> first feedback word.
            seconds, turn = first_question(session, True, time.perf_counter())
            flow.warm_answer(session, turn, ANSWER, model=coach_model, prefetch=prefetch)
            assert prefetch.wait(timeout=600)
            submit_and_time(session, turn, variant="_typed")
            # Question 3, submitted MID_DRAFT_S seconds after the draft began (Ctrl+S soon after typing stopped):
            # feedback waits for the draft being written for this exact answer instead of writing it again.
            seconds, turn = first_question(session, True, time.perf_counter())
            assert prefetch.wait(timeout=600)
            flow.warm_answer(session, turn, ANSWER, model=coach_model, prefetch=prefetch)
            time.sleep(MID_DRAFT_S)
            submit_and_time(session, turn, variant="_mid_draft")
            assert prefetch.wait(timeout=600)
            print(f"\nround {len(samples['submit_to_score_s'])} ({size} chars, load {os.getloadavg()[0]:.1f}): "
                  + ", ".join(f"{k} {v[-1]:.3f}" for k, v in samples.items()), flush=True)
    finally:
        prefetch.close()

    figures: dict = {"jd_chars": len(text), "jd": source, "rounds": ROUNDS,
                     "jd_prefix_tokens": coach_model.count_tokens(text)}
    for key, values in samples.items():
        stats = percentiles(values)
        figures[key] = {"p50": round(stats["p50"], 3), "p95": round(stats["p95"], 3)}
    figures["estimates"] = {key: {q: percentile(values, q).to_dict() for q in (50, 95)}
                            for key, values in samples.items()}
    interactions = flow_interactions(samples)
    thresholds = profile.models.get(coach_model.model_id, {}) if profile is not None else {}
    if thresholds:
        figures |= goodput(interactions, thresholds).to_figures() | {"profile": profile.name}
    report(f"flows_{size}", coach_model.model_id, figures, samples=list(samples.values()),
           conditions_at_start=at_start, threads=coach_model.n_threads,
           interactions=[i.to_dict() for i in interactions])
    if profile is None:
        return  # calibrating: nothing is asserted
    limits = {key: profile.threshold(coach_model.model_id, target) for key, target in GATED.items()}
    if all(limit is None for limit in limits.values()):
        pytest.skip(f"profile {profile.name} sets no flow targets for {coach_model.model_id}")
    # Gated by bench/method.py like every p95: failed only when its whole interval is past the target, passed
    # only when the whole interval is inside it; at the default 5 rounds a p95 cannot pass (it needs
    # samples_needed(95) rounds), so the run says so instead of passing on a maximum.
    from bench.method import FAIL, PASS, judge

    verdicts = {key: judge(percentile(samples[key], 95), limit) for key, limit in limits.items() if limit is not None}
    where = {key: f"{key} {percentile(samples[key], 95).describe(' s')} against {limits[key]} s" for key in verdicts}
    misses = [where[key] for key, verdict in verdicts.items() if verdict == FAIL]
    assert not misses, "; ".join(misses)
    undecided = [where[key] for key, verdict in verdicts.items() if verdict != PASS]
    if undecided:
        pytest.skip("NOT ENOUGH DATA to gate: " + "; ".join(undecided))


def test_jds_are_the_sizes_we_say(tmp_path):
    for size in (2000, 8000):
        text, _ = real_jd(size)
        assert abs(len(text) - size) < 0.15 * size
    assert Path(ROOT / "data/postings").is_dir()
