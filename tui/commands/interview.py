"""`coach score`, `coach interview`, `coach progress`: mock interviews in a plain terminal."""

from __future__ import annotations

import argparse
import json
import sys

from tui.cli import EXIT_OK, embedder_or_none, load_model, open_context, read_text_file


def cmd_score(args: argparse.Namespace) -> int:
    from coach.feedback import collect_feedback
    from coach.rubric import score_answer

    store, db = open_context()
    transcript = None
    if args.answer_audio:
        from pathlib import Path

        from tui.commands.speech import load_transcriber, transcribe

        transcriber = load_transcriber(store)
        try:
            transcript, _ = transcribe(transcriber, Path(args.answer_audio))
        finally:
            transcriber.close()
        answer = transcript.text
    else:
        answer = read_text_file(args.answer_file) if args.answer_file != "" else ""
    embedder, note = embedder_or_none(store)
    rubric = score_answer(answer, question=args.question, competency=args.competency, embedder=embedder,
                          kind=args.kind)
    result = rubric.to_dict()
    delivery = None
    if transcript is not None:
        from coach.services.speaking import delivery_of

        delivery = delivery_of(transcript, rubric)
        result["transcript"] = {"text": transcript.text, "duration": transcript.duration, "model": transcript.model_id,
                                "seconds": transcript.seconds}
        result["delivery"] = delivery.to_dict()
    if note:
        result["notes"] = [note]
    if not args.no_model:
        model = load_model(store, db)
        try:
            result["feedback"] = collect_feedback(model, question=args.question, answer=answer, rubric=rubric)
        finally:
            model.close()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Overall {rubric.overall}/5 for {rubric.competency_name} ({rubric.kind.replace('_', ' ')} rubric, "
          f"kind {rubric.kind_source})")
    for line in rubric.rationale:
        print(f"  - {line}")
    if delivery is not None:
        from tui.commands.speech import print_delivery

        print(f"Transcript ({transcript.duration:.0f} s): {transcript.text}")
        print_delivery(delivery)
    for slot, item in result.get("feedback", {}).items():
        print(f"{slot.replace('_', ' ').capitalize()}: {item['text']}")
    return EXIT_OK

def _read_answers(path: str) -> list[str]:
    """Scripted answers: one per question, separated by lines that hold only `---`."""
    import re

    return [a.strip() for a in re.split(r"(?m)^---\s*$", read_text_file(path))]

def _ask_terminal(prompt_number: str, on_line: object = None) -> str | None:
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
        if callable(on_line):
            on_line("\n".join(lines))  # the model reads the answer so far while the next line is typed

