"""Delivery feedback from timed words: pure functions, no model."""

from __future__ import annotations

import pytest

from coach.delivery import LONG_PAUSE, Delivery, analyse, count_fillers, roles_from_rubric, time_by_role
from models.speech import Word, word_error_rate


def timed(text: str, *, wpm: float, start: float = 0.0, gaps: dict[int, float] | None = None) -> list[Word]:
    """Words spoken evenly at `wpm`, with extra silence before the word at each index in `gaps`."""
    per_word = 60.0 / wpm
    out, t = [], start
    for i, token in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(Word(token, round(t, 3), round(t + per_word * 0.8, 3), 1.0))
        t += per_word
    return out


def test_words_per_minute_from_timestamps():
    text = " ".join(["word"] * 300)
    delivery = analyse(text, timed(text, wpm=150), kind="behavioural")
    assert delivery.words == 300
    assert delivery.words_per_minute == pytest.approx(150, rel=0.01)
    assert delivery.pace == "conversational"
    fast = analyse(text, timed(text, wpm=220), kind="behavioural")
    assert fast.pace == "fast" and fast.words_per_minute == pytest.approx(220, rel=0.01)


def test_long_pauses_are_found_where_they_are():
    text = "I built the evaluation set. Then I fixed retrieval."
    words = timed(text, wpm=150, gaps={5: 3.0})
    delivery = analyse(text, words, kind="technical")
    assert len(delivery.pauses) == 1
    assert delivery.pauses[0].seconds >= LONG_PAUSE
    assert delivery.pauses[0].after.endswith("set.")
    assert analyse(text, timed(text, wpm=150, gaps={5: 1.0}), kind="technical").pauses == []


@pytest.mark.parametrize("text, expected", [
    ("Um, so I, uh, built it. Uh, you know, it worked.", {"um": 1, "uh": 2, "you know": 1}),
    ("It was, like, slow. I'd like to add that I like tests.", {"like": 1}),
    ("Basically we shipped. I mean, it was kind of late.", {"basically": 1, "i mean": 1, "kind of": 1}),
    ("I measured recall and precision on 400 questions.", {}),
])
def test_fillers_counted(text, expected):
    assert count_fillers(text) == expected


def test_length_against_the_kind_target():
    short = " ".join(["word"] * 100)  # 40 s at 150 wpm
    assert analyse(short, timed(short, wpm=150), kind="behavioural").length == "short"
    good = " ".join(["word"] * 300)  # 2 minutes
    assert analyse(good, timed(good, wpm=150), kind="behavioural").length == "on target"
    long = " ".join(["word"] * 600)  # 4 minutes
    assert analyse(long, timed(long, wpm=150), kind="behavioural").length == "long"
    assert analyse(long, timed(long, wpm=150), kind="system_design").length == "on target"


def test_time_per_role_follows_the_rubrics_sentences():
    text = "Our bot failed on billing questions. I rebuilt the retrieval index over two weeks. Errors fell by half."
    words = timed(text, wpm=120)
    roles = {"situation": ["Our bot failed on billing questions."],
             "action": ["I rebuilt the retrieval index over two weeks."]}
    seconds = time_by_role(text, words, roles)
    assert set(seconds) == {"situation", "action", "other"}
    assert seconds["action"] > seconds["situation"] > 0  # 8 words vs 6
    # An answer edited after transcribing: the quote no longer matches, its time is "other", nothing breaks.
    assert "action" not in time_by_role(text, words, {"action": ["I wrote a different sentence."]})


def test_roles_from_a_real_rubric_and_round_trip():
    from coach.rubric import score_answer

    text = ("Last year our chatbot gave wrong answers to one in five billing questions. I built an evaluation set of "
            "400 questions and added a re-ranker. Wrong answers fell from 20 percent to 6 percent.")
    rubric = score_answer(text, question="Tell me about a time you improved an LLM feature.", competency="evaluation",
                          kind="behavioural")
    roles, labels = roles_from_rubric(rubric)
    assert labels["result"] == "Measured result"
    sentences = [q for quotes in roles.values() for q in quotes]
    assert len(sentences) == len(set(sentences))  # each sentence under one criterion only
    delivery = analyse(text, timed(text, wpm=140), kind=rubric.kind, roles=roles, role_labels=labels)
    assert sum(delivery.time_by_role.values()) > 0
    again = Delivery.from_dict(delivery.to_dict())
    assert again == delivery
    assert any(line.startswith("Time spent:") for line in again.lines())


def test_no_words_gives_zero_pace_not_an_error():
    delivery = analyse("", [], kind="behavioural")
    assert delivery.words == 0 and delivery.words_per_minute == 0.0


def test_word_error_rate():
    assert word_error_rate("fell from 20 percent", "fell from 20%") == 0.0
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)
    assert word_error_rate("a b", "a b c d") == pytest.approx(1.0)
