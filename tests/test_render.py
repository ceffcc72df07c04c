"""How a call's doubt is shown (coach.render): a close or unlikely call names its runner-up."""

from __future__ import annotations

from coach.decode import FlavorResult, LevelResult
from coach.render import flavor_line, level_line


def level(**scores: float) -> LevelResult:
    return LevelResult(max(scores, key=scores.get), "", [], None, scores)


def flavor(**scores: float) -> FlavorResult:
    return FlavorResult(max(scores, key=scores.get), scores, [])


def test_a_level_call_under_half_names_the_runner_up():
    assert level_line(level(L5=0.47, Staff=0.27, L4=0.26)) == "L5, possibly Staff (47% / 27%)"
    assert level_line(level(L5=0.71, Staff=0.2, L4=0.09)) == "L5 (71%)"


def test_a_flavor_call_under_half_names_the_runner_up():
    assert flavor_line(flavor(llm_engineer=0.45, ml_engineer=0.25, applied_ai_engineer=0.2,
                              ai_product_engineer=0.1)) == "LLM engineer, possibly ML engineer (45% / 25%)"
    assert flavor_line(flavor(llm_engineer=0.44, applied_ai_engineer=0.38, ml_engineer=0.1,
                              ai_product_engineer=0.08)).endswith("with a strong Applied AI engineer signal (44% / 38%)")
    assert flavor_line(flavor(llm_engineer=0.6, ml_engineer=0.25, applied_ai_engineer=0.1,
                              ai_product_engineer=0.05)) == "LLM engineer (60%)"
