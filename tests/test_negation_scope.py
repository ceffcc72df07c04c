"""Negation scope in the rubric's lexical features (coach.sentences.scoped_tokens)."""

from __future__ import annotations

from coach.sentences import bag, scoped_ngrams, scoped_tokens, tokens


def test_words_after_a_negation_are_marked_to_the_end_of_the_clause():
    assert scoped_tokens("We chose not to skip the evaluation, even under deadline pressure.") == [
        "we", "chose", "not", "~to", "~skip", "~the", "~evaluation", "even", "under", "deadline", "pressure"]


def test_contractions_and_curly_apostrophes_negate():
    assert scoped_tokens("We didn’t bother with an eval set.") == ["we", "didn't", "~bother", "~with", "~an",
                                                                  "~eval", "~set"]


def test_a_conjunction_ends_the_scope_and_numbers_do_not():
    marked = scoped_tokens("Not sure it was right, but I cut p95 from 3.5 s to 900 ms")
    assert marked[:5] == ["not", "~sure", "~it", "~was", "~right"]
    assert "~" not in "".join(marked[5:])


def test_without_a_negation_the_tokens_are_the_plain_ones():
    text = "I built a golden set of 400 tickets and cut escalations by 23%."
    assert scoped_tokens(text) == tokens(text)


def test_the_negated_bigram_is_a_different_feature():
    vocabulary = {"skip the": 0, "~skip ~the": 1}
    assert bag(["We skip the evaluation."], vocabulary, scoped=True).tolist() == [[1.0, 0.0]]
    assert bag(["We chose not to skip the evaluation."], vocabulary, scoped=True).tolist() == [[0.0, 1.0]]
    assert "skip the" in scoped_ngrams("We skip the evaluation.")
