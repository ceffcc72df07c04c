"""The CLI's contract: errors are one line on stderr and a non-zero exit, never a traceback."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("coach: ")
    return lines[0]


def test_models_list_shows_status_and_active(capsys):
    code, out, _ = run(capsys, "models", "list", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["qwen2.5-coder-1.5b-instruct-q4_k_m"]["active"] is True
    assert rows["gemma-3-270m-q4_k_m"]["status"] == "missing"
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and "qwen2.5-coder-1.5b-instruct-q4_k_m" in out and "missing" in out


def test_unknown_model_is_one_line(capsys):
    code, _, err = run(capsys, "models", "use", "llama-9000")
    assert code == 1
    assert "no model with id 'llama-9000'" in one_line_error(err)


def test_verify_refuses_a_corrupt_file(capsys, models_dir):
    (models_dir / "gemma-3-270m-q4_k_m.gguf").write_bytes(b"GGUF" + b"\0" * 1000)
    code, out, err = run(capsys, "models", "verify")
    assert code == 1
    assert "FAIL gemma-3-270m-q4_k_m: truncated: 1,004 bytes, expected 253,113,024" in out
    one_line_error(err)
    code, out, _ = run(capsys, "models", "list", "--json")
    assert {r["id"]: r["status"] for r in json.loads(out)}["gemma-3-270m-q4_k_m"] == "present"


@pytest.mark.real_model
def test_generate_in_a_new_data_dir_assembles_the_model_from_its_package(capsys, models_dir):
    """Issue 13: like every other command, `coach generate` materialises on first use (it used to refuse)."""
    assert not (models_dir / "gemma-3-270m-q4_k_m.gguf").exists()
    code, out, err = run(capsys, "generate", "Say hello.", "--model", "gemma-3-270m-q4_k_m", "--max-tokens", "8")
    assert code == 0, err
    assert (models_dir / "gemma-3-270m-q4_k_m.gguf").stat().st_size == 253_113_024
    assert "[gemma-3-270m-q4_k_m:" in err and out.strip()


def _closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("argv", [
    ["models", "pull", "gemma-3-270m-q4_k_m"],
    ["models", "pull", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf", "--sha256", "a" * 64],
])
def test_pull_when_offline_says_so_plainly(capsys, monkeypatch, argv):
    # A hub that refuses connections is what "offline" looks like to the client.
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_loopback_port()}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "cannot reach the Hugging Face Hub" in one_line_error(err)


def test_pull_with_hub_offline_mode_set(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = run(capsys, "models", "pull", "gemma-3-270m-q4_k_m")
    assert code == 1 and "cannot reach the Hugging Face Hub" in one_line_error(err)


def test_pull_by_repo_needs_a_sha256(capsys):
    code, _, err = run(capsys, "models", "pull", "some/repo", "file.gguf")
    assert code == 1 and "--sha256" in one_line_error(err)


def test_model_without_sha256_cannot_be_activated(capsys, models_dir):
    (models_dir / "manifests").mkdir()
    (models_dir / "manifests" / "unsigned.toml").write_text(
        'id = "unsigned"\nname = "Unsigned"\nkind = "llm"\nfile = "u.gguf"\nquantization = "Q4_0"\n'
        'license = "MIT"\ncontext_length = 2048\nchat_format = "none"\n')
    code, _, err = run(capsys, "models", "use", "unsigned")
    assert code == 1 and "cannot be activated" in one_line_error(err)


def test_materialize_through_the_cli(capsys, models_dir):
    code, out, _ = run(capsys, "models", "materialize", "all-minilm-l6-v2-int8")
    assert code == 0 and (models_dir / "model.onnx").is_file()
    code, out, _ = run(capsys, "models", "verify", "all-minilm-l6-v2-int8")
    assert code == 0 and "ok   all-minilm-l6-v2-int8: sha256 matches" in out


def test_installed_console_script_prints_no_traceback(isolated_home):
    script = Path(sys.executable).with_name("coach")
    result = subprocess.run([str(script), "models", "use", "nope"], capture_output=True, text=True,
                            env={**os.environ, "COACH_HOME": str(isolated_home)}, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("coach: no model with id 'nope'")
    assert "Traceback" not in result.stderr


WORKED = ("Design and own the evaluation infrastructure for our LLM applications. Partner with product and legal to "
          "define quality thresholds. Debug production regressions and drive root-cause analysis. Experience with "
          "RAG systems and prompt engineering required. Familiarity with safety and content moderation a plus.")


def test_decode_json_has_the_documented_keys(capsys, tmp_path):
    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    code, out, _ = run(capsys, "decode", str(jd), "--json", "--lexical")
    data = json.loads(out)
    assert code == 0
    first = data["clusters"][0]
    assert (first["id"], first["weight"]) == ("evaluation", 3)
    assert {"id", "name", "weight", "spans"} <= set(first)
    assert all(WORKED[s:e] for s, e in first["spans"])
    assert [v["verb"] for v in data["verbs"]] == ["design", "own", "partner", "define", "debug", "drive"]
    assert data["level"]["value"] in ("L4", "L5", "Staff") and data["level"]["evidence"]
    assert data["flavor"]["value"] == "llm_engineer" and set(data["flavor"]["scores"]) == {
        "ml_engineer", "llm_engineer", "applied_ai_engineer", "ai_product_engineer"}


def test_decode_from_stdin_as_markdown_and_table(capsys, monkeypatch, tmp_path):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(WORKED.encode())))
    code, out, _ = run(capsys, "decode", "-", "--md", "--lexical", "--title", "Eval infra")
    assert code == 0 and out.startswith("# JD decode: Eval infra")
    assert "| 1 | Evaluation & quality | 3 |" in out
    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    code, out, _ = run(capsys, "decode", str(jd), "--lexical")
    assert code == 0 and "Evaluation & quality" in out and "design, own, partner, define, debug, drive" in out


def test_decode_saves_when_asked(capsys, tmp_path):
    from coach.jds import list_jds
    from coach.storage import open_db

    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    code, _, err = run(capsys, "decode", str(jd), "--save", "--title", "Eval infra", "--json", "--lexical")
    assert code == 0 and "saved as job description 1" in err
    assert [j.title for j in list_jds(open_db())] == ["Eval infra"]


@pytest.mark.parametrize("content,message", [
    (b"", "the job description is empty"),
    (b"   \n\n  ", "the job description is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file"),
    ("Ingénieur ML".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 3)"),
])
def test_decode_bad_files_are_one_clear_line(capsys, tmp_path, content, message):
    jd = tmp_path / "jd.txt"
    jd.write_bytes(content)
    code, _, err = run(capsys, "decode", str(jd), "--lexical")
    assert code == 1 and message in one_line_error(err)


def test_decode_missing_file(capsys):
    code, _, err = run(capsys, "decode", "/nonexistent/jd.txt")
    assert code == 1 and "no such file: /nonexistent/jd.txt" in one_line_error(err)


def test_decode_a_recipe_says_no_competency(capsys, tmp_path):
    jd = tmp_path / "recipe.txt"
    jd.write_text("Preheat the oven to 200C. Whisk the eggs with sugar until pale. Bake for 25 minutes.")
    code, out, _ = run(capsys, "decode", str(jd), "--json", "--lexical")
    data = json.loads(out)
    assert code == 0 and data["clusters"] == [] and data["notes"][0].startswith("No recognisable competency")


@pytest.mark.real_model
def test_decode_uses_the_embedder_when_it_is_installed(capsys, tmp_path):
    jd = tmp_path / "jd.txt"
    jd.write_text("- Teach the assistant to look things up in our help-center articles before it replies.\n")
    code, out, _ = run(capsys, "decode", str(jd), "--json")
    assert code == 0 and [c["id"] for c in json.loads(out)["clusters"]] == ["retrieval_rag"]


def test_interview_is_scriptable_pauses_and_resumes(capsys, tmp_path):
    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    answers = tmp_path / "answers.txt"
    answers.write_text("I don't know.\n---\nI built a regression suite of 300 cases and cut escalations by 20%.\n")
    code, out, _ = run(capsys, "interview", "--jd", str(jd), "--answers", str(answers), "--no-model", "--questions", "3")
    assert code == 0 and "[1/3]" in out and "[2/3]" in out and "the interview is paused" in out
    assert "Score 1/5" in out
    more = tmp_path / "more.txt"
    more.write_text("At my last job I led the incident review and we cut repeat incidents by 40%.")
    code, out, _ = run(capsys, "interview", "--resume", "1", "--answers", str(more), "--no-model")
    assert code == 0 and "[3/3]" in out and "Interview complete" in out
    code, out, _ = run(capsys, "progress")
    assert code == 0 and "[x] Drafted one answer for each interview Q above" in out


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_a_jd_saved_as_utf16_or_with_a_bom_decodes(capsys, tmp_path, encoding):
    jd = tmp_path / "jd.txt"
    jd.write_bytes(WORKED.encode(encoding))
    code, out, _ = run(capsys, "decode", str(jd), "--json", "--lexical")
    assert code == 0 and json.loads(out)["clusters"][0]["id"] == "evaluation"


def test_gaps_shows_evidence_with_markup_characters_as_written(capsys, tmp_path):
    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    run(capsys, "decode", str(jd), "--save", "--lexical")
    code, out, err = run(capsys, "gaps", "1", "--evidence", "evaluation=[/] and [bold]RAGAS[/bold]")
    assert code == 0, err
    assert "[/]" in out and "[bold]" in out  # shown, not parsed (parsing "[/]" raised MarkupError)


def test_interview_list_shows_interviews(capsys, tmp_path):
    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    run(capsys, "interview", "--jd", str(jd), "--answers", str(jd), "--no-model", "--questions", "2")
    code, out, _ = run(capsys, "interview", "--list")
    assert code == 0 and "1/2 answered" in out


def test_a_saved_jd_is_decoded_again_only_when_asked_and_says_what_changed(capsys, tmp_path):
    from coach.jds import saved_decode
    from coach.storage import open_db

    jd = tmp_path / "jd.txt"
    jd.write_text(WORKED)
    run(capsys, "decode", str(jd), "--save", "--lexical")
    before = saved_decode(open_db(), 1)
    code, out, _ = run(capsys, "jds", "--redecode", "1")
    assert code == 0 and "decoded “" in out and ("nothing changed" in out or ":" in out)
    assert [c.id for c in saved_decode(open_db(), 1).clusters][:2] == [c.id for c in before.clusters][:2]
