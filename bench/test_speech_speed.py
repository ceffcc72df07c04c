"""Speech to text: real-time factor (transcription time / audio length) of Whisper base on this machine.

A ~75 s answer synthesised with espeak-ng is transcribed with 2 threads, int8, greedy (the app's
setting) and with beam search 5, interleaved round by round so that both see the same load; the
word error rate of each is reported beside its speed. Model load is timed once, apart.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from bench.conftest import ROOT, check, percentiles, report

MODEL_ID = "whisper-base-ct2"
ROUNDS = 5


@pytest.fixture(scope="module")
def answer(tmp_path_factory):
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    texts = [(ROOT / "tests/data/speech" / f"{n}.txt").read_text().strip() for n in ("behavioural_clean", "design_clean")]
    text = " ".join(texts)
    wav = tmp_path_factory.mktemp("speech") / "answer.wav"
    subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(wav)], input=text.encode(), check=True)
    return text, wav


def test_speech_real_time_factor(store, profile, answer):
    from models.speech import load_audio, load_speech_model, word_error_rate

    text, wav = answer
    started = time.perf_counter()
    transcriber = load_speech_model(store, threads=2)
    load_s = time.perf_counter() - started
    audio = load_audio(wav)
    seconds = len(audio) / 16000
    rtf: dict[int, list[float]] = {1: [], 5: []}
    wer: dict[int, float] = {}
    try:
        transcriber.transcribe(audio)  # warm-up: first-call allocations are not the steady state
        for _ in range(ROUNDS):
            for beam in (1, 5):  # interleaved: both settings see the same background load
                transcriber.beam_size = beam
                transcript = transcriber.transcribe(audio)
                rtf[beam].append(transcript.seconds / seconds)
                wer[beam] = word_error_rate(text, transcript.text)
    finally:
        transcriber.close()
    figures = {"audio_s": round(seconds, 1), "load_s": round(load_s, 2)}
    for beam, samples in rtf.items():
        stats = percentiles(samples)
        figures |= {f"rtf_beam{beam}_p50": round(stats["p50"], 3), f"rtf_beam{beam}_p95": round(stats["p95"], 3),
                    f"wer_beam{beam}": round(wer[beam], 3)}
    with open("/proc/loadavg") as handle:
        figures["loadavg"] = handle.read().split()[0]
    manifest = store.registry.get(MODEL_ID)
    report("speech_rtf", MODEL_ID, figures, sha256=manifest.sha256, threads=2)
    print(f"\nspeech: {figures}")
    check(profile, MODEL_ID, "rtf_p95", figures["rtf_beam1_p95"])
