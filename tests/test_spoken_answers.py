"""Spoken answers end to end: the speech model in the registry, storage and privacy, the CLI."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import numpy as np
import pytest
from conftest import make_manifest
from test_speech import DATA, _skip_reason, speak

from models.errors import ManifestError, ModelIntegrityError
from models.registry import PypiPart, Registry, parse_manifest
from models.store import ModelStore

needs_speech = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


# -- the registry and the store --------------------------------------------------------------
def test_the_speech_model_is_registered_with_its_hashes():
    manifest = Registry.load().default("speech")
    assert manifest.id == "whisper-base-ct2"
    assert manifest.sha256 == "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
    assert manifest.size == 145_217_607
    assert {Path(c.path).name for c in manifest.companions} == {"config.json", "tokenizer.json", "vocabulary.json"}
    assert all(c.sha256 for c in manifest.companions)


def test_a_companion_file_without_a_sha256_is_refused():
    data = dict(id="s", name="S", kind="speech", file="model.bin", folder="s", quantization="int8", license="MIT",
                context_length=448, chat_format="none",
                sources={"pypi": {"files": [{"package": "p==1", "module": "p", "path": "data/config.json"}]}})
    with pytest.raises(ManifestError, match="needs a sha256"):
        parse_manifest(data, origin="test")


@pytest.fixture
def folder_model(chunk_package, models_dir, tmp_path):
    """A model that is a folder: two chunks of model.bin plus a config file from the first package."""
    parts, payload = chunk_package
    config = tmp_path / "site" / "fake_model_part1" / "data" / "config.json"
    config.write_text('{"alignment_heads": []}')
    companion = PypiPart(package=parts[0].package, module=parts[0].module, path="data/config.json",
                         sha256=hashlib.sha256(config.read_bytes()).hexdigest())
    manifest = make_manifest(parts, payload, kind="speech", file="model.bin", folder="tiny-speech",
                             companions=(companion,))
    return ModelStore(models_dir=models_dir, registry=Registry([manifest])), manifest


def test_a_folder_model_is_assembled_with_its_companions_and_verified(folder_model):
    store, manifest = folder_model
    seen = []
    path = store.materialize(manifest, lambda done, total: seen.append((done, total)))
    assert path == store.models_dir / "tiny-speech" / "model.bin"
    assert (path.parent / "config.json").read_text() == '{"alignment_heads": []}'
    assert seen[-1][0] == seen[-1][1]
    assert store.verified_path(manifest) == path


def test_a_tampered_companion_is_refused_at_load(folder_model):
    store, manifest = folder_model
    path = store.materialize(manifest)
    (path.parent / "config.json").write_text('{"alignment_heads": [[0, 0]]}')
    with pytest.raises(ModelIntegrityError, match="companion file config.json"):
        store.verified_path(manifest)
    store.materialize(manifest, force=True)  # rebuilt from the packages
    assert store.verified_path(manifest) == path


# -- storage and privacy ----------------------------------------------------------------------
def _answer(db):
    from coach import records

    interview_id = records.insert_interview(db, jd_id=None, level="L5", questions=[
        {"idx": 0, "cluster_id": "evaluation", "question_id": "q", "text": "Tell me about it.", "bank_text": "",
         "tailored": 0, "asked_at": None}])
    return records.insert_answer(db, interview_id=interview_id, idx=0, text="I built it. Um, it worked.")


def _transcript():
    from models.speech import Transcript, Word

    words = [Word(w, i * 0.4, i * 0.4 + 0.3, 1.0) for i, w in enumerate("I built it. Um, it worked.".split())]
    return Transcript(text="I built it. Um, it worked.", words=words, duration=3.0, model_id="whisper-base-ct2")


def test_delivery_is_stored_with_the_answer_and_audio_discarded_by_default(isolated_home):
    from coach.delivery import analyse
    from coach.services import speaking
    from coach.storage import open_db

    db = open_db()
    answer_id = _answer(db)
    transcript = _transcript()
    delivery = analyse(transcript.text, transcript.words, kind="behavioural")
    kept = speaking.record_delivery(db, answer_id=answer_id, transcript=transcript, delivery=delivery,
                                    audio=np.zeros(16000, dtype=np.float32))
    assert kept is None and not (isolated_home / "audio").exists()
    assert speaking.stored_delivery(db, answer_id) == delivery
    assert speaking.stored_delivery(db, answer_id).fillers == {"um": 1}
    assert speaking.delivery_trend(db)[0]["answers"] == 1


def test_kept_audio_is_owner_only_and_forget_removes_it(isolated_home):
    from coach.delivery import analyse
    from coach.export import forget
    from coach.services import speaking
    from coach.storage import open_db

    db = open_db()
    speaking.set_keep_audio(db, True)
    answer_id = _answer(db)
    transcript = _transcript()
    audio = (np.sin(np.linspace(0, 2000, 16000)) * 0.2).astype(np.float32)
    kept = speaking.record_delivery(db, answer_id=answer_id, transcript=transcript,
                                    delivery=analyse(transcript.text, transcript.words, kind="behavioural"), audio=audio)
    assert kept is not None and kept.parent == isolated_home / "audio"
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    import wave

    with wave.open(str(kept)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (16000, 1, 16000)
    db.close()
    removed = forget(isolated_home)
    assert isolated_home / "audio" in removed and not kept.exists()


def test_coach_keep_audio_writes_the_setting_the_app_reads_and_says_what_stays(capsys, isolated_home):
    from coach.services.speaking import keep_audio
    from coach.storage import open_db
    from tui.cli import main

    assert main(["keep-audio", "on"]) == 0
    assert f"kept in {isolated_home / 'audio'}" in capsys.readouterr().out
    db = open_db()
    assert keep_audio(db)
    (isolated_home / "audio").mkdir(exist_ok=True)
    (isolated_home / "audio" / "answer-1.wav").write_bytes(b"RIFF")
    assert main(["keep-audio", "off"]) == 0
    out = capsys.readouterr().out
    assert "discarded; 1 kept before stays in" in out and "`coach forget`" in out and not keep_audio(db)
    db.close()


def test_audio_files_in_name_order_and_an_empty_directory_is_refused(tmp_path):
    from coach.services.speaking import audio_files
    from models.errors import InputError

    for name in ("answer10.wav", "answer2.m4a", "answer1.mp3", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in audio_files(tmp_path)] == ["answer1.mp3", "answer2.m4a", "answer10.wav"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no recordings"):
        audio_files(empty)


def test_without_faster_whisper_the_message_says_what_to_install(monkeypatch):
    import builtins

    from models.errors import RuntimeUnavailableError
    from models.speech import WhisperTranscriber

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "faster_whisper":
            raise ImportError("No module named 'faster_whisper'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(RuntimeUnavailableError, match="pip install faster-whisper"):
        WhisperTranscriber(model_dir=Path("/nonexistent"), model_id="x")


# -- the CLI, with the real speech model --------------------------------------------------------
@needs_speech
def test_score_answer_audio_gives_rubric_transcript_and_delivery(capsys, tmp_path):
    from tui.cli import main

    wav = speak(DATA / "behavioural_fillers.txt", tmp_path / "answer.wav", rate=150)
    code = main(["score", "--competency", "evaluation", "--question", "Tell me about a time you improved an LLM "
                 "feature.", "--answer-audio", str(wav), "--no-model", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    result = json.loads(out)
    assert "400" in result["transcript"]["text"]
    assert result["delivery"]["fillers"].get("um", 0) + result["delivery"]["fillers"].get("uh", 0) >= 4
    assert result["delivery"]["kind"] == result["kind"]
    assert result["overall"] >= 2


@needs_speech
def test_interview_with_recordings_stores_each_delivery_and_stops_at_a_bad_one(capsys, tmp_path):
    from coach.services.speaking import delivery_trend
    from coach.storage import open_db
    from tui.cli import main

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    speak(DATA / "behavioural_clean.txt", recordings / "answer1.wav", rate=150)
    (recordings / "answer2.wav").write_text("not audio")
    jd_file = Path(__file__).parent / "data" / "jds" / "02-llm-support-automation.txt"
    code = main(["interview", "--jd", str(jd_file), "--questions", "3", "--answers-audio", str(recordings),
                 "--no-model"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Delivery:" in out and "Pace:" in out
    assert "answer2.wav is not an audio file" in err and "--resume" in err
    assert len(err.strip().splitlines()) <= 2  # the transcribing notice and the one-line error
    db = open_db()
    assert [row["answers"] for row in delivery_trend(db)] == [1]

