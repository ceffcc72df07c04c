"""Recording an answer from the microphone into memory, at 16 kHz mono, with a level meter's readings.

sounddevice (and the PortAudio library under it) is imported only when recording starts. Without
either, or without an input device, starting says so in one line and nothing else changes: typing
the answer still works. Nothing is written to disk here; whether audio is kept is the caller's call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from models.errors import InputError, RuntimeUnavailableError
from models.speech import MAX_SECONDS, SAMPLE_RATE, level

LevelCallback = Callable[[float, float], None]  # (level 0-1, seconds recorded)
LEVEL_INTERVAL = 0.1  # the meter is updated at most ten times a second


class Recorder:
    """One recording: start(), then stop() returns the samples. Not reusable."""

    def __init__(self, *, on_level: LevelCallback | None = None, max_seconds: float = MAX_SECONDS) -> None:
        self.on_level = on_level
        self.max_frames = int(max_seconds * SAMPLE_RATE)
        self._blocks: list[np.ndarray] = []
        self._frames = 0
        self._lock = threading.Lock()
        self._stream: Any = None
        self._last_level = 0.0
        self.full = False  # the longest answer was reached: further audio is dropped

    @property
    def seconds(self) -> float:
        return self._frames / SAMPLE_RATE

    def start(self) -> None:
        try:
            import sounddevice as sd
        except ImportError:
            raise RuntimeUnavailableError("recording needs sounddevice, which is not installed",
                                          hint="`.venv/bin/pip install sounddevice`; typing works meanwhile") from None
        except OSError:  # sounddevice is there, the PortAudio library it loads is not
            raise RuntimeUnavailableError(
                "recording needs the PortAudio library, which is not installed",
                hint="`sudo apt-get install libportaudio2` or `brew install portaudio`; typing works meanwhile") from None
        try:
            sd.query_devices(kind="input")
            self._stream = sd.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", callback=self.feed)
            self._stream.start()
        except Exception as exc:  # sounddevice.PortAudioError, ValueError: no input device, device busy
            self._stream = None
            raise InputError(f"no microphone to record from ({str(exc).splitlines()[0][:80]})",
                             hint="plug one in or allow access to it; typing works meanwhile") from None

    def feed(self, block: np.ndarray, frames: int = 0, time_info: Any = None, status: Any = None) -> None:
        """PortAudio's callback (on its own thread): keep the block, report the level now and then."""
        mono = np.asarray(block, dtype=np.float32).reshape(len(block), -1).mean(axis=1)
        with self._lock:
            room = self.max_frames - self._frames
            if room <= 0:
                self.full = True
                return
            mono = mono[:room]
            self._blocks.append(mono.copy())
            self._frames += len(mono)
        now = time.monotonic()
        if self.on_level is not None and now - self._last_level >= LEVEL_INTERVAL:
            self._last_level = now
            self.on_level(level(mono), self.seconds)

    def stop(self) -> np.ndarray:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            finally:
                self._stream = None
        with self._lock:
            return np.concatenate(self._blocks) if self._blocks else np.zeros(0, dtype=np.float32)
