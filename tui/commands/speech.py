"""Spoken answers in the terminal: `--answer-audio` / `--answers-audio` and `coach keep-audio`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.cli import EXIT_OK, open_context, progress_bar


def load_transcriber(store: Any) -> Any:
    """The speech model, materialised from its packages on first use, with progress."""
    from models.speech import load_speech_model

    with progress_bar("preparing the speech model") as progress:
        def on_progress(stage: str, done: int, total: int) -> None:
            progress(done, total)
        return load_speech_model(store, on_progress=on_progress)


def transcribe(transcriber: Any, path: Path) -> tuple[Any, Any]:
    """(transcript, audio samples) of one recording; a bad recording is an InputError naming the file."""
    from models.speech import load_audio

    audio = load_audio(path)
    print(f"transcribing {path.name} ({len(audio) / 16000:.0f} s)…", file=sys.stderr)
    return transcriber.transcribe(audio, name=path.name), audio


def print_delivery(delivery: Any) -> None:
    print("Delivery:")
    for line in delivery.lines():
        print(f"  - {line}")


def print_delivery_trend(db: Any) -> None:
    from coach.services.speaking import delivery_trend

    trend = delivery_trend(db)
    if not trend:
        return
    print("\nDelivery of spoken answers, per interview (oldest first):")
    for row in trend:
        print(f"  interview {row['interview_id']:>4}: {row['answers']} answer(s), {row['words_per_minute']:.0f} words/min, "
              f"{row['fillers_per_minute']:.1f} fillers/min, {row['long_pauses']} long pause(s)")


def cmd_keep_audio(args: argparse.Namespace) -> int:
    from coach.services.speaking import keep_audio, keep_audio_notice, set_keep_audio

    _, db = open_context()
    if args.choice is not None:
        set_keep_audio(db, args.choice == "on")
    keep = keep_audio(db)
    print(keep_audio_notice(keep) + ("" if keep else " (`coach keep-audio on` keeps them)"))
    return EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("keep-audio", help="keep recordings of spoken answers (on/off), or show the setting")
    p.add_argument("choice", nargs="?", choices=("on", "off"))
    p.set_defaults(func=cmd_keep_audio)
