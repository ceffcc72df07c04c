"""A spoken answer as one flow, shared by the CLI and the app: transcribe, judge the delivery, store it.

The audio is transcribed and then discarded, unless the user keeps recordings (the
``keep_audio`` setting): kept audio is written as 16 kHz mono WAV under ``<data dir>/audio``
(0700, files 0600) and goes with `coach forget`.
"""

from __future__ import annotations

import os
import wave
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from coach import records
from coach.delivery import Delivery, analyse, roles_from_rubric
from coach.storage import get_setting, set_setting
from models.datadir import data_dir
from models.errors import InputError
from models.speech import SAMPLE_RATE, Transcript

KEEP_AUDIO_KEY = "keep_audio"
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".ogg", ".flac", ".webm", ".aac", ".opus")


def keep_audio(db: Any) -> bool:
    return get_setting(db, KEEP_AUDIO_KEY, "0") == "1"


def set_keep_audio(db: Any, keep: bool) -> None:
    set_setting(db, KEEP_AUDIO_KEY, "1" if keep else "0")


def keep_audio_notice(keep: bool) -> str:
    """One line on what becomes of recordings under the setting: the CLI's `coach keep-audio` and the app's
    toggle say the same, since they read and write the same setting."""
    where = data_dir() / "audio"
    if keep:
        return f"recordings of your answers are kept in {where} (owner-only); `coach forget` deletes them"
    kept = sum(1 for _ in where.glob("*.wav")) if where.is_dir() else 0
    already = f"; {kept} kept before {'stays' if kept == 1 else 'stay'} in {where} until `coach forget`" if kept else ""
    return f"recordings are transcribed and then discarded{already}"


def delivery_of(transcript: Transcript, rubric: Any) -> Delivery:
    """Pace, fillers, pauses, length and time per rubric part of one transcribed answer."""
    roles, labels = roles_from_rubric(rubric)
    return analyse(transcript.text, transcript.words, kind=rubric.kind, roles=roles, role_labels=labels)


def audio_dir() -> Path:
    path = data_dir() / "audio"
    path.mkdir(exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_wav(path: Path, audio: np.ndarray) -> None:
    """16 kHz mono 16-bit PCM, readable by the owner only; written beside and renamed, never half there."""
    pcm = (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767).astype("<i2")
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle, wave.open(handle, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    os.replace(partial, path)


def record_delivery(db: Any, *, answer_id: int, transcript: Transcript, delivery: Delivery,
                    audio: np.ndarray | None) -> Path | None:
    """Store the delivery and the timed words with the answer; keep the audio only if the user said so."""
    kept = None
    if audio is not None and keep_audio(db):
        kept = audio_dir() / f"answer-{answer_id}.wav"
        write_wav(kept, audio)
    records.upsert_delivery(db, answer_id=answer_id, model_id=transcript.model_id, duration=transcript.duration,
                            words=[asdict(w) for w in transcript.words], delivery=delivery.to_dict(),
                            audio_path=str(kept) if kept else None)
    return kept


def stored_delivery(db: Any, answer_id: int) -> Delivery | None:
    import json

    row = records.delivery_row(db, answer_id)
    return None if row is None else Delivery.from_dict(json.loads(row["delivery_json"]))


def audio_files(directory: Path) -> list[Path]:
    """The recordings in a directory, one per question in name order (answer1.wav, answer2.m4a, ...)."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory of recordings")
    files = sorted((p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES),
                   key=lambda p: _natural(p.name))
    if not files:
        raise InputError(f"no recordings in {directory}", hint=f"give files ending in {', '.join(AUDIO_SUFFIXES[:3])}")
    return files


def _natural(name: str) -> list[Any]:
    import re

    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def delivery_trend(db: Any) -> list[dict[str, Any]]:
    """Delivery over sessions: per interview, mean pace, fillers a minute and long pauses, oldest first."""
    import json

    by_interview: dict[int, list[dict[str, Any]]] = {}
    for row in records.delivery_history(db):
        by_interview.setdefault(row["interview_id"], []).append(json.loads(row["delivery_json"]))
    out = []
    for interview_id, items in by_interview.items():
        n = len(items)
        out.append({"interview_id": interview_id, "answers": n,
                    "words_per_minute": round(sum(d["words_per_minute"] for d in items) / n, 1),
                    "fillers_per_minute": round(sum(d["fillers_per_minute"] for d in items) / n, 2),
                    "long_pauses": sum(len(d["pauses"]) for d in items)})
    return out