def cmd_interview(args: argparse.Namespace) -> int:
    from coach.feedback import FeedbackDone, FeedbackText
    from coach.rubric import RubricResult
    from coach.services import interviewing as flow
    from coach.services.decoding import decode_and_save
    from models.errors import InputError

    store, db = open_context()
    if args.list:
        return _list_interviews(db)
    embedder, note = embedder_or_none(store)
    if note:
        print(note, file=sys.stderr)
    if args.resume:
        session, rescored = flow.resume(db, args.resume, embedder=embedder)
        if rescored:
            print(f"{rescored} stored answer(s) scored on resume.")
    else:
        if not args.jd:
            raise InputError("give a job description with --jd FILE, or --resume ID")
        decoded = decode_and_save(db, read_text_file(args.jd), embedder=embedder, title=args.title)
        if decoded.jd is None:
            raise InputError("this text has no recognisable competency to interview on", hint="`coach decode` says why")
        session = flow.start(db, decoded.jd.id, n=args.questions, embedder=embedder)
    jd, result = session.decoded.jd, session.decoded.decode
    print(f"Interview {session.interview_id} for “{jd.title}” at {result.level.value}: resume any time with "
          f"`coach interview --resume {session.interview_id}`.")
    model = None if args.no_model else load_model(store, db)
    # Tailors question k+1 in the background while the user types answer k.
    prefetch = None if model is None else flow.Prefetcher(model=model, embedder=embedder)
    scripted = _read_answers(args.answers) if args.answers else None
    recordings, transcriber = None, None
    if args.answers_audio:
        from pathlib import Path

        from coach.services import speaking
        from tui.commands.speech import load_transcriber, print_delivery, transcribe

        recordings = speaking.audio_files(Path(args.answers_audio))
        transcriber = load_transcriber(store)
    try:
        while True:
            turn = None
            for event in flow.ask_next(db, session, model=model, embedder=embedder, prefetch=prefetch):
                if isinstance(event, flow.InterviewDone):
                    print("\nInterview complete. `coach progress` shows where you stand and what to drill next.")
                    return EXIT_OK
                if isinstance(event, flow.QuestionStarted):
                    print(f"\n[{event.number}/{event.total}] {event.competency}")
                    print("Q: ", end="", flush=True)
                elif isinstance(event, flow.QuestionText):
                    print(event.text, end="", flush=True)
                elif isinstance(event, flow.QuestionReady):
                    turn = event.turn
                    if event.replaced:
                        print("\n   (kept to the bank's question) Q: " + turn.text)
                    elif not event.tailored:
                        print(turn.text)
                    else:
                        print()
            assert turn is not None
            transcript = audio = None
            if recordings is not None:
                if not recordings:
                    print("No more recordings; the interview is paused.")
                    return EXIT_OK
                path = recordings.pop(0)
                try:
                    transcript, audio = transcribe(transcriber, path)
                except InputError as exc:
                    print(f"{exc}. The interview is paused at this question: resume with "
                          f"`coach interview --resume {session.interview_id}`.", file=sys.stderr)
                    return 1
                answer = transcript.text
                print(f"A ({path.name}, {transcript.duration:.0f} s): {answer[:300]}{'…' if len(answer) > 300 else ''}")
            elif scripted is not None:
                if not scripted:
                    print("No more scripted answers; the interview is paused.")
                    return EXIT_OK
                answer = scripted.pop(0)
                print(f"A: {answer[:300]}{'…' if len(answer) > 300 else ''}")
            else:
                answer = _ask_terminal(f"{turn.idx + 1}", on_line=None if prefetch is None else (
                    lambda text, turn=turn: flow.warm_answer(session, turn, text, model=model, prefetch=prefetch)))
                if answer is None:
                    print(f"\nPaused. Resume with `coach interview --resume {session.interview_id}`.")
                    return EXIT_OK
            answer_id = flow.submit(db, session, turn, answer)
            for event in flow.score(db, answer_id=answer_id, turn=turn, answer=answer, embedder=embedder, model=model,
                                    session=session, prefetch=prefetch):
                if isinstance(event, RubricResult):
                    print(f"\nScore {event.overall}/5 — " + " ".join(event.rationale[:-1]))
                    if transcript is not None:
                        delivery = speaking.delivery_of(transcript, event)
                        speaking.record_delivery(db, answer_id=answer_id, transcript=transcript, delivery=delivery,
                                                 audio=audio)
                        print_delivery(delivery)
                elif isinstance(event, FeedbackText):
                    print(event.text, end="", flush=True)
                elif isinstance(event, FeedbackDone):
                    print(f"  [{event.slot.title}]")
    finally:
        if prefetch is not None:
            prefetch.close()
        if model is not None:
            model.close()
        if transcriber is not None:
            transcriber.close()


def _list_interviews(db: object) -> int:
    import datetime

    from coach.interview import list_interviews

    rows = list_interviews(db)
    if not rows:
        print("no interviews yet: `coach interview --jd FILE` starts one")
    for row in rows:
        when = datetime.datetime.fromtimestamp(row["created_at"]).strftime("%Y-%m-%d")
        print(f"{row['id']:>4}  {when}  {row['status']:6}  {row['answered']}/{row['n_questions']} answered  "
              f"{row['jd_title'] or '(no JD)'}")
    return EXIT_OK


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
    from tui.commands.speech import print_delivery_trend

    print_delivery_trend(db)
    print("\nEnd-of-day checklist (seed 000):")
    for item, done, why in checklist(db):
        print(f"  [{'x' if done else ' '}] {item}  ({why})")
    print("\nNext drills:")
    for drill in next_drills(db):
        when = datetime.datetime.fromtimestamp(drill.due).strftime("%Y-%m-%d")
        print(f"  {drill.name:48} due {when}  ({drill.reason})")
    return EXIT_OK
