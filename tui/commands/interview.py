"""`coach score`, `coach interview`, `coach progress`: mock interviews in a plain terminal."""

from __future__ import annotations

import argparse
import json
import sys

from models.errors import CoachError
from tui.cli import EXIT_OK, embedder_or_none, open_context, read_text_file


def cmd_score(args: argparse.Namespace) -> int:
    from coach.feedback import collect_feedback
    from coach.rubric import score_answer

    answer = read_text_file(args.answer_file) if args.answer_file != "" else ""
    store, db = open_context()
    embedder, note = embedder_or_none(store)
    rubric = score_answer(answer, question=args.question, competency=args.competency, embedder=embedder)
    result = rubric.to_dict()
    if note:
        result["notes"] = [note]
    if not args.no_model:
        from coach.modelchoice import active_model
        from models.loader import load_text_model

        model = load_text_model(store, active_model(db, store.registry))
        try:
            result["feedback"] = collect_feedback(model, question=args.question, answer=answer, rubric=rubric)
        finally:
            model.close()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Overall {rubric.overall}/5 ({rubric.points:g} points) for {rubric.competency_name}")
    for line in rubric.rationale:
        print(f"  - {line}")
    for slot, item in result.get("feedback", {}).items():
        print(f"{slot.replace('_', ' ').capitalize()}: {item['text']}")
    return EXIT_OK

def _read_answers(path: str) -> list[str]:
    """Scripted answers: one per question, separated by lines that hold only `---`."""
    import re

    return [a.strip() for a in re.split(r"(?m)^---\s*$", read_text_file(path))]

def _ask_terminal(prompt_number: str) -> str | None:
    """A multi-line answer from the terminal: finish with a line holding only `.`, or Ctrl-D."""
    print(f"Your answer ({prompt_number}; end with a line holding only '.', or Ctrl-D; empty line + '.' to skip):")
    lines = []
    while True:
        try:
            line = input()
        except EOFError:
            return "\n".join(lines) if lines else None
        if line.strip() == ".":
            return "\n".join(lines)
        lines.append(line)

def cmd_interview(args: argparse.Namespace) -> int:
    from coach import interview as iv
    from coach.decode import decode
    from coach.feedback import FeedbackDone, FeedbackText
    from coach.jds import get_jd, save_decode, save_jd
    from coach.matrix import confidences
    from coach.modelchoice import active_model
    from coach.rubric import RubricResult
    from models.loader import load_text_model

    store, db = open_context()
    embedder, note = embedder_or_none(store)
    if note:
        print(note, file=sys.stderr)
    if args.resume:
        interview_id = args.resume
        row = next(iter(db.query("select * from interviews where id = ?", [interview_id])), None)
        if row is None:
            raise CoachError(f"no interview with id {interview_id}", hint="`coach interview --list` shows them")
        jd = get_jd(db, row["jd_id"])
        result = decode(jd.text, embedder=embedder)
    else:
        if not args.jd:
            raise CoachError("give a job description with --jd FILE, or --resume ID")
        text = read_text_file(args.jd)
        jd = save_jd(db, text, args.title)
        result = decode(text, embedder=embedder)
        save_decode(db, jd.id, result)
        plan = iv.plan_session(result, n=args.questions, confidences=confidences(db, jd.id), embedder=embedder)
        interview_id = iv.start_interview(db, jd_id=jd.id, decode=result, plan=plan)
    print(f"Interview {interview_id} for “{jd.title}” at {result.level.value}: resume any time with "
          f"`coach interview --resume {interview_id}`.")
    model = None if args.no_model else load_text_model(store, active_model(db, store.registry))
    scripted = _read_answers(args.answers) if args.answers else None
    bank = {q.id: q for q in iv.load_bank()}
    try:
        iv.rescore_unscored(db, interview_id, embedder)
        while (turn := iv.next_turn(db, interview_id)) is not None:
            total = len(iv.turns(db, interview_id))
            print(f"\n[{turn.idx + 1}/{total}] {result_name(turn.cluster_id)}")
            question = bank.get(turn.question_id)
            if model is not None and question is not None and turn.text == question.text:
                pieces = []
                print("Q: ", end="", flush=True)
                for token in model.stream(iv.tailor_messages(question, result), max_tokens=90, stop=["\n"]):
                    pieces.append(token.text)
                    print(token.text, end="", flush=True)
                tailored = "".join(pieces).strip()
                print()
                if iv.accept_tailored(tailored, question, embedder):
                    iv.set_asked(db, interview_id, turn.idx, tailored, True)
                    turn.text = tailored
                else:
                    print(f"   (kept to the bank's question) Q: {question.text}")
                    iv.set_asked(db, interview_id, turn.idx, question.text, False)
            else:
                print(f"Q: {turn.text}")
            if scripted is not None:
                if not scripted:
                    print("No more scripted answers; the interview is paused.")
                    return EXIT_OK
                answer = scripted.pop(0)
                print(f"A: {answer[:300]}{'…' if len(answer) > 300 else ''}")
            else:
                answer = _ask_terminal(f"{turn.idx + 1}/{total}")
                if answer is None:
                    print("\nPaused. Resume with `coach interview --resume " f"{interview_id}`.")
                    return EXIT_OK
            answer_id = iv.submit_answer(db, interview_id, turn.idx, answer)
            for event in iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=answer, embedder=embedder,
                                            model=model):
                if isinstance(event, RubricResult):
                    print(f"\nScore {event.overall}/5 — " + " ".join(event.rationale[:-1]))
                elif isinstance(event, FeedbackText):
                    print(event.text, end="", flush=True)
                elif isinstance(event, FeedbackDone):
                    print(f"  [{event.slot.title}]")
        iv.finish_if_done(db, interview_id)
        print("\nInterview complete. `coach progress` shows where you stand and what to drill next.")
    finally:
        if model is not None:
            model.close()
    return EXIT_OK

def result_name(cluster_id: str) -> str:
    from coach.taxonomy import load_taxonomy

    return load_taxonomy().cluster(cluster_id).name

def cmd_progress(args: argparse.Namespace) -> int:
    import datetime

    from coach.progress import checklist, history, next_drills

    _, db = open_context()
    print("Progress per competency (last three overall scores):")
    rows = history(db)
    for h in sorted(rows, key=lambda h: h.average or 0):
        print(f"  {h.name:48} {' '.join(str(s) for _, s in h.scores[-3:]):>8}   avg {h.average:.1f}")
    if not rows:
        print("  nothing scored yet: `coach interview --jd FILE` starts a mock interview")
    print("\nEnd-of-day checklist (seed 000):")
    for item, done, why in checklist(db):
        print(f"  [{'x' if done else ' '}] {item}  ({why})")
    print("\nNext drills:")
    for drill in next_drills(db):
        when = datetime.datetime.fromtimestamp(drill.due).strftime("%Y-%m-%d")
        print(f"  {drill.name:48} due {when}  ({drill.reason})")
    return EXIT_OK
